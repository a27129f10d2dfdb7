"""A new official chooses their own password from a link mailed to them; no password is
ever mailed.

The mail is queued with ``SLOT`` where the link's token goes, and a ``PasswordLink`` row with
no token saying which user the mail's link is for.  The sender makes the token when it sends
the mail (``fill``), so the outbox, which administrators read, never holds anything that signs
in; only the token's SHA-256 is kept.  A link is good once, for ``valid_for`` from when it was
sent, and only while the password is the one it was made against: using any link of a mail
(or changing the password another way) ends them all.  A retry of the mail makes another
token and keeps the earlier ones (a retry may follow a mail that did arrive).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..errors import NotAllowed
from ..models import OutboxMail, PasswordLink, User
from .people import checked_password, use_password

SLOT = "{token}"
PATH = "set-password/"
DEFAULT_DAYS = 3


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def link_text(site_url: str) -> str:
    """Where the link goes in a mail's body: the site's address and the slot for the token."""
    return f"{site_url}{PATH}{SLOT}"


def attach(session: Session, user: User, mail: OutboxMail) -> PasswordLink:
    """Say that ``mail`` (queued, its body holding ``link_text``) carries a link for ``user``
    to choose their password; the link is made when the mail is sent."""
    link = PasswordLink(user_id=user.id, mail_id=mail.id,
                        password_sha256=digest(user.password_hash))
    session.add(link)
    session.flush()
    return link


def fill(session: Session, mail: OutboxMail, now: datetime) -> str:
    """The body of ``mail`` as it is to be sent: with a fresh token in its slots if it carries
    a password link (the token's digest is kept, in the caller's transaction)."""
    first = session.scalar(select(PasswordLink).where(PasswordLink.mail_id == mail.id)
                           .order_by(PasswordLink.id).limit(1))
    if first is None or SLOT not in mail.body:
        return mail.body
    link = first
    if first.token_sha256 is not None:  # sent before: this try gets a token of its own
        link = PasswordLink(user_id=first.user_id, mail_id=mail.id,
                            password_sha256=first.password_sha256)
        session.add(link)
    token = secrets.token_urlsafe(32)
    link.token_sha256, link.created_at = digest(token), now
    session.flush()
    return mail.body.replace(SLOT, token)  # the link is in each language of the mail


def user_for(session: Session, token: str, valid_for: timedelta,
             now: datetime | None = None) -> User:
    """The user whose link ``token`` is, if the link is still good; else refused."""
    return _good(session, token, valid_for, now or utcnow()).user


def set_password(session: Session, token: str, new: str, repeat: str, valid_for: timedelta,
                 now: datetime | None = None) -> User:
    """Set the password of the link's user, checked as the password page checks one, and end
    the link (and every other link made against the old password).  A refusal changes
    nothing: a mistyped password leaves the link good."""
    now = now or utcnow()
    link = _good(session, token, valid_for, now)
    password_hash = checked_password(new, repeat)
    # one use: of two requests racing with one link, the second finds used_at set
    used = session.execute(update(PasswordLink).where(PasswordLink.id == link.id,
                                                      PasswordLink.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise _refused()
    use_password(session, link.user, password_hash, "user.password_set_by_link")
    session.flush()
    return link.user


def _good(session: Session, token: str, valid_for: timedelta, now: datetime) -> PasswordLink:
    link = session.scalar(select(PasswordLink).where(
        PasswordLink.token_sha256 == digest(token or "")))
    if (link is None or link.used_at is not None or link.created_at + valid_for <= now
            or not link.user.active or link.password_sha256 != digest(link.user.password_hash)):
        raise _refused()
    return link


def _refused() -> NotAllowed:
    return NotAllowed("this link cannot be used: it was used already, it has lapsed, or the "
                      "password was changed since; ask your office's administrator")
