"""The audit chain: events written in the same transaction as the change they record, chained
by hashes at commit (``models.audit``), and checked by ``sanchika verify``."""

import json
from dataclasses import dataclass
from typing import Any, Protocol, Unpack

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..models import AuditEvent, User
from ..models.audit import GENESIS, PENDING, AuditChain, Pending, event_hash


class OnAFile(Protocol):
    """What an event reads of its file: a File, or a row of its columns."""

    @property
    def id(self) -> int: ...
    @property
    def office_id(self) -> int: ...


def record(session: Session, action: str, user: User | None = None,
           file: OnAFile | None = None, office_id: int | None = None,
           **detail: object) -> None:
    """Record an audit event for ``action`` by ``user`` on ``file`` (anything with ``id`` and
    ``office_id``); it is written, in its place in the chain, when the transaction commits,
    and dropped if the transaction (or the savepoint it was recorded in) does not."""
    values = dict(
        at=utcnow(),
        user_id=user.id if user is not None else None,
        file_id=file.id if file is not None else None,
        office_id=office_id if office_id is not None else (file.office_id if file else None),
        action=action,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
    )
    transaction = (session.get_nested_transaction() or session.get_transaction()
                   or session.begin())
    session.info.setdefault(PENDING, []).append(Pending(values, transaction))


@dataclass
class ChainBreak:
    """Where the chain of events is broken, and how."""

    kind: str          # changed | removed | inserted
    event_id: int | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "the chain"
        at = f" (seq {self.seq})" if self.seq is not None else ""
        return f"{where}{at}: {self.kind}: {self.message}"


@dataclass
class Verdict:
    events: int
    last_seq: int
    last_hash: str
    problem: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


_COLUMNS = (AuditEvent.id, AuditEvent.seq, AuditEvent.at, AuditEvent.user_id,
            AuditEvent.office_id, AuditEvent.file_id, AuditEvent.action, AuditEvent.detail,
            AuditEvent.prev_hash, AuditEvent.hash)


def verify(session: Session, anchor: tuple[int, str] | None = None,
           after: tuple[int, str] | None = None, until: int | None = None) -> Verdict:
    """Walk the audit chain in order and return a Verdict with the first broken link, if any.

    ``anchor`` (seq, hash), e.g. from a backup's manifest, must still be in the chain: it
    catches a chain rewritten from some event on with freshly computed hashes.  ``after``
    (seq, hash), a head already vouched for (a signed checkpoint), starts the walk there
    instead of at the genesis; ``until`` (a seq) ends it there, and then the chain's head is
    not compared with the last event walked.
    """
    seq, last = after or (0, GENESIS)
    count = 0
    walked = select(*_COLUMNS).where(AuditEvent.seq.is_not(None), AuditEvent.seq > seq)
    if until is not None:
        walked = walked.where(AuditEvent.seq <= until)
    rows = session.execute(walked.order_by(AuditEvent.seq).execution_options(yield_per=2000))
    try:
        for row in rows:
            count += 1
            problem = _check(row, seq, last)
            if problem is None and anchor and row.seq == anchor[0] and row.hash != anchor[1]:
                problem = ChainBreak("changed", row.id, row.seq, "its hash differs from the anchor "
                                  f"{anchor[1][:16]}...: the chain was rewritten up to here")
            if problem is not None:
                return Verdict(count, seq, last, problem)
            seq, last = row.seq, row.hash
    finally:
        rows.close()  # a server-side cursor on PostgreSQL
    if until is not None:
        return Verdict(count, seq, last)
    return Verdict(count, seq, last, _check_ends(session, seq, last, anchor))


def _check(row: Row[Unpack[tuple[Any, ...]]], seq: int, last: str) -> ChainBreak | None:
    if event_hash(row.seq, row.at, row.user_id, row.office_id, row.file_id, row.action,
                  row.detail, row.prev_hash) != row.hash:
        return ChainBreak("changed", row.id, row.seq,
                       "its content does not match its hash (the event was altered)")
    if row.seq != seq + 1:
        return ChainBreak("removed", row.id, row.seq,
                       f"events {seq + 1} to {row.seq - 1} of the chain are missing before it")
    if row.prev_hash != last:
        return ChainBreak("inserted", row.id, row.seq,
                       "it does not link to the event before it (an event was put in here, "
                       "or the one before was altered and its hash recomputed)")
    return None


def _check_ends(session: Session, seq: int, last: str,
                anchor: tuple[int, str] | None) -> ChainBreak | None:
    stray = session.execute(select(AuditEvent.id).where(AuditEvent.seq.is_(None))
                            .order_by(AuditEvent.id).limit(1)).scalar()
    if stray is not None:
        return ChainBreak("inserted", stray, None, "it has no place in the chain (written "
                       "outside Sanchika's transactions)")
    head = session.execute(select(AuditChain.seq, AuditChain.hash)
                           .where(AuditChain.id == 1)).first()
    if head is not None and head.seq > seq:
        return ChainBreak("removed", None, head.seq, f"the chain ends at event {head.seq} but "
                       f"the last event left is {seq}: events {seq + 1} to {head.seq} are missing")
    if head is not None and (head.seq, head.hash) != (seq, last):
        return ChainBreak("inserted", None, seq, "the last event does not match the chain head "
                       f"(head: event {head.seq} {head.hash[:16]}...)")
    if anchor and anchor[0] > seq:
        return ChainBreak("removed", None, anchor[0], f"the anchor's event {anchor[0]} is beyond "
                       f"the end of the chain ({seq})")
    return None


def chain_head(session: Session) -> tuple[int, str] | tuple[None, None]:
    """(seq, hash) of the last event in the chain."""
    head = session.execute(select(AuditChain.seq, AuditChain.hash)
                           .where(AuditChain.id == 1)).first()
    if head is None:
        count = session.scalar(select(func.count()).select_from(AuditEvent))
        return (0, GENESIS) if not count else (None, None)
    return head.seq, head.hash
