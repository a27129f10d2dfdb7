"""Sessions kept on the server: signing off ends this browser's at once (a copy of its cookie
opens nothing), and a new password, the end of a holding and a disabled login end the
official's others; the official sees their own sessions and ends any other one, or all."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from workflows import clock
from workflows.files import filing, notes
from workflows.models import PostHolding, Post, SignInSession
from workflows.org import people as people_service
from workflows.org import sessions

from webtools import csrf, flashes, post, sign_in, text

T0 = datetime(2026, 11, 10, 5, 0, tzinfo=timezone.utc)


def test_a_cookie_copied_before_sign_off_opens_nothing_after(app, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 31")
    session.flush()
    client = app.test_client()
    sign_in(client, "manoj.yadav")
    token = csrf(client, f"/files/{file.id}")  # what a thief copies with the cookie
    copied = client.get_cookie("session").value
    assert post(client, "/sign-off").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    inbox = thief.get("/")
    assert inbox.status_code == 302 and inbox.headers["Location"].startswith("/sign-in")
    note = thief.post(f"/files/{file.id}/notes", data={"note": "forged", "csrf_token": token})
    assert note.status_code == 302 and note.headers["Location"].startswith("/sign-in")
    assert [n.body for n in notes.notes_of(session, file)] == []


def test_each_sign_in_is_a_session_of_its_own_with_its_browser_and_address(app, session, people):
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR="10.4.4.4", HTTP_USER_AGENT="Firefox/128 (office)")
    sign_in(client, "manoj.yadav")
    other = app.test_client()
    sign_in(other, "manoj.yadav")
    rows = session.scalars(select(SignInSession).where(
        SignInSession.user_id == people.manoj.id).order_by(SignInSession.id)).all()
    assert len(rows) == 2 and len({r.token_sha256 for r in rows}) == 2
    assert (rows[0].client_address, rows[0].user_agent) == ("10.4.4.4", "Firefox/128 (office)")
    assert rows[0].ended_at is None and rows[0].created_at == rows[0].last_seen_at
    post(client, "/sign-off")
    session.expire_all()
    assert rows[0].ended_at is not None and rows[0].ended_why == sessions.SIGNED_OFF
    assert rows[1].ended_at is None and other.get("/").status_code == 200


def test_last_seen_is_written_at_most_once_a_minute_and_an_idle_session_names_no_one(
        session, people):
    manoj = people.manoj
    token = sessions.start(session, manoj, now=T0)
    [row] = session.scalars(select(SignInSession).where(SignInSession.user_id == manoj.id))
    assert sessions.user_for(session, token, now=T0 + timedelta(seconds=50)) == manoj
    assert row.last_seen_at == T0  # not written on every request
    assert sessions.user_for(session, token, now=T0 + timedelta(seconds=61)) == manoj
    assert row.last_seen_at == T0 + timedelta(seconds=61)
    late = T0 + timedelta(seconds=61) + sessions.IDLE + timedelta(minutes=2)
    assert sessions.user_for(session, token, now=late) is None
    assert sessions.live(session, manoj, now=late) == []
    assert sessions.user_for(session, "not-a-token", now=T0) is None


def test_a_new_password_ends_the_officials_other_sessions_but_not_this_one(app, session, people):
    first, second = app.test_client(), app.test_client()
    sign_in(first, "manoj.yadav")
    sign_in(second, "manoj.yadav")
    response = post(second, "/password", {"current": "sanchika-demo", "new": "new-secret-1",
                                          "repeat": "new-secret-1"})
    assert response.status_code == 302
    assert first.get("/").status_code == 302 and second.get("/").status_code == 200
    ended = session.scalars(select(SignInSession.ended_why).where(
        SignInSession.user_id == people.manoj.id, SignInSession.ended_at.is_not(None))).all()
    assert ended == [sessions.PASSWORD]


def test_the_end_of_a_holding_ends_the_holders_sessions(app, session, sadar, people):
    manoj, admin = app.test_client(), app.test_client()
    sign_in(manoj, "manoj.yadav")
    sign_in(admin, "sunita.kumari")
    holding = session.scalar(select(PostHolding).join(Post, Post.id == PostHolding.post_id)
                             .where(PostHolding.user_id == people.manoj.id,
                                    Post.office_id == sadar.id))
    answer = post(admin, f"/admin/offices/{sadar.id}/end",
                  {"holding": holding.id, "last_day": holding.from_date.isoformat()})
    assert answer.status_code == 302
    assert manoj.get("/").status_code == 302  # signed out at once
    assert admin.get("/").status_code == 200


def test_a_transfer_ends_the_departing_holders_sessions(app, session, sadar, people):
    rajesh, admin = app.test_client(), app.test_client()
    sign_in(rajesh, "rajesh.prasad")
    sign_in(admin, "sunita.kumari")
    ci = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "CI"))
    answer = post(admin, f"/admin/offices/{sadar.id}/transfer",
                  {"post": ci.id, "user": people.shabnam.id,
                   "from_date": clock.today().isoformat()})
    assert answer.status_code == 302 and "succeeds to" in " ".join(flashes(admin.get("/")))
    assert rajesh.get("/").status_code == 302


def test_an_administrator_disables_a_login_its_sessions_end_and_it_signs_in_nowhere(
        app, session, sadar, ddmo, people):
    manoj, admin, manoj_id = app.test_client(), app.test_client(), people.manoj.id
    sign_in(manoj, "manoj.yadav")
    sign_in(admin, "sunita.kumari")
    office = text(admin.get(f"/admin/offices/{sadar.id}"))
    assert "Disable or enable a login" in office
    answer = post(admin, f"/admin/offices/{sadar.id}/login",
                  {"user": people.manoj.id, "state": "off"}, follow_redirects=True)
    assert "The login manoj.yadav is disabled; its sessions have ended." in flashes(answer)
    assert manoj.get("/").status_code == 302
    refused = sign_in(app.test_client(), "manoj.yadav")
    assert refused.status_code == 401 and flashes(refused) == ["The login or password is wrong."]
    own = post(admin, f"/admin/offices/{sadar.id}/login",
               {"user": people.sunita.id, "state": "off"}, follow_redirects=True)
    assert "you cannot disable your own login" in flashes(own)
    post(admin, f"/admin/offices/{sadar.id}/login", {"user": manoj_id, "state": "on"})
    assert sign_in(app.test_client(), "manoj.yadav").status_code == 302
    stranger = app.test_client()  # the DDMO's administrator: Manoj holds no post there
    sign_in(stranger, "vikas.kumar")
    post(stranger, f"/admin/offices/{ddmo.id}/login", {"user": people.manoj.id, "state": "off"})
    session.expire_all()
    assert people.manoj.active


def test_the_official_sees_their_sessions_and_ends_one_or_all_others(app, session, people):
    browsers = []
    for agent in ("Chromium/126 (desk)", "Firefox/128 (laptop)", "Safari/17 (phone)"):
        browser = app.test_client()
        browser.environ_base["HTTP_USER_AGENT"] = agent
        sign_in(browser, "manoj.yadav")
        browsers.append(browser)
    desk, laptop, phone = browsers
    assert "Your sessions" in text(desk.get("/password"))
    page = desk.get("/password/sessions").get_data(as_text=True)
    assert all(agent in page for agent in ("Chromium/126", "Firefox/128", "Safari/17"))
    assert page.count("this browser") == 1
    ends = re.findall(r'action="/password/sessions/(\d+)/end"', page)
    assert len(ends) == 2  # this browser's own is signed off, not ended here
    laptop_id = session.scalar(select(SignInSession.id).where(
        SignInSession.user_agent == "Firefox/128 (laptop)"))
    assert post(desk, f"/password/sessions/{laptop_id}/end").status_code == 302
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 200
    intruder = app.test_client()  # another official cannot end Manoj's sessions
    sign_in(intruder, "rajesh.prasad")
    phone_id = session.scalar(select(SignInSession.id).where(
        SignInSession.user_agent == "Safari/17 (phone)"))
    assert post(intruder, f"/password/sessions/{phone_id}/end").status_code == 404
    assert phone.get("/").status_code == 200
    response = post(desk, "/password/sessions/end-others", follow_redirects=True)
    assert "Other sessions ended: 1." in flashes(response)
    assert phone.get("/").status_code == 302 and desk.get("/").status_code == 200


def test_signing_in_records_the_day_once_and_begins_a_session(session, people):
    manoj = people_service.check_password(session, "manoj.yadav", "sanchika-demo")
    token = people_service.sign_in(session, manoj, user_agent="cli", address="127.0.0.1")
    assert sessions.user_for(session, token) == manoj and manoj.get_id() == token


def test_a_password_hashed_with_older_parameters_is_hashed_again_at_sign_in(session, people):
    from argon2 import PasswordHasher
    manoj = people.manoj
    manoj.password_hash = PasswordHasher(time_cost=3, memory_cost=65536,
                                         parallelism=4).hash("sanchika-demo")
    old = manoj.password_hash
    with pytest.raises(people_service.SignInRefused):
        people_service.check_password(session, "manoj.yadav", "not-his-password")
    assert manoj.password_hash == old  # a wrong password changes nothing
    people_service.check_password(session, "manoj.yadav", "sanchika-demo")
    assert manoj.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    session.flush()
    people_service.check_password(session, "manoj.yadav", "sanchika-demo")  # still his
