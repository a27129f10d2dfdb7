"""The dispatch register (प्रेषण पंजी): an issued letter or order leaves the office by post, by
email or by hand, entered once with a dispatch (memo) number from the office's counters
(SADAR/D/2026/0001), its addressee, the copies and the date; the acknowledgement that it
arrived is recorded later, once.  The office's staff (whoever holds a post in it) work the
register: the clerk who dispatches need not be on the file's track.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, org
from ..clock import office_today, utcnow
from ..errors import InvalidInput, NotAllowed, NotFound, named
from ..models import DISPATCH_MODES, Dispatch, Draft, File, Office, Post, User
from ..org import access
from .drafts import get_draft
from .filing import lock_file
from .numbering import next_number
from .receipts import _as_date

DISPATCH_KIND = "D"  # SADAR/D/2026/0001
MAX_ADDRESSEE = 1000
MAX_COPY_TO = 5000
MAX_ACKNOWLEDGED_BY = 200
REGISTER_ROWS = 500  # one page of the register; a narrower range of dates finds the rest


def dispatch_draft(session: Session, *, draft_id: int, user: User, mode: str | None,
                   addressee: str | None, copy_to: str | None = "",
                   on: date | str | None = None, now: datetime | None = None) -> Dispatch:
    """Enter the issued draft ``draft_id`` in its office's register as dispatched ``on`` (the
    office's today by default) by ``mode`` to ``addressee``, with copies to ``copy_to`` (one a
    line); it takes the next dispatch number.  Only the office's staff may, once a draft."""
    now = now or utcnow()
    file = lock_file(session, session.get_one(File, get_draft(session, draft_id).file_id).number)
    draft = session.execute(select(Draft).where(Draft.id == draft_id)  # again, after the lock
                            .execution_options(populate_existing=True)).scalar_one()
    post = staff_post(session, user, file.office)
    if draft.status != "issued":
        raise NotAllowed("'%(title)s' is not issued yet: only an issued letter or order is "
                         "dispatched", title=draft.title)
    earlier = dispatch_of(session, draft.id)
    if earlier is not None:
        raise NotAllowed("'%(title)s' was already dispatched as %(number)s on %(day)s",
                         title=draft.title, number=earlier.number, day=earlier.dispatched_on)
    mode = checked_mode(mode)
    addressee = _text(addressee, MAX_ADDRESSEE, InvalidInput(
        "say to whom the letter goes: the addressee is empty"), InvalidInput(
        "the addressee is longer than %(limit)s characters", limit=MAX_ADDRESSEE))
    copies = "\n".join(line.strip() for line in (copy_to or "").splitlines() if line.strip())
    if len(copies) > MAX_COPY_TO:
        raise InvalidInput("the copy-to list is longer than %(limit)s characters",
                           limit=MAX_COPY_TO)
    day = _as_date(on, InvalidInput("the dispatch date '%(value)s' is not a date like "
                                    "2026-11-02", value=on)) or office_today(file.office, now)
    _not_future(day, file.office, now, InvalidInput("the dispatch date %(day)s is in the future",
                                                    day=day))
    issued = office_today(file.office, draft.issued_at)
    if day < issued:
        raise InvalidInput("the dispatch date %(day)s is before the letter was issued on "
                           "%(issued)s", day=day, issued=issued)
    entry = Dispatch(number=next_number(session, file.office, DISPATCH_KIND, day),
                     office_id=file.office_id, draft_id=draft.id, file_id=file.id,
                     addressee=addressee, copy_to=copies, mode=mode, dispatched_on=day,
                     dispatched_by_id=user.id, dispatched_by_post_id=post.id, dispatched_at=now)
    session.add(entry)
    session.flush()
    audit.record(session, "draft.dispatched", user, file, draft=draft.id, dispatch=entry.number,
                 mode=mode, on=day.isoformat())
    return entry


def acknowledge(session: Session, *, dispatch_id: int, user: User, on: date | str | None,
                by: str | None, now: datetime | None = None) -> Dispatch:
    """Record that dispatch ``dispatch_id`` was acknowledged ``on`` a day by ``by`` (who
    signed for it, or answered the mail); once, by the office's staff."""
    now = now or utcnow()
    entry = session.get(Dispatch, dispatch_id)
    if entry is None:
        raise NotFound("no dispatch with the id %(id)s", id=dispatch_id)
    lock_file(session, entry.file.number)
    session.refresh(entry)
    staff_post(session, user, entry.office)
    if entry.acknowledged_on is not None:
        raise NotAllowed("the acknowledgement of %(number)s was recorded already: %(day)s, "
                         "by %(by)s", number=entry.number, day=entry.acknowledged_on,
                         by=entry.acknowledged_by)
    day = _as_date(on, InvalidInput("the date of acknowledgement '%(value)s' is not a date "
                                    "like 2026-11-02", value=on))
    if day is None:
        raise InvalidInput("say on which day the acknowledgement came")
    _not_future(day, entry.office, now, InvalidInput(
        "the date of acknowledgement %(day)s is in the future", day=day))
    if day < entry.dispatched_on:
        raise InvalidInput("the acknowledgement on %(day)s is before %(number)s was dispatched "
                           "on %(dispatched)s", day=day, number=entry.number,
                           dispatched=entry.dispatched_on)
    entry.acknowledged_by = _text(by, MAX_ACKNOWLEDGED_BY, InvalidInput(
        "say who acknowledged it: the name is empty"), InvalidInput(
        "the name of who acknowledged it is longer than %(limit)s characters",
        limit=MAX_ACKNOWLEDGED_BY))
    entry.acknowledged_on, entry.acknowledgement_by_id, entry.acknowledgement_at = day, user.id, now
    audit.record(session, "dispatch.acknowledged", user, entry.file, dispatch=entry.number,
                 on=day.isoformat())
    session.flush()
    return entry


@dataclass(frozen=True)
class Filters:
    """Which entries of the register to show: dispatched from ``start`` to ``end`` (both
    included), by ``mode``; None for any."""
    start: date | None = None
    end: date | None = None
    mode: str | None = None


def filters(start: str | None, end: str | None, mode: str | None) -> Filters:
    """The register's filters from a form's text, or a refusal naming what is wrong."""
    first = _as_date(start, InvalidInput("'%(value)s' is not a date like 2026-11-02",
                                         value=start))
    last = _as_date(end, InvalidInput("'%(value)s' is not a date like 2026-11-02", value=end))
    if first and last and first > last:
        raise InvalidInput("the range begins on %(start)s, after it ends on %(end)s",
                           start=first, end=last)
    return Filters(first, last, checked_mode(mode) if mode else None)


def register(session: Session, office: Office, chosen: Filters = Filters()) -> list[Dispatch]:
    """The office's dispatch register, newest first, as ``chosen`` filters it."""
    query = select(Dispatch).where(Dispatch.office_id == office.id)
    if chosen.start:
        query = query.where(Dispatch.dispatched_on >= chosen.start)
    if chosen.end:
        query = query.where(Dispatch.dispatched_on <= chosen.end)
    if chosen.mode:
        query = query.where(Dispatch.mode == chosen.mode)
    return list(session.scalars(query.order_by(Dispatch.dispatched_on.desc(),
                                               Dispatch.id.desc()).limit(REGISTER_ROWS)))


def awaiting(session: Session, office: Office) -> list[Draft]:
    """The office's issued letters and orders not yet dispatched, oldest issued first."""
    return list(session.scalars(
        select(Draft).join(File, File.id == Draft.file_id)
        .outerjoin(Dispatch, Dispatch.draft_id == Draft.id)
        .where(File.office_id == office.id, Draft.status == "issued", Dispatch.id.is_(None))
        .order_by(Draft.issued_at, Draft.id)))


def dispatch_of(session: Session, draft_id: int) -> Dispatch | None:
    """The register's entry of draft ``draft_id``, if it was dispatched."""
    return session.scalar(select(Dispatch).where(Dispatch.draft_id == draft_id))


def dispatches_on(session: Session, file: File) -> dict[int, Dispatch]:
    """The entries of ``file``'s dispatched drafts, by draft id."""
    return {d.draft_id: d for d in session.scalars(
        select(Dispatch).where(Dispatch.file_id == file.id))}


def staffed_offices(session: Session, user: User) -> list[Office]:
    """The offices whose register ``user`` works (where they hold a post), by code."""
    return sorted({p.office for p in org.posts_of(session, user)}, key=lambda o: o.code)


def staff_post(session: Session, user: User, office: Office) -> Post:
    """The post through which ``user`` works ``office``'s register; refused to anyone
    holding no post there."""
    posts = [p for p in org.posts_of(session, user) if p.office_id == office.id]
    if not posts:
        raise NotAllowed("only the staff of %(office)s keep its dispatch register",
                         office=named(office))
    return posts[0]


def entry_for(session: Session, user: User, dispatch_id: int) -> Dispatch:
    """Dispatch ``dispatch_id``, for its office's staff or those who may see its file."""
    entry = session.get(Dispatch, dispatch_id)
    if entry is None:
        raise NotFound("no dispatch with the id %(id)s", id=dispatch_id)
    if not any(p.office_id == entry.office_id for p in org.posts_of(session, user)):
        access.check_can_view(session, user, entry.file)
    return entry


def checked_mode(mode: str | None) -> str:
    """``mode`` if a letter may leave by it, else a refusal listing the modes."""
    if mode not in DISPATCH_MODES:
        raise InvalidInput("a letter leaves by one of: %(modes)s; not '%(mode)s'",
                           modes=", ".join(DISPATCH_MODES), mode=mode or "")
    return mode


def _not_future(day: date, office: Office, now: datetime, refusal: InvalidInput) -> None:
    if day > office_today(office, now):
        raise refusal


def _text(value: str | None, limit: int, empty: InvalidInput, long: InvalidInput) -> str:
    text = "\n".join(line.rstrip() for line in (value or "").strip().splitlines())
    if not text:
        raise empty
    if len(text) > limit:
        raise long
    return text
