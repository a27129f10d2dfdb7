"""The inbox says at which post each file waits (own post or additional charge) and can be
filtered by post."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from test_file_pages import mutation  # noqa: F401  (fixture: a land mutation file with manoj)
from test_hindi_pages import speak
from workflows import clock
from workflows.files import filing, inbox
from workflows.models import Post, PostHolding

from webtools import sign_in, text


def post_of(session, office, code):
    return session.scalar(select(Post).where(Post.office_id == office.id, Post.code == code))


@pytest.fixture
def at_ci_on_charge(session, sadar, people, mutation):
    """Arvind (Head Clerk) holds the Circle Inspector's post on charge; a file waits there and
    another at his own post."""
    ci = post_of(session, sadar, "CI")
    session.add(PostHolding(post_id=ci.id, user_id=people.arvind.id, from_date=clock.today(),
                            to_date=clock.today() + timedelta(days=10), kind="charge"))
    filing.act(session, number=mutation.number, user=people.manoj, choice="Submit report")
    own = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                           subject="Stationery for the record room")
    filing.act(session, number=own.number, user=people.pooja, choice="Submit")
    session.flush()
    return ci, own


def test_each_row_says_own_post_or_charge_and_the_inbox_filters_by_post(
        session, sadar, people, mutation, at_ci_on_charge):
    ci, own = at_ci_on_charge
    hc = post_of(session, sadar, "HC")
    assert [(p.code, kind) for p, kind in inbox.held(session, people.arvind)] == [
        ("HC", "regular"), ("CI", "charge")]
    rows = {r.file.id: r for r in inbox.inbox(session, people.arvind)}
    assert rows[mutation.id].charge and rows[mutation.id].post.code == "CI"
    assert not rows[own.id].charge and rows[own.id].post.code == "HC"
    assert [r.file.id for r in inbox.inbox(session, people.arvind, post_id=ci.id)] == [mutation.id]
    assert [r.file.id for r in inbox.inbox(session, people.arvind, post_id=hc.id)] == [own.id]
    # a post not held is no filter into another's inbox
    rk1 = post_of(session, sadar, "RK-1")
    assert inbox.inbox(session, people.arvind, post_id=rk1.id) == []


@pytest.mark.parametrize("language, own_word, charge_word", [
    ("en", "(own post)", "(additional charge)"), ("hi", "(अपना पद)", "(अतिरिक्त प्रभार)")])
def test_the_inbox_page_names_the_post_and_filters(client, session, sadar, mutation,
                                                   at_ci_on_charge, language, own_word,
                                                   charge_word):
    ci, own = at_ci_on_charge
    speak(client, language, "arvind.mishra")
    page = text(client.get("/"))
    assert own_word in page and charge_word in page
    assert mutation.number in page and own.number in page
    only_ci = text(client.get(f"/?post={ci.id}"))
    assert mutation.number in only_ci and own.number not in only_ci
    rk1 = post_of(session, sadar, "RK-1")
    assert client.get(f"/?post={rk1.id}").status_code == 404
    assert client.get("/?post=x").status_code == 404


def test_one_post_holder_sees_no_post_filter(client, mutation):
    sign_in(client, "manoj.yadav")
    page = client.get("/").get_data(as_text=True)
    assert 'name="post"' not in page and "(own post)" in text(client.get("/"))
