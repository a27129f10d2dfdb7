"""Where a file stands on its route, for the diagram: steps done and steps waiting now; and
the posts that held a role on it before (a file returned goes back to who had it)."""

from typing import TypedDict

from sqlalchemy import ScalarResult, func, select
from sqlalchemy.orm import Session

from ..models import File, Task


class StepStates(TypedDict):
    """Step id -> times the file passed through it; step ids waiting now; the file's status."""
    done: dict[str, int]
    current: list[str]
    status: str


def step_states(session: Session, file: File) -> StepStates:
    """Step ids the file has passed through (with how many times) and those waiting now.  A
    step of a route the file's route called (``Call/Step``) counts for the call activity of
    the file's own diagram too."""
    done: dict[str, int] = {}
    current: list[str] = []
    for step_id, done_at in session.execute(select(Task.step_id, Task.done_at)
                                            .where(Task.file_id == file.id).order_by(Task.id)):
        ids = dict.fromkeys([step_id, diagram_element(step_id)])
        if done_at is None:
            current.extend(ids)
        else:
            for element in ids:
                done[element] = done.get(element, 0) + 1
    return {"done": done, "current": current, "status": file.status}


def earlier_posts(session: Session, file_id: int, role: str) -> ScalarResult[int]:
    """Posts that held ``role`` on this file before, latest first."""
    return session.scalars(select(Task.post_id).where(Task.file_id == file_id, Task.role == role)
                           .group_by(Task.post_id).order_by(func.max(Task.id).desc()))


def diagram_element(step_id: str) -> str:
    """The element of the file's own route's diagram a step is drawn in: the step itself, or
    the call activity that ran the route the step is in."""
    return step_id.partition("/")[0]
