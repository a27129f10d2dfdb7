"""Attendance history: any day of an office for its head or administrator, and a month of
one official (their own, or any of the office's for its head), with late arrivals judged
against the hour the office's day begins (``Office.day_starts``, office-local)."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import audit, clock, org
from ..clock import utcnow
from ..deadlines.calendar import office_calendar
from ..errors import InvalidInput, NotAllowed
from ..models import Attendance, Office, Post, PostHolding, User
from . import orgchart

DEFAULT_DAY_START = "10:00"
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_HOUR = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?")


@dataclass
class Day:
    """One day of an official's month."""

    day: date
    row: Attendance | None
    late: bool = False
    working: bool = True


@dataclass
class Month:
    """An official's attendance in one month, in the office's hours."""

    user: User
    office: Office | None
    first: date
    day_starts: str
    days: list[Day] = field(default_factory=list)

    @property
    def present(self) -> int:
        return sum(1 for d in self.days if d.row is not None)

    @property
    def late(self) -> int:
        return sum(1 for d in self.days if d.late)


def offices_seen(session: Session, viewer: User, day: date | None = None) -> list[Office]:
    """The offices whose attendance ``viewer`` sees: those where they hold a head's or an
    administrator's post (the one check both the pages and their links use)."""
    return sorted({p.office for p in org.posts_of(session, viewer, day)
                   if p.is_head or p.is_admin}, key=lambda o: o.code)


def office_day(session: Session, office: Office, viewer: User,
               day: date | None = None) -> list[tuple[User, Post, Attendance | None]]:
    """Everyone holding a post in ``office`` on ``day`` (the office's today by default) with
    their sign-in and sign-off.  Only the office's head or administrator may see it."""
    if office not in offices_seen(session, viewer):
        raise NotAllowed("only the head of office or its administrator sees attendance")
    day = day or clock.office_today(office)
    staff = session.execute(
        select(User, Post).join(PostHolding, PostHolding.user_id == User.id)
        .join(Post, Post.id == PostHolding.post_id)
        .where(Post.office_id == office.id, org.held_on(day)).order_by(Post.id)).all()
    rows = {a.user_id: a for a in session.scalars(
        select(Attendance).where(Attendance.day == day,
                                 Attendance.user_id.in_([u.id for u, _p in staff])))}
    return [(user, post, rows.get(user.id)) for user, post in staff]


def parse_month(text: str | None, today: date | None = None) -> date:
    """The first day of the month ``text`` names ("2026-04"); this month when empty."""
    if not text:
        return (today or clock.today()).replace(day=1)
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        raise InvalidInput("the month must be written as year and month, like 2026-04, "
                           "not '%(given)s'", given=text[:20])
    return date(int(found.group(1)), int(found.group(2)), 1)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _offices_of(session: Session, user: User, first: date) -> list[Office]:
    """The offices where ``user`` held a post at some time in the month from ``first``."""
    end = _next_month(first) - timedelta(days=1)
    return list(session.scalars(
        select(Office).join(Post, Post.office_id == Office.id)
        .join(PostHolding, PostHolding.post_id == Post.id)
        .where(PostHolding.user_id == user.id, PostHolding.from_date <= end,
               or_(PostHolding.to_date.is_(None), PostHolding.to_date >= first))
        .order_by(Post.id)).unique())


def is_late(row: Attendance | None, day_starts: str, tz: str | None = None) -> bool:
    """Whether the sign-in of ``row`` came after the minute the day starts (office-local)."""
    if row is None:
        return False
    local = row.signed_in_at.astimezone(clock.zone(tz)).time().replace(second=0, microsecond=0)
    return local > _hour(day_starts)


def _hour(text: str) -> time:
    found = _HOUR.fullmatch((text or "").strip())
    if found is None:
        raise InvalidInput("the day's start must be a time like 10:00, not '%(given)s'",
                           given=(text or "")[:20])
    return time(int(found.group(1)), int(found.group(2)))


def month_of(session: Session, viewer: User, user: User, first: date,
             now: datetime | None = None) -> Month:
    """``user``'s attendance in the month from ``first``, each day up to today.  Officials
    see their own month; a head or administrator that of anyone in their offices."""
    offices = _offices_of(session, user, first)
    seen = offices_seen(session, viewer)
    if viewer.id != user.id and not any(o in seen for o in offices):
        raise NotAllowed("only the head of office sees another official's attendance")
    office = next((o for o in offices if o in seen), offices[0] if offices else None)
    starts = office.day_starts if office else DEFAULT_DAY_START
    tz = office.timezone if office else None
    today = clock.today(tz, now or utcnow())
    last = min(_next_month(first) - timedelta(days=1), today)
    rows = {a.day: a for a in session.scalars(
        select(Attendance).where(Attendance.user_id == user.id, Attendance.day >= first,
                                 Attendance.day <= last))}
    calendar = office_calendar(session, office, since=first) if office else None
    month = Month(user=user, office=office, first=first, day_starts=starts)
    current = first
    while current <= last:
        working = calendar is None or (current.weekday() not in calendar.weekly_offs
                                       and current not in calendar.holidays)
        row = rows.get(current)
        month.days.append(Day(current, row, is_late(row, starts, tz), working))
        current += timedelta(days=1)
    return month


CSV_HEADER = ["login", "name", "day", "working", "signed_in", "signed_off", "late"]


def month_rows(month: Month) -> list[list[str]]:
    """The month as rows of a sheet (``CSV_HEADER``; times office-local)."""
    tz = clock.zone(month.office.timezone if month.office else None)
    rows = []
    for d in month.days:
        row = d.row
        rows.append([month.user.login, month.user.name, d.day.isoformat(),
                     "yes" if d.working else "no",
                     row.signed_in_at.astimezone(tz).strftime("%H:%M") if row else "",
                     row.signed_off_at.astimezone(tz).strftime("%H:%M")
                     if row and row.signed_off_at else "",
                     "yes" if d.late else "no"])
    return rows


def set_day_start(session: Session, office: Office, text: str | None, user: User) -> str:
    """The administrator sets when ``office``'s day begins ("10:00", office-local)."""
    orgchart.require_admin(session, user, office)
    start = _hour(text or "")
    office.day_starts = start.strftime("%H:%M")
    audit.record(session, "office.day_starts_set", user, office_id=office.id,
                 day_starts=office.day_starts)
    return office.day_starts


def staff_of(session: Session, office: Office, viewer: User) -> list[User]:
    """The officials holding a post in ``office`` today, for the head's choice of whose
    month to see."""
    return [u for u, _p, _a in office_day(session, office, viewer)]

