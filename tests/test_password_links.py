"""Onboarding mails a link to choose a password, never a password: the outbox that
administrators read holds no secret, the link is made when the mail goes (to a real SMTP
server on loopback), works once and for the office's number of days, ends when the password
changes, survives a mistyped password, and its page speaks English and Hindi.  SQLite and
PostgreSQL."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from test_outbox import factory, free_port, smtp  # noqa: F401  (fixtures)
from workflows import org
from workflows.clock import utcnow
from workflows.errors import InvalidInput, NotAllowed
from workflows.mail import outbox
from workflows.models import AuditEvent, OutboxMail, PasswordLink, User
from workflows.org import onboarding, password_links, people as signing

from webtools import csrf, flashes, make_app, post, sign_in, text

SHEET = ("name,email,mobile,office,section,post,role\n"
         "Neha Verma,neha.verma@saran.example,,SADAR,REV,Revenue Karmachari Halka 3,"
         "Revenue Karmachari\n")
SITE = "https://sanchika.example/"
DAYS = timedelta(days=3)
LINK = re.compile(re.escape(SITE) + r"set-password/([A-Za-z0-9_-]{40,})")


def onboard(session, admin, days=3):
    ((_row, user),) = onboarding.import_staff(session, admin, SHEET, site_url=SITE,
                                              link_days=days)
    return user


def deliver(session, factory, smtp, now=None):
    controller, handler = smtp
    transport = outbox.SmtpTransport("127.0.0.1", controller.port, security="none")
    outbox.send_pending(factory, now or utcnow() + timedelta(seconds=1), transport)
    session.expire_all()
    [(_to, message)] = handler.messages[-1:]
    return message, LINK.search(message.get_content()).group(1)


def stored_text(session):
    """Everything an administrator, or anyone reading the tables, can read of mail and audit."""
    mails = session.scalars(select(OutboxMail)).all()
    return " ".join([m.body + m.subject for m in mails]
                    + [e.detail for e in session.scalars(select(AuditEvent))])


def test_the_mail_carries_a_link_made_when_it_is_sent_and_nothing_stored_signs_in(
        session, factory, smtp, people):
    user = onboard(session, people.sunita)
    [mail] = session.scalars(select(OutboxMail).where(OutboxMail.to_addrs == user.email))
    assert f"{SITE}set-password/{{token}}" in mail.body and "password:" not in mail.body.lower()
    [link] = session.scalars(select(PasswordLink).where(PasswordLink.user_id == user.id))
    assert link.token_sha256 is None           # no token exists until the mail goes
    message, token = deliver(session, factory, smtp)
    assert message["To"] == "neha.verma@saran.example" and "Login: neha.verma" in message.get_content()
    assert "for 3 days" in message.get_content()
    assert token not in stored_text(session)
    assert session.get(OutboxMail, mail.id).body == mail.body   # still the slot, not the token
    assert link.token_sha256 == password_links.digest(token)
    signed = password_links.set_password(session, token, "my own pass 1", "my own pass 1", DAYS)
    assert signed.id == user.id and not signed.must_change_password
    assert signing.check_password(session, "neha.verma", "my own pass 1").id == user.id


def test_a_link_works_once(session, factory, smtp, people):
    onboard(session, people.sunita)
    _message, token = deliver(session, factory, smtp)
    password_links.set_password(session, token, "first choice 1", "first choice 1", DAYS)
    with pytest.raises(NotAllowed, match="it was used already"):
        password_links.set_password(session, token, "second go 22", "second go 22", DAYS)
    assert org.check_password(org.user_by_login(session, "neha.verma"), "first choice 1")


def test_a_link_lapses_after_its_days(session, factory, smtp, people):
    onboard(session, people.sunita)
    sent = utcnow() + timedelta(seconds=1)
    _message, token = deliver(session, factory, smtp, now=sent)
    assert password_links.user_for(session, token, DAYS, now=sent + DAYS - timedelta(minutes=1))
    with pytest.raises(NotAllowed, match="it has lapsed"):
        password_links.set_password(session, token, "too late 123", "too late 123", DAYS,
                                    now=sent + DAYS)


def test_a_link_ends_when_the_password_changes_another_way(session, factory, smtp, people):
    user = onboard(session, people.sunita)
    _message, token = deliver(session, factory, smtp)
    signing.use_password(session, user, org.hash_password("set by someone 1"), "test")
    with pytest.raises(NotAllowed):
        password_links.user_for(session, token, DAYS)


def test_a_mistyped_password_is_refused_and_leaves_the_link_good(session, factory, smtp,
                                                                 people):
    user = onboard(session, people.sunita)
    _message, token = deliver(session, factory, smtp)
    with pytest.raises(InvalidInput, match="the two new passwords differ"):
        password_links.set_password(session, token, "abcdefgh1", "abcdefgh2", DAYS)
    with pytest.raises(InvalidInput, match="at least 8 characters"):
        password_links.set_password(session, token, "short", "short", DAYS)
    assert user.must_change_password
    password_links.set_password(session, token, "abcdefgh1", "abcdefgh1", DAYS)


def choose(client, new, repeat, **kwargs):
    """Post the set-password form as a browser that is signed in as no one would."""
    return client.post("/set-password", data={"new": new, "repeat": repeat,
                                              "csrf_token": csrf(client, "/set-password")},
                       **kwargs)


class ArrivesButTimesOut:
    """A server that takes the message, then the connection drops before its answer: the
    sender must try again, and the official may hold the first mail's link."""

    sender = outbox.DEFAULT_SENDER

    def __init__(self):
        self.messages = []

    def send(self, message):
        self.messages.append(message)
        if len(self.messages) == 1:
            raise TimeoutError("timed out")
        return "smtp://test"


def test_a_retried_mail_has_a_link_of_its_own_and_using_either_ends_both(session, factory,
                                                                         people):
    onboard(session, people.sunita)
    transport, now = ArrivesButTimesOut(), utcnow() + timedelta(seconds=1)
    outbox.send_pending(factory, now, transport)
    outbox.send_pending(factory, now + timedelta(minutes=1), transport)
    first, second = transport.messages
    assert first["Message-ID"] == second["Message-ID"]
    tokens = [LINK.search(m.get_content()).group(1) for m in (first, second)]
    assert tokens[0] != tokens[1]
    assert password_links.user_for(session, tokens[1], DAYS, now=now)
    password_links.set_password(session, tokens[0], "from the first 1", "from the first 1",
                                DAYS, now=now + timedelta(minutes=2))
    with pytest.raises(NotAllowed):
        password_links.user_for(session, tokens[1], DAYS, now=now + timedelta(minutes=3))


@pytest.mark.parametrize("language, words", [
    ("en", {"title": "Choose your password", "differ": "the two new passwords differ",
            "done": "Your password is set: sign in as neha.verma with it.",
            "used": "this link cannot be used: it was used already"}),
    ("hi", {"title": "अपना पासवर्ड चुनें", "differ": "दोनों नए पासवर्ड अलग-अलग हैं",
            "done": "आपका पासवर्ड तय हो गया है: neha.verma के रूप में इसी पासवर्ड से साइन इन करें।",
            "used": "इस कड़ी का उपयोग नहीं हो सकता: इसका उपयोग हो चुका है"}),
])
def test_the_set_password_page_in_english_and_hindi(session, factory, smtp, people, tmp_path,
                                                    language, words):
    onboard(session, people.sunita)
    _message, token = deliver(session, factory, smtp)
    client = make_app(session, tmp_path).test_client()
    client.post("/language", data={"language": language, "next": "/sign-in",
                                   "csrf_token": csrf(client)})
    opened = client.get(f"/set-password/{token}")
    assert opened.status_code == 302 and token not in opened.headers["Location"]
    page = client.get("/set-password")
    assert page.status_code == 200 and words["title"] in text(page) and "neha.verma" in text(page)
    wrong = choose(client, "abcdefgh1", "abcdefgh2")
    assert wrong.status_code == 400 and flashes(wrong) == [words["differ"]]
    done = choose(client, "abcdefgh1", "abcdefgh1", follow_redirects=True)
    assert words["done"] in flashes(done)
    assert client.get(f"/set-password/{token}", follow_redirects=True).status_code == 400
    again = client.get("/set-password")
    assert again.status_code == 400 and flashes(again)[0].startswith(words["used"])
    assert sign_in(client, "neha.verma", "abcdefgh1").status_code == 302


def test_the_page_onboards_with_the_configured_days_and_the_outbox_shows_no_link(
        session, factory, smtp, tmp_path, time_machine):
    client = make_app(session, tmp_path, PASSWORD_LINK_DAYS=1).test_client()
    sign_in(client, "sunita.kumari")
    sadar = org.office_by_code(session, "SADAR")
    page = post(client, f"/admin/offices/{sadar.id}/onboarding", {"csv": SHEET, "do": "import"})
    assert "mailed a link to choose a password" in flashes(page)[0]
    controller, handler = smtp
    transport = outbox.SmtpTransport("127.0.0.1", controller.port, security="none")
    outbox.send_pending(factory, utcnow() + timedelta(seconds=1), transport)
    session.expire_all()
    [(_to, message)] = handler.messages
    body = message.get_content()
    assert "for 1 day from" in body
    token = re.search(r"set-password/([A-Za-z0-9_-]{40,})", body).group(1)
    shown = client.get("/admin/outbox/")
    assert "set-password/{token}" in text(shown) and token not in shown.get_data(as_text=True)
    stranger = make_app(session, tmp_path, PASSWORD_LINK_DAYS=1).test_client()
    time_machine.move_to(utcnow() + timedelta(days=1, minutes=1))
    late = stranger.get(f"/set-password/{token}", follow_redirects=True)
    assert late.status_code == 400 and "it has lapsed" in flashes(late)[0]
    assert session.scalar(select(User.must_change_password).where(User.login == "neha.verma"))


HINDI_SHEET = ("name,name_hi,email,mobile,office,section,post,title,title_hi,reports_to,role\n"
               "Neha Verma,नेहा वर्मा,neha.verma@saran.example,,SADAR,REV,RK-3,"
               "\"Revenue Karmachari, Halka 3\",\"राजस्व कर्मचारी, हल्का ३\",CI,"
               "Revenue Karmachari\n")


def test_a_sheet_names_the_post_in_hindi_and_whom_it_reports_to_and_the_mail_is_bilingual(
        session, factory, smtp, people):
    ((_row, user),) = onboarding.import_staff(session, people.sunita, HINDI_SHEET,
                                              site_url=SITE, link_days=3)
    assert (user.name_hi, user.language) == ("नेहा वर्मा", "hi")
    [post] = org.posts_of(session, user)
    assert (post.code, post.title, post.title_hi) == (
        "RK-3", "Revenue Karmachari, Halka 3", "राजस्व कर्मचारी, हल्का ३")
    assert post.reports_to.code == "CI"
    message, token = deliver(session, factory, smtp)
    assert message["Subject"] == "संचिका में आपका लॉगिन / Your Sanchika login"
    body = message.get_content()
    assert body.index("प्रिय नेहा वर्मा") < body.index("Dear Neha Verma")  # her language first
    assert "राजस्व कर्मचारी, हल्का ३" in body and "३ दिन तक" in body
    assert body.count(token) == 2 and "{token}" not in body   # one link, said in each language
    signed = password_links.set_password(session, token, "my own pass 1", "my own pass 1", DAYS)
    assert signed.id == user.id


@pytest.mark.parametrize("change, problem", [
    (("CI,", "NOBODY,"), "no post 'NOBODY' in Circle Office, Sadar (Chhapra) to report to"),
    (("RK-3,\"Revenue Karmachari, Halka 3\"", "RK-1,\"Revenue Karmachari, Halka 9\""),
     "the post 'Revenue Karmachari, Halka 1' exists: its title is changed on the office's "
     "page, not by the sheet"),
])
def test_a_sheet_cannot_name_an_unknown_superior_or_retitle_a_post(session, people, change,
                                                                     problem):
    rows = onboarding.check_csv(session, people.sunita, HINDI_SHEET.replace(*change))
    assert problem in rows[0].problems
