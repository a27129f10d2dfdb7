"""Escalation: a file lying with one official past its limit comes to their attention, then to
their superior's, then to the head of office's, by mail, once per level per step.

A pass selects the open tasks whose next escalation is due with one indexed query
(``ix_tasks_open_escalate``), locks them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
scheduler processes share the work; SQLite takes its one write lock), and for each writes the
escalation row, its audit event and its mail in the caller's transaction.  The pair (task,
level) is unique in the database, so even a pass run twice over the same task cannot record or
mail a level twice.  Timer boundary events armed on a step are fired by the same pass.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.selectable import GenerativeSelect

from .. import audit, org
from ..files import filing
from ..mail import notices
from .calendar import OfficeCalendar, office_calendar
from ..errors import InvalidInput, Sentence, named
from ..db import Base
from ..files.acting import Placed
from ..models import Escalation, File, FileTimer, Office, Post, Task, User

BATCH = 200
LEVELS = {1: Sentence("reminder to the holder"), 2: Sentence("notice to the superior"),
          3: Sentence("notice to the head of office")}
RECHECK_PARKED = timedelta(days=1)
log = logging.getLogger("sanchika.scheduler")


_Fired = TypeVar("_Fired")
_Select = TypeVar("_Select", bound=GenerativeSelect)

#: what firing one timer did: the timer, the escalation it caused, the file's new open tasks
TimerFired = tuple[FileTimer, Escalation | None, list[Placed]]


@dataclass
class Batch(Generic[_Fired]):
    """What one call did: how many rows it took up, and what it fired."""
    selected: int = 0
    fired: list[_Fired] = field(default_factory=list)


class _Context:
    """What a pass looks up again and again, looked up once: posts, holders, calendars."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self._posts: dict[int, Post] = {}
        self._holders: dict[int, list[User]] = {}
        self._heads: dict[int, Post | None] = {}
        self._calendars: dict[int, OfficeCalendar] = {}

    def post(self, post_id: int) -> Post:
        if post_id not in self._posts:  # a task's post, or the post one reports to: it is there
            self._posts[post_id] = self.session.get_one(Post, post_id)
        return self._posts[post_id]

    def holders(self, post: Post) -> list[User]:
        if post.id not in self._holders:
            self._holders[post.id] = org.holders_of(self.session, post)
        return self._holders[post.id]

    def head(self, office_id: int) -> Post | None:
        if office_id not in self._heads:
            self._heads[office_id] = self.session.scalar(
                select(Post).where(Post.office_id == office_id, Post.is_head.is_(True))
                .order_by(Post.id).limit(1))
        return self._heads[office_id]

    def calendar(self, office: Office) -> OfficeCalendar:
        if office.id not in self._calendars:
            self._calendars[office.id] = office_calendar(self.session, office)
        return self._calendars[office.id]

    def chain(self, post_id: int, office_id: int) -> list[Post]:
        """The posts told at levels 1, 2, 3: the holder's, the one it reports to (else the
        head's), the head's; a post already told is not told again at a later level."""
        holder = self.post(post_id)
        chain = [holder]
        for post in (self.post(holder.reports_to_id) if holder.reports_to_id else None,
                     self.head(office_id)):
            if post is not None and post.id not in {p.id for p in chain}:
                chain.append(post)
        return chain


def escalate_due(session: Session, now: datetime, batch: int = BATCH) -> Batch[Escalation]:
    """Fire the next level of escalation of up to ``batch`` open tasks due at ``now``; return a
    Batch of the escalations written.  Call again while a batch comes back full, to catch up
    after a stop (a task due for several levels gets one per call)."""
    stmt = (select(Task).where(Task.done_at.is_(None), Task.escalate_at <= now)
            .order_by(Task.escalate_at).limit(batch))
    tasks = list(session.scalars(_skip_locked(stmt, session, Task)))
    if not tasks:
        return Batch()
    files = {f.id: f for f in session.scalars(
        select(File).options(joinedload(File.office)).where(
            File.id.in_({t.file_id for t in tasks})))}
    ctx = _Context(session, now)
    due: list[_Level] = []
    for task in tasks:
        file = files[task.file_id]
        if file.status != "open" or task.parked_at is not None:  # parked: not lying
            # forgotten (a part parked, or the whole file); look again later
            task.escalate_at = now + RECHECK_PARKED
            continue
        if task.escalate_at is None:  # never: escalate_at <= now chose the task
            continue
        level = _next_level(ctx, file, task, "limit", task.escalate_at)
        if level is not None:
            due.append(level)
    fired = _write(ctx, due)
    session.flush()
    return Batch(len(tasks), fired)


def fire_due_timers(session: Session, now: datetime,
                    batch: int = BATCH) -> Batch[TimerFired]:
    """Fire the timer events due at ``now`` on up to ``batch`` open steps.  An interrupting
    timer moves the file on as its route says; a non-interrupting one escalates the step.
    Returns a Batch of (timer, escalation or None, new open tasks), one per timer fired."""
    stmt = (select(FileTimer).where(FileTimer.state == "armed", FileTimer.due_at <= now)
            .order_by(FileTimer.due_at).limit(batch))
    timers = list(session.scalars(_skip_locked(stmt, session, FileTimer)))
    ctx = _Context(session, now)
    done: list[TimerFired] = []
    for timer in timers:  # a timer's file and task are there (foreign keys)
        file = session.execute(_lock(select(File).options(joinedload(File.office))
                                     .where(File.id == timer.file_id), session, File)).scalar_one()
        task = session.execute(select(Task).where(Task.id == timer.task_id)
                               .execution_options(populate_existing=True)).scalar_one()
        if task.done_at is not None or file.status == "closed":
            timer.state = "dropped"
            continue
        if file.status != "open" or task.parked_at is not None:
            timer.due_at = now + RECHECK_PARKED
            continue
        try:
            with session.begin_nested():
                new_tasks = filing.fire_timer(session, file, task, timer.timer_id, now)
        except InvalidInput as exc:  # refused (a route that would not stop): nothing of it is
            # written, the other timers fire, and this one is tried again a day later
            log.warning("timer %s of file %s not fired: %s", timer.timer_id, file.number, exc)
            timer.due_at = now + RECHECK_PARKED
            continue
        timer.state, timer.fired_at = "fired", now
        escalation = None
        if not timer.interrupting and task.done_at is None:
            level = _next_level(ctx, file, task, timer.name or timer.timer_id, timer.due_at)
            escalation = next(iter(_write(ctx, [level] if level else [])), None)
        done.append((timer, escalation, new_tasks or []))
    session.flush()
    return Batch(len(timers), done)


@dataclass
class _Level:
    """The next level of a task's escalation, decided but not yet written."""
    file: File
    task: Task
    to_post: Post
    level: int
    values: dict[str, object]


def _next_level(ctx: _Context, file: File, task: Task, cause: str,
                scheduled: datetime) -> _Level | None:
    """Move ``task`` to its next level of escalation and schedule the one after it; the
    level to write, or None when every post of its chain has been told."""
    chain = ctx.chain(task.post_id, file.office_id)
    level = task.escalation_level + 1
    if level > len(chain):
        task.escalate_at = None
        return None
    to_post = chain[level - 1]
    task.escalation_level = level
    task.escalate_at = (ctx.calendar(file.office).add(scheduled, file.office.grace_days)
                        if level < len(chain) else None)
    return _Level(file, task, to_post, level, dict(
        task_id=task.id, file_id=file.id, level=level, holder_post_id=task.post_id,
        to_post_id=to_post.id, cause=cause, due_at=scheduled, fired_at=ctx.now))


def _write(ctx: _Context, levels: list[_Level]) -> list[Escalation]:
    """Write the escalations of ``levels`` with one statement, skipping any (task, level)
    recorded already, so that none is ever written or mailed twice; then queue their mail
    (one flush for all of it) and record their audit events."""
    if not levels:
        return []
    session = ctx.session
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(Escalation).on_conflict_do_nothing(index_elements=["task_id", "level"])
            .returning(Escalation))
    written = {(e.task_id, e.level): e
               for e in session.scalars(stmt, [level.values for level in levels])}
    fired = [(level, written[level.task.id, level.level]) for level in levels
             if (level.task.id, level.level) in written]
    mails = []
    for level, escalation in fired:
        holder = ctx.post(level.task.post_id)
        mails.append(notices.enqueue_escalation(
            session, escalation, level.file, level.task, holder, ctx.holders(holder),
            level.to_post, ctx.holders(level.to_post), ctx.now, flush=False))
    session.flush()  # the mails' ids, for their audit events
    for (level, escalation), mail in zip(fired, mails, strict=True):
        audit.record(session, "file.escalated", None, level.file, level=escalation.level,
                     cause=escalation.cause, task=level.task.id, step=level.task.step_name,
                     holder_post=ctx.post(level.task.post_id).code,
                     to_post=level.to_post.code, due=escalation.due_at.isoformat(),
                     mail=mail.id if mail is not None else None)
    return [escalation for _level, escalation in fired]


def _skip_locked(stmt: _Select, session: Session, model: type[Base]) -> _Select:
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=model)
    return stmt


def _lock(stmt: _Select, session: Session, model: type[Base]) -> _Select:
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(of=model)
    return stmt


def escalations_of(session: Session, file: File) -> list[Escalation]:
    """The escalations of a file, oldest first, for its track."""
    return list(session.scalars(select(Escalation).where(Escalation.file_id == file.id)
                                .order_by(Escalation.fired_at, Escalation.id)))


def describe(escalation: Escalation, posts: Mapping[int, Post]) -> Sentence:
    """One line for the track: 'level 2, notice to the superior: Circle Inspector ... told
    that the file lies with ...', which a page says in the reader's language."""
    holder, to_post = posts[escalation.holder_post_id], posts[escalation.to_post_id]
    what = LEVELS.get(escalation.level) or Sentence("notice")
    told = {"level": escalation.level, "what": what, "to": named(to_post, "title"),
            "holder": named(holder, "title")}
    if escalation.cause == "limit":
        return Sentence("level %(level)s, %(what)s: %(to)s told that the file lies with "
                        "%(holder)s", **told)
    return Sentence("level %(level)s, %(what)s (timer '%(timer)s'): %(to)s told that the "
                    "file lies with %(holder)s", timer=escalation.cause, **told)