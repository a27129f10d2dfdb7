"""'sanchika verify' reads the record again: a note, a movement, a task's holder, a document's
bytes, a draft, a file's subject or creator, a post made administrator, changed, deleted or
put in behind the application's back, is named by file number and kind, on both databases."""

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from web.cli import main
from workflows import org
from workflows.db import make_engine
from workflows.audit import rereading
from workflows.files import attachments, drafts, filing, notes

BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
MAP = b"%PDF-1.4 map of plot 12"


def _a_day(url, store):
    """A file opened, noted, with a document and an order issued, sent on."""
    eng = make_engine(url)
    with Session(eng) as session, session.begin():
        office, manoj = org.office_by_code(session, "SADAR"), org.user_by_login(session,
                                                                              "manoj.yadav")
        number = filing.open_file(session, office=office, user=manoj, route_key="land_mutation",
                                  subject="Mutation of plot 12", first_note="Put up.").number
        notes.add_note(session, number=number, user=manoj, body="Enquiry done on the spot.")
        attachments.attach(session, number=number, user=manoj, filename="map.pdf", data=MAP,
                           store=store)
        draft = drafts.create_draft(session, number=number, user=manoj, kind="Order",
                                    title="Mutation order", body="Mutation allowed.")
        drafts.revise_draft(session, draft_id=draft.id, user=manoj, body="Mutation allowed. Sd/-")
        draft_id = draft.id
    with Session(eng) as session, session.begin():
        filing.act(session, number=number, user=org.user_by_login(session, "manoj.yadav"),
                   choice="Submit report", remark="Report enclosed.")
        filing.act(session, number=number, user=org.user_by_login(session, "rajesh.prasad"),
                   choice="Forward")
    with Session(eng) as session, session.begin():  # the head, competent for orders
        sunita = org.user_by_login(session, "sunita.kumari")
        drafts.approve_draft(session, draft_id=draft_id, version=2, user=sunita)
        drafts.issue_draft(session, draft_id=draft_id, user=sunita)
    eng.dispose()
    return number


def _verify(url, store):
    env = {"SANCHIKA_DATABASE_URL": url, "SANCHIKA_ATTACHMENTS": str(store)}
    return CliRunner(env=env).invoke(main, ["verify"])


def _behind_the_back(url, *statements):
    """An intruder who holds the database: the guard triggers off, then plain SQL."""
    eng = make_engine(url)
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for (name,) in conn.execute(text("SELECT name FROM sqlite_master "
                                             "WHERE type = 'trigger'")).all():
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        for sql in statements:
            conn.execute(text(sql))
    eng.dispose()


@BOTH
def test_a_day_of_the_office_verifies_clean(demo_db, tmp_path):
    _a_day(demo_db, tmp_path)
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 0, result.output + result.stderr
    assert "record intact" in result.output


CHANGES = {
    "a frozen note's text": (
        "UPDATE notes SET body = 'Nothing found.' WHERE body = 'Enquiry done on the spot.'",
        "note"),
    "a movement's remark": (
        "UPDATE movements SET remark = 'All well.' WHERE remark = 'Report enclosed.'",
        "movement"),
    "a movement's actor": (
        "UPDATE movements SET from_user_id = from_user_id + 1 WHERE kind = 'act'", "movement"),
    "a movement's post": (
        "UPDATE movements SET from_post_id = to_post_id WHERE kind = 'act'", "movement"),
    "a movement's choice": (
        "UPDATE movements SET choice = 'Reject' WHERE choice = 'Submit report'", "movement"),
    "a movement deleted": (
        "DELETE FROM movements WHERE remark = 'Report enclosed.'", "movement"),
    "a movement put in": (
        "INSERT INTO movements (file_id, kind, step_name, choice, remark, at) "
        "SELECT file_id, 'act', step_name, 'Approve', '', at FROM movements "
        "WHERE remark = 'Report enclosed.'", "movement"),
    "a draft's text": (
        "UPDATE draft_versions SET body = 'Mutation refused.' WHERE number = 2", "draft version"),
    "an issued order": ("UPDATE drafts SET issue_number = 'X/1' WHERE status = 'issued'",
                        "draft"),
    "who approved a draft": (
        "UPDATE draft_approvals SET approved_by_post_id = (SELECT MIN(id) FROM posts)",
        "draft approval"),
    "a file's subject": ("UPDATE files SET subject = 'Something else' "
                         "WHERE subject = 'Mutation of plot 12'", "file"),
    "a file's creator": ("UPDATE files SET created_by_id = created_by_id + 1 "
                         "WHERE subject = 'Mutation of plot 12'", "file"),
    "who holds a task": ("UPDATE tasks SET post_id = (SELECT MIN(id) FROM posts) "
                         "WHERE done_at IS NULL AND file_id = (SELECT id FROM files "
                         "WHERE subject = 'Mutation of plot 12')", "task"),
}


@BOTH
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_behind_the_back_is_named_by_file_and_kind(demo_db, tmp_path, change):
    number = _a_day(demo_db, tmp_path)
    sql, kind = CHANGES[change]
    _behind_the_back(demo_db, sql)
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1, result.output
    assert f"record differs: file {number}: {kind} " in result.stderr, result.stderr


@BOTH
def test_rows_from_before_the_record_was_chained_are_chained_once(demo_db, tmp_path):
    """A database upgraded from a release whose chain did not cover the record: its rows are
    named as outside the chain until `sanchika chain-record` chains them."""
    number = _a_day(demo_db, tmp_path)
    _behind_the_back(demo_db, CHANGES["a movement put in"][0])  # as an older release wrote it
    assert f"file {number}: movement " in _verify(demo_db, tmp_path).stderr
    env = {"SANCHIKA_DATABASE_URL": demo_db}
    done = CliRunner(env=env).invoke(main, ["chain-record"])
    assert done.exit_code == 0 and "1 row(s) of the record chained" in done.output, done.output
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 0, result.stderr


@BOTH
def test_a_documents_bytes_changed_on_disk_are_named(demo_db, tmp_path):
    number = _a_day(demo_db, tmp_path)
    [blob] = [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() == MAP]
    blob.write_bytes(MAP.replace(b"12", b"21"))
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1
    assert f"file {number}: document" in result.stderr and "bytes on disk differ" in result.stderr


@BOTH
def test_a_post_made_administrator_and_every_finding_are_named_in_one_pass(demo_db, tmp_path):
    number = _a_day(demo_db, tmp_path)
    _behind_the_back(demo_db, "UPDATE posts SET is_admin = true WHERE code = 'RK-1'",
                     "UPDATE notes SET body = 'x' WHERE body = 'Put up.'",
                     "DELETE FROM movements WHERE remark = 'Report enclosed.'")
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1
    found = [line for line in result.stderr.splitlines() if line.startswith("record differs")]
    assert len(found) == 3, result.stderr
    assert any(line.startswith("record differs: post ") for line in found)
    assert sum(f"file {number}: " in line for line in found) == 2


@pytest.mark.parametrize("empty_db", ["sqlite"], indirect=True)
def test_the_reading_in_pages_of_one_finds_the_same(demo_db, tmp_path, monkeypatch):
    """Events, rows and ids are read a page at a time (newest event first, so a row's older
    writes are passed over); pages of one row find exactly what the defaults find."""
    number = _a_day(demo_db, tmp_path)
    _behind_the_back(demo_db, CHANGES["a draft's text"][0], CHANGES["a movement put in"][0],
                     "UPDATE notes SET body = 'x' WHERE body = 'Put up.'",
                     "DELETE FROM movements WHERE remark = 'Report enclosed.'")
    default = _verify(demo_db, tmp_path).stderr
    for name in ("EVENTS_PAGE", "ROWS_PAGE", "TABLE_PAGE"):
        monkeypatch.setattr(rereading, name, 1)
    assert _verify(demo_db, tmp_path).stderr == default
    assert default.count(f"record differs: file {number}: ") == 4, default


def test_row_ids_met_are_remembered_however_large():
    seen = rereading._Seen()
    for row_id in (1, 9, 2**31, 2**40, -5):
        assert seen.add(row_id) and row_id in seen and not seen.add(row_id)
    assert 2 not in seen and 2**41 not in seen and 10**9 not in seen
