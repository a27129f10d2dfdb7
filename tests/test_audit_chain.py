"""The audit log is a hash chain: 'sanchika verify' finds the first event changed, removed or
inserted; the database and the ORM refuse to rewrite the record; appends from several
processes at once stay in one unbroken chain."""

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from web.cli import main
from workflows.files import attachments, filing
from workflows import audit, org
from workflows.db import schema
from workflows.db import make_engine
from workflows.models import Attachment, AuditEvent, File, Movement, Note
from workflows.models.audit import event_hash
from workflows.models.guards import ImmutableRow

ROOT = Path(__file__).resolve().parent.parent
BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)


def _walk_a_file(url, store=None):
    eng = make_engine(url)
    with Session(eng) as session, session.begin():
        office, manoj = org.office_by_code(session, "SADAR"), org.user_by_login(session, "manoj.yadav")
        file = filing.open_file(session, office=office, user=manoj, route_key="land_mutation",
                                subject="Mutation of plot 12", first_note="Put up.")
        number = file.number
        if store is not None:
            attachments.attach(session, number=number, user=manoj, filename="map.pdf",
                               data=b"%PDF-1.4 map of plot 12", store=store)
    with Session(eng) as session, session.begin():
        filing.act(session, number=number, user=org.user_by_login(session, "manoj.yadav"),
                   choice="Submit report")
    eng.dispose()
    return number


def _verify(url, *args, store=None):
    env = {"SANCHIKA_DATABASE_URL": url}
    if store is not None:
        env["SANCHIKA_ATTACHMENTS"] = str(store)
    return CliRunner(env=env).invoke(main, ["verify", *args])


def _tamper(url, *statements):
    """An intruder with the database's own rights: triggers off, then raw SQL."""
    eng = make_engine(url)
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        for sql in statements:
            conn.execute(text(sql) if isinstance(sql, str) else sql)
    eng.dispose()


def _events(url):
    eng = make_engine(url)
    with eng.connect() as conn:
        rows = conn.execute(select(AuditEvent.id, AuditEvent.seq, AuditEvent.hash)
                            .order_by(AuditEvent.seq)).all()
    eng.dispose()
    return rows


@BOTH
def test_an_untouched_chain_verifies(demo_db):
    _walk_a_file(demo_db)
    rows = _events(demo_db)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 3
    result = _verify(demo_db)
    assert result.exit_code == 0, result.output
    assert f"{len(rows)} events, last seq {len(rows)}, hash {rows[-1].hash}" in result.output


@BOTH
@pytest.mark.parametrize("attack, kind", [
    ("UPDATE audit_events SET detail = '{\"choice\": \"Approve\"}' WHERE seq = {k}", "changed"),
    ("DELETE FROM audit_events WHERE seq = {k}", "removed"),
    ("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= {k}", "changed"),
])
def test_verify_names_the_first_event_changed_or_removed(demo_db, attack, kind):
    _walk_a_file(demo_db)
    rows = _events(demo_db)
    k = len(rows) - 1
    _tamper(demo_db, attack.replace("{k}", str(k)))
    result = _verify(demo_db)
    assert result.exit_code == 1
    victim = rows[k - 1] if kind == "changed" else rows[k]  # the changed one, or the one after a gap
    assert f"event {victim.id} (seq " in result.stderr and f": {kind}: " in result.stderr


@BOTH
def test_verify_finds_inserted_events_and_a_cut_tail(demo_db):
    _walk_a_file(demo_db)
    rows = _events(demo_db)
    n = len(rows)
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    forged = audit.event_hash(n + 1, at, None, None, None, "forged", "{}", "f" * 64)
    _tamper(demo_db, AuditEvent.__table__.insert().values(
        at=at, action="forged", detail="{}", seq=n + 1, prev_hash="f" * 64, hash=forged))
    result = _verify(demo_db)
    assert result.exit_code == 1 and f"(seq {n + 1}): inserted: " in result.stderr
    _tamper(demo_db, f"DELETE FROM audit_events WHERE seq >= {n}")
    result = _verify(demo_db)
    assert result.exit_code == 1 and ": removed: the chain ends at event" in result.stderr
    _tamper(demo_db, "INSERT INTO audit_events (at, action, detail) "
                     "VALUES ('2026-01-01 00:00:00', 'slipped in', '{}')")
    assert "has no place in the chain" in _verify(demo_db).stderr


@BOTH
def test_a_chain_rebuilt_with_fresh_hashes_is_caught_by_an_anchor(demo_db):
    number = _walk_a_file(demo_db)
    rows = _events(demo_db)
    anchor = f"{rows[-1].seq}:{rows[-1].hash}"
    eng = make_engine(demo_db)  # rewrite the last event and recompute its hash and the head
    with Session(eng) as session:
        last = session.get(AuditEvent, rows[-1].id)
        detail = json.dumps(dict(json.loads(last.detail), choice="Approve"))  # digests kept
        forged = audit.event_hash(last.seq, last.at, last.user_id, last.office_id, last.file_id,
                                  last.action, detail, last.prev_hash)
    eng.dispose()
    _tamper(demo_db, f"UPDATE audit_events SET detail = '{detail}', "
                     f"hash = '{forged}' WHERE id = {rows[-1].id}",
            f"UPDATE audit_chain SET hash = '{forged}'")
    assert _verify(demo_db).exit_code == 0  # self-consistent ...
    result = _verify(demo_db, "--anchor", anchor)
    assert result.exit_code == 1 and "differs from the anchor" in result.stderr, number


@BOTH
def test_the_database_refuses_to_rewrite_the_record(demo_db, tmp_path):
    _walk_a_file(demo_db, store=tmp_path)
    eng = make_engine(demo_db)
    for sql in ("UPDATE movements SET remark = 'x'", "DELETE FROM movements",
                "UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events",
                "UPDATE audit_events SET seq = seq + 1000", "DELETE FROM notes",
                "DELETE FROM files", "DELETE FROM attachments"):
        with pytest.raises(DatabaseError, match="Sanchika keeps the record"), eng.begin() as conn:
            conn.execute(text(sql))
    if eng.dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="Sanchika keeps the record"):
            with eng.begin() as conn:
                conn.execute(text("TRUNCATE audit_events CASCADE"))
    eng.dispose()
    result = _verify(demo_db, store=tmp_path)
    assert result.exit_code == 0, result.stderr


@BOTH
def test_an_event_slipped_in_without_a_place_cannot_be_given_one(empty_db):
    eng = make_engine(empty_db)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO audit_events (at, action, detail) "
                          "VALUES ('2026-11-01 10:00:00', 'file.forged', '{}')"))
    with pytest.raises(DatabaseError, match="Sanchika keeps the record"), eng.begin() as conn:
        conn.execute(text("UPDATE audit_events SET seq = 1, prev_hash = 'x', hash = 'y' "
                          "WHERE seq IS NULL"))
    eng.dispose()
    result = _verify(empty_db)
    assert result.exit_code == 1 and "it has no place in the chain" in result.output


def test_the_orm_refuses_to_delete_files_notes_documents_and_events(session, sadar, people,
                                                                   tmp_path):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of plot 13", first_note="Put up.")
    document = attachments.attach(session, number=file.number, user=people.manoj,
                                  filename="map.pdf", data=b"%PDF-1.4 map", store=tmp_path)
    note = session.scalar(select(Note).where(Note.file_id == file.id))
    session.commit()  # audit events are written at commit
    event = session.scalar(select(AuditEvent).where(AuditEvent.file_id == file.id))
    for row in (file, note, document, event, session.scalar(select(Movement).limit(1))):
        with pytest.raises(ImmutableRow):
            with session.begin_nested():
                session.delete(row)
                session.flush()
    event = session.scalar(select(AuditEvent).where(AuditEvent.file_id == file.id))
    with pytest.raises(ImmutableRow, match="cannot be changed"):
        with session.begin_nested():
            event.action = "file.forged"
            session.flush()
    assert session.get(File, file.id) is not None and session.get(Attachment, document.id)


def test_events_of_work_undone_are_never_written(session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of plot 14")
    session.commit()
    with pytest.raises(RuntimeError):
        with session.begin_nested():
            audit.record(session, "test.in_a_savepoint_undone", people.manoj, file)
            raise RuntimeError("the step failed")
    audit.record(session, "test.in_a_transaction_undone", people.manoj, file)
    session.rollback()
    audit.record(session, "test.kept", people.manoj, file)
    session.commit()
    rows = session.execute(select(AuditEvent.action, AuditEvent.seq)
                           .where(AuditEvent.file_id == file.id).order_by(AuditEvent.seq)).all()
    assert [r.action for r in rows] == ["file.opened", "test.kept"]
    assert rows[1].seq == rows[0].seq + 1  # no gap where the undone events would have been


WRITER = """
import sys
from sqlalchemy.orm import Session
from workflows import audit
from workflows.db import make_engine
eng = make_engine(sys.argv[1])
for i in range(int(sys.argv[2])):
    with Session(eng) as session, session.begin():
        audit.record(session, "test.append", None, worker=sys.argv[3], n=i)
        if sys.argv[4] == "2":
            audit.record(session, "test.append.second", None, worker=sys.argv[3], n=i)
eng.dispose()
"""


@BOTH
@pytest.mark.parametrize("per_transaction", [1, 2])  # one event: PostgreSQL's one statement
def test_processes_appending_at_once_keep_one_unbroken_chain(demo_db, per_transaction):
    before = len(_events(demo_db))
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, demo_db, "40", str(w),
                               str(per_transaction)], cwd=ROOT)
             for w in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    assert len(_events(demo_db)) == before + 3 * 40 * per_transaction
    result = _verify(demo_db)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_events_written_before_the_chain_existed_are_chained_by_the_migration(
        kind, tmp_path_factory):
    from alembic import command
    from conftest import _pg_ok, fresh_database
    if kind == "postgresql" and not _pg_ok():
        pytest.skip("PostgreSQL is not reachable")
    url, drop = fresh_database(kind, tmp_path_factory)
    eng = make_engine(url)
    try:
        with eng.begin() as conn:
            command.upgrade(schema.alembic_config(connection=conn), "0004")
            for i in range(5):
                conn.execute(text("INSERT INTO audit_events (at, action, detail) "
                                  f"VALUES ('2026-0{i + 1}-01 10:00:00', 'old.{i}', '{{}}')"))
        schema.upgrade(eng)
        assert [r.seq for r in _events(url)] == [1, 2, 3, 4, 5]
        result = _verify(url)
        assert result.exit_code == 0 and "5 events" in result.output, result.output
    finally:
        eng.dispose()
        drop()


def test_an_events_hash_is_the_one_verify_computes_whatever_its_detail_holds(
        session, sadar, people):
    # Hindi, quotes and backslashes in the detail, and a value that is None.
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of plot 15")
    session.commit()
    audit.record(session, "test.detail", people.manoj, file,
                 remark='नामांतरण "खाता 5" \\ back\\slash', none=None)
    session.commit()
    row = session.execute(select(AuditEvent).where(AuditEvent.action == "test.detail")).scalar_one()
    assert row.hash == event_hash(row.seq, row.at, row.user_id, row.office_id, row.file_id,
                                  row.action, row.detail, row.prev_hash)
    assert "नामांतरण" in row.detail
