"""What else a search finds besides files: receipts (subject, sender, letter and diary numbers,
address), drafts (title and the text of any version), remarks on a file's track and the names
of its documents, in one query.

Only what the user may see is found: anything on a file they may open (workflows/search.py's
visible set); a receipt not yet in a file, in an office where they hold a post (the diary
register shows it to them too).  Every word of the query must appear, in any case (lower() on
both sides; Devanagari has no case); a word may be part of a longer one, so that "45/2026"
finds the letter numbered 45/2026 and "PFMS" the PFMS Cell.  These columns have no full-text
index: the match is a scan of the rows of the user's files, found through their file_id
indexes, which an official's few thousand files keep small.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (ColumnElement, Integer, Select, String, and_, cast,
                        exists, func, literal_column, null, or_, select, union_all)
from sqlalchemy.orm import InstrumentedAttribute, Session

from .. import clock, org
from ..db import one_of
from ..models import (Attachment, Draft, DraftVersion, File, Movement, Office, Post,
                      PostHolding, Receipt, User)
from .search import LIMIT, _escape, visible_ids, visible_list, words

KINDS = ("receipt", "draft", "remark", "attachment")


@dataclass(frozen=True)
class Mention:
    """One thing that matched: its kind, its id, the file it is on (None for a receipt not
    yet in a file), what it says (a receipt's subject), and when it was written."""

    kind: str
    item_id: int
    file_id: int | None
    file_number: str | None
    text: str
    sender: str | None  # a receipt's
    receipt_number: str | None
    office_code: str | None  # a receipt's office
    at: datetime


def mentions(session: Session, user: User, query: str | None, limit: int = LIMIT,
             day: date | None = None) -> list[Mention]:
    """Receipts, drafts, remarks and documents matching every word of ``query`` that ``user``
    may see, newest first."""
    found = words(query)
    if not found:
        return []
    day = day or clock.today()
    on_file = _visible_condition(session, user, day)
    found_in = union_all(*_branches(found, on_file, _offices(user, day))).subquery()
    stmt = (select(found_in, File.number, Office.code)
            .outerjoin(File, File.id == found_in.c.file_id)
            .outerjoin(Office, Office.id == found_in.c.office_id)
            .order_by(found_in.c.at.desc(), found_in.c.item_id.desc()).limit(limit))
    return [Mention(kind=r.kind, item_id=r.item_id, file_id=r.file_id, file_number=r.number,
                    text=r.text, sender=r.sender, receipt_number=r.receipt_number, office_code=r.code,
                    at=r.at) for r in session.execute(stmt)]


def _visible_condition(session: Session, user: User, day: date) -> Any:
    """A function of a file_id column: the condition that the user may open that file.  On
    PostgreSQL an official's visible files go in as one array (index look-ups per file);
    otherwise, and for wide views, the visible set is a subquery."""
    ids = visible_list(session, user, day)
    if ids is not None:
        return lambda column: one_of(session, column, ids)
    allowed = visible_ids(session, user, day).subquery()
    return lambda column: column.in_(select(allowed.c[0]))


def _offices(user: User, day: date) -> Select[int]:
    held = select(PostHolding.post_id).where(PostHolding.user_id == user.id, org.held_on(day))
    return select(Post.office_id).where(Post.id.in_(held))


def _kind(name: str) -> ColumnElement[str]:
    return literal_column(f"'{name}'", String)


def _none(kind: Any) -> ColumnElement[Any]:
    return cast(null(), kind)


def _holds_all(text: ColumnElement[str] | InstrumentedAttribute[str], found: list[str]) -> ColumnElement[bool]:
    lowered = func.lower(text)
    return and_(*(lowered.like("%" + _escape(w) + "%", escape="\\") for w in found))


def _branches(found: list[str], on_file: Any, offices: Select[int]) -> list[Select[Any]]:
    """One select per kind, with the same columns: kind, item_id, file_id, text, sender,
    receipt_number, office_id, at."""
    receipt_text = (Receipt.number + " " + Receipt.letter_number + " " + Receipt.sender_name
                    + " " + Receipt.sender_address + " " + Receipt.subject)
    receipts = select(
        _kind("receipt").label("kind"), Receipt.id.label("item_id"),
        Receipt.file_id.label("file_id"),
        Receipt.subject.label("text"), Receipt.sender_name.label("sender"),
        Receipt.number.label("receipt_number"), Receipt.office_id.label("office_id"),
        Receipt.diarised_at.label("at"),
    ).where(_holds_all(receipt_text, found),
            or_(on_file(Receipt.file_id),
                and_(Receipt.file_id.is_(None), Receipt.office_id.in_(offices))))
    drafts = select(
        _kind("draft"), Draft.id, Draft.file_id, Draft.title, _none(String), _none(String),
        _none(Integer), Draft.created_at,
    ).where(on_file(Draft.file_id), exists().where(
        DraftVersion.draft_id == Draft.id,
        _holds_all(Draft.title + " " + DraftVersion.body, found)))
    remarks = select(
        _kind("remark"), Movement.id, Movement.file_id, Movement.remark, _none(String),
        _none(String), _none(Integer), Movement.at,
    ).where(on_file(Movement.file_id), Movement.remark != "",
            _holds_all(Movement.remark, found))
    documents = select(
        _kind("attachment"), Attachment.id, Attachment.file_id, Attachment.filename,
        _none(String), _none(String), _none(Integer), Attachment.uploaded_at,
    ).where(on_file(Attachment.file_id), _holds_all(Attachment.filename, found))
    return [receipts, drafts, remarks, documents]
