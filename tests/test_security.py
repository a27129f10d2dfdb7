"""Security of every page: headers on each response, the session cookie, and a note that tries
to inject a script shown as text."""


import hashlib
import json

import pytest
from sqlalchemy import select

from workflows.files import filing, notes
from workflows.models import SignInSession

from web import create_app
from webtools import make_app, post, sign_in
from test_permissions import PDF, build, the_file  # noqa: F401  (the file fixture)

FRAMED = {"files.document", "files.receipt_letter"}  # shown in frames of our own pages


def pages(app, ids):
    """A GET url for every page rule whose arguments we can fill in."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "vendor.asset"):
            continue
        if set(rule.arguments) <= set(ids):
            yield rule.endpoint, build(rule, ids)


def test_every_page_sends_the_security_headers(app, session, the_file):
    _file, ids = the_file
    client = app.test_client()
    sign_in(client, "sunita.kumari")  # head of office: sees every page of the file
    seen = 0
    for endpoint, url in pages(app, ids):
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)  # refusals get headers too
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        script = next((d for d in csp.split(";") if d.strip().startswith("script-src")),
                      next(d for d in csp.split(";") if d.strip().startswith("default-src")))
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, url
        expected = "SAMEORIGIN" if endpoint in FRAMED else "DENY"
        assert headers["X-Frame-Options"] == expected, url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] in ("same-origin", "no-referrer"), url
        if endpoint not in FRAMED:
            assert "frame-ancestors 'none'" in csp, url
        seen += 1
    assert seen >= 12


def test_session_cookie_is_httponly_samesite_and_secure_when_asked(session, tmp_path, monkeypatch):
    client = make_app(session, tmp_path).test_client()
    cookie = sign_in(client, "manoj.yadav").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setenv("SANCHIKA_SECURE_COOKIES", "1")
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_session_cookie_names_the_user_by_a_token_that_tells_nothing_of_the_password(
        session, tmp_path, people):
    app = make_app(session, tmp_path)
    client = app.test_client()
    sign_in(client, "manoj.yadav")
    cookie = client.get_cookie("session").value
    content = app.session_interface.get_signing_serializer(app).loads(cookie)
    session.expire_all()
    manoj = people.manoj
    [row] = session.scalars(select(SignInSession).where(SignInSession.user_id == manoj.id))
    assert row.token_sha256 == hashlib.sha256(content["_user_id"].encode()).hexdigest()
    assert content["_user_id"] not in repr(row.__dict__)  # the server keeps only its hash
    secret = manoj.password_hash.rsplit("$", 1)[-1]  # argon2: the hash after the last "$"
    pieces = {secret[i:i + 6] for i in range(len(secret) - 5)}
    told = json.dumps(content) + cookie
    assert not [p for p in pieces if p in told], "a piece of the password hash is in the cookie"
    assert set(content) <= {"_user_id", "_fresh", "_id", "_permanent", "csrf_token", "lang",
                            "_flashes"}


def test_a_note_with_a_script_is_shown_as_text(app, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="<img src=x onerror=alert(1)> Khata 9")
    notes.add_note(session, number=file.number, user=people.manoj,
                   body='<script>alert("x")</script> and <b>bold</b>')
    client = app.test_client()
    sign_in(client, "manoj.yadav")
    body = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in body and "<script>alert" not in body
    assert "<img src=x" not in body and "&lt;b&gt;bold" in body
    api = client.application.test_client()
    from workflows.org import tokens
    _row, token = tokens.create_token(session, people.manoj)
    response = api.get(f"/api/v1/files/{file.id}", headers={"Authorization": f"Bearer {token}"})
    assert response.mimetype == "application/json"  # never rendered as HTML


def test_forms_without_the_csrf_token_are_refused(app, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Khata 10")
    client = app.test_client()
    sign_in(client, "manoj.yadav")
    response = client.post(f"/files/{file.id}/notes", data={"note": "forged"})
    assert response.status_code == 400
    assert post(client, f"/files/{file.id}/notes", {"note": "real"}).status_code == 302
    assert [n.body for n in notes.notes_of(session, file)] == ["real"]


@pytest.mark.parametrize("target", ["/%09/evil.example/x", "//evil.example", "/\\evil.example",
                                    "/%5Cevil.example", "https://evil.example", "/%0d/evil.example",
                                    "/%20/evil.example", "\\\\evil.example", "javascript:alert(1)"])
def test_after_signing_in_only_the_applications_own_paths_are_followed(client, target):
    from webtools import csrf
    token = csrf(client)
    reply = client.post(f"/sign-in?next={target}", data={
        "login": "pooja.kumari", "password": "sanchika-demo", "csrf_token": token})
    assert reply.status_code == 302
    assert reply.headers["Location"] in ("/", "/inbox/", "http://localhost/"), target
