"""Where a file stands on its route, for the diagram: steps done and steps waiting now."""

from typing import TypedDict

from sqlalchemy import select
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


def diagram_element(step_id: str) -> str:
    """The element of the file's own route's diagram a step is drawn in: the step itself, or
    the call activity that ran the route the step is in."""
    return step_id.partition("/")[0]
