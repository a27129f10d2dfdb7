"""Parking: an official sets aside the file (or, on a file in parts, the part) they hold.

A part parked cannot move until it is taken up again; the file's other parts go on.  The part
is its open task (``Task.parked_at``); the file's status is "parked" while every part it lies
in is parked (a file in one piece is then parked as a whole, as it always was).  The track
gets a "park" or "unpark" movement; on a file in parts it names the part's step, so that
reports count the parked time of that part alone (``reports.parked_spans``).
"""

from datetime import datetime

from sqlalchemy.orm import Session

from .. import audit, clock
from ..clock import utcnow
from ..errors import NotAllowed
from ..models import File, Movement, Task, User
from ..routes.routing import engine_route
from .acting import OpenTask, lock_file, open_tasks, open_tasks_of, pick_task, require_open


def park(session: Session, *, number: str, user: User, remark: str | None = "",
         task_id: int | str | None = None, now: datetime | None = None) -> File:
    """Set aside the file (or the part of it, named by ``task_id`` when the official holds
    several) that ``user`` holds: it stays with them and cannot move until unparked."""
    now = now or utcnow()
    file = lock_file(session, number)
    require_open(file)
    task = _held_part(session, file, user, task_id, now, parked=False)
    return _set_parked(session, file, user, task, now, remark)


def unpark(session: Session, *, number: str, user: User, remark: str | None = "",
           task_id: int | str | None = None, now: datetime | None = None) -> File:
    """Take a parked file (or the parked part of it ``user`` holds) up again: it can move
    once more."""
    now = now or utcnow()
    file = lock_file(session, number)
    if file.status == "closed":
        require_open(file)
    if file.status != "parked" and all(t.parked_at is None for t in open_tasks(session, file)):
        raise NotAllowed("file %(number)s is not parked", number=file.number)
    task = _held_part(session, file, user, task_id, now, parked=True)
    return _set_parked(session, file, user, task, None, remark, at=now)


def _held_part(session: Session, file: File, user: User, task_id: int | str | None,
               now: datetime, parked: bool) -> OpenTask:
    """The open task of ``file`` that ``user`` holds and may park (``parked`` False) or take
    up again (True); refused as ``acting.pick_task`` refuses, or when it is (not) parked."""
    tasks = open_tasks_of(session, file, user, clock.office_today(file.office, now))
    if task_id is None:
        mine = [t for t in tasks if t.held and (t.parked_at is not None) == parked]
        if mine:
            return mine[0]
    task = pick_task(session, file, user, tasks, task_id)
    if parked and task.parked_at is None:
        raise NotAllowed("your part of file %(number)s (%(step)s) is not parked",
                         number=file.number, step=task.step_name)
    if not parked and task.parked_at is not None:
        raise NotAllowed("your part of file %(number)s (%(step)s) is parked already",
                         number=file.number, step=task.step_name)
    return task


def _set_parked(session: Session, file: File, user: User, part: OpenTask,
                parked_at: datetime | None, remark: str | None,
                at: datetime | None = None) -> File:
    """Park (``parked_at``) or take up again (None) the task ``part``; the file is parked
    while all its open tasks are.  The movement names the part's step on a file in parts."""
    now = at or parked_at or utcnow()
    session.get_one(Task, part.task_id).parked_at = parked_at
    tasks = open_tasks(session, file)  # flushes the change first
    file.status = "parked" if all(t.parked_at is not None for t in tasks) else "open"
    step_id = next(t.step_id for t in tasks if t.id == part.task_id)
    in_parts = len(tasks) > 1 or step_id in engine_route(session, file.route_version).part_steps
    kind, remark = ("park" if parked_at else "unpark"), (remark or "").strip()
    session.add(Movement(file_id=file.id, kind=kind, from_post_id=part.post_id,
                         from_user_id=user.id, to_post_id=part.post_id,
                         step_name=part.step_name if in_parts else "", remark=remark, at=now))
    detail = {"part": part.step_name} if in_parts else {}
    audit.record(session, f"file.{kind}", user, file, office_id=file.office_id,
                 remark=remark or None, **detail)
    session.flush()
    return file
