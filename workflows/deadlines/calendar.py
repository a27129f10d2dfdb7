"""Working days: due times are counted in the office's working days, not calendar days.

An office's calendar is its weekly offs (``Office.weekly_offs``, weekday numbers with Monday 0)
and its holidays (``Holiday`` rows), both read in the office's own time zone.
"""

import time
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .. import audit, sheets
from ..errors import InvalidInput
from ..models import Holiday, Office, User

DEFAULT_WEEKLY_OFFS = frozenset({6})  # Sunday (Monday is 0)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NAME_LENGTH: int = Holiday.__table__.c.name.type.length  # type: ignore[attr-defined]


def add_working_days(start: datetime, days: int, tz: str = "Asia/Kolkata",
                     weekly_offs: Set[int] = DEFAULT_WEEKLY_OFFS,
                     holidays: Set[date] = frozenset()) -> datetime:
    """The moment ``days`` working days after ``start`` (an aware datetime), at the same local
    time of day; off days and holidays (local dates) are skipped."""
    if len(set(weekly_offs)) >= 7:
        raise InvalidInput("an office needs at least one working day in the week")
    local = start.astimezone(ZoneInfo(tz))
    remaining = days
    while remaining > 0:
        local += timedelta(days=1)
        if local.weekday() not in weekly_offs and local.date() not in holidays:
            remaining -= 1
    return local.astimezone(start.tzinfo)


def parse_weekly_offs(text: str | None) -> frozenset[int]:
    """Weekday numbers from "6", "5,6" or "Sat,Sun"; refuses a week with no working day."""
    days: set[int] = set()
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        if part.isdigit() and int(part) < 7:
            days.add(int(part))
        elif part[:3].title() in WEEKDAYS:
            days.add(WEEKDAYS.index(part[:3].title()))
        else:
            raise InvalidInput("'%(part)s' is not a weekday (use 0-6 with Monday 0, or Mon..Sun)",
                               part=part)
    if len(days) >= 7:
        raise InvalidInput("an office needs at least one working day in the week")
    return frozenset(days)


@dataclass(frozen=True)
class OfficeCalendar:
    """What ``add_working_days`` needs to know about one office."""
    tz: str
    weekly_offs: frozenset[int]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def add(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` of the office's working days after ``start``."""
        return add_working_days(start, days, self.tz, self.weekly_offs, self.holidays)

    def days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days from ``start`` to ``end`` (the inbox's "pending N working
        days"): each working day after the day of ``start``, up to the day of ``end``."""
        zone = ZoneInfo(self.tz)
        current, last = start.astimezone(zone).date(), end.astimezone(zone).date()
        days = 0
        while current < last:
            current += timedelta(days=1)
            if current.weekday() not in self.weekly_offs and current not in self.holidays:
                days += 1
        return days


_H = Holiday.__table__
_HOLIDAYS_SINCE = select(_H.c.day).where(_H.c.office_id == bindparam("office_id"),
                                        _H.c.day >= bindparam("since"))


def office_calendar(session: Session, office: Office,
                    since: date | None = None) -> OfficeCalendar:
    """The office's calendar; holidays from ``since`` (a date) on, or all when not given."""
    days = session.scalars(_HOLIDAYS_SINCE, {"office_id": office.id,
                                             "since": since or date.min})
    return OfficeCalendar(office.timezone, parse_weekly_offs(office.weekly_offs),
                          frozenset(days))


def add_holiday(session: Session, office: Office, day: date, name: str | None,
                user: User | None = None) -> Holiday:
    """Add (or rename) the holiday on ``day`` in ``office``."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("a holiday needs a name")
    holiday = session.scalar(select(Holiday).where(Holiday.office_id == office.id,
                                                   Holiday.day == day))
    if holiday is None:
        holiday = Holiday(office_id=office.id, day=day, name=name[:200])
        session.add(holiday)
    else:
        holiday.name = name[:200]
    session.flush()
    audit.record(session, "holiday.set", user, office_id=office.id, day=day, name=name)
    return holiday


@dataclass
class ImportReport:
    added: list[tuple[date, str]] = field(default_factory=list)     # (date, name)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)


def import_holidays(session: Session, office: Office, data: bytes | str,
                    user: User | None = None, dry_run: bool = False) -> ImportReport:
    """Import holidays from a CSV sheet (bytes or text: ``date,name`` per line; a header line
    is allowed; dates as YYYY-MM-DD or DD-MM-YYYY).  Bad lines are reported, not imported;
    nothing is written when ``dry_run``.  A sheet that cannot be read as one (not UTF-8, a
    NUL, a field too long, three columns) is refused whole, naming the line and column."""
    report = ImportReport()
    seen: set[date] = set()
    for record in sheets.read(data, max_field=_NAME_LENGTH):
        row = record.cells
        if row[0].strip().startswith("#"):
            continue
        sheets.at_most(record, 2)
        if record.line == 1 and row[0].strip().lower() in ("date", "day", "tithi", "तिथि"):
            continue
        problem, day = _check_holiday(row, seen)
        if problem or day is None:
            report.problems.append((record.line, problem or "expected: date,name"))
            continue
        seen.add(day)
        report.added.append((day, " ".join(row[1].split())))
    if not dry_run:
        for day, name in report.added:
            add_holiday(session, office, day, name, user)
    return report


def _check_holiday(row: list[str], seen: set[date]) -> tuple[str | None, date | None]:
    if len(row) < 2 or not row[1].strip():
        return "expected: date,name", None
    day = _parse_date(row[0].strip())
    if day is None:
        return f"'{row[0].strip()}' is not a date (use YYYY-MM-DD or DD-MM-YYYY)", None
    if day in seen:
        return f"{day} is listed twice", None
    return None, day


def _parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return date(*time.strptime(text, fmt)[:3])  # a date: no time, no zone
        except ValueError:
            continue
    return None


def holidays_of(session: Session, office: Office, year: int | None = None) -> list[Holiday]:
    """The holidays of ``office`` by date, of ``year`` if given."""
    stmt = select(Holiday).where(Holiday.office_id == office.id).order_by(Holiday.day)
    if year:
        stmt = stmt.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return list(session.scalars(stmt))
