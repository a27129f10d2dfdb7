"""Rows that must never change once written: the track, audit events, published route versions,
draft versions, issued drafts, and receipts put into a file.  No file, note, document, draft or
receipt is deleted.  (On the database, triggers from migration 0007 refuse the same.)

The ORM refuses to update or delete them, so no service can do it by mistake.
"""

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Connection, event
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import get_history

from .audit import AuditEvent
from .dispatch import Dispatch
from .draft import Draft, DraftVersion
from .file import Attachment, File, Note
from .power import DraftApproval
from .receipt import Receipt
from .route import RouteVersion
from .signing import NoteSignature, RevokedOrder, SignedOrder
from .task import Movement


class ImmutableRow(RuntimeError):
    pass


class _Row(Protocol):
    @property
    def id(self) -> int: ...


_Listener = Callable[[Mapper[Any], Connection, _Row], None]


def _refuse(kind: str, verb: str) -> _Listener:
    def listener(_mapper: Mapper[Any], _connection: Connection, target: _Row) -> None:
        raise ImmutableRow(f"{kind} {target.id} cannot be {verb}: it is part of the record")
    return listener


for model, kind in ((Movement, "movement"), (RouteVersion, "route version"),
                    (DraftVersion, "draft version"), (AuditEvent, "audit event"),
                    (NoteSignature, "note signature"), (SignedOrder, "signed order"),
                    (RevokedOrder, "revoked order"), (DraftApproval, "draft approval")):
    event.listen(model, "before_update", _refuse(kind, "changed"))
    event.listen(model, "before_delete", _refuse(kind, "deleted"))

for kept, kind in ((File, "file"), (Note, "note"), (Attachment, "document")):
    event.listen(kept, "before_delete", _refuse(kind, "deleted"))


def _stored(target: _Row, attribute: str) -> object:
    """The value ``attribute`` had when the row was loaded, before this flush's changes."""
    history = get_history(target, attribute)
    before = history.deleted or history.unchanged
    return before[0] if before else None


def _refuse_if_final(kind: str, final_status: str) -> _Listener:
    def listener(_mapper: Mapper[Any], _connection: Connection, target: _Row) -> None:
        if _stored(target, "status") == final_status:
            raise ImmutableRow(f"{kind} {target.id} is {final_status} and cannot be changed")
    return listener


for ending, kind, final in ((Draft, "draft", "issued"), (Receipt, "receipt", "in file")):
    event.listen(ending, "before_update", _refuse_if_final(kind, final))
    event.listen(ending, "before_delete", _refuse(kind, "deleted"))


def _refuse_if_acknowledged(_mapper: Mapper[Any], _connection: Connection, target: _Row) -> None:
    """A dispatch changes once, when its acknowledgement is recorded; then never again."""
    if _stored(target, "acknowledged_on") is not None:
        raise ImmutableRow(f"dispatch {target.id} is acknowledged and cannot be changed")


event.listen(Dispatch, "before_update", _refuse_if_acknowledged)
event.listen(Dispatch, "before_delete", _refuse("dispatch", "deleted"))
