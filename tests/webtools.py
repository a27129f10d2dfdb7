"""Helpers for page tests: an app bound to the test's transaction, signing in, reading pages."""

import html
import re

from sqlalchemy.orm import sessionmaker

from web import create_app

PASSWORD = "sanchika-demo"
# The demo's heads of office and administrators, let in without a second factor (a test's
# setting; tests of the second factor pass SECOND_FACTOR_EXEMPT=()).
DEMO_EXEMPT = ("anil.sinha", "vikas.kumar", "sunita.kumari")


def make_app(session, tmp_path, **config):
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    return create_app({"TESTING": True, "SECRET_KEY": "test", "SESSION_FACTORY": factory,
                       "DATABASE_URL": "sqlite://", "SECOND_FACTOR_EXEMPT": DEMO_EXEMPT,
                       "ATTACHMENTS": str(tmp_path / "store"), **config})


def csrf(client, path="/sign-in"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, login, password=PASSWORD):
    return client.post("/sign-in", data={"login": login, "password": password,
                                         "csrf_token": csrf(client)})


def post(client, path, data=None, **kwargs):
    """POST a form with the page's CSRF token, as a browser would."""
    data = dict(data or {})
    data["csrf_token"] = csrf(client, "/")
    return client.post(path, data=data, **kwargs)


def text(response):
    """The visible text of a page, whitespace folded, entities decoded."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def flashes(response):
    return [html.unescape(m) for m in re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<',
                                                 response.get_data(as_text=True))]
