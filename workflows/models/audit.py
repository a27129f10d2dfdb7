"""Audit events: who did what to which file, when; chained by hashes so that a change, a removal
or an insertion shows.

Each event carries ``seq`` (its place in the office-wide chain), the hash of the event before it
and its own hash (sha256 over its fields and that previous hash).  Events get their place when
their transaction commits (see ``chain_pending``): the chain head row is locked only for the last
instant of the transaction, after every other lock, so appends from many processes are totally
ordered without holding a global lock through the action or risking a deadlock with file locks.
"""

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (ForeignKey, Integer, String, Text, bindparam, event, insert, select,
                        update)
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from . import records
from ..db import Base, UTCDateTime, for_update
from ..clock import utcnow

GENESIS = "0" * 64
CHAIN_VERSION = 1
PENDING = "sanchika.audit_pending"


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChain(Base):
    """The head of the chain: one row (id 1), the last event's seq and hash."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


def event_hash(seq: int, at: datetime, user_id: int | None, office_id: int | None,
               file_id: int | None, action: str, detail: str, prev_hash: str) -> str:
    """The sha256 (hex) of an event's fields and the previous event's hash, canonically listed."""
    body = json.dumps([CHAIN_VERSION, seq, _moment(at), user_id, office_id, file_id, action,
                       detail, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _moment(at: datetime) -> str:
    """An event's time as it is hashed."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_HEAD = select(AuditChain.__table__.c.seq, AuditChain.__table__.c.hash).where(
    AuditChain.__table__.c.id == 1)
_MOVE_HEAD = (update(AuditChain.__table__).where(AuditChain.__table__.c.id == 1)
              .values(seq=bindparam("head_seq"), hash=bindparam("head_hash")))


def chain_pending(session: Session) -> None:
    """Give the events written in this transaction their places in the chain and write them
    (before commit).  Everything else the transaction writes is flushed first, so the chain
    head is the last lock taken, and held only for the commit's instant."""
    session.flush()  # the ORM's writes are noted (``records``) as they are flushed
    waiting = session.info.pop(PENDING, None) or []
    written = records.take_written(session)
    if written:
        if not waiting:  # rows of the record written with no action named: chained all the same
            waiting = [Pending(dict(at=utcnow(), user_id=None, office_id=None, file_id=None,
                                    action="records.written", detail="{}"), None)]
        last = waiting[-1].values
        last["detail"] = json.dumps(dict(json.loads(last["detail"]), records=written),
                                    ensure_ascii=False, sort_keys=True)
    if not waiting:
        return
    head: tuple[int, str] | None = session.execute(for_update(_HEAD, session)).first()
    if head is None:  # a database whose head row is gone: the chain starts at the genesis
        session.execute(insert(AuditChain.__table__).values(id=1, seq=0, hash=GENESIS))
        head = (0, GENESIS)
    seq, last = head
    rows = []
    for pending in waiting:
        seq += 1
        row = dict(pending.values, seq=seq, prev_hash=last)
        row["hash"] = last = event_hash(seq, row["at"], row["user_id"], row["office_id"],
                                        row["file_id"], row["action"], row["detail"], last)
        rows.append(row)
    session.execute(insert(AuditEvent.__table__), rows)
    session.execute(_MOVE_HEAD, {"head_seq": seq, "head_hash": last})


class Pending:
    """An event recorded and not yet chained, with the transaction it was recorded in."""

    __slots__ = ("values", "transaction")

    def __init__(self, values: dict[str, Any], transaction: SessionTransaction | None) -> None:
        self.values, self.transaction = values, transaction


def drop_ended(session: Session, transaction: SessionTransaction) -> None:
    """Events recorded in a transaction that ended without committing are never written (a
    committed one has had its events chained and written already)."""
    waiting = session.info.get(PENDING)
    if waiting:
        waiting[:] = [e for e in waiting if not _inside(e.transaction, transaction)]


def _inside(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


# Every session, whoever made it (web, CLI, scheduler, tests).
event.listen(Session, "before_commit", chain_pending)
event.listen(Session, "after_transaction_end", drop_ended)
