"""``sanchika verify``'s second half: the record read again and held against the chain.

The chain's events carry the digests of the rows each transaction wrote (``models.records``).
One walk of the events keeps, for every row, the last digest chained; then each recorded
table is read once, in order, and every row is digested again.  A row whose digest differs
was changed behind the application's back; a chained row that is gone was deleted; a row the
chain never saw was put in.  The documents on disk are hashed and held against the sha256
their rows carry.  Every finding is named by file number and kind.
"""

import hashlib
import json
import time
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..models import AuditEvent, Draft, DraftVersion, File, records
from ..models.records import KINDS, digest


@dataclass(frozen=True)
class Finding:
    """One row of the record that differs from what was chained."""

    kind: str
    row_id: int
    what: str
    file_number: str | None = None

    def __str__(self):
        where = f"file {self.file_number}: " if self.file_number else ""
        return f"{where}{self.kind} {self.row_id}: {self.what}"


def reread(session, read_document=None, since=0, progress=None):
    """Every record row that differs from the chain, as Findings (file by file, kind by kind).

    ``read_document(sha256)`` gives a stored document's bytes (None when missing); ``since``
    (a seq) limits the comparison to rows last chained at or after it (rows the chain never
    saw are always named); ``progress(message)`` is told how far the reading has come."""
    report = _Progress(progress)
    chained = _chained(session, report)
    findings, file_of_draft = [], {}
    for kind in KINDS.values():
        findings += _compare(session, kind, chained, since, file_of_draft, report)
    if read_document is not None:
        findings += _documents(session, read_document, report)
    return _with_file_numbers(session, findings, chained, file_of_draft)


def _chained(session, report):
    """{(kind, row id): (file id, digest, seq)} of the last event that wrote each row."""
    chained = {}
    rows = session.execute(select(AuditEvent.seq, AuditEvent.detail)
                           .where(AuditEvent.seq.is_not(None),
                                  AuditEvent.detail.contains('"records"'))
                           .order_by(AuditEvent.seq).execution_options(yield_per=2000))
    try:
        for seq, detail in rows:
            for kind, row_id, file_id, value in json.loads(detail).get("records", ()):
                chained[(kind, row_id)] = (file_id, value, seq)
            report.tick("events", seq)
    finally:
        rows.close()
    return chained


def _compare(session, kind, chained, since, file_of_draft, report):
    model = kind.model
    extra = (kind.file_column,) if kind.file_column and kind.file_column != "id" else ()
    columns = [getattr(model, c) for c in dict.fromkeys(("id",) + kind.columns + extra)]
    rows = session.execute(select(*columns).order_by(model.id)
                           .execution_options(yield_per=2000))
    found, seen = [], set()
    try:
        for row in rows:
            values = row._mapping
            seen.add(row.id)
            if model is Draft:
                file_of_draft[row.id] = row.file_id
            known = chained.get((kind.name, row.id))
            if known is None:
                found.append(Finding(kind.name, row.id, "not in the chain: written outside "
                                     "the application"))
            elif known[2] >= since and digest(kind.name, values) != known[1]:
                found.append(Finding(kind.name, row.id, "changed since it was chained "
                                     f"(event {known[2]})"))
            report.tick(kind.name + " rows", row.id)
    finally:
        rows.close()
    for (name, row_id), (_, _, seq) in chained.items():
        if name == kind.name and row_id not in seen and seq >= since:
            found.append(Finding(kind.name, row_id, f"deleted (chained in event {seq})"))
    return found


def _documents(session, read_document, report):
    found = []
    for kind, query in (("document", select(KINDS["document"].model.id,
                                            KINDS["document"].model.sha256,
                                            KINDS["document"].model.filename)),
                        ("receipt", select(KINDS["receipt"].model.id,
                                           KINDS["receipt"].model.document_sha256,
                                           KINDS["receipt"].model.document_filename)
                         .where(KINDS["receipt"].model.document_sha256.is_not(None)))):
        for row_id, sha, name in session.execute(query):
            data = read_document(sha)
            if data is None:
                found.append(Finding(kind, row_id, f"'{name}' is missing from the store"))
            elif hashlib.sha256(data).hexdigest() != sha:
                found.append(Finding(kind, row_id, f"'{name}': its bytes on disk differ from "
                                     "the sha256 recorded"))
            report.tick("documents", row_id)
    return found


def _with_file_numbers(session, findings, chained, file_of_draft):
    """The findings with the number of the file each row belongs to, in file order."""
    def file_id(f):
        known = chained.get((f.kind, f.row_id))
        if f.kind == "file":
            return f.row_id
        if known is not None and known[0] is not None:
            return known[0]
        if f.kind == "draft version":
            return file_of_draft.get(session.scalar(select(DraftVersion.draft_id)
                                                    .where(DraftVersion.id == f.row_id)))
        return _row_file(session, f)
    ids = {f: file_id(f) for f in findings}
    numbers = dict(session.execute(select(File.id, File.number)
                                   .where(File.id.in_({i for i in ids.values() if i}))).all())
    named = [Finding(f.kind, f.row_id, f.what, numbers.get(ids[f])) for f in findings]
    return sorted(named, key=lambda f: (f.file_number or "", f.kind, f.row_id))


def _row_file(session, finding):
    kind = KINDS[finding.kind]
    if kind.file_column is None or kind.file_column == "id":
        return None
    return session.scalar(select(getattr(kind.model, kind.file_column))
                          .where(kind.model.id == finding.row_id))


class _Progress:
    """Tells ``progress`` where the reading is, every few seconds."""

    def __init__(self, progress, every=5.0):
        self.progress, self.every, self.last = progress, every, time.monotonic()

    def tick(self, what, at):
        if self.progress is not None and time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.progress(f"reading {what}: at {at}")


def adopt(sessions, batch=1000):
    """Chain the rows of the record that the chain has never seen (a database from before
    the chain covered the record), ``batch`` rows to an event; how many were chained.  Run it
    once after the upgrade and before the database is exposed: whatever it finds, it trusts."""
    with sessions() as session:
        chained = _chained(session, _Progress(None))
        unseen = []
        for kind in KINDS.values():
            extra = (kind.file_column,) if kind.file_column and kind.file_column != "id" else ()
            columns = [getattr(kind.model, c) for c in dict.fromkeys(("id",) + kind.columns
                                                                     + extra)]
            unseen += [(kind.name, dict(row._mapping)) for row in session.execute(
                select(*columns).order_by(kind.model.id)) if (kind.name, row.id) not in chained]
    for start in range(0, len(unseen), batch):
        with sessions.begin() as session:
            for name, values in unseen[start:start + batch]:
                records.wrote(session, name, values["id"], values)
            audit.record(session, "records.adopted", rows=len(unseen[start:start + batch]))
    return len(unseen)
