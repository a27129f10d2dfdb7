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

from sqlalchemy import (ForeignKey, Integer, String, Text, bindparam, event, exists, func,
                        insert, literal, select, union_all, update)
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, UTCDateTime, utcnow
from ..plain import Plain

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


def event_hash(seq, at, user_id, office_id, file_id, action, detail, prev_hash):
    """The sha256 (hex) of an event's fields and the previous event's hash, canonically listed."""
    body = json.dumps([CHAIN_VERSION, seq, _moment(at), user_id, office_id, file_id, action,
                       detail, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def hashed_around(at, user_id, office_id, file_id, action, detail):
    """The text ``event_hash`` hashes, as what comes before the event's seq and what comes
    between its seq and the previous hash: ``before + str(seq) + between + prev_hash + '"]'``
    is that text, so that PostgreSQL can hash an event once it has taken its place."""
    fields = json.dumps([_moment(at), user_id, office_id, file_id, action, detail],
                        ensure_ascii=False, separators=(",", ":"))
    return f"[{CHAIN_VERSION},", f",{fields[1:-1]},\""


def _moment(at):
    """An event's time as it is hashed."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_pending(session):
    """Give the events written in this transaction their places in the chain and write them
    (before commit).  Everything else the transaction writes is flushed first, so the chain
    head is the last lock taken.

    On PostgreSQL a lone event (every official's action has one) is chained by the server in
    one statement, deferred (``Plain.defer``), so that when the transaction itself commits it
    goes in the round trip of the COMMIT."""
    waiting = session.info.pop(PENDING, None)
    if not waiting:
        return
    session.flush()
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql and len(waiting) == 1:
        params = _one_event(waiting[0].values)
        _CHAIN_ONE.write_soon(connection, params)
        return
    head = (_HEAD_LOCKED if postgresql else _HEAD).first(connection, {})
    if head is None:  # a database made without the migrations (they create the head)
        session.execute(AuditChain.__table__.insert().values(id=1, seq=0, hash=GENESIS))
        head = (0, GENESIS)
    seq, last = head
    rows = []
    for pending in waiting:
        seq += 1
        row = dict(pending.values, seq=seq, prev_hash=last)
        row["hash"] = last = event_hash(seq, row["at"], row["user_id"], row["office_id"],
                                        row["file_id"], row["action"], row["detail"], last)
        rows.append(row)
    head = {"head_seq": seq, "head_hash": last}
    if len(rows) == 1:
        _APPEND.rowcount(connection, {f"event_{k}": v for k, v in rows[0].items()})
    else:
        session.execute(insert(AuditEvent.__table__), rows)
    _MOVE_HEAD.rowcount(connection, head)


def _one_event(values):
    """The parameters of the one-statement chaining of one event (``_append_one``)."""
    before, between = hashed_around(values["at"], values["user_id"], values["office_id"],
                                    values["file_id"], values["action"], values["detail"])
    return {f"event_{k}": v for k, v in values.items()} | {"chain_before": before,
                                                            "chain_between": between}


def _statements():
    """Reading the chain head (locked on PostgreSQL), appending one event, moving the head,
    and (PostgreSQL) all three for one event in one statement, the event hashed by the server
    (see ``hashed_around``); built once, run on the driver (``plain``), their parameters named
    apart from the columns."""
    events, chain = AuditEvent.__table__, AuditChain.__table__
    head = select(chain.c.seq, chain.c.hash).where(chain.c.id == 1)
    move_head = (update(chain).where(chain.c.id == 1)
                 .values(seq=bindparam("head_seq"), hash=bindparam("head_hash")))
    columns = ("at", "user_id", "office_id", "file_id", "action", "detail", "seq", "prev_hash",
               "hash")
    append = insert(events).values({c: bindparam(f"event_{c}") for c in columns})
    return tuple(Plain(statement) for statement in (
        head, head.with_for_update(), append, move_head, _append_one(events, chain)))


def _append_one(events, chain):
    """PostgreSQL: lock the head (the genesis when the chain has none yet), append the event
    after it, hashed, and move the head to it (making the head row when there was none), so
    that the statement always chains its event or fails."""
    locked = (select(chain.c.seq, chain.c.hash).where(chain.c.id == 1).with_for_update()
              .cte("locked"))
    head = union_all(select(locked.c.seq, locked.c.hash),
                     select(literal(0, Integer), literal(GENESIS, String(64)))
                     .where(~exists(select(locked.c.seq)))).cte("head")
    seq = head.c.seq + 1
    text = func.concat(bindparam("chain_before", type_=Text), seq,
                       bindparam("chain_between", type_=Text), head.c.hash, literal('"]'))
    given = {"at": UTCDateTime(), "user_id": Integer(), "office_id": Integer(),
             "file_id": Integer(), "action": String(64), "detail": Text()}
    appended = (insert(events).from_select(
        [*given, "seq", "prev_hash", "hash"],
        select(*(bindparam(f"event_{c}", type_=t) for c, t in given.items()), seq,
               head.c.hash, func.encode(func.sha256(func.convert_to(text, "UTF8")), "hex")))
        .returning(events.c.seq, events.c.hash).cte("appended"))
    moved = upsert(chain).from_select(
        ["id", "seq", "hash"], select(literal(1, Integer), appended.c.seq, appended.c.hash))
    return (moved.on_conflict_do_update(index_elements=[chain.c.id],
                                        set_={"seq": moved.excluded.seq,
                                              "hash": moved.excluded.hash})
            .returning(chain.c.seq).add_cte(locked, head, appended))


_HEAD, _HEAD_LOCKED, _APPEND, _MOVE_HEAD, _CHAIN_ONE = _statements()


class Pending:
    """An event recorded and not yet chained, with the transaction it was recorded in."""

    __slots__ = ("values", "transaction")

    def __init__(self, values, transaction):
        self.values, self.transaction = values, transaction


def drop_ended(session, transaction):
    """Events recorded in a transaction that ended without committing are never written (a
    committed one has had its events chained and written already)."""
    waiting = session.info.get(PENDING)
    if waiting:
        waiting[:] = [e for e in waiting if not _inside(e.transaction, transaction)]


def _inside(transaction, ended):
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


# Every session, whoever made it (web, CLI, scheduler, tests).
event.listen(Session, "before_commit", chain_pending)
event.listen(Session, "after_transaction_end", drop_ended)
