"""What an official's inbox shows: files waiting for them, files they sent, parked, closed and
created by them.  Every query here reads the task and movement tables, never workflow state."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, Unpack

from sqlalchemy import Case, Select, case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from .. import clock
from ..deadlines.calendar import OfficeCalendar, office_calendar
from ..clock import utcnow
from ..models import Copy, File, Movement, Post, PostHolding, Task, User
from ..models.file import PRIORITIES
from ..org import held_on
from .pulling import pullable

#: movements by which an official sends a file on (the "Sent" tab): an act, a put-up to an
#: officer above or a sending back down (only an act can be pulled back)
SENDS = ("act", "put-up", "put-back")
TABS = ("inbox", "information", "sent", "parked", "closed", "created")
LIMIT = 200


_Select = TypeVar("_Select", bound=Select[Unpack[tuple[Any, ...]]])


@dataclass
class Row:
    """A file as a tab of the inbox lists it."""

    file: File
    task: Task | None = None
    post: Post | None = None
    sender: str = ""
    pending_days: int = 0
    overdue: bool = False
    where: str = ""
    can_pull_back: bool = False
    charge: bool = False  # the post is held on additional charge, not as one's own
    copy: Copy | None = None  # a copy marked to one of the user's posts for information


def held(session: Session, user: User, day: date | None = None) -> list[tuple[Post, str]]:
    """The posts ``user`` holds on ``day`` with the holding's kind ("regular" or "charge"),
    own posts first: what the inbox can be filtered by."""
    day = day or clock.today()
    rows = session.execute(select(Post, PostHolding.kind)
                           .join(PostHolding, PostHolding.post_id == Post.id)
                           .where(PostHolding.user_id == user.id, held_on(day))
                           .order_by(PostHolding.kind.desc(), Post.id)).all()
    kinds: dict[int, tuple[Post, str]] = {}
    for post, kind in rows:  # a regular holding wins over a charge of the same post
        if post.id not in kinds or kind == "regular":
            kinds[post.id] = (post, kind)
    return sorted(kinds.values(), key=lambda pk: (pk[1] != "regular", pk[0].id))


def _held_posts(user: User, day: date) -> Select[int]:
    return select(PostHolding.post_id).where(PostHolding.user_id == user.id, held_on(day))


def _urgency() -> Case[int]:
    return case({p: i for i, p in enumerate(reversed(PRIORITIES))}, value=File.priority)


def _filter(stmt: _Select, priority: str | None = None, query: str | None = None) -> _Select:
    if priority in PRIORITIES:
        stmt = stmt.where(File.priority == priority)
    query = " ".join((query or "").split())
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(File.number).like(like),
                              func.lower(File.subject).like(like)))
    return stmt


def inbox(session: Session, user: User, *, priority: str | None = None, query: str | None = None,
          now: datetime | None = None, day: date | None = None,
          post_id: int | None = None) -> list[Row]:
    """Open tasks at the user's posts (additional charge included, or only post ``post_id``
    of theirs): most urgent first, then the longest waiting.  Each row says whether the
    post is held on additional charge."""
    now, day = now or utcnow(), day or clock.today(now=now)
    kinds = {post.id: kind for post, kind in held(session, user, day)}
    posts = [post_id] if post_id is not None else list(kinds)
    stmt = (select(Task, File, Post).join(File, File.id == Task.file_id)
            .join(Post, Post.id == Task.post_id)
            .where(Task.done_at.is_(None), Task.post_id.in_([p for p in posts if p in kinds]),
                   File.status == "open", Task.parked_at.is_(None))
            .order_by(_urgency(), Task.since).limit(LIMIT))
    rows = session.execute(_filter(stmt, priority, query)).all()
    senders = _arrivals(session, [f.id for _t, f, _p in rows], {t.post_id for t, _f, _p in rows})
    calendars: dict[int, OfficeCalendar] = {}
    for _t, f, _p in rows:
        if f.office_id not in calendars:
            since = (now - timedelta(days=400)).date()
            calendars[f.office_id] = office_calendar(session, f.office, since=since)
    return [Row(file=f, task=t, post=p,
                sender=_who(senders.get((f.id, t.post_id))),
                pending_days=calendars[f.office_id].days_between(t.since, now),
                overdue=t.due_at is not None and t.due_at < now,
                charge=kinds.get(p.id) == "charge")
            for t, f, p in rows]


def information(session: Session, user: User, *, priority: str | None = None,
                query: str | None = None, day: date | None = None) -> list[Row]:
    """Copies marked to the user's posts for information and not yet seen, latest first."""
    day = day or clock.today()
    kinds = {post.id: kind for post, kind in held(session, user, day)}
    stmt = (select(Copy, File).join(File, File.id == Copy.file_id)
            .where(Copy.to_post_id.in_(list(kinds)), Copy.seen_at.is_(None))
            .order_by(Copy.id.desc()).limit(LIMIT))
    return [Row(file=f, copy=c, post=c.to_post, charge=kinds.get(c.to_post_id) == "charge",
                sender=f"{c.by_user.name}, {c.by_post.title}")
            for c, f in session.execute(_filter(stmt, priority, query)).all()]


def sent(session: Session, user: User, *, priority: str | None = None,
         query: str | None = None) -> list[Row]:
    """Files the user moved, latest first, with where each is now and whether it can still
    be pulled back."""
    latest_act = (select(Movement.file_id, func.max(Movement.id).label("mid"))
                  .where(Movement.from_user_id == user.id, Movement.kind.in_(SENDS))
                  .group_by(Movement.file_id).subquery())
    stmt = (select(File, Movement).join(latest_act, latest_act.c.file_id == File.id)
            .join(Movement, Movement.id == latest_act.c.mid)
            .order_by(Movement.id.desc()).limit(LIMIT))
    rows = session.execute(_filter(stmt, priority, query)).all()
    last = _last_moves(session, [f.id for f, _m in rows])
    opened = _open_tasks_by_file(session, [f.id for f, _m in rows])
    result: list[Row] = []
    for file, mine in rows:
        tasks = opened.get(file.id, [])
        where = ", ".join(t.post.title for t in tasks) or (file.outcome or file.status)
        latest = last.get(file.id, mine)  # the whole file's last movement, or a part's since
        moves = [mine] if latest is mine else [mine, latest]
        posts = [] if mine.from_post_id is None else [mine.from_post_id]
        can_pull = pullable(file, moves, tasks, posts) is not None
        result.append(Row(file=file, sender=_who(mine), where=where, can_pull_back=can_pull))
    return result


def parked(session: Session, user: User, *, priority: str | None = None,
           query: str | None = None, day: date | None = None) -> list[Row]:
    """Parked files (and parked parts of files in parts) waiting at the user's posts, most
    urgent first."""
    day = day or clock.today()
    stmt = (select(File, Task).join(Task, Task.file_id == File.id)
            .where(or_(File.status == "parked", Task.parked_at.is_not(None)),
                   Task.done_at.is_(None),
                   Task.post_id.in_(_held_posts(user, day)))
            .order_by(_urgency(), Task.since).limit(LIMIT))
    return [Row(file=f, task=t, where=t.post.title)
            for f, t in session.execute(_filter(stmt, priority, query)).all()]


def closed(session: Session, user: User, *, priority: str | None = None,
           query: str | None = None) -> list[Row]:
    """Closed files the user created or moved."""
    involved = select(Movement.file_id).where(Movement.from_user_id == user.id)
    stmt = (select(File).where(File.status == "closed",
                               or_(File.created_by_id == user.id, File.id.in_(involved)))
            .order_by(File.closed_at.desc()).limit(LIMIT))
    return [Row(file=f, where=f.outcome) for f in session.scalars(_filter(stmt, priority, query))]


def created(session: Session, user: User, *, priority: str | None = None,
            query: str | None = None) -> list[Row]:
    """Files the user opened, latest first, with where each is now."""
    stmt = (select(File).where(File.created_by_id == user.id)
            .order_by(File.created_at.desc()).limit(LIMIT))
    files = list(session.scalars(_filter(stmt, priority, query)))
    opened = _open_tasks_by_file(session, [f.id for f in files])
    return [Row(file=f, where=", ".join(t.post.title for t in opened.get(f.id, []))
                or f.outcome or f.status) for f in files]


def counts(session: Session, user: User, day: date | None = None) -> int:
    """How many files wait in the user's inbox (for the tab label)."""
    day = day or clock.today()
    return session.execute(select(func.count()).select_from(Task)
                           .join(File, File.id == Task.file_id)
                           .where(Task.done_at.is_(None), File.status == "open",
                                  Task.parked_at.is_(None), Task.post_id.in_(_held_posts(user, day)))).scalar_one()


def _last_moves(session: Session, file_ids: list[int]) -> dict[int, Movement]:
    if not file_ids:
        return {}
    latest = (select(func.max(Movement.id)).where(Movement.file_id.in_(file_ids))
              .group_by(Movement.file_id))
    return {m.file_id: m for m in session.scalars(select(Movement).where(Movement.id.in_(latest)))}


def _arrivals(session: Session, file_ids: list[int],
              post_ids: set[int]) -> dict[tuple[int, int | None], Movement]:
    """The latest arrival of each file at each of ``post_ids``: who sent a part to the post
    holding it."""
    if not file_ids:
        return {}
    latest = (select(func.max(Movement.id)).where(Movement.file_id.in_(file_ids),
                                                  Movement.to_post_id.in_(post_ids),
                                                  Movement.kind.in_(Movement.ARRIVALS))
              .group_by(Movement.file_id, Movement.to_post_id))
    # the sender and their post with the movement: not one lookup each per row (``_who``)
    stmt = select(Movement).where(Movement.id.in_(latest)).options(
        joinedload(Movement.from_user), joinedload(Movement.from_post),
        joinedload(Movement.to_post))
    return {(m.file_id, m.to_post_id): m for m in session.scalars(stmt)}


def _open_tasks_by_file(session: Session, file_ids: list[int]) -> dict[int, list[Task]]:
    found: dict[int, list[Task]] = {}
    if file_ids:
        for task in session.scalars(select(Task).where(Task.file_id.in_(file_ids),
                                                       Task.done_at.is_(None))):
            found.setdefault(task.file_id, []).append(task)
    return found


def _who(movement: Movement | None) -> str:
    if movement is None or movement.from_user is None:
        return ""
    post = movement.acting_post.title if movement.acting_post else ""
    return f"{movement.from_user.name}" + (f", {post}" if post else "")

