"""API tokens: made for a user, shown once, kept only as a SHA-256, revoked by their owner.

A token acts with exactly the rights of its user: the services check permissions the same way
for a page and for the API.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..clock import utcnow
from ..errors import InvalidInput, NotFound
from ..models import ApiToken, User

PREFIX = "snk_"
MAX_NAME = 100
USE_GRANULARITY = timedelta(minutes=1)  # last_used_at is written at most once a minute


def digest(token: str) -> str:
    """The SHA-256 (hex) under which ``token`` is kept."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, user: User, name: str | None = "",
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """Make a token for ``user``; return (row, the token itself: shown once, never stored)."""
    name = " ".join((name or "").split()) or "API token"
    if len(name) > MAX_NAME:
        raise InvalidInput("the token's name is longer than %(limit)s characters", limit=MAX_NAME)
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_sha256=digest(token),
                   created_at=now or utcnow())
    session.add(row)
    session.flush()
    audit.record(session, "token.created", user, token_id=row.id, name=name)
    return row, token


def user_for_token(session: Session, token: str | None,
                   now: datetime | None = None) -> User | None:
    """The active user whose live token this is, or None; notes when the token was used."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at > USE_GRANULARITY:
        row.last_used_at = now
    return row.user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included, for the record)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id.desc())))


def revoke_token(session: Session, user: User, token_id: int,
                 now: datetime | None = None) -> ApiToken:
    """Revoke one of the user's own tokens (NotFound for anyone else's)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no such token")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        audit.record(session, "token.revoked", user, token_id=row.id, name=row.name)
        session.flush()
    return row
