"""A route that would go round for ever cannot hang the service, on SQLite and PostgreSQL.

The route check refuses a loop no official stops, by name, in the administrator's language;
and a route that slipped past the check all the same gets its act refused within the
engine's bound: nothing is written, the database is not held, and the next request is served.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from test_check_route import START_LOOP, TIMER_LOOP
from test_engine import unchecked  # noqa: F401  (fixture: routes the loop check let through)
from web import create_app
from workflows import org
from workflows.deadlines import scheduler
from workflows.db import make_engine, make_sessionmaker
from workflows.errors import InvalidInput
from workflows.files import filing
from workflows.models import AuditEvent, File, FileTimer, Movement, Task
from workflows.org import tokens
from workflows.routes import routing

from webtools import DEMO_EXEMPT, csrf, flashes, post, sign_in

BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
#: A route that never stops fails its test instead of hanging the run.
GUARD = pytest.mark.timeout(60)
ROUTES = Path(__file__).parent / "routes"
LOOP = (ROUTES / "refused" / "gateway_loop.bpmn").read_text()
TWO_STEP = (ROUTES / "two_step.bpmn").read_bytes()
RUNS_ON = "without stopping at a step for an official"


@pytest.fixture
def sessions(demo_db):
    eng = make_engine(demo_db)
    yield make_sessionmaker(eng)
    eng.dispose()


def _open_on(sessions, xml, route_key, login="pooja.kumari"):
    with sessions.begin() as session:
        office = org.office_by_code(session, "SADAR")
        routing.deploy_route(session, office, xml)
        file = filing.open_file(session, office=office, user=org.user_by_login(session, login),
                                route_key=route_key, subject="Round and round")
        return file.number, file.id


def _act(sessions, number, choice, login="pooja.kumari"):
    with sessions.begin() as session:
        return filing.act(session, number=number, user=org.user_by_login(session, login),
                          choice=choice)


def _record(sessions, number):
    """All an act could write about the file, and the length of the audit chain."""
    with sessions.begin() as session:
        file = session.scalar(select(File).where(File.number == number))
        tasks = session.execute(select(Task.id, Task.step_name, Task.done_at, Task.outcome)
                                .where(Task.file_id == file.id).order_by(Task.id)).all()
        moves = session.scalars(select(Movement.id).where(Movement.file_id == file.id)).all()
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        return (file.row_version, file.workflow_state, file.status, tasks, moves, events)


@BOTH
@GUARD
def test_an_act_that_would_go_round_for_ever_is_refused_and_writes_nothing(sessions,
                                                                            unchecked):
    number, _id = _open_on(sessions, unchecked(LOOP), "gateway_loop")
    before = _record(sessions, number)
    with pytest.raises(InvalidInput, match=RUNS_ON):
        _act(sessions, number, "Check again")
    assert _record(sessions, number) == before
    # the database is not held: the next request acts on the same file
    assert _act(sessions, number, "Done").status == "closed"


@BOTH
@GUARD
def test_opening_a_file_on_a_route_that_would_never_reach_a_step_is_refused(sessions,
                                                                           unchecked):
    with sessions.begin() as session:
        files = session.scalar(select(func.count()).select_from(File))
    with pytest.raises(InvalidInput, match=RUNS_ON):
        _open_on(sessions, unchecked(START_LOOP), "two_step")
    with sessions.begin() as session:  # not the file, not its number, not the route version
        assert session.scalar(select(func.count()).select_from(File)) == files
    assert _act(sessions, _open_on(sessions, TWO_STEP, "two_step")[0], "Submit").status == "open"


@pytest.fixture
def app(demo_db, tmp_path):
    """The web app on its own database, committing as in production."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": demo_db,
                      "ATTACHMENTS": str(tmp_path / "store"), "SECOND_FACTOR_EXEMPT": DEMO_EXEMPT})
    yield app
    app.extensions["sanchika.sessionmaker"].kw["bind"].dispose()


@BOTH
@GUARD
def test_the_page_and_the_api_tell_the_refusal_and_serve_the_next_request(app, unchecked):
    sessions = app.extensions["sanchika.sessionmaker"]
    number, file_id = _open_on(sessions, unchecked(LOOP), "gateway_loop")
    with sessions.begin() as session:
        _row, token = tokens.create_token(session, org.user_by_login(session, "pooja.kumari"),
                                          "test")
    before = _record(sessions, number)
    browser = app.test_client()
    browser.post("/language", data={"language": "hi", "next": "/sign-in",
                                    "csrf_token": csrf(browser)})
    sign_in(browser, "pooja.kumari")
    page = browser.get(f"/files/{file_id}").get_data(as_text=True)
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    answer = post(browser, f"/files/{file_id}/act", {"task_id": task_id, "choice": "Check again"},
                  follow_redirects=True)
    assert any("अधिकारी के चरण पर रुके बिना" in f for f in flashes(answer)), flashes(answer)
    api = app.test_client().post(f"/api/v1/files/{file_id}/act", json={"choice": "Check again"},
                                 headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 400 and RUNS_ON in api.get_json()["error"]
    assert _record(sessions, number)[:5] == before[:5]
    # "Done" ends the file: the page asks again, and the official confirms
    answer = post(browser, f"/files/{file_id}/act", {"task_id": task_id, "choice": "Done",
                                                    "confirmed": "1"})
    assert answer.status_code == 302
    assert _record(sessions, number)[2] == "closed"


@BOTH
@GUARD
def test_a_timer_that_would_go_round_for_ever_does_not_stop_the_scheduler(sessions,
                                                                          unchecked):
    # version 2 of two_step goes round for ever once its timer fires; a file on version 1
    # has its timer due just after
    other, _other_id = _open_on(sessions, TWO_STEP, "two_step")
    looping, looping_id = _open_on(sessions, unchecked(TIMER_LOOP), "two_step")
    _act(sessions, looping, "Submit")
    _act(sessions, other, "Submit")
    with sessions.begin() as session:
        due = session.scalar(select(func.max(FileTimer.due_at)))
    before = _record(sessions, looping)
    report = scheduler.escalate_pass(sessions, due + timedelta(minutes=1))
    assert [number for number, *_ in report.timers] == [other]
    assert _record(sessions, looping)[:5] == before[:5]
    with sessions.begin() as session:  # tried again a day later, not at every pass
        timer = session.scalar(select(FileTimer).where(FileTimer.file_id == looping_id))
        assert timer.state == "armed" and timer.due_at > due + timedelta(hours=12)


def test_a_loop_is_refused_in_hindi_to_a_hindi_administrator(client, sadar):
    client.post("/language", data={"language": "hi", "next": "/sign-in",
                                   "csrf_token": csrf(client)})
    sign_in(client, "sunita.kumari")
    answer = client.post(f"/admin/offices/{sadar.id}/routes/check", data=LOOP.encode(),
                         headers={"X-CSRF-Token": csrf(client, "/"),
                                  "Content-Type": "application/xml"})
    [problem] = [p for p in answer.get_json()["problems"] if "Gateway_Again" in p["message"]]
    assert problem["element_id"] == "Gateway_Check"
    assert problem["message"].startswith("बिना किसी चरण वाले चक्र में घूमता है")
    assert 'Gateway_Check "Checked?" → Gateway_Again "Check again"' in problem["message"]
