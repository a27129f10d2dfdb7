"""``sanchika verify``'s second half: the record read again and held against the chain.

The chain's events carry the digests of the rows each transaction wrote (``models.records``).
The events are walked newest first, a page at a time: the first write met of a row is its last,
so that row is read again (a range of ids to a query) and digested; its older writes are
passed over, which a bit per row id remembers.  Memory stays small on a database of millions
of files.  A row whose digest differs was changed behind the application's back; a chained
row that is gone was deleted; a row whose id the walk never met was put in.  The documents
on disk are hashed and held against the sha256 their rows carry.  Every finding is named by
file number and kind.
"""

import hashlib
from array import array
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .. import audit
from ..models import AuditEvent, Draft, DraftApproval, DraftVersion, File, records
from ..models.records import KINDS, Kind, digest


@dataclass(frozen=True)
class Finding:
    """One row of the record that differs from what was chained."""

    kind: str
    row_id: int
    what: str
    file_number: str | None = None

    def __str__(self) -> str:
        where = f"file {self.file_number}: " if self.file_number else ""
        return f"{where}{self.kind} {self.row_id}: {self.what}"


EVENTS_PAGE = 2000  # events read at a time, newest first
ROWS_PAGE = 500  # rows read again in one query
TABLE_PAGE = 10000  # ids read at a time when looking for rows the chain never saw

_Found = tuple[str, int, str, int | None]  # kind, row id, what, file id
_Chained = dict[int, tuple[int | None, str, int]]  # row id: (file id, digest, seq)


def reread(session: Session, read_document: Callable[[str], bytes | None] | None = None,
           since: int = 0, progress: Callable[[str], object] | None = None) -> list[Finding]:
    """Every record row that differs from the chain, as Findings (file by file, kind by kind).

    ``read_document(sha256)`` gives a stored document's bytes (None when missing); ``since``
    (a seq) limits the comparison to rows last chained at or after it (rows the chain never
    saw are always named); ``progress(message)`` is told how far the reading has come."""
    report = _Progress(progress)
    seen = {name: _Seen() for name in KINDS}
    found: list[_Found] = []
    for due in _last_writes(session, seen, since, report):
        for name, chained in due.items():
            found += _compare(session, KINDS[name], chained, report)
    for kind in KINDS.values():
        found += [(kind.name, row_id, "not in the chain: written outside the application",
                   file_id) for row_id, file_id in _unchained(session, kind, seen[kind.name],
                                                              report)]
    if read_document is not None:
        found += _documents(session, read_document, report)
    return _with_file_numbers(session, found)


def _last_writes(session: Session, seen: dict[str, "_Seen"], since: int | None,
                 report: "_Progress") -> Iterator[dict[str, _Chained]]:
    """The chain's events newest first, a page at a time; for each page, {kind: {row id:
    (file id, digest, seq)}} of the rows whose last chained write is in it and at or after
    ``since`` (None: none, only ``seen`` is filled).  ``seen`` marks each row met, so that
    its older writes are passed over."""
    before = None
    while True:
        query = (select(AuditEvent.seq, AuditEvent.detail)
                 .where(AuditEvent.seq.is_not(None), AuditEvent.detail.contains('"records"'))
                 .order_by(AuditEvent.seq.desc()).limit(EVENTS_PAGE))
        if before is not None:
            query = query.where(AuditEvent.seq < before)
        events = session.execute(query).all()
        if not events:
            return
        due: dict[str, _Chained] = {}
        for seq, detail in events:
            assert seq is not None  # noqa: S101  (the query takes chained events only)
            for kind, row_id, file_id, value in json.loads(detail).get("records", ()):
                if seen[kind].add(row_id) and since is not None and seq >= since:
                    due.setdefault(kind, {})[row_id] = (file_id, value, seq)
        before = events[-1].seq
        report.tick("events", before)
        yield due


def _compare(session: Session, kind: Kind, chained: _Chained,
             report: "_Progress") -> list[_Found]:
    """The rows of ``chained`` ({row id: (file id, digest, seq)}) that differ from their
    digest or are gone, as (kind, row id, what, file id)."""
    model = kind.model
    found: list[_Found] = []
    columns = [model.id] + [getattr(model, c) for c in kind.read if c != "id"]
    for batch in _runs(sorted(chained)):
        rows = {row.id: row._mapping for row in session.execute(
            select(*columns).where(model.id >= batch[0], model.id <= batch[-1]))}
        for row_id in batch:
            file_id, value, seq = chained[row_id]
            values = rows.get(row_id)
            if values is None:
                found.append((kind.name, row_id, f"deleted (chained in event {seq})", file_id))
            elif digest(kind.name, values) != value:
                found.append((kind.name, row_id, f"changed since it was chained (event {seq})",
                              file_id))
        report.tick(kind.name + " rows", batch[-1])
    return found


def _runs(ids: Iterable[int]) -> Iterator[list[int]]:
    """Sorted ``ids`` in runs of at most ROWS_PAGE, each spanning at most twice that many
    ids, so that each run is read by one range of ids: the same statement every time."""
    run: list[int] = []
    for row_id in ids:
        if run and (len(run) == ROWS_PAGE or row_id - run[0] >= 2 * ROWS_PAGE):
            yield run
            run = []
        run.append(row_id)
    if run:
        yield run


def _unchained(session: Session, kind: Kind, seen: "_Seen",
               report: "_Progress") -> Iterator[tuple[int, int | None]]:
    """(row id, file id) of each ``kind`` row whose id ``seen`` does not hold, in id order,
    read a page of ids at a time."""
    model = kind.model
    file_column = getattr(model, kind.file_column) if kind.file_column else None
    columns = (model.id, file_column) if file_column is not None else (model.id,)
    after = 0
    while True:
        page = session.execute(select(*columns).where(model.id > after)
                               .order_by(model.id).limit(TABLE_PAGE)).all()
        if not page:
            return
        for row in page:
            if row[0] not in seen:
                yield row[0], (row[1] if file_column is not None else None)
        after = page[-1][0]
        report.tick(kind.name + " ids", after)


def _documents(session: Session, read_document: Callable[[str], bytes | None],
               report: "_Progress") -> list[_Found]:
    found: list[_Found] = []
    for kind, query in (("document", select(KINDS["document"].model.id,
                                            KINDS["document"].model.sha256,
                                            KINDS["document"].model.filename,
                                            KINDS["document"].model.file_id)),
                        ("receipt", select(KINDS["receipt"].model.id,
                                           KINDS["receipt"].model.document_sha256,
                                           KINDS["receipt"].model.document_filename,
                                           KINDS["receipt"].model.file_id)
                         .where(KINDS["receipt"].model.document_sha256.is_not(None)))):
        for row_id, sha, name, file_id in session.execute(query):
            data = read_document(sha)
            if data is None:
                found.append((kind, row_id, f"'{name}' is missing from the store", file_id))
            elif hashlib.sha256(data).hexdigest() != sha:
                found.append((kind, row_id, f"'{name}': its bytes on disk differ from the "
                              "sha256 recorded", file_id))
            report.tick("documents", row_id)
    return found


def _with_file_numbers(session: Session, found: list[_Found]) -> list[Finding]:
    """Findings of ``found`` ((kind, row id, what, file id)), each with the number of the
    file its row belongs to (a draft version's or approval's through its draft), in file
    order."""
    through_draft: dict[str, dict[int, int]] = {}
    for kind, model in (("draft version", DraftVersion), ("draft approval", DraftApproval)):
        rows = [row_id for k, row_id, _, file_id in found if k == kind and file_id is None]
        through_draft[kind] = dict(session.execute(
            select(model.id, Draft.file_id).join(Draft, Draft.id == model.draft_id)
            .where(model.id.in_(rows))).all()) if rows else {}
    ids = [file_id if file_id is not None else through_draft.get(kind, {}).get(row_id)
           for kind, row_id, _, file_id in found]
    numbers: dict[int | None, str] = dict(session.execute(
        select(File.id, File.number).where(File.id.in_({i for i in ids if i}))).all())
    named = [Finding(kind, row_id, what, numbers.get(file_id))
             for (kind, row_id, what, _), file_id in zip(found, ids, strict=True)]
    return sorted(named, key=lambda f: (f.file_number or "", f.kind, f.row_id))


class _Seen:
    """Row ids met, a bit per id: ten million rows take about a megabyte.  An id too large
    for a bit (a row no sequence of this database made) is kept in a set."""

    BITS = 1 << 32
    bits: bytearray
    large: set[int]

    def __init__(self) -> None:
        self.bits, self.large = bytearray(), set()

    def add(self, row_id: int) -> bool:
        """Mark ``row_id``; True if it was not marked before."""
        if not 0 <= row_id < self.BITS:
            new = row_id not in self.large
            self.large.add(row_id)
            return new
        byte, mask = row_id >> 3, 1 << (row_id & 7)
        if byte >= len(self.bits):
            self.bits.extend(bytes(max(byte + 1 - len(self.bits), len(self.bits))))
        if self.bits[byte] & mask:
            return False
        self.bits[byte] |= mask
        return True

    def __contains__(self, row_id: int) -> bool:
        if not 0 <= row_id < self.BITS:
            return row_id in self.large
        byte = row_id >> 3
        return byte < len(self.bits) and bool(self.bits[byte] & (1 << (row_id & 7)))


class _Progress:
    """Tells ``progress`` where the reading is, every few seconds."""

    def __init__(self, progress: Callable[[str], object] | None, every: float = 5.0) -> None:
        self.progress, self.every, self.last = progress, every, time.monotonic()

    def tick(self, what: str, at: object) -> None:
        if self.progress is not None and time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.progress(f"reading {what}: at {at}")


def adopt(sessions: sessionmaker[Session], batch: int = 1000) -> int:
    """Chain the rows of the record that the chain has never seen (a database from before
    the chain covered the record), ``batch`` rows to an event; how many were chained.  Run it
    once after the upgrade and before the database is exposed: whatever it finds, it trusts."""
    quiet = _Progress(None)
    with sessions() as session:
        seen = {name: _Seen() for name in KINDS}
        for _ in _last_writes(session, seen, None, quiet):
            pass
        unseen = {kind.name: array("q", (row_id for row_id, _ in
                                         _unchained(session, kind, seen[kind.name], quiet)))
                  for kind in KINDS.values()}
    for kind in KINDS.values():
        model, ids = kind.model, unseen[kind.name]
        extra = (kind.file_column,) if kind.file_column else ()
        columns = [getattr(model, c) for c in dict.fromkeys(("id",) + kind.read + extra)]
        for start in range(0, len(ids), batch):
            with sessions.begin() as session:
                rows = session.execute(select(*columns).where(
                    model.id.in_(ids[start:start + batch].tolist()))).all()
                for row in rows:
                    records.wrote(session, kind.name, row.id, row._mapping)
                audit.record(session, "records.adopted", rows=len(rows))
    return sum(len(ids) for ids in unseen.values())
