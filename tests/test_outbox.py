"""The mail outbox against a real SMTP server on loopback (aiosmtpd): delivered, retried with
back-off while the server is down, delivered once when it is up, STARTTLS with a login, .eml
files when no server is configured, and the administrators' outbox page."""

import re
import socket
import subprocess
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy.orm import sessionmaker

from web import create_app
from workflows.mail import outbox
from webtools import DEMO_EXEMPT

NOW = datetime(2026, 11, 10, 5, 0, tzinfo=timezone.utc)


class Inbox:
    """An SMTP handler that keeps what it receives; ``refuse`` answers every message with it."""

    def __init__(self, refuse=None):
        self.messages, self.refuse = [], refuse

    async def handle_DATA(self, server, smtp_session, envelope):
        if self.refuse:
            return self.refuse
        self.messages.append((envelope.rcpt_tos,
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def factory(session):
    """Transactions of the code under test, as savepoints of the test's session."""
    return sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


def send(session, factory, now, transport):
    """One sending run; the test's own session then reads what it wrote."""
    outcomes = outbox.send_pending(factory, now, transport)
    session.expire_all()
    return outcomes


def queue(session, to=("manoj.yadav@saran.example",), cc=(), subject="Reminder", office=None):
    return outbox.enqueue(session, to=list(to), cc=list(cc), subject=subject,
                          body="संचिका संख्या: SADAR/REV/2026/0001\nFile: SADAR/REV/2026/0001",
                          office_id=office.id if office else None, now=NOW)


def test_queued_mail_is_delivered_once_with_its_copy_and_hindi_text(session, factory, smtp,
                                                                   sadar):
    controller, handler = smtp
    mail = queue(session, cc=["rajesh.prasad@saran.example"], subject="स्मरण / Reminder",
                 office=sadar)
    transport = outbox.SmtpTransport("127.0.0.1", controller.port, security="none")
    [outcome] = send(session, factory, NOW, transport)
    assert (outcome.status, mail.status, mail.attempts) == ("sent", "sent", 1)
    assert send(session, factory, NOW + timedelta(hours=1), transport) == []
    [(rcpts, message)] = handler.messages
    assert rcpts == ["manoj.yadav@saran.example", "rajesh.prasad@saran.example"]
    assert message["Subject"] == "स्मरण / Reminder" and message["Cc"] == "rajesh.prasad@saran.example"
    assert message["Message-ID"] == f"<sanchika-outbox-{mail.id}@localhost>"
    assert "संचिका संख्या: SADAR/REV/2026/0001" in message.get_content()


def test_smtp_down_then_up_is_retried_with_back_off_and_delivered_once(session, factory):
    port = free_port()  # nothing listens here yet
    transport = outbox.SmtpTransport("127.0.0.1", port, security="none", timeout=5)
    mail = queue(session)
    [first] = send(session, factory, NOW, transport)
    assert first.status == "queued" and "Connection refused" in first.error
    assert (mail.attempts, mail.next_attempt_at) == (1, NOW + timedelta(minutes=1))
    assert send(session, factory, NOW + timedelta(seconds=30), transport) == []
    [second] = send(session, factory, NOW + timedelta(minutes=1), transport)
    assert second.status == "queued" and mail.next_attempt_at == NOW + timedelta(minutes=3)
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        [third] = send(session, factory, NOW + timedelta(minutes=3), transport)
        assert send(session, factory, NOW + timedelta(hours=2), transport) == []
    finally:
        controller.stop()
    assert (third.status, mail.status, mail.attempts) == ("sent", "sent", 3)
    assert len(handler.messages) == 1


def test_a_refused_message_fails_and_an_administrator_can_retry_it(session, factory):
    handler = Inbox(refuse="550 mailbox unavailable")
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        transport = outbox.SmtpTransport("127.0.0.1", controller.port, security="none")
        mail = queue(session)
        [outcome] = send(session, factory, NOW, transport)
        assert (outcome.status, mail.last_error) == ("failed", "550 mailbox unavailable")
        outbox.retry(session, mail.id, None, NOW + timedelta(hours=1))
        handler.refuse = None
        [outcome] = send(session, factory, NOW + timedelta(hours=1), transport)
    finally:
        controller.stop()
    assert outcome.status == "sent" and len(handler.messages) == 1


def test_a_message_still_refused_after_the_last_attempt_is_failed(session, factory):
    transport = outbox.SmtpTransport("127.0.0.1", free_port(), security="none", timeout=5)
    mail = queue(session)
    now = NOW
    for _ in range(outbox.MAX_ATTEMPTS):
        send(session, factory, now, transport)
        now = mail.next_attempt_at
    assert (mail.status, mail.attempts) == ("failed", outbox.MAX_ATTEMPTS)


@pytest.fixture
def certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def test_starttls_and_login_from_the_settings(session, factory, certificate, monkeypatch):
    import ssl
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticate(server, smtp_session, envelope, mechanism, auth_data):
        logins.append(auth_data.login)
        return AuthResult(success=auth_data.login == b"sanchika"
                          and auth_data.password == b"s3cret")

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    try:
        for name, value in (("HOST", "127.0.0.1"), ("PORT", str(controller.port)),
                            ("SECURITY", "starttls"), ("USER", "sanchika"),
                            ("PASSWORD", "s3cret"), ("CAFILE", str(cert)),
                            ("FROM", "Sanchika <noreply@saran.example>")):
            monkeypatch.setenv(f"SANCHIKA_SMTP_{name}", value)
        transport = outbox.transport_from_settings()
        queue(session)
        [outcome] = send(session, factory, NOW, transport)
    finally:
        controller.stop()
    assert outcome.status == "sent" and logins == [b"sanchika"]
    assert handler.messages[0][1]["From"] == "Sanchika <noreply@saran.example>"


def test_without_smtp_each_mail_is_an_eml_file(session, factory, tmp_path, monkeypatch):
    monkeypatch.delenv("SANCHIKA_SMTP_HOST", raising=False)
    transport = outbox.transport_from_settings({}, tmp_path)
    mail = queue(session)
    [outcome] = send(session, factory, NOW, transport)
    path = tmp_path / "mail" / f"{mail.id:08d}.eml"
    assert outcome.where == str(path) and mail.delivered_to == str(path)
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "manoj.yadav@saran.example"


def _client(session):
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SESSION_FACTORY": factory,
                      "DATABASE_URL": "sqlite://", "SECOND_FACTOR_EXEMPT": DEMO_EXEMPT})
    return app.test_client()


def _sign_in(client, login):
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"login": login, "password": "sanchika-demo",
                                  "csrf_token": token})


def test_the_outbox_page_shows_an_offices_mail_to_its_administrators_and_retries(
        session, sadar, ddmo):
    failed = queue(session, subject="Escalation: file SADAR/REV/2026/0009", office=sadar)
    failed.status, failed.last_error = "failed", "550 mailbox unavailable"
    other = queue(session, subject="A DDMO reminder", office=ddmo)
    session.flush()
    client = _client(session)
    _sign_in(client, "manoj.yadav")  # neither administrator nor head
    assert client.get("/admin/outbox/").status_code == 403
    client = _client(session)
    _sign_in(client, "sunita.kumari")  # head of SADAR (and no admin of DDMO)
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Escalation: file SADAR/REV/2026/0009" in page and "550 mailbox unavailable" in page
    assert "A DDMO reminder" not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/outbox/{other.id}/retry",
                       data={"csrf_token": token}).status_code == 302
    assert other.status == "queued"  # not hers: refused with a message, nothing changed
    response = client.post(f"/admin/outbox/{failed.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    session.refresh(failed)
    assert (failed.status, failed.attempts) == ("queued", 0)
