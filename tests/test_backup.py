"""'sanchika backup' copies a running Sanchika (a writer committing all the while) with its
documents; 'sanchika restore' brings the copy into a fresh database that passes 'verify'."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from conftest import fresh_database
from web.cli import main
from workflows.files import attachments, filing
from workflows import org
from workflows.db import make_engine
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
WRITER = """
import sys, time
from sqlalchemy.orm import Session
from workflows import audit
from workflows.db import make_engine
eng = make_engine(sys.argv[1])
end = time.monotonic() + float(sys.argv[2])
i = 0
while time.monotonic() < end:
    with Session(eng) as session, session.begin():
        audit.record(session, "test.busy", None, n=i)
    if i == 0:
        print("writing", flush=True)
    i += 1
eng.dispose()
print(i)
"""


def _cli(url, store, *args):
    env = {"SANCHIKA_DATABASE_URL": url, "SANCHIKA_ATTACHMENTS": str(store)}
    return CliRunner(env=env).invoke(main, list(args))


def _open_with_document(url, store):
    eng = make_engine(url)
    with Session(eng) as session, session.begin():
        manoj = org.user_by_login(session, "manoj.yadav")
        file = filing.open_file(session, office=org.office_by_code(session, "SADAR"), user=manoj,
                                route_key="land_mutation", subject="Mutation of plot 7")
        doc = attachments.attach(session, number=file.number, user=manoj, filename="deed.pdf",
                                 data=b"%PDF-1.4 sale deed of plot 7", store=store)
        number, sha = file.number, doc.sha256
    eng.dispose()
    return number, sha


@BOTH
def test_backup_while_writing_then_restore_into_a_fresh_database(demo_db, tmp_path,
                                                                  tmp_path_factory, request):
    store = tmp_path / "store"
    number, sha = _open_with_document(demo_db, store)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, demo_db, "4"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"
    made = _cli(demo_db, store, "backup", str(tmp_path / "bk"))
    written = int(writer.communicate(timeout=60)[0].split()[-1])
    assert made.exit_code == 0, made.output
    assert writer.returncode == 0 and written > 0
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["documents"] == 1 and manifest["counts"]["files"] >= 1
    kind = request.node.callspec.params["empty_db"]
    target, drop = fresh_database(kind, tmp_path_factory)
    try:
        restored_store = tmp_path / "restored-store"
        done = _cli(target, restored_store, "restore", str(tmp_path / "bk"))
        assert done.exit_code == 0, done.output
        assert "audit chain intact" in done.output
        eng = make_engine(target)
        with eng.connect() as conn:
            events = conn.execute(text("SELECT count(*) FROM audit_events")).scalar()
            files = conn.execute(text("SELECT number FROM files")).scalars().all()
            if kind == "postgresql":  # the planner's statistics are gathered, not left to chance
                unanalyzed = conn.execute(text(
                    "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NULL "
                    "AND relname IN ('files', 'tasks', 'movements')")).scalars().all()
                assert unanalyzed == []
        eng.dispose()
        # the copy is the instant of the snapshot: the writer's later events are not in it
        assert events == manifest["counts"]["audit_events"] and number in files
        busy = events - _count(demo_db) + written  # the writer's events inside the copy
        assert 0 < busy < written, (busy, written)
        assert attachments.blob_path(restored_store, sha).read_bytes() == b"%PDF-1.4 sale deed of plot 7"
        assert _cli(target, restored_store, "verify").exit_code == 0
        again = _cli(target, restored_store, "restore", str(tmp_path / "bk"))
        assert again.exit_code == 1 and "--force" in again.output
        forced = _cli(target, restored_store, "restore", "--force", str(tmp_path / "bk"))
        assert forced.exit_code == 0, forced.output
    finally:
        drop()


def _count(url):
    eng = make_engine(url)
    with eng.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM audit_events")).scalar()
    eng.dispose()
    return n


def test_a_folder_that_is_not_a_backup_is_refused(demo_db, tmp_path):
    result = _cli(demo_db, tmp_path / "s", "restore", str(tmp_path))
    assert result.exit_code == 1 and "not a Sanchika backup" in result.output
