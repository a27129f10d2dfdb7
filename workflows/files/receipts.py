"""Receipts (आवती): an incoming letter is diarised with a number, waits at a post, and is put
into a file (an existing one, or one opened on it).  Receipts are never deleted, and a receipt
in a file never changes.
"""

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, org
from . import filing
from .attachments import _checked_document, blob_path, keep, default_store
from ..db import for_update
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed, NotFound, named
from ..models import MODES, Attachment, File, Office, Post, Receipt, Section, User
from ..clock import office_today
from .numbering import next_number

RECEIPT_KIND = "R"  # SADAR/R/2026/0001
MAX_SUBJECT = 500
MAX_SENDER = 200
MAX_ADDRESS = 500
MAX_LETTER_NUMBER = 100


def diarise_receipt(session: Session, *, office: Office, user: User, subject: str | None,
                    sender: str | None, sender_address: str | None = "",
                    letter_number: str | None = "", letter_date: date | str | None = None,
                    received_on: date | str | None = None, mode: str = "By post",
                    document: tuple[str | None, bytes] | None = None,
                    store: Path | str | None = None, now: datetime | None = None) -> Receipt:
    """Diarise an incoming letter in ``office``: number it and keep it at the user's post.

    ``document`` is the scanned letter as ``(filename, bytes)``, checked and kept like an
    attachment in ``store`` (default: the attachments store).  ``letter_date`` and
    ``received_on`` are dates (or ISO strings); ``received_on`` defaults to today in the office.
    """
    now = now or utcnow()
    today = office_today(office, now)
    fields = _clean_fields(subject=subject, sender=sender, sender_address=sender_address,
                           letter_number=letter_number, mode=mode)
    received_on = _as_date(received_on, InvalidInput(
        "the date of receipt '%(value)s' is not a date like 2026-11-02", value=received_on)) or today
    letter_date = _as_date(letter_date, InvalidInput(
        "the letter date '%(value)s' is not a date like 2026-11-02", value=letter_date))
    _check_dates(letter_date, received_on, today)
    post = org.acting_post(session, user, office)
    scan: dict[str, str | int] = {}
    if document is not None:
        filename, data = document
        filename, content_type = _checked_document(filename, data)
        scan = dict(document_filename=filename, document_type=content_type,
                    document_size=len(data),
                    document_sha256=keep(store or default_store(), data))
    receipt = Receipt(number=next_number(session, office, RECEIPT_KIND, today),
                      office_id=office.id, letter_date=letter_date, received_on=received_on,
                      diarised_by_id=user.id, diarised_by_post_id=post.id, diarised_at=now,
                      holder_post_id=post.id, status="pending", **fields, **scan)
    session.add(receipt)
    session.flush()
    audit.record(session, "receipt.diarised", user, office_id=office.id, receipt=receipt.number,
                 mode=receipt.mode, document=receipt.document_sha256)
    return receipt


def send_receipt(session: Session, *, receipt_id: int, user: User, to_post_id: int) -> Receipt:
    """Send a pending receipt from its holder to another post of the same office."""
    receipt = _lock_receipt(session, receipt_id)
    _require_pending(receipt)
    _require_holder(session, receipt, user)
    to_post = session.get(Post, to_post_id)
    if to_post is None or to_post.office_id != receipt.office_id:
        raise NotAllowed("receipt %(number)s can be sent only to a post of %(office)s",
                         number=receipt.number, office=named(receipt.office))
    if to_post.id == receipt.holder_post_id:
        raise InvalidInput("receipt %(number)s is already with %(post)s",
                           number=receipt.number, post=named(to_post, "title"))
    from_post_id = receipt.holder_post_id
    receipt.holder_post_id = to_post.id
    audit.record(session, "receipt.sent", user, office_id=receipt.office_id,
                 receipt=receipt.number, from_post=from_post_id, to_post=to_post.id)
    session.flush()
    return receipt


def put_in_file(session: Session, *, receipt_id: int, number: str, user: User,
                now: datetime | None = None) -> Receipt:
    """Put a pending receipt into file ``number``: the user must hold both the file (an open
    step at one of their posts) and the receipt."""
    file = filing.lock_file(session, number)
    receipt = _lock_receipt(session, receipt_id)
    _require_pending(receipt)
    if file.office_id != receipt.office_id:
        raise NotAllowed("file %(number)s belongs to %(office)s, not to %(receipt_office)s "
                         "where receipt %(receipt)s was received", number=file.number,
                         office=named(file.office), receipt_office=named(receipt.office),
                         receipt=receipt.number)
    if file.status == "closed":
        raise NotAllowed("file %(number)s is closed; reopen it first", number=file.number)
    task = next((t for t in filing.open_tasks(session, file)
                 if org.holds(session, user, t.post_id)), None)
    if task is None:
        raise NotAllowed("only the official holding file %(number)s may put a receipt in it",
                         number=file.number)
    _require_holder(session, receipt, user)
    _file_receipt(session, receipt, file, user, task.post_id, now or utcnow())
    return receipt


def open_file_from_receipt(session: Session, *, receipt_id: int, user: User, route_key: str,
                           priority: str = "Normal", category: str | None = "",
                           section: Section | None = None, first_note: str | None = "",
                           now: datetime | None = None) -> File:
    """Open a new file on the receipt's subject (see ``filing.open_file``) and put the receipt
    in it; returns the file."""
    now = now or utcnow()
    receipt = _lock_receipt(session, receipt_id)
    _require_pending(receipt)
    _require_holder(session, receipt, user)
    file = filing.open_file(session, office=receipt.office, user=user, route_key=route_key,
                            subject=receipt.subject, priority=priority, category=category,
                            section=section, first_note=first_note, now=now)
    _file_receipt(session, receipt, file, user, file.created_by_post_id, now)
    return file


def receipts_pending(session: Session, user: User) -> list[Receipt]:
    """Receipts waiting at the posts ``user`` holds today, not yet in a file, oldest first."""
    post_ids = [p.id for p in org.posts_of(session, user)]
    if not post_ids:
        return []
    return list(session.scalars(
        select(Receipt).where(Receipt.holder_post_id.in_(post_ids),
                              Receipt.status == "pending")
        .order_by(Receipt.received_on, Receipt.id)))


def receipts_of(session: Session, file: File) -> list[Receipt]:
    """The receipts put into ``file``, in the order they were put in."""
    return list(session.scalars(select(Receipt).where(Receipt.file_id == file.id)
                                .order_by(Receipt.filed_at, Receipt.id)))


def get_receipt(session: Session, receipt_id: int) -> Receipt:
    """The receipt with this id, or NotFound."""
    receipt = session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound("no receipt with the id %(id)s", id=receipt_id)
    return receipt


def receipt_by_number(session: Session, number: str | None) -> Receipt:
    """The receipt numbered ``number`` (e.g. SADAR/R/2026/0001), or NotFound."""
    receipt = session.scalar(select(Receipt).where(Receipt.number == (number or "").strip()))
    if receipt is None:
        raise NotFound("no receipt numbered '%(number)s'", number=number)
    return receipt


def read_receipt_document(session: Session, receipt_id: int,
                          store: Path | str) -> tuple[Receipt, bytes]:
    """The receipt and the bytes of its scanned letter."""
    receipt = get_receipt(session, receipt_id)
    if receipt.document_sha256 is None:
        raise NotFound("receipt %(number)s has no scanned letter", number=receipt.number)
    return receipt, blob_path(store, receipt.document_sha256).read_bytes()


def _file_receipt(session: Session, receipt: Receipt, file: File, user: User, post_id: int,
                  now: datetime) -> None:
    """Mark the receipt as in ``file``; its scanned letter joins the file's documents."""
    receipt.status, receipt.file = "in file", file
    receipt.filed_by_id, receipt.filed_at = user.id, now
    if receipt.document_sha256:
        session.add(Attachment(file_id=file.id, filename=receipt.document_filename,
                               content_type=receipt.document_type, size=receipt.document_size,
                               sha256=receipt.document_sha256, uploaded_by_id=user.id,
                               uploaded_by_post_id=post_id, uploaded_at=now))
    audit.record(session, "receipt.filed", user, file, receipt=receipt.number)
    session.flush()


def _lock_receipt(session: Session, receipt_id: int) -> Receipt:
    receipt = session.scalar(for_update(select(Receipt).where(Receipt.id == receipt_id),
                                        session))
    if receipt is None:
        raise NotFound("no receipt with the id %(id)s", id=receipt_id)
    return receipt


def _require_pending(receipt: Receipt) -> None:
    if receipt.status != "pending":
        raise NotAllowed("receipt %(number)s is already in file %(file)s",
                         number=receipt.number,
                         # "in file" is set with the file (``_file_receipt``)
                         file=receipt.file.number if receipt.file is not None else "")


def _require_holder(session: Session, receipt: Receipt, user: User) -> None:
    if not org.holds(session, user, receipt.holder_post_id):
        raise NotAllowed("receipt %(number)s is with %(post)s, not with %(user)s",
                         number=receipt.number, post=named(receipt.holder_post, "title"),
                         user=named(user))


def _clean_fields(*, subject: str | None, sender: str | None, sender_address: str | None,
                  letter_number: str | None, mode: str) -> dict[str, str]:
    subject = " ".join((subject or "").split())
    sender = " ".join((sender or "").split())
    sender_address = (sender_address or "").strip()
    letter_number = (letter_number or "").strip()
    if not subject:
        raise InvalidInput("the subject is empty: say what the letter is about")
    if not sender:
        raise InvalidInput("the sender is missing: say who sent the letter")
    for value, limit, refusal in (
            (subject, MAX_SUBJECT, InvalidInput(
                "the subject is longer than %(limit)s characters", limit=MAX_SUBJECT)),
            (sender, MAX_SENDER, InvalidInput(
                "the sender is longer than %(limit)s characters", limit=MAX_SENDER)),
            (sender_address, MAX_ADDRESS, InvalidInput(
                "the sender's address is longer than %(limit)s characters", limit=MAX_ADDRESS)),
            (letter_number, MAX_LETTER_NUMBER, InvalidInput(
                "the letter number is longer than %(limit)s characters",
                limit=MAX_LETTER_NUMBER))):
        if len(value) > limit:
            raise refusal
    if mode not in MODES:
        raise InvalidInput("mode '%(mode)s' is not one of: %(choices)s",
                           mode=mode, choices=", ".join(MODES))
    return dict(subject=subject, sender_name=sender, sender_address=sender_address,
                letter_number=letter_number, mode=mode)


def _as_date(value: date | str | None, refusal: InvalidInput) -> date | None:
    """``value`` as a date; ``refusal`` (an InvalidInput) when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise refusal from None


def _check_dates(letter_date: date | None, received_on: date, today: date) -> None:
    if received_on > today:
        raise InvalidInput("the date of receipt %(day)s is in the future", day=received_on)
    if letter_date is not None and letter_date > today:
        raise InvalidInput("the letter date %(day)s is in the future", day=letter_date)
    if letter_date is not None and letter_date > received_on:
        raise InvalidInput("the letter is dated %(letter_date)s, after it was received "
                           "on %(received_on)s", letter_date=letter_date,
                           received_on=received_on)
