"""The second factor: time-based codes (RFC 6238) enrolled from the password page with a QR code
drawn on the server, confirmed by a code before it counts, asked for at every sign-in, each code
taken once; ten recovery codes shown once and kept hashed; required of heads of office and
administrators, who can do nothing else until they enrol; throttled like passwords."""

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select

from workflows import org
from workflows.files import filing, notes
from workflows.models import RecoveryCode, SecondFactor, User
from workflows.org import second_factor

from test_permissions import build, the_file  # noqa: F401  (the file fixture)
from webtools import PASSWORD, csrf, flashes, make_app, post, sign_in, text

T0 = datetime(2026, 11, 10, 5, 0, 7, tzinfo=timezone.utc)


@pytest.fixture
def frozen(time_machine):
    """The clock held still, moved on by the test: codes depend on the 30-second step."""
    time_machine.move_to(T0, tick=False)
    return time_machine


def _form(client, path, data):
    """POST a form with the CSRF token of the page at ``path`` itself."""
    return client.post(path, data={**data, "csrf_token": csrf(client, path)})


def _enrol(client):
    """Enrol from the page as an official would: read the key, give the app's code."""
    page = client.get("/password/second-factor").get_data(as_text=True)
    secret = re.search(r'id="secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = _form(client, "/password/second-factor",
                     {"do": "confirm", "code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([a-z0-9]{4}(?:-[a-z0-9]{4}){3})</code>",
                       response.get_data(as_text=True))
    return secret, codes, response


def _code_step(client, code):
    return _form(client, "/sign-in/code", {"code": code})


def test_an_official_enrols_from_the_password_page_and_each_code_signs_in_once(
        client, session, people, frozen):
    sign_in(client, "manoj.yadav")
    assert "Second factor: off" in text(client.get("/password"))
    page = client.get("/password/second-factor")
    body = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="[^"]+" class="qr">', body)
    secret = re.search(r'id="secret">([A-Z2-7 ]+)<', body).group(1).replace(" ", "")
    assert client.get("/password/second-factor").get_data(as_text=True).count(
        re.search(r'id="secret">([^<]+)<', body).group(1)) == 1  # the same key when opened again
    wrong = _form(client, "/password/second-factor", {"do": "confirm", "code": "000000"})
    assert wrong.status_code == 400 and "the code is wrong or has expired" in text(wrong)
    assert second_factor.enrolled(session, people.manoj) is None  # not before a right code
    totp = pyotp.TOTP(secret)
    confirmed = _form(client, "/password/second-factor", {"do": "confirm", "code": totp.now()})
    assert confirmed.status_code == 200 and confirmed.headers["Cache-Control"] == "no-store"
    assert len(re.findall(r"<li><code>", confirmed.get_data(as_text=True))) == 10
    assert secret not in confirmed.get_data(as_text=True)  # never shown again
    post(client, "/sign-off")
    response = sign_in(client, "manoj.yadav")
    assert response.headers["Location"] == "/sign-in/code"
    assert client.get("/").status_code == 302  # not signed in on the password alone
    assert _code_step(client, totp.now()).status_code == 401  # taken at enrolment already
    frozen.move_to(T0 + timedelta(seconds=30), tick=False)
    assert _code_step(client, totp.at(T0)).status_code == 401  # older than the last one taken
    assert _code_step(client, totp.now()).status_code == 302
    assert client.get("/").status_code == 200
    post(client, "/sign-off")
    sign_in(client, "manoj.yadav")
    again = _code_step(client, totp.now())  # the same code, still within its window
    assert again.status_code == 401
    assert flashes(again) == ["The code is wrong or has been used; give the one your app shows "
                              "now."]


def test_recovery_codes_sign_in_once_each_and_are_kept_only_hashed(
        client, session, people, frozen):
    sign_in(client, "manoj.yadav")
    _secret, codes, _page = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = session.scalars(select(RecoveryCode.code_sha256).where(
        RecoveryCode.user_id == people.manoj.id)).all()
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)
    assert not any(code in " ".join(stored) for code in codes)
    post(client, "/sign-off")
    sign_in(client, "manoj.yadav")
    assert _code_step(client, codes[3].upper().replace("-", " ")).status_code == 302
    assert "9 recovery codes are left" in text(client.get("/password/second-factor"))
    post(client, "/sign-off")
    sign_in(client, "manoj.yadav")
    assert _code_step(client, codes[3]).status_code == 401  # used up


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(client, frozen):
    sign_in(client, "manoj.yadav")
    secret, old, _page = _enrol(client)
    frozen.move_to(T0 + timedelta(seconds=30), tick=False)
    refused = _form(client, "/password/second-factor", {"do": "renew", "code": "123456"})
    assert refused.status_code == 400
    renewed = _form(client, "/password/second-factor",
                    {"do": "renew", "code": pyotp.TOTP(secret).now()})
    new = re.findall(r"<li><code>([^<]+)</code>", renewed.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    post(client, "/sign-off")
    sign_in(client, "manoj.yadav")
    assert _code_step(client, old[0]).status_code == 401
    assert _code_step(client, new[0]).status_code == 302


def test_an_official_who_may_turns_the_second_factor_off_with_the_password(client, frozen):
    sign_in(client, "manoj.yadav")
    _enrol(client)
    wrong = _form(client, "/password/second-factor", {"do": "off", "password": "not-mine-1"})
    assert wrong.status_code == 400
    off = _form(client, "/password/second-factor", {"do": "off", "password": PASSWORD})
    assert off.status_code == 302
    post(client, "/sign-off")
    assert sign_in(client, "manoj.yadav").headers["Location"] == "/"


def test_heads_and_administrators_must_enrol_before_anything_else(
        session, tmp_path, sadar, people, frozen):
    app = make_app(session, tmp_path, SECOND_FACTOR_EXEMPT=())
    file = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject="Roof repair")
    session.flush()
    client = app.test_client()
    response = sign_in(client, "sunita.kumari")
    assert response.headers["Location"] == "/password/second-factor"
    page = client.get("/password/second-factor")
    assert "Heads of office and administrators sign in with a second factor" in text(page)
    assert 'id="off-form"' not in page.get_data(as_text=True)
    token = csrf(client, "/password/second-factor")
    for path in ("/", "/admin/", f"/files/{file.id}", "/password", "/password/sessions",
                 "/tokens/"):
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked.headers["Location"] == "/password/second-factor", path
    note = client.post(f"/files/{file.id}/notes", data={"note": "before", "csrf_token": token})
    assert note.headers["Location"] == "/password/second-factor"
    assert [n.body for n in notes.notes_of(session, file)] == []
    assert sign_in(app.test_client(), "vikas.kumar").headers["Location"] == (
        "/password/second-factor")  # an administrator too
    assert sign_in(app.test_client(), "manoj.yadav").headers["Location"] == "/"  # others not
    _enrol(client)
    assert client.get("/").status_code == 200
    kept = _form(client, "/password/second-factor", {"do": "off", "password": PASSWORD})
    assert kept.status_code == 400 and "must keep a second factor" in text(kept)
    frozen.move_to(T0 + timedelta(seconds=30), tick=False)
    post(client, "/sign-off")
    assert sign_in(client, "sunita.kumari").headers["Location"] == "/sign-in/code"


def test_codes_are_throttled_like_passwords(session, tmp_path, people, frozen):
    app = make_app(session, tmp_path, SIGN_IN_LIMIT_PER_LOGIN="3 per 15 minutes")
    client = app.test_client()
    sign_in(client, "manoj.yadav")
    secret, _codes, _page = _enrol(client)
    post(client, "/sign-off")
    frozen.move_to(T0 + timedelta(seconds=30), tick=False)
    guesser = app.test_client()  # has the password, not the phone
    sign_in(guesser, "manoj.yadav")
    for guess in ("111111", "222222", "333333"):
        assert _code_step(guesser, guess).status_code == 401
    throttled = _code_step(guesser, pyotp.TOTP(secret).now())
    assert throttled.status_code == 429 and 'name="code"' in throttled.get_data(as_text=True)
    assert "Too many wrong sign-ins for this login" in flashes(throttled)[0]
    sign_in(client, "manoj.yadav")  # the holder's own computer is counted apart
    assert _code_step(client, pyotp.TOTP(secret).now()).status_code == 302


def test_a_sign_in_waiting_for_its_code_expires(client, frozen):
    sign_in(client, "manoj.yadav")
    secret, _codes, _page = _enrol(client)
    post(client, "/sign-off")
    sign_in(client, "manoj.yadav")
    token = csrf(client, "/sign-in/code")
    frozen.move_to(T0 + timedelta(minutes=6), tick=False)
    late = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now(),
                                              "csrf_token": token})
    assert late.status_code == 302 and late.headers["Location"] == "/sign-in"
    assert "Sign in again: the sign-in waited too long for its code." in flashes(
        client.get("/sign-in"))
    assert client.get("/").status_code == 302


def test_the_secret_is_on_no_page_once_enrolled_not_even_an_administrators(
        app, session, people, the_file, frozen):
    _file, ids = the_file
    client = app.test_client()
    sign_in(client, "manoj.yadav")
    secret, _codes, _page = _enrol(client)
    assert session.get(SecondFactor, people.manoj.id).secret == secret
    admin = app.test_client()
    sign_in(admin, "sunita.kumari")
    spaced = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    seen = 0
    for viewer in (admin, client):
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods and set(rule.arguments) <= set(ids) and (
                    rule.endpoint not in ("static", "vendor.asset", "auth.sign_in")):
                body = viewer.get(build(rule, ids)).get_data().decode("utf-8", "replace")
                assert secret not in body and spaced not in body, rule.rule
                seen += 1
    assert seen > 40


def test_the_qr_code_is_an_image_drawn_from_the_login_never_its_markup(session, tmp_path):
    login = 'x"><svg onload=alert(1)>'
    session.add(User(login=login, name="Odd Login", password_hash=org.hash_password(PASSWORD)))
    session.flush()
    client = make_app(session, tmp_path).test_client()
    assert sign_in(client, login).status_code == 302
    page = client.get("/password/second-factor")
    body = page.get_data(as_text=True)
    assert "<svg onload" not in body and "onload=alert" not in body.replace("%20", " ")
    assert re.search(r'<img src="data:image/svg\+xml[^"<>]+" alt=', body)
    assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]


def test_codes_given_to_renew_the_recovery_codes_are_throttled_too(session, tmp_path, frozen):
    app = make_app(session, tmp_path, SIGN_IN_LIMIT_PER_DEVICE="2 per 15 minutes")
    client = app.test_client()  # a session someone else has taken over, guessing codes
    sign_in(client, "manoj.yadav")
    secret, _codes, _page = _enrol(client)
    frozen.move_to(T0 + timedelta(seconds=30), tick=False)
    for guess in ("111111", "222222"):
        assert _form(client, "/password/second-factor",
                     {"do": "renew", "code": guess}).status_code == 400
    throttled = _form(client, "/password/second-factor",
                      {"do": "renew", "code": pyotp.TOTP(secret).now()})
    assert throttled.status_code == 429 and "<li><code>" not in throttled.get_data(as_text=True)
