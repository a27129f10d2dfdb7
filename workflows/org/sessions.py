"""Sign-in sessions kept on the server: each sign-in makes one, the browser's cookie names it by
a random token (only its SHA-256 is stored), and it lasts until it is ended or left idle.

Ending one takes effect at the browser's next request: a copy of its cookie names nothing.
Signing off ends the browser's own; a new password ends the official's others; the end of a
holding and a disabled login end all of them; an official can end any of their others.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, contains_eager

from .. import audit
from ..clock import utcnow
from ..errors import NotFound
from ..models import SignInSession, User

SEEN_EVERY = timedelta(minutes=1)    # last_seen_at is written at most once a minute
IDLE = timedelta(minutes=30)         # the web's default session lifetime
MAX_AGENT, MAX_ADDRESS = 300, 64

# Why a session ended (kept with it, for the record)
SIGNED_OFF, EVERYWHERE, PASSWORD = "signed off", "signed off everywhere", "password changed"
BY_OFFICIAL, HOLDING, DISABLED = "ended by the official", "holding ended", "login disabled"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start(session: Session, user: User, *, user_agent: str = "", address: str = "",
          now: datetime | None = None) -> str:
    """A new session for ``user`` (already checked); returns its token, for the cookie alone.
    ``user.session_key`` is set to it, which is what Flask-Login stores."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(SignInSession(user_id=user.id, token_sha256=digest(token), created_at=now,
                              last_seen_at=now, user_agent=(user_agent or "")[:MAX_AGENT],
                              client_address=(address or "")[:MAX_ADDRESS]))
    session.flush()
    user.session_key = token
    return token


def user_for(session: Session, token: str | None, *, idle: timedelta = IDLE,
             now: datetime | None = None, seen: bool = True) -> User | None:
    """The active user whose live session ``token`` names, or None: an unknown token, an
    ended session, one idle for longer than ``idle`` (allowing for ``last_seen_at`` being a
    minute behind) and a disabled login name no one.  Notes that the session was seen,
    unless ``seen`` is false (a page's own poll is not the official's activity)."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.scalar(select(SignInSession).join(SignInSession.user)
                         .options(contains_eager(SignInSession.user))  # one query, not two
                         .where(SignInSession.token_sha256 == digest(token),
                                SignInSession.ended_at.is_(None), User.active.is_(True)))
    if row is None or now - row.last_seen_at > idle + SEEN_EVERY:
        return None
    if seen and now - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = now
    user = row.user
    user.session_key = token
    return user


def live(session: Session, user: User, *, idle: timedelta = IDLE,
         now: datetime | None = None) -> list[SignInSession]:
    """``user``'s sessions that still open pages, the most recently seen first."""
    now = now or utcnow()
    return list(session.scalars(
        select(SignInSession).where(SignInSession.user_id == user.id,
                                    SignInSession.ended_at.is_(None),
                                    SignInSession.last_seen_at >= now - idle - SEEN_EVERY)
        .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())))


def is_current(row: SignInSession, token: str | None) -> bool:
    """Whether ``row`` is the session that ``token`` (this browser's) names."""
    return bool(token) and row.token_sha256 == digest(token or "")


def end_current(session: Session, token: str | None, why: str = SIGNED_OFF,
                now: datetime | None = None) -> None:
    """End the session ``token`` names (signing off)."""
    if token:
        session.execute(update(SignInSession)
                        .where(SignInSession.token_sha256 == digest(token),
                               SignInSession.ended_at.is_(None))
                        .values(ended_at=now or utcnow(), ended_why=why))


def end_all(session: Session, user: User, why: str, *, keep: str | None = None,
            now: datetime | None = None) -> int:
    """End every live session of ``user``, but the one ``keep`` names; returns how many."""
    conditions = [SignInSession.user_id == user.id, SignInSession.ended_at.is_(None)]
    if keep:
        conditions.append(SignInSession.token_sha256 != digest(keep))
    result = session.execute(update(SignInSession).where(*conditions)
                             .values(ended_at=now or utcnow(), ended_why=why))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_other(session: Session, user: User, session_id: int, current: str | None,
              now: datetime | None = None) -> SignInSession:
    """``user`` ends one of their other sessions (NotFound for anyone else's, and for this
    browser's own: signing off is for that)."""
    row = session.get(SignInSession, session_id)
    if row is None or row.user_id != user.id or is_current(row, current):
        raise NotFound("no such session")
    if row.ended_at is None:
        row.ended_at, row.ended_why = now or utcnow(), BY_OFFICIAL
        audit.record(session, "user.session_ended", user, session_id=row.id)
        session.flush()
    return row


def end_others(session: Session, user: User, current: str | None,
               now: datetime | None = None) -> int:
    """``user`` ends all their sessions but this browser's; returns how many."""
    count = end_all(session, user, BY_OFFICIAL, keep=current, now=now)
    audit.record(session, "user.other_sessions_ended", user, count=count)
    return count
