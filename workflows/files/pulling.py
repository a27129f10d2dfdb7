"""Pulling a file back: the sender takes back what they sent while no receiver has opened it.

When the sender's act is the file's last movement, the file goes back to the route's state
kept from before that act (``File.previous_state``), whatever it did.  In a file in parts
the other parts may have moved since: then only the sender's part comes back.  The route is
set at the steps the other parts wait at and the step the part was sent from, as a version
move sets it (``engine.start_at_steps``); the other parts keep their tasks, their holders and
their time, and the sender gets the part back at the post it left.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, org
from ..clock import utcnow
from ..errors import NotAllowed
from ..models import File, Movement, Task, User
from ..routes.calling import called_routes
from ..routes.routing import engine_route
from .acting import Placed, lock_file, open_tasks, place_tasks, reseat, save_state


@dataclass(frozen=True)
class Pullable:
    """What a sender may pull back: their act (``movement``), the open tasks it placed, and
    whether it is the file's last movement (``whole``: the state before it is restored)."""

    movement: Movement
    tasks: list[Task]
    whole: bool


def sent_by(tasks: Sequence[Task], movement: Movement) -> list[Task]:
    """Of a file's open ``tasks``, those its ``movement`` placed (all of them, on a file in
    one part)."""
    return [t for t in tasks if t.since == movement.at]


def pullable(file: File, movements: Sequence[Movement], tasks: Sequence[Task],
             mine: Iterable[int]) -> Pullable | None:
    """What the holder of the posts ``mine`` may pull back of ``file`` (its ``movements``
    oldest first, its open ``tasks``): their latest act, if every task it placed is still
    open, unopened and not parked, and, unless it is the last movement, the file lies in parts outside
    any called route and circulation."""
    mine = set(mine)
    if file.status == "closed" or not movements:
        return None
    last = movements[-1]
    if last.kind == "act" and last.from_post_id in mine and file.previous_state:
        waiting = sent_by(tasks, last)
        return Pullable(last, waiting, True) if _unopened(waiting) else None
    acts = [m for m in movements if m.kind == "act" and m.from_post_id in mine]
    if not acts or len(tasks) < 2 or any(t.route_version_id is not None for t in tasks):
        return None
    waiting = sent_by(tasks, acts[-1])
    return Pullable(acts[-1], waiting, False) if waiting and _unopened(waiting) else None


def _unopened(tasks: Sequence[Task]) -> bool:
    """Whether no receiver has opened the ``tasks`` (or parked them, which is acting on one)."""
    return all(t.opened_at is None and t.parked_at is None for t in tasks)


def pull_back(session: Session, *, number: str, user: User, now: datetime | None = None) -> File:
    """Take back a file (or, in a file in parts, the part) just sent, while its receiver has
    not opened it."""
    now = now or utcnow()
    file = lock_file(session, number)
    if file.status == "closed" and file.outcome:
        raise NotAllowed("the route has finished for this file; it cannot be pulled back")
    movements = list(session.scalars(select(Movement).where(Movement.file_id == file.id)
                                     .order_by(Movement.id)))
    tasks = open_tasks(session, file)
    mine = {post_id for post_id in {m.from_post_id for m in movements if m.kind == "act"}
            if post_id is not None and org.holds(session, user, post_id)}
    found = pullable(file, movements, tasks, mine)
    if found is None:
        acts = [m for m in movements if m.kind == "act" and m.from_post_id in mine]
        if acts and not _unopened(sent_by(tasks, acts[-1])):
            raise NotAllowed("the receiver has already opened the file; ask them to return it")
        raise NotAllowed("only the last sender can pull a file back, right after sending it")
    sent = found.movement
    for task in found.tasks:
        task.done_at, task.outcome = now, "pulled back"
    if found.whole:
        instance = engine.load(engine_route(session, file.route_version), file.previous_state,
                               called_routes(session, file.office_id))
    else:
        instance = _part_back(session, file, sent, [t for t in tasks if t not in found.tasks])
    placed = place_tasks(session, file, instance, now,
                         prefer=() if sent.from_post_id is None else (sent.from_post_id,))
    _to_sender(session, placed, sent)
    save_state(file, instance)
    file.previous_state = ""
    file.status = "open"
    session.add(Movement(file_id=file.id, kind="pull-back", from_post_id=sent.to_post_id,
                         from_user_id=user.id, to_post_id=sent.from_post_id,
                         step_name=sent.step_name, at=now))
    audit.record(session, "file.pulled_back", user, file, step=sent.step_name)
    session.flush()
    return file


def _to_sender(session: Session, placed: Sequence[Placed], sent: Movement) -> None:
    """The step the sender acted on comes back to their post even when it is not of the
    step's role: an officer above acted on a step put up to them (``putting_up``)."""
    back = [p for p in placed if p.step_name == sent.step_name]
    if len(back) == 1 and sent.from_post_id is not None and back[0].post_id != sent.from_post_id:
        session.get_one(Task, back[0].id).post_id = sent.from_post_id


def _part_back(session: Session, file: File, sent: Movement,
               others: list[Task]) -> engine.Instance:
    """The route set at the steps of the ``others`` parts and at the step ``sent`` left, the
    other parts' tasks given the new instance's tasks of their steps."""
    placed = session.scalars(select(Task).where(Task.file_id == file.id,
                                                Task.since == sent.at)).all()
    left = session.scalar(select(Task).where(Task.file_id == file.id, Task.done_at == sent.at,
                                             Task.post_id == sent.from_post_id))
    if left is None or left.route_version_id is not None:
        raise NotAllowed("only the last sender can pull a file back, right after sending it")
    if any(t.outcome not in (None, "pulled back") for t in placed):
        raise NotAllowed("part of what you sent has moved on since; ask its holder to return it")
    route = engine_route(session, file.route_version)
    steps = [t.step_id for t in others] + [left.step_id]
    if any(route.steps[s].circulation for s in steps if s in route.steps):
        raise NotAllowed("a part of a circulation is pulled back only right after it was "
                         "sent, before any other part moves")
    try:
        instance = engine.start_at_steps(route, steps, {"priority": file.priority},
                                         called_routes(session, file.office_id))
    except engine.RouteError as exc:
        raise NotAllowed(exc.template, **exc.params) from None
    reseat(others, instance)
    return instance
