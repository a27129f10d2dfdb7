"""The web app's first pages: signing in and out, and the inbox."""

import re

import pytest
from sqlalchemy.orm import sessionmaker

from web import create_app
from workflows import filing


@pytest.fixture
def app(session, tmp_path):
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    return create_app({"TESTING": True, "SECRET_KEY": "test", "SESSION_FACTORY": factory,
                       "DATABASE_URL": "sqlite://"})


@pytest.fixture
def client(app):
    return app.test_client()


def csrf(client, path="/sign-in"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, login, password="sanchika-demo"):
    return client.post("/sign-in", data={"login": login, "password": password,
                                         "csrf_token": csrf(client)})


def test_inbox_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_wrong_password_is_refused_with_a_message(client):
    response = sign_in(client, "manoj.yadav", "wrong-password")
    assert response.status_code == 401
    assert "The login or password is wrong." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_form_without_csrf_token_is_refused(client):
    response = client.post("/sign-in", data={"login": "manoj.yadav", "password": "sanchika-demo"})
    assert response.status_code == 400


def test_sign_in_shows_the_files_waiting_and_sign_off_ends_the_session(client, session, sadar,
                                                                          people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="भूमि दाखिल-खारिज: खाता 12")
    session.flush()
    response = sign_in(client, "manoj.yadav")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert file.number in page and "भूमि दाखिल-खारिज: खाता 12" in page
    assert "Enquire and submit report" in page
    # another official does not see it
    client.post("/sign-off", data={"csrf_token": csrf(client, "/")})
    assert client.get("/").status_code == 302
    sign_in(client, "rajesh.prasad")
    assert file.number not in client.get("/").get_data(as_text=True)


def test_pages_carry_security_headers(client):
    response = client.get("/sign-in")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
