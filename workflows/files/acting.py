"""An official acts on a file: the step they hold is completed with one of its choices and the
file goes on to the post (or posts) the route names next.

An act is a handful of statements in the caller's one transaction: the file row is locked
first (two officials acting at once queue; the second is told the file has moved), then its
open tasks are read and the route run on the file's state; the writes are Core statements
built once, and a row the session holds as an object is given the values written
(``updated``), as an ORM update would give them, at a fraction of its cost.

``place_tasks`` is the one place where a step the route reaches gets its post, limit, due time
and timers, however the file moved (opened, acted on, pulled back, reopened, a timer).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import engine
from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.orm import Session, joinedload

from .. import audit, clock, org
from ..clock import utcnow
from ..deadlines import limits
from ..errors import FileMoved, InvalidInput, Moment, NotAllowed, NotFound, listed, named
from ..models import (File, FileTimer, Movement, Note, Office, PostHolding, RouteVersion,
                     Task, User)
from ..models import records
from ..models.textguard import check_text
from ..org import post_title
from ..routes.calling import called_routes, version_id_of
from ..routes.routing import route_of_version
from ..signing import notes as signed_notes
from . import circulation
from .rows import frozen_in_session, set_held, updated
from .tracking import earlier_posts

F, T = File.__table__, Task.__table__


@dataclass(frozen=True)
class Acted:
    """What an act did: the file (id, number, status after the act) and where it went."""
    file_id: int
    number: str
    status: str
    step_name: str
    choice: str
    to_post_ids: tuple[int, ...]


@dataclass(frozen=True)
class Placed:
    """A task just placed: its id, its step and the post it waits at."""
    id: int
    step_name: str
    post_id: int


@dataclass(frozen=True)
class _Locked:
    """What an act reads of the file it locks, with the file's office."""
    id: int
    number: str
    office: Office
    section_id: int
    priority: str
    status: str
    workflow_state: str
    row_version: int
    route_version_id: int
    sha256: str

    @property
    def office_id(self) -> int:
        # a property, not a field: the row's columns fill the fields one for one, which
        # mypy can check (it cannot count the columns of a select of ten)
        return self.office.id


class Waiting(Protocol):
    """An open task as ``place_tasks`` is given it: a row with its id and its engine task."""

    @property
    def task_id(self) -> int: ...
    @property
    def engine_task_id(self) -> str: ...


class OpenTask(Waiting, Protocol):
    """An open task as ``open_tasks_of`` reads it: a row of its columns, with ``held``
    (the user holds its post) and ``drafts`` (they have draft notes on the file)."""

    @property
    def step_id(self) -> str: ...
    @property
    def step_name(self) -> str: ...
    @property
    def post_id(self) -> int: ...
    @property
    def since(self) -> datetime: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def limit_days(self) -> int | None: ...
    @property
    def parked_at(self) -> datetime | None: ...
    @property
    def held(self) -> bool: ...
    @property
    def drafts(self) -> bool: ...


_LOCK = (select(F.c.id, F.c.number, Office, F.c.section_id, F.c.priority, F.c.status,
                F.c.workflow_state, F.c.row_version, F.c.route_version_id,
                RouteVersion.__table__.c.sha256)
         .join(Office, Office.id == F.c.office_id)
         .join(RouteVersion.__table__, RouteVersion.__table__.c.id == F.c.route_version_id)
         .where(F.c.number == bindparam("number")))
_OPEN = (select(T.c.id.label("task_id"), T.c.engine_task_id, T.c.step_id, T.c.step_name,
                T.c.post_id, T.c.since, T.c.due_at, T.c.limit_days, T.c.parked_at)
         .where(T.c.file_id == bindparam("file_id"), T.c.done_at.is_(None)).order_by(T.c.id))
_OPEN_HELD = _OPEN.add_columns(
    exists().where(PostHolding.__table__.c.post_id == T.c.post_id,
                   PostHolding.__table__.c.user_id == bindparam("user_id"),
                   org.held_on(bindparam("day"))).label("held"),
    exists().where(Note.__table__.c.file_id == T.c.file_id,  # the official's notes to freeze
                   Note.__table__.c.author_id == bindparam("user_id"),
                   Note.__table__.c.frozen_at.is_(None)).label("drafts"))
_LOCK_PG = _LOCK.with_for_update(of=F)
_NEW_TASK = insert(T).returning(T.c.id)
_MOVEMENT = insert(Movement.__table__).returning(Movement.__table__.c.id)
# Updates by key; the columns set are the parameters given (SQLAlchemy's "SET from parameters")
_TASK_DONE = update(T).where(T.c.id == bindparam("task_key"))
_FILE_MOVED = update(F).where(F.c.id == bindparam("file_key"),
                              F.c.row_version == bindparam("seen_version"))
_FREEZE_NOTES = (update(Note.__table__).where(Note.__table__.c.file_id == bindparam("file_key"),
                                              Note.__table__.c.author_id == bindparam("author"),
                                              Note.__table__.c.frozen_at.is_(None)))
_CANCEL_TASKS = update(T).where(T.c.id.in_(bindparam("task_keys", expanding=True)))


def act(session: Session, *, number: str, user: User, choice: str, remark: str | None = "",
        task_id: int | str | None = None, to_post_id: int | None = None,
        mark_to: Sequence[int | str] = (), reason: str | None = "", pin: str | None = None,
        now: datetime | None = None) -> Acted:
    """Complete the step of file ``number`` that ``user`` holds, with one of its choices.
    ``task_id`` names the step the official saw (a stale page gets FileMoved); ``to_post_id``
    picks the receiving post when several hold the next role; ``mark_to``, the posts a
    circulation of marked posts goes to.  A file past its limit needs a ``reason``.  In an
    office that signs, the official's paragraphs not yet sent are signed with ``pin``."""
    now = now or utcnow()
    file = _lock_for_act(session, number)
    tasks = open_tasks_of(session, file, user, clock.office_today(file.office, now))
    task = _movable(file, pick_task(session, file, user, tasks, task_id))
    remark = _remark(task, now, remark, reason)
    if task.drafts:  # signed first: a wrong PIN stops the act before the route moves
        signed_notes.sign_notes(session, file_id=file.id, office_id=file.office_id, user=user,
                                post_id=task.post_id, pin=pin, now=now)
    route = route_of_version(session, file.route_version_id, file.sha256)
    instance = engine.load(route, file.workflow_state, called_routes(session, file.office_id))
    variables = circulation.variables(session, file.office, file.priority, route, mark_to,
                                      route.steps.get(task.step_id), choice)
    try:
        engine.complete(instance, task.engine_task_id, choice, variables)
    except engine.RouteError as exc:
        raise InvalidInput(exc.template, **exc.params) from None

    updated(session, Task, task.task_id, _TASK_DONE, {"task_key": task.task_id}, dict(
        done_at=now, done_by_id=user.id, choice=choice, outcome="acted"))
    if task.drafts:
        session.execute(_FREEZE_NOTES, {"file_key": file.id, "author": user.id, "frozen_at": now})
        frozen_in_session(session, file.id, user.id, now)
    others = [t for t in tasks if t is not task]
    placed = place_tasks(session, file, instance, now, prefer=(to_post_id,) if to_post_id else (),
                         waiting=others)
    status = _status_after(file.status, instance.finished, placed, others)
    finished = {"outcome": instance.end_name, "closed_at": now} if instance.finished else {}
    moved = updated(session, File, file.id, _FILE_MOVED,
                    {"file_key": file.id, "seen_version": file.row_version}, dict(
                        previous_state=file.workflow_state, workflow_state=engine.dump(instance),
                        engine_version=engine.SPIFF_VERSION, row_version=file.row_version + 1,
                        status=status, **finished))
    if not moved:  # the lock rules it out; a file changed under it is not overwritten
        raise FileMoved()
    to_posts = tuple(t.post_id for t in placed)
    _moved(session, dict(file_id=file.id, kind="act", from_post_id=task.post_id,
                         from_user_id=user.id, step_name=task.step_name, choice=choice,
                         remark=remark, at=now), to_posts)
    audit.record(session, "file.moved", user, file, step=task.step_name, choice=choice,
                 to_posts=list(to_posts), outcome=instance.end_name if instance.finished else None)
    return Acted(file.id, file.number, status, task.step_name, choice, to_posts)


def _moved(session: Session, movement: dict[str, Any], to_posts: Sequence[int]) -> None:
    """The act's movement on the track, once per receiving post (a split, a circulation)."""
    for to_post in to_posts or (None,):
        row = dict(movement, to_post_id=to_post)
        records.wrote(session, "movement", session.scalar(_MOVEMENT, row), row)


def _movable(file: _Locked, task: OpenTask) -> OpenTask:
    """``task``, unless it is a part parked (the file's other parts go on meanwhile)."""
    if task.parked_at is not None:
        raise NotAllowed("your part of file %(number)s (%(step)s) is parked; take it up "
                         "again first", number=file.number, step=task.step_name)
    return task


def _status_after(status: str, finished: bool, placed: Sequence[Placed],
                  others: Sequence[OpenTask]) -> str:
    """The file's status after an act: closed at an end; parked when only parked parts are
    left; else as it was."""
    if finished:
        return "closed"
    if not placed and others and all(t.parked_at is not None for t in others):
        return "parked"
    return status


def _lock_for_act(session: Session, number: str | None) -> _Locked:
    """The file numbered ``number``, locked, as an act reads it; refused unless open."""
    stmt = _LOCK_PG if session.get_bind().dialect.name == "postgresql" else _LOCK
    row = session.execute(stmt, {"number": (number or "").strip()}).first()
    if row is None:
        raise NotFound("no file numbered '%(number)s'", number=number)
    file = _Locked(*row)
    require_open(file)
    return file


def _remark(task: OpenTask, now: datetime, remark: str | None, reason: str | None) -> str:
    """The remark for the track; a task past its due time needs the reason for the delay."""
    remark, reason = (remark or "").strip(), (reason or "").strip()
    if task.due_at is not None and task.due_at < now and not reason:
        raise InvalidInput("this file is past its limit of %(days)s working days; give a "
                           "reason for the delay", days=task.limit_days or "?")
    if reason:
        remark = (remark + "\n" if remark else "") + "Reason for delay: " + reason
    check_text(remark)  # a Core insert: the ORM's guard does not see it
    return remark


def lock_file(session: Session, number: str | None) -> File:
    """The file numbered ``number``, its row locked (its office and route version loaded with
    it) for an action done through its ORM object."""
    stmt = (select(File).options(joinedload(File.office, innerjoin=True),
                                 joinedload(File.route_version, innerjoin=True))
            .where(File.number == (number or "").strip())
            .execution_options(populate_existing=True))  # as the lock found it
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=File)
    file = session.scalar(stmt)
    if file is None:
        raise NotFound("no file numbered '%(number)s'", number=number)
    return file


def open_tasks(session: Session, file: File) -> list[Task]:
    """The file's open tasks (the posts it lies with), in the order they arrived."""
    if file.id is None:
        return []
    return list(session.scalars(select(Task).where(Task.file_id == file.id,
                                                   Task.done_at.is_(None)).order_by(Task.id)))


def open_tasks_of(session: Session, file: File | _Locked, user: User,
                  day: date) -> Sequence[OpenTask]:
    """The file's open tasks (``task_id``, ``post_id``, ``since``, ...), each with whether
    ``user`` holds its post on ``day`` (``held``) and has draft notes on the file (``drafts``)."""
    return session.execute(_OPEN_HELD, {"file_id": file.id, "user_id": user.id,
                                        "day": day}).all()


def require_open(file: File | _Locked) -> None:
    """Refuse unless ``file`` is open (neither closed nor parked)."""
    if file.status == "closed":
        raise NotAllowed("file %(number)s is closed; reopen it first", number=file.number)
    if file.status == "parked":
        raise NotAllowed("file %(number)s is parked; unpark it first", number=file.number)


def pick_task(session: Session, file: File | _Locked, user: User, tasks: Sequence[OpenTask],
              task_id: int | str | None) -> OpenTask:
    """The open task of ``file`` that ``user`` may act on (the one named by ``task_id``, if
    given), of ``tasks`` (see ``open_tasks_of``).  Refuses with what the official needs to
    know: the file moved, or where it lies."""
    if task_id is not None:
        task = next((t for t in tasks if str(t.task_id) == str(task_id).strip()), None)
        if task is None:
            raise FileMoved()
        if not task.held:
            raise NotAllowed("this step of file %(number)s is with %(post)s, not with you",
                             number=file.number, post=post_title(session, task.post_id))
        return task
    mine = sorted((t for t in tasks if t.held), key=lambda t: t.parked_at is not None)
    if mine:  # a part that can move before one parked
        return mine[0]
    if not tasks:
        raise NotAllowed("file %(number)s is waiting with no one", number=file.number)
    last = session.scalar(select(Movement.from_post_id).where(Movement.file_id == file.id)
                          .order_by(Movement.id.desc()).limit(1))
    if last and org.holds(session, user, last):
        raise FileMoved("the file has moved: it was just sent on from your post to %(post)s",
                        post=post_title(session, tasks[0].post_id))
    since = min(t.since for t in tasks)
    raise NotAllowed("file %(number)s is with %(where)s since %(since)s, not with %(user)s",
                     number=file.number,
                     where=listed(post_title(session, t.post_id) for t in tasks),
                     since=Moment(since), user=named(user))


def place_tasks(session: Session, file: File | _Locked, instance: engine.Instance, now: datetime,
                prefer: Iterable[int] = (),
                waiting: Iterable[Waiting] | None = None) -> list[Placed]:
    """Make the file's open tasks (``waiting``, rows with ``task_id`` and ``engine_task_id``,
    when the caller has them) match the steps its route has ready: a task whose step the route
    has left is cancelled, and each step just reached gets a task at the post its lane means,
    with its limit, due time and timers.  Every post is found before anything is written, so a
    step no post can take refuses the whole move.  A file being opened (no id yet) joins the
    session here.  Returns the new tasks (``Placed``), in the route's order."""
    ready = engine.ready_steps(instance)
    if waiting is None:
        waiting = [] if file.id is None else session.execute(
            select(Task.id.label("task_id"), Task.engine_task_id)
            .where(Task.file_id == file.id, Task.done_at.is_(None))).all()
    by_engine_id = {t.engine_task_id: t for t in waiting}
    arrivals = [step for step in ready if step.task_id not in by_engine_id]
    named_posts = org.posts_by_id(session, {s.post_id for s in arrivals if s.post_id})
    posts = [named_posts[step.post_id] if step.post_id else
             _post_for(session, file, step.role, prefer) for step in arrivals]
    if file.id is None:
        session.add(file)
        session.flush()
    ready_ids = {step.task_id for step in ready}
    gone = [t.task_id for t in by_engine_id.values() if t.engine_task_id not in ready_ids]
    if gone:
        session.execute(_CANCEL_TASKS, {"task_keys": gone, "done_at": now,
                                        "outcome": "cancelled"})
        for task_id in gone:
            set_held(session, Task, task_id, {"done_at": now, "outcome": "cancelled"})
    clocks = limits.clocks_for(session, file, instance, [s.step_id for s in arrivals], now)
    placed = []
    for step, post, (limit, due, timers) in zip(arrivals, posts, clocks, strict=True):
        row = dict(file_id=file.id, engine_task_id=step.task_id, step_id=step.step_id,
                   step_name=step.name, role=step.role, post_id=post.id, since=now, due_at=due,
                   limit_days=limit, escalation_level=0, escalate_at=due,
                   route_version_id=version_id_of(session, file.office_id, step.route_key,
                                                  step.route_sha256)
                   if step.route_key else None)
        task_id = session.scalar(_NEW_TASK, row)
        records.wrote(session, "task", task_id, row)
        if timers:
            session.execute(insert(FileTimer.__table__),
                            [dict(timer, task_id=task_id, file_id=file.id) for timer in timers])
        placed.append(Placed(task_id, step.name, post.id))
    return placed


def _post_for(session: Session, file: File | _Locked, role: str,
              prefer: Iterable[int]) -> org.PostLike:
    """The post a lane of ``role`` means for this file (see ``org.pick_post``): a returned
    file goes back to the official who had it, not to any holder of the role."""
    earlier = (lambda role: earlier_posts(session, file.id, role)) if file.id else None
    return org.resolve_role(session, file.office, file.section_id, role, prefer=prefer,
                            earlier=earlier)


def reseat(tasks: Iterable[Task], instance: engine.Instance) -> None:
    """Give each of the open ``tasks`` the task of its step in ``instance``, a new instance
    set at the same steps (a version move, a part pulled back): the tasks keep their posts,
    their time and their ids."""
    ready: dict[str, list[engine.ReadyStep]] = {}
    for step in engine.ready_steps(instance):
        ready.setdefault(step.step_id, []).append(step)
    for task in tasks:
        step = ready[task.step_id].pop(0)
        task.engine_task_id, task.step_name = step.task_id, step.name


def save_state(file: File, instance: engine.Instance) -> None:
    """Keep the route's state on the file, with the engine version that wrote it."""
    file.workflow_state = engine.dump(instance)
    file.engine_version = engine.SPIFF_VERSION

