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

from sqlalchemy import ForeignKey, Integer, String, Text, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, UTCDateTime, utcnow

GENESIS = "0" * 64
CHAIN_VERSION = 1
PENDING = "sanchika.audit_pending"


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"), index=True)
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


def event_hash(seq, at, user_id, office_id, file_id, action, detail, prev_hash):
    """The sha256 (hex) of an event's fields and the previous event's hash, canonically listed."""
    moment = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = json.dumps([CHAIN_VERSION, seq, moment, user_id, office_id, file_id, action, detail,
                       prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def hash_of(e, prev_hash):
    return event_hash(e.seq, e.at, e.user_id, e.office_id, e.file_id, e.action, e.detail,
                      prev_hash)


def chain_pending(session):
    """Give the events written in this transaction their places in the chain (before commit)."""
    waiting = session.info.pop(PENDING, [])
    waiting += [o for o in session.new if isinstance(o, AuditEvent) and o not in waiting]
    waiting = [e for e in waiting if e.seq is None and _alive(e)]
    if not waiting:
        return
    table = AuditChain.__table__
    lock = select(table.c.seq, table.c.hash).where(table.c.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        lock = lock.with_for_update()
    head = session.execute(lock).first()
    if head is None:  # a database made without the migrations (they create the head)
        session.execute(table.insert().values(id=1, seq=0, hash=GENESIS))
        head = (0, GENESIS)
    seq, last = head
    for e in waiting:
        e.at, e.detail = e.at or utcnow(), e.detail or "{}"
        seq += 1
        e.seq, e.prev_hash = seq, last
        e.hash = last = hash_of(e, e.prev_hash)
    session.execute(update(table).where(table.c.id == 1).values(seq=seq, hash=last))


def _alive(obj):
    state = inspect(obj)
    return state.pending or state.persistent


# Every session, whoever made it (web, CLI, scheduler, tests): events written in a transaction
# that is rolled back are dropped from the list as dead objects at the next commit.
event.listen(Session, "before_commit", chain_pending)
