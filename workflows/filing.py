"""Files moving along their routes: open, act, pull back, park, close, reopen.

Every function takes the session first, works inside the caller's transaction, and never
commits: one action is one transaction, so a failure (or a killed process) leaves the file
exactly as it was.  The file row is locked first, so two officials acting at once queue, and
the second is told the file has moved.
"""

from dataclasses import dataclass
from datetime import date

import engine

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from . import audit, limits, org, records
# act and open_file live in acting.py and opening.py; callers know them as filing's
from .acting import act, earlier_posts, pick_task, require_open  # noqa: F401
from .opening import open_file  # noqa: F401
from .db import utcnow
from .errors import NotAllowed, NotFound
from .models import File, Movement, PostHolding, Task
from .routing import engine_route


def pull_back(session, *, number, user, now=None):
    """Take back a file just sent, while its receiver has not opened it."""
    now = now or utcnow()
    file = lock_file(session, number)
    last = session.scalar(select(Movement).where(Movement.file_id == file.id)
                          .order_by(Movement.id.desc()).limit(1))
    if (last is None or last.kind != "act" or not file.previous_state
            or not org.holds(session, user, last.from_post_id)):
        raise NotAllowed("only the last sender can pull a file back, right after sending it")
    if file.status == "closed" and file.outcome:
        raise NotAllowed("the route has finished for this file; it cannot be pulled back")
    waiting = _open_tasks(session, file)
    if any(t.opened_at is not None for t in waiting):
        raise NotAllowed("the receiver has already opened the file; ask them to return it")
    for task in waiting:
        task.done_at, task.outcome = now, "pulled back"
    instance = engine.load(engine_route(session, file.route_version), file.previous_state)
    _sync_tasks(session, file, instance, now, prefer=(last.from_post_id,))
    _save_state(file, instance)
    file.previous_state = ""
    file.status = "open"
    session.add(Movement(file_id=file.id, kind="pull-back", from_post_id=last.to_post_id,
                         from_user_id=user.id, to_post_id=last.from_post_id,
                         step_name=last.step_name, at=now))
    audit.record(session, "file.pulled_back", user, file, step=last.step_name)
    session.flush()
    return file


def park(session, *, number, user, remark="", now=None):
    """Set a file aside: it stays with its holder and cannot move until unparked."""
    file = lock_file(session, number)
    require_open(file)
    task = _task_of(session, file, user, None)
    return _set_status(session, file, user, "parked", "park", task.post_id, remark, now)


def unpark(session, *, number, user, remark="", now=None):
    file = lock_file(session, number)
    if file.status != "parked":
        raise NotAllowed("file %(number)s is not parked", number=file.number)
    task = _task_of(session, file, user, None)
    return _set_status(session, file, user, "open", "unpark", task.post_id, remark, now)


def close(session, *, number, user, retention=None, keep_years=None, remark="", now=None):
    """Close a file before its route ends, recording it in its ``retention`` category (A, B or
    C, kept ``keep_years``; see records.py); only its creator or the head of office may."""
    now = now or utcnow()
    file = lock_file(session, number)
    if file.status == "closed":
        raise NotAllowed("file %(number)s is already closed", number=file.number)
    post = _creator_or_head(session, file, user, NotAllowed(
        "only the file's creator or the head of office may close file %(number)s",
        number=file.number))
    records.set_retention(file, retention, keep_years, now)
    for task in _open_tasks(session, file):
        task.done_at, task.outcome = now, "closed"
    file.closed_at, file.outcome, file.previous_state = now, "Closed", ""
    return _set_status(session, file, user, "closed", "close", post.id, remark, now,
                       retention=file.retention, review_on=file.review_on.isoformat())


def reopen(session, *, number, user, remark="", now=None):
    """Reopen a closed file; if its route had finished, it starts the route again."""
    now = now or utcnow()
    file = lock_file(session, number)
    if file.status != "closed":
        raise NotAllowed("file %(number)s is not closed", number=file.number)
    post = _creator_or_head(session, file, user, NotAllowed(
        "only the file's creator or the head of office may reopen file %(number)s",
        number=file.number))
    instance = load_instance(session, file)
    if instance.finished:
        instance = engine.start(instance.route, {"priority": file.priority})
        _save_state(file, instance)
    file.closed_at, file.outcome = None, ""
    file.retention = file.review_on = None  # recorded again when it closes again
    _sync_tasks(session, file, instance, now, prefer=(post.id,))
    return _set_status(session, file, user, "open", "reopen", post.id, remark, now)


def mark_opened(session, file, user, now=None):
    """Record that the holder has opened the file (after which it cannot be pulled back)."""
    for task in _open_tasks(session, file):
        if task.opened_at is None and org.holds(session, user, task.post_id):
            task.opened_at = now or utcnow()


def lock_file(session, number):
    """The file numbered ``number``, its row locked (its office and route version loaded with
    it) for this action."""
    stmt = (select(File).options(joinedload(File.office, innerjoin=True),
                                 joinedload(File.route_version, innerjoin=True))
            .where(File.number == (number or "").strip()))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=File)
    file = session.scalar(stmt)
    if file is None:
        raise NotFound("no file numbered '%(number)s'", number=number)
    return file


def load_instance(session, file):
    return engine.load(engine_route(session, file.route_version), file.workflow_state)


def open_tasks(session, file):
    return _open_tasks(session, file)


def _open_tasks(session, file):
    return list(session.scalars(select(Task).where(Task.file_id == file.id,
                                                   Task.done_at.is_(None)).order_by(Task.id)))


def _task_of(session, file, user, task_id):
    """The open task of ``file`` that ``user`` may act on (the one named by ``task_id``, if
    given); refused as ``acting.pick_task`` refuses."""
    held = exists().where(PostHolding.post_id == Task.post_id, PostHolding.user_id == user.id,
                          org.held_on(date.today()))
    rows = session.execute(select(Task, held).where(Task.file_id == file.id,
                                                    Task.done_at.is_(None)).order_by(Task.id))
    tasks = [_OpenTask(task.id, task.post_id, bool(mine), task) for task, mine in rows]
    return pick_task(session, file, user, tasks, task_id).task


@dataclass(frozen=True)
class _OpenTask:
    task_id: int
    post_id: int
    held: bool
    task: Task


def _sync_tasks(session, file, instance, now, prefer=()):
    """Make the open-task rows match the steps the route has ready; return the new rows."""
    ready = engine.ready_steps(instance)
    ready_ids = {s.task_id for s in ready}
    existing = {}
    for task in _open_tasks(session, file):
        if task.engine_task_id in ready_ids:
            existing[task.engine_task_id] = task
        else:
            task.done_at, task.outcome = now, "cancelled"
    office = file.office
    created = []
    for step in ready:
        if step.task_id in existing:
            continue
        post = org.resolve_role(session, office, file.section_id, step.role, prefer=prefer,
                                earlier=lambda role: earlier_posts(session, file.id, role))
        task = Task(file_id=file.id, engine_task_id=step.task_id, step_id=step.step_id,
                    step_name=step.name, role=step.role, post_id=post.id, since=now)
        limits.place_task(session, file, instance, task, now)  # due time, escalation, timers
        session.add(task)
        created.append(task)
    return created


def _save_state(file, instance):
    file.workflow_state = engine.dump(instance)
    file.engine_version = engine.SPIFF_VERSION


def _first_post(tasks):
    return tasks[0].post_id if tasks else None


def _first_step(tasks):
    return tasks[0].step_name if tasks else ""


def _creator_or_head(session, file, user, refusal):
    """The post through which ``user`` may close or reopen ``file`` (its creator's post, or a
    head of office); ``refusal`` (a NotAllowed) when they may not."""
    posts = [p for p in org.posts_of(session, user) if p.office_id == file.office_id]
    if file.created_by_id == user.id and posts:
        return next((p for p in posts if p.id == file.created_by_post_id), posts[0])
    heads = [p for p in posts if p.is_head]
    if heads:
        return heads[0]
    raise refusal


def _set_status(session, file, user, status, kind, post_id, remark, now, **detail):
    now = now or utcnow()
    file.status = status
    session.add(Movement(file_id=file.id, kind=kind, from_post_id=post_id, from_user_id=user.id,
                         to_post_id=post_id, remark=(remark or "").strip(), at=now))
    audit.record(session, f"file.{kind}", user, file, remark=(remark or "").strip() or None,
                 **detail)
    session.flush()
    return file


def track(session, file):
    """The file's movements in order, with the posts and users involved loaded."""
    return list(session.scalars(select(Movement).where(Movement.file_id == file.id)
                                .order_by(Movement.id)))


def held_for(movements, index, now=None):
    """How long the file stayed where movement ``index`` left it."""
    end = movements[index + 1].at if index + 1 < len(movements) else (now or utcnow())
    return end - movements[index].at


def holders(session, tasks):
    """For each open task, the users who hold its post today."""
    return {t.id: org.holders_of(session, t.post) for t in tasks}


def fire_timer(session, file, task, timer_id, now):
    """Fire the timer event ``timer_id`` armed on ``task`` of ``file`` (the file row locked by
    the caller) and run the route on from it.  When the route moves the file (an interrupting
    timer), the step is closed as timed out and the track gets a "timer" movement.  Returns the
    new open tasks, or None when the timer is no longer armed."""
    instance = load_instance(session, file)
    armed = next((t for t in engine.waiting_timers(instance)
                  if t.timer_id == timer_id and t.step_id == task.step_id), None)
    if armed is None:
        return None
    engine.fire_timer(instance, armed.task_id)
    new_tasks = _sync_tasks(session, file, instance, now, prefer=(task.post_id,))
    if task.done_at is not None:
        task.outcome = "timed out"
    file.previous_state = ""  # a timer's move cannot be pulled back
    _save_state(file, instance)
    if instance.finished:
        file.status, file.outcome, file.closed_at = "closed", instance.end_name, now
    timer = instance.route.timers[timer_id]
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
