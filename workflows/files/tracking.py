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
    """Step ids the file has passed through (with how many times) and those waiting now."""
    done: dict[str, int] = {}
    current: list[str] = []
    for step_id, done_at in session.execute(select(Task.step_id, Task.done_at)
                                            .where(Task.file_id == file.id).order_by(Task.id)):
        if done_at is None:
            current.append(step_id)
        else:
            done[step_id] = done.get(step_id, 0) + 1
    return {"done": done, "current": current, "status": file.status}
