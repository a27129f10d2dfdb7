"""The record room: retention categories of closed files and their review dates.

Office procedure (Central Secretariat Manual of Office Procedure): a closed file is recorded in
category A (kept for good, and microfilmed), B (kept for good) or C (kept for a stated period of
up to 10 years).  A and B files are reviewed 25 years after closing; a C file when its period
ends.  A file closed by hand is recorded as it is closed; a file whose route ended is recorded
afterwards by the official who took its last step or the head of office: the record room has no default category,
because a wrong guess either destroys a permanent record or fills the room with waste.
"""

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..org import access
from .. import audit, clock, org
from .acting import lock_file
from ..errors import InvalidInput, NotAllowed
from ..models import RETENTION, File, User

PERMANENT_REVIEW_YEARS = 25
MAX_C_YEARS = 10


def review_date(retention: str | None, closed_on: date,
                keep_years: int | str | None = None) -> tuple[str, date]:
    """The category (upper case) and the review date of a file closed on ``closed_on``."""
    category = (retention or "").strip().upper()
    if category not in RETENTION:
        raise InvalidInput("choose the retention category of the file: A, B or C")
    if category == "C":
        try:
            years = int(keep_years) if keep_years not in (None, "") else MAX_C_YEARS
        except (TypeError, ValueError):
            years = 0
        if not 1 <= years <= MAX_C_YEARS:
            raise InvalidInput("a category C file is kept for 1 to %(most)s years",
                               most=MAX_C_YEARS)
    else:
        years = PERMANENT_REVIEW_YEARS
    return category, _add_years(closed_on, years)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def set_retention(file: File, retention: str | None, keep_years: int | str | None,
                  closed_at: datetime | None) -> date:
    """Record ``file`` (being closed at ``closed_at``) in its category, with its review date;
    returns the review date."""
    file.retention, review_on = review_date(retention, clock.office_today(file.office, closed_at),
                                            keep_years)
    file.review_on = review_on
    return review_on


def record_file(session: Session, *, number: str, user: User, retention: str | None,
                keep_years: int | str | None = None) -> File:
    """Record a file whose route has ended (closed without a category): the official who
    closed it or the head of office gives the category; the review date counts from the day it closed."""
    file = lock_file(session, number)
    if file.status != "closed":
        raise NotAllowed("file %(number)s is not closed", number=file.number)
    if file.retention:
        raise NotAllowed("file %(number)s is already recorded in category %(category)s",
                         number=file.number, category=file.retention)
    if access.closer_or_head(session, file, user) is None:
        raise NotAllowed("only the official who closed file %(number)s or the head of office "
                         "may record it", number=file.number)
    review_on = set_retention(file, retention, keep_years, file.closed_at)
    audit.record(session, "file.recorded", user, file, retention=file.retention,
                 review_on=review_on.isoformat())
    session.flush()
    return file


def record_room_offices(session: Session, user: User) -> list[int]:
    """The offices whose record room ``user`` sees: those where they hold a head's or an
    administrator's post."""
    return sorted({p.office_id for p in org.posts_of(session, user) if p.is_head or p.is_admin})


def due_for_review(session: Session, offices: Iterable[int], on: date | None = None) -> list[File]:
    """Closed files of ``offices`` whose review date is on or before ``on`` (today)."""
    on = on or clock.today()
    return list(session.scalars(
        select(File).where(File.office_id.in_(offices), File.status == "closed",
                           File.review_on <= on).order_by(File.review_on, File.number)))


def awaiting_record(session: Session, offices: Iterable[int]) -> list[File]:
    """Closed files of ``offices`` that have no retention category yet (their route ended)."""
    return list(session.scalars(
        select(File).where(File.office_id.in_(offices), File.status == "closed",
                           File.retention.is_(None)).order_by(File.closed_at, File.number)))
