"""Files moving along their routes: open, act, pull back, park, close, reopen.

Every function takes the session first, works inside the caller's transaction, and never
commits: one action is one transaction, so a failure (or a killed process) leaves the file
exactly as it was.  The file row is locked first, so two officials acting at once queue, and
the second is told the file has moved.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

import engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..org import access
from .. import audit, org
from . import records
# act and open_file live in acting.py and opening.py; callers know them as filing's
from .acting import (OpenTask, Placed, act, lock_file, open_tasks, open_tasks_of,  # noqa: F401
                     pick_task, place_tasks, require_open, reseat, save_state)
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed
from ..models import File, Movement, Post, Task, User
from .opening import open_file  # noqa: F401
from .parking import park, unpark  # noqa: F401
from .pulling import pull_back, pullable, sent_by  # noqa: F401
from ..routes import calling
from ..routes.calling import called_routes
from ..routes.routing import engine_refusals, engine_route


def close(session: Session, *, number: str, user: User, retention: str | None = None,
          keep_years: int | str | None = None, remark: str | None = "",
          now: datetime | None = None) -> File:
    """Close a file before its route ends, recording it in its ``retention`` category (A, B or
    C, kept ``keep_years``; see records.py).  Whoever holds it at a step where its route may
    end closes it; the head of office may close it anywhere, giving the reason (``remark``),
    which stays on its track."""
    now = now or utcnow()
    file = lock_file(session, number)
    if file.status == "closed":
        raise NotAllowed("file %(number)s is already closed", number=file.number)
    tasks = open_tasks(session, file)
    closing = closing_post(session, file, user, tasks)
    if closing is None and len(tasks) > 1:
        raise NotAllowed("file %(number)s lies with %(count)s posts at once; only the head of "
                         "office may close it, ending those parts", number=file.number,
                         count=len(tasks))
    if closing is None:
        raise NotAllowed("file %(number)s is closed by the official holding it at a step where "
                         "its route may end, or by the head of office giving the reason",
                         number=file.number)
    post, as_head = closing
    if as_head and not (remark or "").strip():
        if len(tasks) > 1:
            raise InvalidInput("file %(number)s lies with %(count)s posts at once; give the "
                               "reason for ending those parts", number=file.number,
                               count=len(tasks))
        raise InvalidInput("give the reason for closing file %(number)s: it is kept on its "
                           "track", number=file.number)
    review_on = records.set_retention(file, retention, keep_years, now)
    for task in tasks:
        task.done_at, task.outcome = now, "closed"
    file.closed_at, file.outcome, file.previous_state = now, "Closed", ""
    ended = {"ended_parts": [t.step_name for t in tasks]} if len(tasks) > 1 else {}
    return _set_status(session, file, user, "closed", "close", post.id, remark, now,
                       retention=file.retention, review_on=review_on.isoformat(),
                       by_head=as_head, **ended)


def closing_post(session: Session, file: File, user: User,
                 tasks: Sequence[Task]) -> tuple[Post, bool] | None:
    """The post through which ``user`` may close the open ``file`` (lying at ``tasks``), and
    whether as the head of office (who gives a reason); None when they may not.  The holder
    closes a file lying with them alone at a step offering a choice that ends the route; a
    file lying with several posts at once is closed only by the head."""
    if len(tasks) == 1 and org.holds(session, user, tasks[0].post_id) and ending_choices(
            session, file, tasks[0]):
        return tasks[0].post, False
    head = access.head_post(session, file, user)
    return (head, True) if head is not None else None


def reopen(session: Session, *, number: str, user: User, remark: str | None = "",
           now: datetime | None = None) -> File:
    """Reopen a closed file; if its route had finished, it starts the route again."""
    now = now or utcnow()
    file = lock_file(session, number)
    if file.status != "closed":
        raise NotAllowed("file %(number)s is not closed", number=file.number)
    post = access.closer_or_head(session, file, user)
    if post is None:
        raise NotAllowed("only the official who closed file %(number)s or the head of office "
                         "may reopen it", number=file.number)
    instance = load_instance(session, file)
    if instance.finished:
        with engine_refusals():
            instance = engine.start(instance.route, {"priority": file.priority},
                                    called_routes(session, file.office_id))
        save_state(file, instance)
    file.closed_at, file.outcome = None, ""
    file.retention = file.review_on = None  # recorded again when it closes again
    place_tasks(session, file, instance, now, prefer=(post.id,))
    return _set_status(session, file, user, "open", "reopen", post.id, remark, now)


def mark_opened(session: Session, file: File, user: User, now: datetime | None = None) -> None:
    """Record that the holder has opened the file (after which it cannot be pulled back)."""
    for task in open_tasks(session, file):
        if task.opened_at is None and org.holds(session, user, task.post_id):
            task.opened_at = now or utcnow()


def load_instance(session: Session, file: File) -> engine.Instance:
    """The route's state of ``file``, loaded into the engine."""
    return engine.load(engine_route(session, file.route_version), file.workflow_state,
                       called_routes(session, file.office_id))


def ending_choices(session: Session, file: File, task: Task) -> tuple[str, ...]:
    """The choices of ``task``'s step that end ``file``'s route: none at a step of a called
    route, whose end returns the file to the route that called it."""
    if task.route_version_id is not None:
        return ()
    step = calling.step_of_task(session, file.route_version, task)
    return step.ending if step is not None else ()


def confirmed_choices(session: Session, file: File, task: Task) -> tuple[str, ...]:
    """The choices of ``task``'s step that the page asks again before taking: those ending
    the file's route, and those the route's author marked to be confirmed."""
    step = calling.step_of_task(session, file.route_version, task)
    marked = step.confirm if step is not None else ()
    return tuple(dict.fromkeys(ending_choices(session, file, task) + marked))


def _first_post(tasks: Sequence[Placed]) -> int | None:
    return tasks[0].post_id if tasks else None


def _first_step(tasks: Sequence[Placed]) -> str:
    return tasks[0].step_name if tasks else ""


def _set_status(session: Session, file: File, user: User, status: str, kind: str, post_id: int,
                remark: str | None, now: datetime | None, **detail: object) -> File:
    now = now or utcnow()
    file.status = status
    session.add(Movement(file_id=file.id, kind=kind, from_post_id=post_id, from_user_id=user.id,
                         to_post_id=post_id, remark=(remark or "").strip(), at=now))
    audit.record(session, f"file.{kind}", user, file, office_id=file.office_id,
                 remark=(remark or "").strip() or None, **detail)
    session.flush()
    return file


def track(session: Session, file: File) -> list[Movement]:
    """The file's movements in order, with the posts and users involved loaded."""
    return list(session.scalars(select(Movement).where(Movement.file_id == file.id)
                                .order_by(Movement.id)))


def stays(movements: Sequence[Movement], now: datetime | None = None) -> list[timedelta]:
    """For each movement, how long the file stayed where it left it: until the next movement,
    or on a file that has been in parts, until that post next moved it (a part's stay is not
    cut short by another part's movement).  One pass from the end."""
    now = now or utcnow()
    sent = [(m.at, m.from_post_id) for m in movements if m.kind == "act"]
    in_parts = len(set(sent)) < len(sent)  # one act sent the file to several posts at once
    out: list[timedelta] = []
    next_at = closed_at = None
    next_from: dict[int | None, datetime] = {}  # post -> when it next moved the file
    for m in reversed(movements):
        if in_parts:  # a part still held lies until now; one ended by a closing, until then
            end = next_from.get(m.to_post_id, closed_at or now)
        else:
            end = next_at or now
        out.append(end - m.at)
        next_at, next_from[m.from_post_id] = m.at, m.at
        if m.kind == "close":
            closed_at = m.at
    return out[::-1]


def holders(session: Session, tasks: Sequence[Task]) -> dict[int, list[User]]:
    """For each open task, the users who hold its post today."""
    holding = org.holders_by_post(session, {t.post_id for t in tasks})
    return {t.id: holding[t.post_id] for t in tasks}


def fire_timer(session: Session, file: File, task: Task, timer_id: str,
               now: datetime) -> list[Placed] | None:
    """Fire the timer event ``timer_id`` armed on ``task`` of ``file`` (the file row locked by
    the caller) and run the route on from it.  When the route moves the file (an interrupting
    timer), the step is closed as timed out and the track gets a "timer" movement.  Returns the
    new open tasks, or None when the timer is no longer armed."""
    instance = load_instance(session, file)
    armed = next((t for t in engine.waiting_timers(instance)
                  if t.timer_id == timer_id and t.step_id == task.step_id), None)
    if armed is None:
        return None
    with engine_refusals():
        engine.fire_timer(instance, armed.task_id, now)
    new_tasks = place_tasks(session, file, instance, now, prefer=(task.post_id,))
    if task.done_at is not None:
        task.outcome = "timed out"
    file.previous_state = ""  # a timer's move cannot be pulled back
    save_state(file, instance)
    if instance.finished:
        # a finished route always names its end
        file.status, file.outcome, file.closed_at = "closed", instance.end_name or "", now
    timer = instance.timer(timer_id)
    if task.done_at is not None or new_tasks or instance.finished:
        session.add(Movement(file_id=file.id, kind="timer", from_post_id=task.post_id,
                             to_post_id=_first_post(new_tasks), step_name=task.step_name,
                             choice=timer.name or timer_id,
                             remark=f"Time limit {timer.expression} of '{task.step_name}' "
                                    "expired", at=now))
    audit.record(session, "file.timer_fired", None, file, step=task.step_name, timer=timer_id,
                 interrupting=timer.interrupting, to_posts=[t.post_id for t in new_tasks],
                 outcome=file.outcome or None)
    session.flush()
    return new_tasks
