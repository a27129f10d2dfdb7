"""Circulation on the office's side: the DDMO sends a call for flood damage reports to every
Circle Officer of Saran, or to the circles the ADM marks; each circle's part is in its inbox,
in its own office, and the file comes back when all have answered."""

import contextlib
import json

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from conftest import People
from test_durability import race

from workflows import org
from workflows.db import make_engine
from workflows.demo import SHIPPED_ROUTES
from workflows.errors import FileMoved, InvalidInput, NotFound
from workflows.files import circulation, filing, inbox, workspace
from workflows.models import Office, Post
from workflows.org import access
from workflows.routes import publishing

CIRCLES = {"SADAR", "REVELGANJ", "EKMA"}
EVERY = "Report flood damage of the circle"
MARKED = "Report flood damage (marked circles)"


def call_for_reports(session, ddmo, people, subject="Flood damage of the second wave"):
    file = filing.open_file(session, office=ddmo, user=people.ramesh,
                            route_key="flood_damage_report", subject=subject)
    filing.act(session, number=file.number, user=people.ramesh, choice="Put up for approval")
    return file


def parts(session, file):
    return sorted((t.step_name, t.post.office.code, t.post.code)
                  for t in filing.open_tasks(session, file))


def post_of(session, office_code, code):
    return session.scalar(select(Post).join(Office).where(Office.code == office_code,
                                                          Post.code == code))


def test_every_circle_officer_of_the_district_gets_a_part_in_their_own_office(
        session, ddmo, people):
    file = call_for_reports(session, ddmo, people)
    acted = filing.act(session, number=file.number, user=people.anil,
                       choice="Circulate to every circle", remark="Report in three days.")
    assert parts(session, file) == sorted((EVERY, code, "CO") for code in CIRCLES)
    assert len(acted.to_post_ids) == 3
    sent = [m for m in filing.track(session, file) if m.choice == "Circulate to every circle"]
    assert sorted(m.to_post.office.code for m in sent) == sorted(CIRCLES)
    for login in ("amit", "neha", "sunita"):
        user = getattr(people, login)
        [row] = [r for r in inbox.inbox(session, user) if r.file.number == file.number]
        assert "Anil" in row.sender
        access.check_can_view(session, user, file)  # a file of another office, on their track
        view = workspace.file_view(session, user, file)
        assert [a.step_name for a in view.actions] == [EVERY]
    with pytest.raises(NotFound):  # an official of a circle the file never went to
        access.check_can_view(session, people.manoj, file)


def test_each_circle_answers_on_its_own_and_the_file_comes_back_when_all_have(
        session, ddmo, people):
    file = call_for_reports(session, ddmo, people)
    filing.act(session, number=file.number, user=people.anil, choice="Circulate to every circle")
    filing.act(session, number=file.number, user=people.amit, choice="Report sent",
               remark="Revelganj: 48 houses damaged.")
    with pytest.raises(FileMoved, match="just sent on from your post"):  # Revelganj's part is done
        filing.act(session, number=file.number, user=people.amit, choice="Report sent")
    filing.act(session, number=file.number, user=people.sunita, choice="Report sent")
    assert parts(session, file) == [(EVERY, "EKMA", "CO")]
    filing.act(session, number=file.number, user=people.neha, choice="Report sent")
    assert parts(session, file) == [("Compile the reports", "DDMO", "DA-REL")]
    answers = [m for m in filing.track(session, file) if m.choice == "Report sent"]
    assert sorted(m.from_post.office.code for m in answers) == sorted(CIRCLES)


def test_the_head_marks_the_circles_and_only_those_get_it(session, ddmo, people):
    file = call_for_reports(session, ddmo, people)
    view = workspace.file_view(session, people.anil, file)
    [action] = view.actions
    assert action.marking == ["Circulate to marked circles"]
    offered = {(c.office.code, c.code) for c in action.candidates}
    assert offered == {(code, "CO") for code in CIRCLES} | {("DDMO", "CO-VER")}
    assert any("Amit Ranjan" in [u.name for u in c.holders] for c in action.candidates)
    with pytest.raises(InvalidInput, match="mark at least one post"):
        filing.act(session, number=file.number, user=people.anil,
                   choice="Circulate to marked circles")
    da = post_of(session, "DDMO", "DA-REL")
    with pytest.raises(InvalidInput, match=f"'{da.id}' is not a post that"):
        filing.act(session, number=file.number, user=people.anil,
                   choice="Circulate to marked circles", mark_to=[str(da.id)])
    with pytest.raises(InvalidInput, match="'<b>' is not a post that"):
        filing.act(session, number=file.number, user=people.anil,
                   choice="Circulate to marked circles", mark_to=["<b>"])
    marked = [post_of(session, "REVELGANJ", "CO").id, post_of(session, "EKMA", "CO").id]
    filing.act(session, number=file.number, user=people.anil,
               choice="Circulate to marked circles", mark_to=[str(i) for i in marked] * 2)
    assert parts(session, file) == [(MARKED, "EKMA", "CO"), (MARKED, "REVELGANJ", "CO")]


def test_a_circulation_with_no_post_to_go_to_is_refused_when_published(session, ddmo, people):
    xml = (SHIPPED_ROUTES / "flood_damage_report.bpmn").read_text().replace(
        'name="Circle Officer"', 'name="Block Development Officer"')
    problems = [str(p) for p in publishing.check(session, ddmo, xml)]
    assert any("no post holds the role 'Block Development Officer' where 'Report flood damage "
               "of the circle' goes (district)" in p for p in problems), problems
    assert circulation.post_ids(session, ddmo, "Circle Officer", "district")


BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)


@BOTH
def test_two_circles_answering_at_the_same_instant_both_succeed(demo_db):
    eng = make_engine(demo_db)
    numbers = []
    with Session(eng) as session, session.begin():
        people, ddmo = People(session), org.office_by_code(session, "DDMO")
        for i in range(4):
            file = call_for_reports(session, ddmo, people, f"Flood damage, wave {i}")
            filing.act(session, number=file.number, user=people.anil,
                       choice="Circulate to every circle")
            numbers.append(file.number)
    by_file = race(demo_db, ("amit.ranjan", "neha.bharti"), numbers, "Report sent")
    for number, seen in by_file.items():
        assert seen == ["ok", "ok"], (number, seen)
    with Session(eng) as session:
        for number in numbers:
            file = filing.lock_file(session, number)
            assert parts(session, file) == [(EVERY, "SADAR", "CO")]
    eng.dispose()


def test_the_file_page_lists_the_posts_to_mark_and_sends_the_file_to_those_ticked(
        session, ddmo, people, tmp_path):
    from webtools import make_app, post, sign_in, text
    file = call_for_reports(session, ddmo, people)
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "anil.sinha")
    page = client.get(f"/files/{file.id}")
    shown = text(page)
    assert "Mark to (Circulate to marked circles)" in shown
    assert "Circle Officer, Ekma · Circle Office, Ekma (Neha Bharti)" in shown
    assert "mark-to.js" in page.get_data(as_text=True)
    post(client, "/language", {"language": "hi", "next": "/"})
    hindi = text(client.get(f"/files/{file.id}"))
    assert "चिह्नित करें (चिह्नित अंचलों को परिचालित करें)" in hindi
    assert "अंचल अधिकारी, एकमा · अंचल कार्यालय, एकमा (नेहा भारती)" in hindi
    post(client, "/language", {"language": "en", "next": "/"})
    [task] = filing.open_tasks(session, file)
    reply = post(client, f"/files/{file.id}/act", {
        "task_id": task.id, "choice": "Circulate to marked circles",
        "mark_to": [post_of(session, "EKMA", "CO").id]})
    assert reply.status_code == 302
    assert parts(session, file) == [(MARKED, "EKMA", "CO")]
    other = call_for_reports(session, ddmo, people, "Another call")
    [task] = filing.open_tasks(session, other)
    reply = post(client, f"/files/{other.id}/act", {"task_id": task.id,
                                                     "choice": "Circulate to marked circles"})
    assert reply.status_code == 400
    assert "mark at least one post" in text(reply)


def test_the_api_and_the_command_line_circulate_to_marked_posts(session, ddmo, people,
                                                                   client):
    from test_api import bearer
    file = call_for_reports(session, ddmo, people)
    anil = bearer(session, people.anil)
    ekma = post_of(session, "EKMA", "CO").id
    refused = client.post(f"/api/v1/files/{file.id}/act", headers=anil, json={
        "choice": "Circulate to marked circles", "mark_to": ["Ekma"]})
    assert refused.status_code == 400 and "mark_to" in json.dumps(refused.get_json())
    acted = client.post(f"/api/v1/files/{file.id}/act", headers=anil, json={
        "choice": "Circulate to marked circles", "mark_to": [ekma]})
    assert acted.status_code == 200, acted.get_json()
    assert parts(session, file) == [(MARKED, "EKMA", "CO")]


def test_the_command_line_marks_posts_by_id(demo_db, tmp_path):
    from click.testing import CliRunner
    from web.cli import main
    eng = make_engine(demo_db)
    with Session(eng) as session, session.begin():
        file = call_for_reports(session, org.office_by_code(session, "DDMO"), People(session))
        number = file.number
        ekma, revelganj = (post_of(session, code, "CO").id for code in ("EKMA", "REVELGANJ"))
    run = CliRunner(env={"SANCHIKA_DATABASE_URL": demo_db,
                         "SANCHIKA_ATTACHMENTS": str(tmp_path)}).invoke
    out = run(main, ["file", "act", number, "--as", "anil.sinha", "--choice",
                     "Circulate to marked circles", "--mark-to", str(ekma), "--mark-to",
                     str(revelganj)])
    assert out.exit_code == 0, out.output
    with Session(eng) as session:
        assert parts(session, filing.lock_file(session, number)) == [
            (MARKED, "EKMA", "CO"), (MARKED, "REVELGANJ", "CO")]
    eng.dispose()


def test_an_official_holding_two_parts_parks_the_one_they_choose(session, ddmo, people, tmp_path):
    from webtools import make_app, post, sign_in, text
    file = call_for_reports(session, ddmo, people)
    sadar, dd = post_of(session, "SADAR", "CO"), post_of(session, "DDMO", "CO-VER")
    filing.act(session, number=file.number, user=people.anil,
               choice="Circulate to marked circles", mark_to=[sadar.id, dd.id])
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "sunita.kumari")  # she holds both posts
    page = client.get(f"/files/{file.id}")
    assert text(page).count("Park this part") == 2
    [at_ddmo] = [t for t in filing.open_tasks(session, file) if t.post_id == dd.id]
    reply = post(client, f"/files/{file.id}/park", {"task_id": at_ddmo.id})
    assert reply.status_code == 302
    session.expire_all()
    parked = {t.post.code: t.parked_at is not None for t in filing.open_tasks(session, file)}
    assert parked == {"CO": False, "CO-VER": True}


@contextlib.contextmanager
def statements(session):
    """The SQL statements the session sends inside the block."""
    seen: list[str] = []

    def listen(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listen)


def test_the_file_page_reads_as_many_statements_for_three_parts_as_for_one(
        session, ddmo, people):
    counts = []
    for marked in (["EKMA"], ["EKMA", "REVELGANJ", "SADAR"]):
        file = call_for_reports(session, ddmo, people, f"Flood damage to {len(marked)} circles")
        filing.act(session, number=file.number, user=people.anil,
                   choice="Circulate to marked circles",
                   mark_to=[post_of(session, code, "CO").id for code in marked])
        session.expire_all()
        with statements(session) as seen:
            view = workspace.file_view(session, people.ramesh, file)
        assert len(view.holders) == len(marked)
        counts.append(len(seen))
    assert counts[0] == counts[1], counts  # no statement per part
