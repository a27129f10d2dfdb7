"""Signing in and off, attendance, passwords, languages and the inbox tabs, in both languages."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from workflows.files import filing
from workflows.models import Attendance

from webtools import csrf, flashes, make_app, post, sign_in, text


def test_pages_need_sign_in(client):
    for path in ("/", "/?tab=sent", "/files/new", "/files/1", "/attendance", "/password"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path


def test_wrong_passwords_never_lock_the_login_and_tell_nothing_of_it(client, app, monkeypatch):
    """A stranger's wrong guesses do not keep the holder out (no lock after six), and an
    unknown login, a known one with a wrong password and a disabled one get the same answer."""
    monkeypatch.setattr("time.sleep", _no_sleep)  # refusals answer at once: no worker waits
    stranger = app.test_client()
    answers = {sign_in(stranger, "manoj.yadav", f"wrong-{n}").status_code for n in range(8)}
    assert answers == {401}
    known = sign_in(stranger, "manoj.yadav", "wrong-password")
    unknown = sign_in(stranger, "no.such.person", "whatever")
    assert known.status_code == unknown.status_code == 401
    assert flashes(known) == flashes(unknown) == ["The login or password is wrong."]
    assert text(known).replace("manoj.yadav", "") == text(unknown).replace("no.such.person", "")
    assert sign_in(client, "manoj.yadav").status_code == 302  # the holder signs in at once


def _no_sleep(seconds):
    raise AssertionError(f"a worker slept {seconds} s")


def test_form_without_csrf_token_is_refused(client):
    response = client.post("/sign-in", data={"login": "manoj.yadav", "password": "sanchika-demo"})
    assert response.status_code == 400 and "expired" in text(response)


def test_a_form_token_of_another_session_is_refused_with_a_message_in_the_users_language(
        client, app):
    sign_in(client, "manoj.yadav")
    post(client, "/language", {"language": "hi", "next": "/"})
    stranger = app.test_client()
    forged = csrf(stranger)  # a valid token, but of the attacker's own session
    response = client.post("/password", data={"current": "sanchika-demo", "new": "forged-pass-1",
                                              "repeat": "forged-pass-1", "csrf_token": forged})
    assert response.status_code == 400
    assert "फ़ॉर्म की अवधि समाप्त हो गई" in text(response)
    assert sign_in(app.test_client(), "manoj.yadav").status_code == 302  # password unchanged


def test_sign_in_and_off_are_recorded_and_the_head_sees_attendance(client, session, people):
    assert sign_in(client, "manoj.yadav").status_code == 302
    post(client, "/sign-off")
    row = session.scalar(select(Attendance).where(Attendance.user_id == people.manoj.id))
    assert row.signed_in_at is not None and row.signed_off_at is not None
    sign_in(client, "manoj.yadav")
    assert client.get("/attendance?office=SADAR").status_code == 403
    post(client, "/sign-off")
    sign_in(client, "sunita.kumari")
    page = text(client.get("/attendance?office=SADAR"))
    assert "Manoj Kumar Yadav" in page and "Revenue Karmachari, Halka 1" in page
    assert "Not signed in" in page  # Rajesh has not come today


def test_sessions_end_after_a_password_change_elsewhere(client, app, session, people):
    sign_in(client, "manoj.yadav")
    stolen = client.get_cookie("session").value  # a copy of the first browser's cookie
    other = app.test_client()
    sign_in(other, "manoj.yadav")
    response = post(other, "/password", {"current": "sanchika-demo", "new": "new-secret-1",
                                         "repeat": "new-secret-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # the first browser is signed out
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302  # and so is any copy of its cookie
    assert other.get("/").status_code == 200  # the browser that changed it stays signed in
    assert sign_in(client, "manoj.yadav", "new-secret-1").status_code == 302


def test_signing_off_everywhere_ends_every_session_of_the_official(client, app, session, people):
    sign_in(client, "manoj.yadav")
    other = app.test_client()
    sign_in(other, "manoj.yadav")
    assert "Sign off everywhere" in text(client.get("/password"))
    response = post(client, "/sign-off", {"everywhere": "1"})
    assert response.status_code == 302 and "You have signed off." in flashes(client.get("/sign-in"))
    assert other.get("/").status_code == 302 and client.get("/").status_code == 302
    sign_in(other, "manoj.yadav")
    third = app.test_client()
    sign_in(third, "manoj.yadav")
    post(third, "/sign-off")  # an ordinary sign-off ends only its own session
    assert other.get("/").status_code == 200 and third.get("/").status_code == 302


def test_password_change_mistakes_are_explained(client):
    sign_in(client, "manoj.yadav")
    response = post(client, "/password", {"current": "nope", "new": "abcdefgh1", "repeat": "abcdefgh1"})
    assert response.status_code == 400 and "the current password is wrong" in text(response)
    response = post(client, "/password", {"current": "sanchika-demo", "new": "abcdefgh1",
                                          "repeat": "abcdefgh2"})
    assert "the two new passwords differ" in text(response)
    response = post(client, "/password", {"current": "sanchika-demo", "new": "short",
                                          "repeat": "short"})
    assert "at least 8 characters" in text(response)


def test_inbox_lists_waiting_files_most_urgent_first_and_searches_devanagari(
        client, session, sadar, people):
    normal = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                              subject="भूमि दाखिल-खारिज: खाता 12", priority="Normal")
    urgent = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                              subject="Court order: mutation of Khata 3", priority="Immediate")
    session.flush()
    sign_in(client, "manoj.yadav")
    page = client.get("/").get_data(as_text=True)
    assert page.index(urgent.number) < page.index(normal.number)
    assert "Enquire and submit report" in page
    found = text(client.get("/?q=दाखिल"))
    assert normal.number in found and urgent.number not in found
    only = text(client.get("/?priority=Immediate"))
    assert urgent.number in only and normal.number not in only
    post(client, "/sign-off")
    sign_in(client, "rajesh.prasad")
    assert normal.number not in text(client.get("/"))


def test_sent_tab_shows_where_the_file_is_and_pulls_back(client, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation to pull back")
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    session.flush()
    sign_in(client, "manoj.yadav")
    page = text(client.get("/?tab=sent"))
    assert file.number in page and "Circle Inspector, Sadar" in page and "Pull back" in page
    response = post(client, f"/files/{file.id}/pull-back", follow_redirects=True)
    assert f"File {file.number} pulled back." in flashes(response)
    assert file.number in text(client.get("/"))


def test_other_tabs(client, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Parked mutation")
    filing.park(session, number=file.number, user=people.manoj)
    closed = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                              subject="Withdrawn mutation")
    filing.close(session, number=closed.number, user=people.sunita, retention="C",
                 remark="Withdrawn")
    session.flush()
    sign_in(client, "manoj.yadav")
    assert file.number in text(client.get("/?tab=parked"))
    assert closed.number in text(client.get("/?tab=closed"))
    created = text(client.get("/?tab=created"))
    assert file.number in created and closed.number in created
    assert client.get("/?tab=nonsense").status_code == 404


def test_language_switch_is_kept_and_pages_speak_hindi(client, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation in Hindi")
    session.flush()
    sign_in(client, "manoj.yadav")
    post(client, "/language", {"language": "hi", "next": "/"})
    page = text(client.get("/"))
    assert "आवक" in page and "सामान्य" in page and "साइन ऑफ़" in page
    assert "(१)" in page  # the count of waiting files in Devanagari digits
    session.expire_all()
    assert people.manoj.language == "hi"
    post(client, "/sign-off")
    sign_in(client, "manoj.yadav")  # a new session keeps the user's language
    workspace = text(client.get(f"/files/{file.id}"))
    assert "टिप्पणी पृष्ठ" in workspace and "प्रतिवेदन प्रस्तुत करें" in workspace
    post(client, "/language", {"language": "en", "next": "/"})
    assert "Inbox" in text(client.get("/"))


def test_signed_out_visitor_can_choose_hindi(client):
    client.post("/language", data={"language": "hi", "next": "/sign-in",
                                   "csrf_token": csrf(client)})
    assert "साइन इन" in text(client.get("/sign-in"))


def test_pages_carry_security_headers(client):
    response = client.get("/sign-in")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "HttpOnly" in response.headers["Set-Cookie"]


def test_every_string_on_the_pages_has_a_hindi_translation(tmp_path):
    """Extract the pages' strings and the refusals' templates afresh and check the Hindi
    catalog translates each one."""
    import subprocess
    import sys
    from pathlib import Path
    from babel.messages.pofile import read_po
    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "messages.pot"
    refusals = [arg for name in ("NotFound", "NotAllowed", "InvalidInput", "FileMoved",
                                 "SanchikaError", "SignInRefused", "RouteError", "Sentence",
                                 "Problem", "_problem:2", "UnsafeExpression", "WrongPin")
                for arg in ("-k", name)]
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F",
                    "babel.cfg", "-k", "_l", *refusals, "-o", str(pot), "."], cwd=root, check=True,
                   capture_output=True)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (root / "web/translations/hi/LC_MESSAGES/messages.po").open("rb") as f:
        have = {m.id: m.string for m in read_po(f) if m.id}
    missing = sorted(m for m in wanted if not have.get(m))
    assert not missing, f"untranslated (run make translations): {missing}"


@pytest.mark.parametrize("language, word", [("en", "Inbox"), ("hi", "आवक")])
def test_every_page_opens_in_both_languages(client, session, sadar, people, language, word):
    file = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject="Every page")
    session.flush()
    sign_in(client, "sunita.kumari")
    post(client, "/language", {"language": language, "next": "/"})
    pages = ["/", "/?tab=sent", "/?tab=parked", "/?tab=closed", "/?tab=created", "/files/new",
             f"/files/{file.id}", f"/files/{file.id}/route", "/receipts/", "/attendance",
             "/password", "/password/sessions", "/password/second-factor", "/admin/outbox/"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in body and word in body, path


def test_a_session_ends_after_inactivity(session, tmp_path):
    client = make_app(session, tmp_path, PERMANENT_SESSION_LIFETIME=timedelta(seconds=1)).test_client()
    sign_in(client, "manoj.yadav")
    assert client.get("/").status_code == 200
    time.sleep(2.2)
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
def test_simultaneous_first_sign_ins_of_one_official_both_succeed(demo_db):
    """Two windows signing in at the same moment: one attendance row, no error."""
    import threading
    from workflows.org import people
    from workflows.db import make_engine, make_sessionmaker
    eng = make_engine(demo_db)
    maker = make_sessionmaker(eng)
    barrier, errors = threading.Barrier(4), []

    def sign_in_once():
        try:
            barrier.wait(timeout=30)
            with maker.begin() as db:
                people.sign_in(db, people.check_password(db, "manoj.yadav", "sanchika-demo"))
        except Exception as exc:
            errors.append(exc)
    threads = [threading.Thread(target=sign_in_once) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with maker() as db:
        rows = db.scalars(select(Attendance)).all()
    eng.dispose()
    assert errors == [] and len(rows) == 1
