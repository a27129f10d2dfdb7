"""The mail outbox: mail is written in the transaction that decides to send it, and a sender
job delivers it after the commit, over SMTP or, with no SMTP server configured (the embedded
default), as .eml files under ``instance/mail/``.

Sending claims one message at a time, just before sending it, in its own short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite, so several senders share
the queue), talks to the server with no transaction open, then records the outcome.  A claim
is taken at the time it is taken (not when the pass began) and lasts longer than a send can:
the transport's ``longest`` (an SMTP conversation is cut off at its deadline) and ``CLAIM``
more, so no second sender takes a message while the first may still be sending it (the claim
lapses only if the sender died).  The claim is numbered by the attempt it makes: a sender
that lost its claim all the same writes nothing over the new holder's outcome.  A server that
is down is tried again with back-off, under the same Message-ID; a message refused outright,
or still not delivered after ``MAX_ATTEMPTS``, is marked failed for an administrator to retry.
"""

import logging
import os
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .. import audit
from ..db import DEFAULT_INSTANCE
from ..errors import NotAllowed, NotFound
from ..models import OutboxMail, User
from ..org import password_links
from .headers import subject_header

CLAIM = timedelta(minutes=1)            # how much longer than the longest send a claim lasts
LONGEST_SEND = timedelta(minutes=5)     # for a transport that does not say its own
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
DEFAULT_SENDER = "Sanchika <sanchika@localhost>"
log = logging.getLogger("sanchika.outbox")


def enqueue(session: Session, *, to: Iterable[str], subject: str, body: str,
            cc: Iterable[str] = (), language: str = "en", office_id: int | None = None,
            escalation_id: int | None = None, now: datetime | None = None,
            flush: bool = True) -> OutboxMail:
    """Queue a message in the caller's transaction; nothing is sent before it commits (nor
    written before the session's next flush, with ``flush=False``)."""
    mail = OutboxMail(to_addrs=", ".join(to), cc_addrs=", ".join(cc), subject=subject[:500],
                      body=body, language=language, office_id=office_id,
                      escalation_id=escalation_id)
    if now is not None:
        mail.created_at = mail.next_attempt_at = now
    session.add(mail)
    if flush:
        session.flush()
    return mail


def back_off(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 1, 2, 4 ... minutes, at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


@dataclass
class Outcome:
    mail_id: int
    status: str       # sent | queued (to be tried again) | failed | lost (claim taken over)
    to: str
    where: str = ""   # the server, or the .eml path
    error: str = ""


class Transport(Protocol):
    """What the sender needs of a transport (``SmtpTransport``, ``EmlTransport``); one may
    also say how long a send can take (``longest``, a timedelta)."""

    sender: str

    def send(self, message: EmailMessage) -> str: ...


def send_pending(session_factory: sessionmaker[Session], now: datetime, transport: Transport,
                 limit: int = 500) -> list[Outcome]:
    """Deliver queued mail due at ``now`` through ``transport``, one transaction to claim and
    one to record each message; return an Outcome per message tried.  ``now`` moves on with
    the time the pass has taken (whole seconds), so that each claim starts when it is made."""
    outcomes, started = [], time.monotonic()
    claim = getattr(transport, "longest", LONGEST_SEND) + CLAIM

    def moment() -> datetime:
        return now + timedelta(seconds=int(time.monotonic() - started))

    for _ in range(limit):
        with session_factory.begin() as session:
            mail = _claim_next(session, moment(), claim)
            if mail is None:
                break
            # a password link is made now, its digest committed before the mail goes
            body = password_links.fill(session, mail, moment())
            message, mail_id, attempt = build_message(mail, transport.sender, body), mail.id, \
                mail.attempts
        where, error, permanent = _send(transport, message)
        with session_factory.begin() as session:
            # claimed above, and outbox rows are never deleted
            mail = session.get_one(OutboxMail, mail_id, with_for_update=True)
            if (mail.status, mail.attempts) != ("sending", attempt):
                log.warning("mail %s: the claim of attempt %s was taken over", mail_id, attempt)
                outcomes.append(Outcome(mail_id, "lost", mail.to_addrs, where, error))
                continue
            outcomes.append(_record(session, mail, moment(), where, error, permanent))
    return outcomes


def _send(transport: Transport, message: EmailMessage) -> tuple[str, str, bool]:
    """(where, error, permanent) of one try."""
    try:
        return transport.send(message), "", False
    except smtplib.SMTPResponseException as exc:
        return "", f"{exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code >= 500
    except smtplib.SMTPRecipientsRefused as exc:
        return "", f"recipients refused: {exc.recipients}", True
    except (OSError, smtplib.SMTPException) as exc:
        return "", f"{type(exc).__name__}: {exc}", False


def _claim_next(session: Session, now: datetime, claim: timedelta) -> OutboxMail | None:
    stmt = (select(OutboxMail).where(OutboxMail.status.in_(("queued", "sending")),
                                     OutboxMail.next_attempt_at <= now)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    mail = session.scalar(stmt)
    if mail is not None:
        mail.status, mail.attempts = "sending", mail.attempts + 1
        mail.next_attempt_at = now + claim
    return mail


def _record(session: Session, mail: OutboxMail, now: datetime, where: str, error: str,
            permanent: bool) -> Outcome:
    if not error:
        mail.status, mail.sent_at, mail.delivered_to, mail.last_error = "sent", now, where, ""
    elif permanent or mail.attempts >= MAX_ATTEMPTS:
        mail.status, mail.last_error = "failed", error[:2000]
        audit.record(session, "mail.failed", None, office_id=mail.office_id, mail=mail.id,
                     error=error[:500])
    else:
        mail.status, mail.last_error = "queued", error[:2000]
        mail.next_attempt_at = now + back_off(mail.attempts)
    return Outcome(mail.id, mail.status, mail.to_addrs, where, error)


def build_message(mail: OutboxMail, sender: str = DEFAULT_SENDER,
                  body: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_addrs
    if mail.cc_addrs:
        message["Cc"] = mail.cc_addrs
    message.set_raw("Subject", subject_header(mail.subject))
    message["Date"] = format_datetime(mail.created_at)
    # The same id on every try, so a receiving server can drop a repeat after a crash.
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
    message["Message-ID"] = f"<sanchika-outbox-{mail.id}@{domain}>"
    message["X-Sanchika-Outbox"] = str(mail.id)
    message.set_content(mail.body if body is None else body)
    return message


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class SmtpTransport:
    """Deliver over SMTP; ``security`` is "starttls", "tls" (implicit, port 465) or "none".

    ``timeout`` bounds each step of the conversation (connecting is one), ``deadline``
    (seconds) the whole of it once connected: a server that answers slowly, step after step,
    is cut off there, so that a send never outlasts its claim (``longest``)."""

    def __init__(self, host: str, port: int | str | None = None, security: str = "starttls",
                 username: str = "", password: str = "", sender: str = DEFAULT_SENDER,
                 timeout: float = 15, cafile: str | None = None,
                 deadline: float | None = None) -> None:
        if security not in ("starttls", "tls", "none"):
            raise ValueError("SMTP security must be starttls, tls or none")
        self.host, self.security = host, security
        self.port = int(port or {"tls": 465, "starttls": 587}.get(security, 25))
        self.username, self.password, self.sender = username, password, sender
        self.timeout, self.cafile = timeout, cafile or None
        self.deadline = 4 * timeout if deadline is None else deadline
        # the deadline, and one step's timeout for connecting before the socket can be cut
        self.longest = timedelta(seconds=self.deadline + self.timeout)

    def send(self, message: EmailMessage) -> str:
        context = ssl.create_default_context(cafile=self.cafile)
        if self.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                  context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        late = threading.Event()  # connected: from here the deadline runs
        watchdog = threading.Timer(self.deadline, _cut, (smtp, late))
        watchdog.daemon = True
        watchdog.start()
        try:
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            if late.is_set():
                raise TimeoutError(f"the server took longer than the deadline of "
                                   f"{self.deadline:g} s") from exc
            raise
        finally:
            watchdog.cancel()
        return f"smtp://{self.host}:{self.port}"


def _cut(smtp: smtplib.SMTP, late: threading.Event) -> None:
    """At the deadline: end the conversation from under the sender (a shutdown wakes a
    blocked read, where a close might not)."""
    late.set()
    sock = smtp.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class EmlTransport:
    """Write each message as ``<folder>/<id>.eml`` (no SMTP server configured)."""

    longest = timedelta(seconds=30)  # one file written and renamed

    def __init__(self, folder: str | Path, sender: str = DEFAULT_SENDER) -> None:
        self.folder, self.sender = Path(folder), sender

    def send(self, message: EmailMessage) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{int(message['X-Sanchika-Outbox']):08d}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(bytes(message))
        os.replace(partial, path)
        return str(path)


def transport_from_settings(settings: Mapping[str, object] | None = None,
                            instance: str | Path | None = None) -> SmtpTransport | EmlTransport:
    """The transport the settings name: ``SANCHIKA_SMTP_HOST``, ``_PORT``, ``_SECURITY``,
    ``_USER``, ``_PASSWORD``, ``_FROM`` and ``_CAFILE`` (a CA for a private server) from ``settings`` (a mapping), else the
    environment; with no host, .eml files under ``instance``/mail."""
    def get(name: str, default: str = "") -> str:
        key = f"SANCHIKA_SMTP_{name}"
        value = (settings or {}).get(key)
        return str(value) if value not in (None, "") else os.environ.get(key, default)
    sender = get("FROM", DEFAULT_SENDER)
    if not get("HOST"):
        return EmlTransport(Path(instance or DEFAULT_INSTANCE) / "mail", sender)
    port = get("PORT")
    security = get("SECURITY") or ("tls" if port == "465" else "starttls")
    return SmtpTransport(get("HOST"), port or None, security.lower(), get("USER"),
                         get("PASSWORD"), sender, cafile=get("CAFILE"))


def mails(session: Session, office_ids: Iterable[int], status: str | None = None,
          limit: int = 200) -> list[OutboxMail]:
    """The latest mail of the given offices, newest first."""
    stmt = (select(OutboxMail).where(OutboxMail.office_id.in_(office_ids))
            .order_by(OutboxMail.id.desc()).limit(limit))
    if status:
        stmt = stmt.where(OutboxMail.status == status)
    return list(session.scalars(stmt))


def retry(session: Session, mail_id: int, user: User | None, now: datetime,
          office_ids: Collection[int] | None = None) -> OutboxMail:
    """Put a failed (or waiting) message back in the queue to be sent at once."""
    mail = session.get(OutboxMail, mail_id)
    if mail is None or (office_ids is not None and mail.office_id not in office_ids):
        raise NotFound("no mail %(id)s in your offices' outbox", id=mail_id)
    if mail.status in ("sent", "sending"):
        raise NotAllowed("mail %(id)s is %(status)s; only mail waiting or failed can be "
                         "retried", id=mail_id, status=mail.status)
    mail.status, mail.attempts, mail.next_attempt_at = "queued", 0, now
    audit.record(session, "mail.retry", user, office_id=mail.office_id, mail=mail.id)
    session.flush()
    return mail
