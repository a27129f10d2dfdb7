"""The note sheet of a file in parts: each paragraph remembers the part it was written on, and
the sheet (the file page, its PDF) shows a part's paragraphs under its step and post, every
paragraph keeping its number on the file; 'sanchika verify' still reads every note.  A
consultation of three sections at the DDMO; SQLite and PostgreSQL."""

import hashlib
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import engine
import pytest
from pypdf import PdfReader
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from workflows import clock, org
from workflows.db import make_engine
from workflows.errors import FileMoved, NotAllowed
from workflows.files import filing, notes, notesheet
from workflows.models import Note, Post, PostHolding, Task, records

from test_parts_filing import consultation
from test_record_verify import _behind_the_back, _verify
from webtools import make_app, post, sign_in, text as page_text

RELIEF, ACCOUNTS, GENERAL = ("Comments of the Relief section", "Comments of the Accounts section",
                             "Comments of the General section")
PAPERS = "Supply papers to Accounts"
BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)


def note(session, file, user, body, **kw):
    return notes.add_note(session, number=file.number, user=user, body=body, **kw).number


def a_consultation(session, ddmo, people):
    """The sections comment, Accounts asking for papers once the others have answered, and
    the head decides: paragraphs 1 (put up) and 8 (the decision) on the file in one piece."""
    file = filing.open_file(session, office=ddmo, user=people.ramesh,
                            route_key="sections_consultation", subject="Ex-gratia rates",
                            first_note="Put up for the comments of the sections.")
    filing.act(session, number=file.number, user=people.ramesh, choice="Send for comments")
    note(session, file, people.priya, "Relief has no objection.")
    note(session, file, people.kavita, "Accounts will see the budget head.")
    note(session, file, people.suresh, "General agrees.")
    note(session, file, people.priya, "Relief adds: the rates match the state's.")
    for user in (people.priya, people.suresh):
        filing.act(session, number=file.number, user=user, choice="Send comments")
    filing.act(session, number=file.number, user=people.kavita, choice="Ask for papers")
    note(session, file, people.ramesh, "Sanction orders of 2024 placed below.")  # alone, a part
    filing.act(session, number=file.number, user=people.ramesh, choice="Papers supplied")
    note(session, file, people.kavita, "Funds are available under head 2245 of the budget.")
    filing.act(session, number=file.number, user=people.kavita, choice="Send comments")
    note(session, file, people.anil, "Approved as proposed.")
    return file


def test_the_route_says_which_steps_lie_in_a_part():
    shipped = Path(__file__).resolve().parent.parent / "bpmn"
    parts = engine.parse_route((shipped / "sections_consultation.bpmn").read_bytes()).part_steps
    assert parts == {"Task_ReliefComments", "Task_AccountsComments", "Task_SupplyPapers",
                     "Task_GeneralComments"}  # not the step before the split, nor after the join
    assert engine.parse_route((shipped / "land_mutation.bpmn").read_bytes()).part_steps == set()


def sheet(session, file):
    return [((b.part.step_name, b.part.post.code) if b.part else None,
             [n.number for n in b.paragraphs]) for b in notesheet.note_sheet(session, file)]


SHEET = [(None, [1]), ((RELIEF, "SO-REL"), [2, 5]), ((ACCOUNTS, "AO"), [3, 7]),
         ((GENERAL, "HC-GEN"), [4]), ((PAPERS, "DA-REL"), [6]), (None, [8])]


def test_each_sections_paragraphs_land_under_its_part_with_their_numbers(session, ddmo, people):
    file = a_consultation(session, ddmo, people)
    assert sheet(session, file) == SHEET
    on = {n.number: session.get(Task, n.task_id) for n in notes.notes_of(session, file)}
    assert [on[n].step_name for n in (1, 2, 6, 8)] == [
        "Put up for consultation", RELIEF, PAPERS, "Consider the comments and decide"]
    assert on[3] is not on[7] and on[3].step_name == on[7].step_name == ACCOUNTS


def test_a_file_consulted_again_has_its_parts_anew(session, ddmo, people):
    file = consultation(session, ddmo, people)
    note(session, file, people.priya, "First round: no objection.")
    for user in (people.priya, people.kavita, people.suresh):
        filing.act(session, number=file.number, user=user, choice="Send comments")
    filing.act(session, number=file.number, user=people.anil, choice="Consult again")
    filing.act(session, number=file.number, user=people.ramesh, choice="Send for comments")
    note(session, file, people.priya, "Second round: the revised rates are fine.")
    assert sheet(session, file) == [((RELIEF, "SO-REL"), [1]), ((RELIEF, "SO-REL"), [2])]


def test_a_file_never_in_parts_is_one_sequence(session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 5", first_note="Petition received.")
    note(session, file, people.manoj, "Enquiry done.")
    assert sheet(session, file) == [(None, [1, 2])]


@pytest.fixture
def two_parts(session, ddmo, people):
    """Ramesh, the dealing assistant, also in charge of the Relief and Accounts sections'
    posts: he holds two parts of the file."""
    for code in ("SO-REL", "AO"):
        held = session.scalar(select(Post).where(Post.office_id == ddmo.id, Post.code == code))
        session.add(PostHolding(post_id=held.id, user_id=people.ramesh.id, kind="charge",
                                from_date=clock.today() - timedelta(days=1)))
    session.flush()
    file = consultation(session, ddmo, people)
    return file, {t.step_name: t for t in filing.open_tasks(session, file)}


def test_an_official_holding_two_parts_names_the_one_he_writes_on(session, people, two_parts):
    file, parts = two_parts
    note(session, file, people.ramesh, "On the first part he holds.")
    note(session, file, people.ramesh, "For Accounts.", task_id=str(parts[ACCOUNTS].id))
    assert sheet(session, file) == [((RELIEF, "SO-REL"), [1]), ((ACCOUNTS, "AO"), [2])]
    with pytest.raises(NotAllowed, match="is with Head Clerk, General, not with you"):
        note(session, file, people.ramesh, "Not his.", task_id=parts[GENERAL].id)
    filing.act(session, number=file.number, user=people.ramesh, choice="Send comments",
               task_id=parts[RELIEF].id)
    with pytest.raises(FileMoved):  # a page that still showed the part he has sent on
        note(session, file, people.ramesh, "Too late.", task_id=parts[RELIEF].id)


# -- the file page and its PDF ---------------------------------------------------------------

def titles(session, *codes):
    return [session.scalar(select(Post.title).where(Post.code == c)) for c in codes]


def test_the_file_page_shows_each_part_under_its_step_and_post(session, ddmo, people, tmp_path):
    file = a_consultation(session, ddmo, people)
    note(session, file, people.anil, "<b>Issue</b> the order & inform.")
    session.flush()
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "anil.sinha")
    reply = client.get(f"/files/{file.id}")
    page = page_text(reply)
    relief, accounts, general, dealing = titles(session, "SO-REL", "AO", "HC-GEN", "DA-REL")
    headings = [f"Part: {RELIEF} · {relief}", f"Part: {ACCOUNTS} · {accounts}",
                f"Part: {GENERAL} · {general}", f"Part: {PAPERS} · {dealing}"]
    at = [page.index(h) for h in headings]
    assert at == sorted(at)
    sheet_text = page[page.index("Note sheet"):page.index("Correspondence")]
    numbers = [int(word[:-1]) for word in sheet_text.split() if word[:-1].isdigit()
               and word.endswith(".")]
    assert numbers[:9] == [1, 2, 5, 3, 7, 4, 6, 8, 9]  # file-wide numbers, under their parts
    assert "Relief has no objection." in page.split(headings[0])[1].split(headings[1])[0]
    body = reply.get_data(as_text=True)
    assert "&lt;b&gt;Issue&lt;/b&gt; the order &amp; inform." in body and "<b>Issue" not in body
    post(client, "/language", {"language": "hi", "next": "/"})
    hindi = page_text(client.get(f"/files/{file.id}"))
    assert "भाग: राहत प्रशाखा का मंतव्य · प्रशाखा पदाधिकारी, राहत" in hindi  # the step in Hindi


def test_a_file_never_in_parts_shows_no_part(session, sadar, people, tmp_path):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 6", first_note="Petition received.")
    session.flush()
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "manoj.yadav")
    body = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert "Petition received." in body and 'class="part"' not in body
    # the act form, the put-up form and the note form, one each
    assert body.count('name="task_id"') == 3


def test_a_note_added_on_the_page_goes_on_the_part_its_form_names(session, people, two_parts,
                                                                  tmp_path):
    file, parts = two_parts
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "ramesh.singh")
    page = page_text(client.get(f"/files/{file.id}"))
    assert f"Add a note paragraph on {RELIEF}" in page
    assert f"Add a note paragraph on {ACCOUNTS}" in page
    reply = post(client, f"/files/{file.id}/notes",
                 {"note": "Papers are complete.", "task_id": str(parts[ACCOUNTS].id)})
    assert reply.status_code == 302
    [added] = notes.notes_of(session, file)
    assert added.task_id == parts[ACCOUNTS].id and added.author_post.code == "AO"


def test_the_pdf_shows_each_part_under_its_step_and_post(session, ddmo, people, tmp_path):
    file = a_consultation(session, ddmo, people)
    session.flush()
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "anil.sinha")
    reply = client.get(f"/reports/file/{file.id}.pdf")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    whole = " ".join(" ".join(page.extract_text().split())
                     for page in PdfReader(io.BytesIO(reply.data)).pages)
    relief, accounts, general, dealing = titles(session, "SO-REL", "AO", "HC-GEN", "DA-REL")
    order = ["1. Put up for the comments", f"{RELIEF} · {relief}", "2. Relief has no",
             "5. Relief adds", f"{ACCOUNTS} · {accounts}", "3. Accounts will", "7. Funds are",
             f"{GENERAL} · {general}", "4. General agrees", f"{PAPERS} · {dealing}",
             "6. Sanction orders", "8. Approved as proposed."]
    at = [whole.index(piece) for piece in order]
    assert at == sorted(at)
    assert whole.count("Part / ") == 4


# -- the record ------------------------------------------------------------------------------

def _a_consultation_day(url):
    """The consultation, each official's action in its own transaction, as in an office: a
    paragraph (ending with a full stop) or a choice, by login."""
    eng = make_engine(url)
    with Session(eng) as session, session.begin():
        number = filing.open_file(session, office=org.office_by_code(session, "DDMO"),
                                  user=org.user_by_login(session, "ramesh.singh"),
                                  route_key="sections_consultation", subject="Ex-gratia rates",
                                  first_note="Put up.").number
    for login, what in [("ramesh.singh", "Send for comments"), ("priya.sharma", "Relief agrees."),
                        ("kavita.devi", "Accounts agrees."), ("suresh.ram", "General agrees."),
                        ("priya.sharma", "Send comments"), ("kavita.devi", "Send comments"),
                        ("suresh.ram", "Send comments"), ("anil.sinha", "Approved.")]:
        with Session(eng) as session, session.begin():
            user = org.user_by_login(session, login)
            if what.endswith("."):
                notes.add_note(session, number=number, user=user, body=what)
            else:
                filing.act(session, number=number, user=user, choice=what)
    eng.dispose()
    return number


TAMPERED = {
    "its text": "UPDATE notes SET body = 'Relief objects.' WHERE body = 'Relief agrees.'",
    "moved to another part": (
        "UPDATE notes SET task_id = (SELECT task_id FROM notes WHERE body = 'General agrees.') "
        "WHERE body = 'Relief agrees.'"),
    "taken off its part": "UPDATE notes SET task_id = NULL WHERE body = 'Relief agrees.'",
}


@BOTH
def test_verify_is_clean_after_a_consultation(demo_db, tmp_path):
    _a_consultation_day(demo_db)
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 0, result.output + result.stderr
    assert "record intact" in result.output


@BOTH
@pytest.mark.parametrize("change", list(TAMPERED))
def test_verify_names_a_note_changed_behind_the_back(demo_db, tmp_path, change):
    number = _a_consultation_day(demo_db)
    eng = make_engine(demo_db)
    with eng.connect() as connection:
        note_id = connection.execute(text("SELECT id FROM notes WHERE body = 'Relief agrees.'"))\
            .scalar_one()
    eng.dispose()
    _behind_the_back(demo_db, TAMPERED[change])
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1, result.output
    [found] = [line for line in result.stderr.splitlines()
               if line.startswith("record differs")]
    assert found.startswith(f"record differs: file {number}: note {note_id}: changed since it "
                            "was chained"), result.stderr


def test_a_note_on_no_part_keeps_the_digest_an_older_release_chained():
    """A note written before notes remembered their part has no part (NULL): its digest is the
    one chained then, over the columns of that time, so verify does not name it."""
    when = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)
    row = {"file_id": 7, "number": 2, "author_id": 3, "author_post_id": 4,
           "body": "जाँच की गई।", "created_at": when}
    before = hashlib.sha256(json.dumps(
        ["note", 7, 2, 3, 4, "जाँच की गई।", "2026-11-02T05:00:00.000000Z"],
        ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
    assert records.digest("note", {**row, "task_id": None}) == before
    assert records.digest("note", {**row, "task_id": 11}) != before
    assert records.digest("note", {**row, "task_id": 11}) != records.digest(
        "note", {**row, "task_id": 12})


@BOTH
def test_notes_keep_their_place_when_migration_0022_goes_down_and_up(demo_db):
    from alembic import command
    from workflows.db.schema import alembic_config, upgrade
    _a_consultation_day(demo_db)
    eng = make_engine(demo_db)
    counted = text("SELECT count(*) FROM notes")
    with eng.connect() as connection:
        before = connection.execute(counted).scalar()
    with eng.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0021")
    assert "task_id" not in {c["name"] for c in inspect(eng).get_columns("notes")}
    upgrade(eng)
    assert "task_id" in {c["name"] for c in inspect(eng).get_columns("notes")}
    with eng.connect() as connection:
        assert connection.execute(counted).scalar() == before
        assert connection.execute(text("SELECT count(*) FROM notes WHERE task_id IS NOT NULL"))\
            .scalar() == 0  # notes from before keep no part
    with Session(eng) as session:
        assert all(n.task_id is None for n in session.scalars(select(Note)))
    eng.dispose()
