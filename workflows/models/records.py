"""What the audit chain covers besides itself: the record.

Every row of a recorded kind (a file's identity, its movements, note paragraphs, tasks,
documents, drafts, their versions and approvals, receipts, copies marked for information; posts,
officials, who holds which post, and the office's delegation of powers) is
digested when a transaction writes it: the sha256 of the columns that are the record, listed
here once (``KINDS``).  The digests written in a transaction go into the detail of its last
audit event when the chain takes it (``models.audit.chain_pending``), so the chain's hashes
cover them, and ``sanchika verify`` digests the tables again and names every row that differs.

Rows written through the ORM are digested from its flush (``after_flush``), those written by
Core statements by the code that writes them (``wrote``), with the values it has in hand.
Columns that change in the ordinary course without being the record (a file's route state,
a task's escalation clock, an official's language) are left out; a change of a recorded
column through the application is itself digested, so only a change behind its back differs.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import RowMapping, event, inspect
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from .copy import Copy
from .dispatch import Dispatch
from .draft import Draft, DraftVersion
from .file import Attachment, File, Note
from .office import Post
from .people import PostHolding, User
from .power import DraftApproval, Power
from .receipt import Receipt
from .signing import Certificate, NoteSignature, RevokedOrder, SignedOrder
from .task import Movement, Task

WRITTEN = "sanchika.records_written"


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Any]  # a model class; its columns are read by name
    columns: tuple[str, ...]
    file_column: str | None  # the column naming the row's file, if it belongs to one
    # columns added to the record later: digested only when set, so that a row chained
    # before the column existed (empty in it) keeps its digest, and a value set, changed or
    # taken away behind the application's back still differs
    later: tuple[str, ...] = ()

    @property
    def read(self) -> tuple[str, ...]:
        """The columns a digest reads."""
        return self.columns + self.later


KINDS = {k.name: k for k in (
    Kind("file", File, ("number", "office_id", "section_id", "subject", "category",
                        "created_by_id", "created_by_post_id", "created_at"), "id"),
    Kind("movement", Movement, ("file_id", "kind", "from_post_id", "from_user_id", "to_post_id",
                                "step_name", "choice", "remark", "at"), "file_id"),
    Kind("note", Note, ("file_id", "number", "author_id", "author_post_id", "body",
                        "created_at"), "file_id", later=("task_id",)),
    Kind("task", Task, ("file_id", "engine_task_id", "step_name", "role", "post_id", "since"),
         "file_id"),
    Kind("document", Attachment, ("file_id", "filename", "content_type", "size", "sha256",
                                  "uploaded_by_id", "uploaded_by_post_id", "uploaded_at"),
         "file_id"),
    Kind("draft", Draft, ("file_id", "kind", "title", "status", "created_by_id",
                          "approved_version", "approved_by_id", "approved_by_post_id",
                          "issue_number", "issued_by_id", "issued_by_post_id", "issued_at"),
         "file_id"),
    Kind("draft version", DraftVersion, ("draft_id", "number", "body", "author_id",
                                         "author_post_id", "created_at"), None),
    Kind("receipt", Receipt, ("number", "office_id", "sender_name", "sender_address",
                              "letter_number", "letter_date", "received_on", "subject", "mode",
                              "document_sha256", "diarised_by_id", "diarised_by_post_id",
                              "diarised_at", "holder_post_id", "status", "file_id"), "file_id"),
    Kind("post", Post, ("office_id", "section_id", "code", "title", "role", "reports_to_id",
                        "is_head", "is_admin"), None),
    Kind("official", User, ("login", "name", "email", "active"), None),
    Kind("holding", PostHolding, ("post_id", "user_id", "from_date", "to_date", "kind"), None,
         later=("handed_by_id",)),
    Kind("certificate", Certificate, ("serial", "office_id", "user_id", "post_id", "holding_id",
                                      "pem", "not_before", "not_after", "revoked_at",
                                      "revocation_reason"), None),
    Kind("note signature", NoteSignature, ("note_id", "certificate_id", "digest", "signature",
                                           "signed_at"), None),
    Kind("signed order", SignedOrder, ("draft_id", "short_code", "sha256", "size",
                                       "certificate_id", "signed_at"), None),
    Kind("revoked order", RevokedOrder, ("signed_order_id", "superseded_by_id", "reason", "at",
                                         "by_user_id", "by_post_id"), None),
    Kind("dispatch", Dispatch, ("number", "office_id", "draft_id", "file_id", "addressee",
                                "copy_to", "mode", "dispatched_on", "dispatched_by_id",
                                "dispatched_by_post_id", "dispatched_at", "acknowledged_on",
                                "acknowledged_by", "acknowledgement_by_id",
                                "acknowledgement_at"), "file_id"),

    Kind("copy", Copy, ("file_id", "to_post_id", "by_user_id", "by_post_id", "remark", "at",
                        "seen_at", "seen_by_id"), "file_id"),
    Kind("draft approval", DraftApproval, ("draft_id", "version", "approved_by_id",
                                           "approved_by_post_id", "approved_at"), None),
    Kind("power", Power, ("office_id", "kind", "post_id", "role", "set_by_id", "set_at"), None),
)}
_BY_MODEL = {k.model: k for k in KINDS.values()}


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one, not one a row


def digest(kind: str, values: Mapping[str, Any] | RowMapping) -> str:
    """The sha256 (hex) of the record columns of a ``kind`` row, from ``values`` (a mapping)."""
    of = KINDS[kind]
    later = [[c, _plain(values[c])] for c in of.later if values[c] is not None]
    body = _COMPACT.encode([kind] + [_plain(values[c]) for c in of.columns] + later)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def wrote(session: Session, kind: str, row_id: int,
          values: Mapping[str, Any] | RowMapping) -> None:
    """Note that this transaction wrote the ``kind`` row ``row_id`` with ``values`` (a Core
    write; the ORM's writes are noted from its flush)."""
    file_column = KINDS[kind].file_column
    file_id = row_id if kind == "file" else values[file_column] if file_column else None
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(WRITTEN, {})[(kind, row_id)] = (file_id, digest(kind, values),
                                                            transaction)


def take_written(session: Session) -> list[list[str | int | None]]:
    """The rows written and not yet chained, as [kind, id, file id, digest] lists."""
    written = session.info.pop(WRITTEN, None) or {}
    return [[kind, row_id, file_id, value] for (kind, row_id), (file_id, value, _) in
            written.items()]


def _drop_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """Rows written in a transaction (or savepoint) rolled back were never written."""
    written = session.info.get(WRITTEN)
    if written:
        for key in [k for k, (_, _, t) in written.items() if _within(t, rolled_back)]:
            del written[key]


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _noted_in_flush(session: Session, _context: UOWTransaction) -> None:
    for obj in list(session.new) + list(session.dirty):
        kind = _BY_MODEL.get(type(obj))
        if kind is None:
            continue
        state = inspect(obj)
        if obj not in session.new and not any(
                state.attrs[c].history.has_changes() for c in kind.read):
            continue
        wrote(session, kind.name, obj.id, {c: getattr(obj, c) for c in
                                           kind.read + ((kind.file_column,) if kind.file_column else ())})


event.listen(Session, "after_flush", _noted_in_flush)
event.listen(Session, "after_soft_rollback", _drop_rolled_back)
