"""Reports: who holds which file now and for how long, and how long each official held each
file before (here); the office dashboard (``dashboard``); a whole file as one PDF
(``pdf_export``).  Read from the task and movement tables only, never from workflow state.

Holding time runs from a task's ``since`` to its ``done_at`` (or now, for a file still there);
a returned file makes a new task row, so every stay counts.  Time the file spent parked (between
a park and the next unpark movement) is not holding time: it is shown apart; on a file in parts
a part's parking holds back that part alone.  Working days are
the office calendar's (weekly offs and holidays); hours are clock hours.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any, TypeVar, Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Bundle, Session

from .. import clock, org
from ..deadlines.calendar import OfficeCalendar, office_calendar
from ..clock import utcnow
from ..errors import NotAllowed, NotFound
from .parked import Parked, Span, parked_spans, spans_of  # noqa: F401
from .shapes import StayFile, StayPost, StayTask, StayUser
from ..models import (PRIORITIES, File, Office, Post, PostHolding, RouteVersion,
                     Section, Task, User)

# Ageing buckets in working days: (label, lowest, highest or None)
BUCKETS = (("0–7", 0, 7), ("8–15", 8, 15), ("16–30", 16, 30), ("over 30", 31, None))
DEFAULT_DAYS = 30
NOT_STAYS = ("pulled back",)  # a file pulled back unopened never really reached its receiver

_Select = TypeVar("_Select", bound=Select[Unpack[tuple[Any, ...]]])



@dataclass
class Scope:
    """Whose work a viewer may see: the whole office (heads and administrators) or their own
    posts and the posts reporting to them, optionally narrowed to one section."""
    office: Office
    section: Section | None
    post_ids: frozenset[int]
    whole_office: bool


@dataclass
class Filters:
    """What a report is narrowed to: a post, a route, a priority, a period."""
    post_id: int | None = None
    route_id: int | None = None
    priority: str | None = None
    start: date | None = None   # first day, office time
    end: date | None = None     # last day (inclusive)


def _columns() -> tuple[Bundle[Any], Bundle[Any], Bundle[Any], Bundle[Any]]:
    """What a stay row carries: light bundles, not whole rows (a file row holds its workflow)."""
    return (Bundle("task", Task.id, Task.file_id, Task.step_id, Task.step_name, Task.post_id,
                   Task.since, Task.due_at, Task.done_at, Task.outcome, Task.choice,
                   Task.escalation_level, Task.parked_at),
            Bundle("file", File.id, File.number, File.subject, File.priority, File.status,
                   File.route_version_id, File.office_id, File.section_id),
            Bundle("post", Post.id, Post.code, Post.title, Post.title_hi, Post.section_id),
            Bundle("user", User.id, User.name, User.name_hi))


@dataclass
class Stay:
    """One stay of one file at one post (task, file, post, user: bundles of columns)."""
    file: StayFile
    task: StayTask
    post: StayPost
    user: StayUser | None
    working_days: int
    hours: float
    parked_hours: float = 0.0
    parked_now: bool = False

    @property
    def bucket(self) -> str:
        """The ageing bucket of the stay's working days."""
        return bucket_of(self.working_days)


@dataclass
class OfficialRow:
    """One post's line of the pendency report."""
    post: StayPost
    holders: list[tuple[User, str]]                           # (user, kind of holding)
    now: list[Stay] = field(default_factory=list)             # Stays open now
    buckets: dict[str, int] = field(default_factory=dict)     # label -> count
    done_hours: list[float] = field(default_factory=list)     # of the stays ended in the period

    @property
    def median_hours(self) -> float | None:
        """The median of the hours of the stays ended in the period."""
        return median(self.done_hours) if self.done_hours else None


def bucket_of(days: int) -> str:
    """The label of the ageing bucket that ``days`` (working days) falls in."""
    for label, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return BUCKETS[0][0]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile by linear interpolation (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def report_offices(session: Session, user: User, day: date | None = None) -> list[Office]:
    """Offices where the user holds a post, for the office filter."""
    ids = {p.office_id for p in org.posts_of(session, user, day)}
    return list(session.scalars(select(Office).where(Office.id.in_(ids)).order_by(Office.id)))


def scope_for(session: Session, user: User, office_id: int | None = None,
              section_id: int | None = None, day: date | None = None) -> Scope:
    """The Scope of ``user`` in ``office_id`` (their first office when not given)."""
    posts = org.posts_of(session, user, day)
    if not posts:
        raise NotAllowed("you hold no post today, so there is no work to report to you")
    office_id = office_id or posts[0].office_id
    mine = [p for p in posts if p.office_id == office_id]
    if not mine:
        raise NotFound("no such office")
    office = session.get_one(Office, office_id)  # the user holds a post in it
    all_posts = list(session.scalars(select(Post).where(Post.office_id == office_id)))
    whole = any(p.is_head or p.is_admin for p in mine)
    ids = {p.id for p in all_posts} if whole else _below(all_posts, {p.id for p in mine})
    section = None
    if section_id:
        section = session.get(Section, section_id)
        if section is None or section.office_id != office_id:
            raise NotFound("no such section")
        ids = {p.id for p in all_posts if p.id in ids and p.section_id == section_id}
    return Scope(office, section, frozenset(ids), whole)


def _below(posts: Iterable[Post], mine: set[int]) -> set[int]:
    """``mine`` and every post reporting to them, however far down."""
    found, frontier = set(mine), set(mine)
    while frontier:
        frontier = {p.id for p in posts if p.reports_to_id in frontier} - found
        found |= frontier
    return found


def day_bounds(office: Office, start: date, end: date) -> tuple[datetime, datetime]:
    """UTC moments of the office's midnight before ``start`` and after ``end``."""
    zone = ZoneInfo(office.timezone)
    return (datetime.combine(start, time(), zone).astimezone(ZoneInfo("UTC")),
            datetime.combine(end + timedelta(days=1), time(), zone).astimezone(ZoneInfo("UTC")))


def default_period(filters: Filters, today: date | None = None) -> tuple[date, date]:
    """The filters' first and last day: by default the 30 days up to today."""
    today = today or clock.today()
    end = filters.end or today
    start = filters.start or end - timedelta(days=DEFAULT_DAYS - 1)
    return start, end


class WorkingDays:
    """The office calendar's ``days_between``, remembered per pair of dates."""

    def __init__(self, session: Session, office: Office, since: date | None = None) -> None:
        self.calendar: OfficeCalendar = office_calendar(session, office, since=since)
        self.zone = ZoneInfo(office.timezone)
        self._seen: dict[tuple[date, date], int] = {}

    def between(self, start: datetime, end: datetime) -> int:
        """Working days from ``start`` to ``end`` (``OfficeCalendar.days_between``)."""
        key = (start.astimezone(self.zone).date(), end.astimezone(self.zone).date())
        if key not in self._seen:
            self._seen[key] = self.calendar.days_between(start, end)
        return self._seen[key]


def parked_within(spans: Iterable[Span], since: datetime,
                  end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of parked ``spans`` that fall between ``since`` and ``end``."""
    clipped = ((max(begin, since), min(finish or end, end)) for begin, finish in spans)
    return [(low, high) for low, high in clipped if low < high]


def holding(days: WorkingDays, since: datetime, end: datetime,
            spans: Iterable[Span]) -> tuple[int, float, float]:
    """(working days, hours, parked hours) of a stay from ``since`` to ``end``."""
    parked = parked_within(spans, since, end)
    parked_seconds = sum((high - low).total_seconds() for low, high in parked)
    parked_days = sum(days.between(low, high) for low, high in parked)
    seconds = (end - since).total_seconds() - parked_seconds
    return (max(days.between(since, end) - parked_days, 0), max(seconds, 0) / 3600,
            parked_seconds / 3600)


def _filtered(stmt: _Select, scope: Scope, filters: Filters) -> _Select:
    stmt = stmt.where(Task.post_id.in_(scope.post_ids))
    if filters.post_id:
        stmt = stmt.where(Task.post_id == filters.post_id)
    if filters.priority in PRIORITIES:
        stmt = stmt.where(File.priority == filters.priority)
    if filters.route_id:
        stmt = stmt.where(File.route_version_id.in_(
            select(RouteVersion.id).where(RouteVersion.route_id == filters.route_id)))
    return stmt


def _stays(session: Session, scope: Scope, rows: Sequence[Row[Unpack[tuple[Any, ...]]]],
           now: datetime, days: WorkingDays, open_: bool = False) -> list[Stay]:
    spans = parked_spans(session, [f.id for _t, f, _p, _u in rows])
    result: list[Stay] = []
    for task, file, post, user in rows:
        end = now if open_ else task.done_at
        periods = spans_of(spans.get(file.id, []), task)
        wd, hours, parked = holding(days, task.since, end, periods)
        result.append(Stay(file, task, post, _someone(user), wd, hours, parked,
                           parked_now=open_ and (file.status == "parked"
                                                 or task.parked_at is not None)))
    return result


def _someone(user: StayUser | None) -> StayUser | None:
    return user if user is not None and user.id is not None else None


def pending_now(session: Session, scope: Scope, filters: Filters | None = None,
                now: datetime | None = None, days: WorkingDays | None = None) -> list[Stay]:
    """Open stays at the scope's posts: the files with each official now, oldest first."""
    filters, now = filters or Filters(), now or utcnow()
    days = days or WorkingDays(session, scope.office)
    stmt = (select(*_columns()).join_from(Task, File, File.id == Task.file_id)
            .join(Post, Post.id == Task.post_id).outerjoin(User, User.id == Task.done_by_id)
            .where(Task.done_at.is_(None), File.status.in_(("open", "parked")))
            .order_by(Task.since, Task.id))
    rows = session.execute(_filtered(stmt, scope, filters)).all()
    return _stays(session, scope, rows, now, days, open_=True)


def stays_done(session: Session, scope: Scope, filters: Filters | None = None,
               now: datetime | None = None, days: WorkingDays | None = None,
               today: date | None = None, latest: tuple[int, int] | None = None) -> list[Stay]:
    """Stays at the scope's posts that ended in the filters' period (30 days to today by
    default), in the order they ended; or with ``latest`` (offset, limit), that slice of
    them from the latest back."""
    filters = filters or Filters()
    days = days or WorkingDays(session, scope.office)
    start, end = default_period(filters, today)
    low, high = day_bounds(scope.office, start, end)
    stmt = (select(*_columns()).join_from(Task, File, File.id == Task.file_id)
            .join(Post, Post.id == Task.post_id).outerjoin(User, User.id == Task.done_by_id)
            .where(Task.done_at >= low, Task.done_at < high, Task.outcome.not_in(NOT_STAYS)))
    if latest is None:
        stmt = stmt.order_by(Task.done_at, Task.id)
    else:
        stmt = stmt.order_by(Task.done_at.desc(), Task.id.desc()).offset(latest[0]).limit(latest[1])
    rows = session.execute(_filtered(stmt, scope, filters)).all()
    return _stays(session, scope, rows, now or utcnow(), days)


def file_stays(session: Session, file: File, now: datetime | None = None) -> list[Stay]:
    """Every stay of one file, in order, with its holding time (for the track and the PDF)."""
    now = now or utcnow()
    days = WorkingDays(session, file.office)
    rows = session.execute(
        select(Task, File, Post, User).join(File, File.id == Task.file_id)
        .join(Post, Post.id == Task.post_id).outerjoin(User, User.id == Task.done_by_id)
        .where(Task.file_id == file.id).order_by(Task.since, Task.id)).all()
    spans = parked_spans(session, [file.id]).get(file.id, [])
    result: list[Stay] = []
    for task, f, post, user in rows:
        wd, hours, parked = holding(days, task.since, task.done_at or now,
                                    spans_of(spans, task))
        result.append(Stay(f, task, post, _someone(user), wd, hours, parked,
                           parked_now=task.done_at is None and (f.status == "parked"
                                                                or task.parked_at is not None)))
    return result


def holders_by_post(session: Session, post_ids: Iterable[int],
                    day: date | None = None) -> dict[int, list[tuple[User, str]]]:
    """Names of the users holding each post today (additional charge marked)."""
    day = day or clock.today()
    found: dict[int, list[tuple[User, str]]] = {}
    for post_id, user, kind in session.execute(
            select(PostHolding.post_id, User, PostHolding.kind)
            .join(User, User.id == PostHolding.user_id)
            .where(PostHolding.post_id.in_(post_ids), org.held_on(day))
            .order_by(PostHolding.kind.desc(), PostHolding.id)):
        found.setdefault(post_id, []).append((user, kind))
    return found


def by_official(session: Session, scope: Scope, now_stays: list[Stay],
                held: Sequence["Held"] = (), day: date | None = None) -> list[OfficialRow]:
    """One row per post with files now, in buckets, and the stays ended in the period
    (``hours_held``)."""
    post_ids = {s.post.id for s in now_stays} | {h.post_id for h in held}
    holders = holders_by_post(session, post_ids, day)
    posts = {s.post.id: s.post for s in now_stays}
    missing = post_ids - set(posts)
    if missing:
        posts.update({p.id: p for p in session.execute(
            select(_columns()[2]).where(Post.id.in_(missing))).scalars()})
    rows = {post_id: OfficialRow(post, holders.get(post_id, []),
                                 buckets={label: 0 for label, *_ in BUCKETS})
            for post_id, post in posts.items()}
    for stay in now_stays:
        rows[stay.post.id].now.append(stay)
        rows[stay.post.id].buckets[stay.bucket] += 1
    for ended in held:
        rows[ended.post_id].done_hours.append(ended.hours)
    return sorted(rows.values(), key=lambda r: (-len(r.now), r.post.id))


from .steps import Held, StepRow, hours_held, route_names, step_table  # noqa: E402,F401
