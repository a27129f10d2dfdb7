"""The diary register (आवती पंजी): every receipt of an office in one list, newest first, with
where each one is now (the post holding it, or the file it was put in) and the dak received
today.  Any official holding a post in the office reads it, as they read the receipts page."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, selectinload

from .. import clock, org
from ..errors import InvalidInput, NotAllowed, named
from ..models import MODES, File, Office, Receipt, User
from .search import visible_ids

PER_PAGE = 50
MAX_SENDER = 200


@dataclass(frozen=True)
class DiaryFilters:
    """Which receipts to list: received from ``start`` to ``end`` (both included, office
    dates), by ``mode``, from a sender whose name holds ``sender``."""

    start: date | None = None
    end: date | None = None
    mode: str | None = None
    sender: str = ""


@dataclass
class DiaryPage:
    """One page of the register, the totals it belongs to, and today's dak."""

    rows: list[Receipt]
    total: int
    page: int
    pages: int
    today: date
    today_by_mode: dict[str, int] = field(default_factory=dict)
    open_files: set[int] = field(default_factory=set)  # files of these rows the user may open

    @property
    def today_total(self) -> int:
        return sum(self.today_by_mode.values())


def diary_filters(start: str | None = None, end: str | None = None, mode: str | None = None,
                  sender: str | None = None) -> DiaryFilters:
    """Filters from what a form or a command line says; InvalidInput naming what is wrong."""
    first = _date(start, "start")
    last = _date(end, "end")
    if first and last and first > last:
        raise InvalidInput("the register cannot run from %(start)s back to %(end)s: the first "
                           "date comes after the last", start=first, end=last)
    mode = (mode or "").strip() or None
    if mode is not None and mode not in MODES:
        raise InvalidInput("mode '%(mode)s' is not one of: %(choices)s",
                           mode=mode, choices=", ".join(MODES))
    sender = " ".join((sender or "").split())
    if len(sender) > MAX_SENDER:
        raise InvalidInput("the sender is longer than %(limit)s characters", limit=MAX_SENDER)
    return DiaryFilters(start=first, end=last, mode=mode, sender=sender)


def page_number(value: str | None) -> int:
    """A page number from an address (1 when none is given)."""
    text = (value or "").strip()
    if not text:
        return 1
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput("page '%(page)s' is not a page number like 1, 2 or 3", page=text)
    return int(text)


def diary_offices(session: Session, user: User, day: date | None = None) -> list[Office]:
    """The offices whose register ``user`` may read: those where they hold a post."""
    return sorted({p.office for p in org.posts_of(session, user, day)}, key=lambda o: o.code)


def check_can_read(session: Session, user: User, office: Office) -> None:
    """NotAllowed unless ``user`` holds a post in ``office`` today."""
    if office.id not in {o.id for o in diary_offices(session, user)}:
        raise NotAllowed("only the staff of %(office)s may read its diary register",
                         office=named(office))


def diary(session: Session, office: Office, user: User, filters: DiaryFilters, page: int = 1,
          per_page: int = PER_PAGE, now: datetime | None = None) -> DiaryPage:
    """Page ``page`` of the office's register (the last page if ``page`` is beyond it)."""
    where = _conditions(office, filters)
    total = session.scalar(select(func.count(Receipt.id)).where(where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    rows = list(session.scalars(
        _ordered(select(Receipt).where(where)).offset((page - 1) * per_page).limit(per_page)))
    today = clock.office_today(office, now or clock.utcnow())
    by_mode: dict[str, int] = {mode: n for mode, n in session.execute(
        select(Receipt.mode, func.count(Receipt.id))
        .where(Receipt.office_id == office.id, Receipt.received_on == today)
        .group_by(Receipt.mode))}
    return DiaryPage(rows=rows, total=total, page=page, pages=pages, today=today,
                     today_by_mode={m: by_mode[m] for m in MODES if m in by_mode},
                     open_files=_open_files(session, user, rows))


def diary_rows(session: Session, office: Office, filters: DiaryFilters) -> Iterator[Receipt]:
    """Every receipt the filters let through, in the register's order (for an export)."""
    return iter(session.scalars(_ordered(select(Receipt).where(_conditions(office, filters)))))


def _ordered(stmt: Select[Receipt]) -> Select[Receipt]:
    return (stmt.options(selectinload(Receipt.holder_post), selectinload(Receipt.file))
            .order_by(Receipt.received_on.desc(), Receipt.id.desc()))


def _conditions(office: Office, filters: DiaryFilters) -> ColumnElement[bool]:
    conditions = [Receipt.office_id == office.id]
    if filters.start is not None:
        conditions.append(Receipt.received_on >= filters.start)
    if filters.end is not None:
        conditions.append(Receipt.received_on <= filters.end)
    if filters.mode is not None:
        conditions.append(Receipt.mode == filters.mode)
    if filters.sender:
        conditions.append(func.lower(Receipt.sender_name).like(
            "%" + _escape(filters.sender.lower()) + "%", escape="\\"))
    return and_(*conditions)


def _open_files(session: Session, user: User, rows: list[Receipt]) -> set[int]:
    """Of the files these receipts were put in, those the user may open (one query)."""
    ids = {r.file_id for r in rows if r.file_id is not None}
    if not ids:
        return set()
    allowed = visible_ids(session, user).subquery()
    return set(session.scalars(select(File.id).where(File.id.in_(ids),
                                                     File.id.in_(select(allowed.c[0])))))


def _date(value: str | None, which: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        refusal = (InvalidInput("the first date '%(value)s' is not a date like 2026-11-02",
                                value=text) if which == "start" else
                   InvalidInput("the last date '%(value)s' is not a date like 2026-11-02",
                                value=text))
        raise refusal from None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
