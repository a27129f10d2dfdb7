"""Two senders and a slow SMTP server (aiosmtpd on loopback, sleeping in its handler): each
message is claimed just before it is sent, for longer than a send can take, so no message is
received twice; a server slower than the send's deadline is cut off and the message retried
under the same Message-ID.  SQLite and PostgreSQL."""

import asyncio
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from test_outbox import NOW, factory, free_port, queue  # noqa: F401  (fixtures)
from workflows.clock import utcnow
from workflows.db import make_engine, make_sessionmaker
from workflows.mail import outbox
from workflows.models import OutboxMail


class SlowInbox:
    """Takes each message, then waits ``delay`` seconds before saying 250."""

    def __init__(self, delay):
        self.delay, self.received = delay, []

    async def handle_DATA(self, server, smtp_session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(message["Message-ID"])
        await asyncio.sleep(self.delay)
        return "250 OK"


@pytest.fixture
def slow_smtp():
    handler = SlowInbox(delay=1.5)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def sender(url, port, until, errors):
    """A scheduler's send job, in a process of its own: a pass every 0.2 s."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    transport = outbox.SmtpTransport("127.0.0.1", port, security="none", timeout=5)
    try:
        while time.monotonic() < until:
            outbox.send_pending(sessions, utcnow(), transport)
            with sessions.begin() as session:
                if not session.scalars(select(OutboxMail.id).where(
                        OutboxMail.status != "sent")).first():
                    return
            time.sleep(0.2)
    except Exception as exc:  # the test reports it
        errors.append(exc)
    finally:
        engine.dispose()


@pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
def test_two_senders_and_a_slow_server_deliver_each_message_exactly_once(empty_db, slow_smtp,
                                                                        monkeypatch):
    # a pass of several slow messages lasts longer than this: before, a claim lasted CLAIM
    # from the start of the pass, and a later pass took the message being sent
    monkeypatch.setattr(outbox, "CLAIM", timedelta(seconds=1))
    controller, handler = slow_smtp
    engine = make_engine(empty_db)
    with make_sessionmaker(engine).begin() as session:
        ids = [outbox.enqueue(session, to=[f"official{n}@saran.example"], subject=f"Mail {n}",
                              body="संचिका / file").id for n in range(6)]
    errors, until = [], time.monotonic() + 40
    senders = [threading.Thread(target=sender, args=(empty_db, controller.port, until, errors))
               for _ in range(2)]
    for thread in senders:
        thread.start()
        time.sleep(0.7)  # the second starts while the first is sending
    for thread in senders:
        thread.join()
    assert errors == []
    assert sorted(handler.received) == sorted(f"<sanchika-outbox-{i}@localhost>" for i in ids)
    with make_sessionmaker(engine).begin() as session:
        rows = session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert [(m.status, m.attempts) for m in rows] == [("sent", 1)] * len(ids)
    engine.dispose()


def test_a_server_slower_than_the_deadline_is_cut_off_and_retried_with_the_same_id(
        session, factory, slow_smtp):
    controller, handler = slow_smtp
    transport = outbox.SmtpTransport("127.0.0.1", controller.port, security="none", timeout=5,
                                     deadline=0.5)
    assert transport.longest == timedelta(seconds=5.5)
    mail = queue(session)
    started = time.monotonic()
    [first] = outbox.send_pending(factory, NOW, transport)
    assert time.monotonic() - started < 1.4   # cut at the deadline, not at the server's 250
    assert first.status == "queued" and "deadline of 0.5 s" in first.error
    handler.delay = 0
    [second] = outbox.send_pending(factory, NOW + timedelta(minutes=1), transport)
    session.expire_all()
    assert (second.status, mail.status, mail.attempts) == ("sent", "sent", 2)
    # it arrived the first time too, unacknowledged: a receiver can drop the repeat by its id
    assert handler.received == [f"<sanchika-outbox-{mail.id}@localhost>"] * 2


class Overtaken:
    """A sender paused past its claim (or with a clock far behind): another takes the
    message meanwhile.  The first must not then write over what the second recorded."""

    sender = outbox.DEFAULT_SENDER
    longest = timedelta(seconds=10)

    def __init__(self, factory):
        self.factory, self.sent = factory, []

    def send(self, message):
        self.sent.append(message["Message-ID"])
        if len(self.sent) == 1:
            later = NOW + timedelta(hours=1)
            [self.overtaking] = outbox.send_pending(self.factory, later, self)
        return f"smtp://try-{len(self.sent)}"


def test_a_sender_that_lost_its_claim_records_nothing_over_the_new_holder(session, factory):
    mail = queue(session)
    transport = Overtaken(factory)
    [outcome] = outbox.send_pending(factory, NOW, transport)
    session.expire_all()
    assert transport.overtaking.status == "sent" and outcome.status == "lost"
    assert (mail.status, mail.attempts, mail.delivered_to) == ("sent", 2, "smtp://try-2")
