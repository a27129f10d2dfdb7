"""What signing in leaves on the server: each browser's session (so that one can be ended on
its own), and an official's second factor with its recovery codes.

Nothing here can sign anyone in if read: a session is found by the SHA-256 of the random token
its cookie carries, and a recovery code by its SHA-256.  The second factor's secret is kept in a
table of its own that no page lists (the administration and record pages read ``users``)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .people import User


class SignInSession(Base):
    """One browser signed in as one official, from sign-in until it is ended (signed off, a
    new password, the end of a holding, a disabled login, the official ending it) or left idle
    past the session's lifetime.  ``last_seen_at`` is written at most once a minute."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_why: Mapped[str] = mapped_column(String(32), default="")

    user: Mapped[User] = relationship()


class SecondFactor(Base):
    """An official's authenticator (RFC 6238 time-based codes): in force once confirmed by a
    code.  ``last_step`` is the 30-second step of the last code taken, so that a code is
    never taken twice."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int | None] = mapped_column()


class RecoveryCode(Base):
    """One of the ten codes that stand in for the authenticator once each (kept as SHA-256:
    each is 80 random bits, beyond guessing)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
