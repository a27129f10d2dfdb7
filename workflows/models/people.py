"""Users (one login per employee) and who holds which post, from when to when."""

import secrets
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .office import Post


def new_session_token() -> str:
    """A fresh random token naming a user's sessions (nothing derived from the password)."""
    return secrets.token_urlsafe(32)


class User(Base):
    """An official's login.  ``session_token`` is what a signed-in browser's cookie names the
    user by; a new one ends every session at once (a changed password, signing off everywhere).

    ``is_authenticated``, ``is_active``, ``is_anonymous`` and ``get_id`` are what Flask-Login
    asks of a user, written out here so that ``workflows`` needs no Flask."""

    __tablename__ = "users"
    is_authenticated = True
    is_anonymous = False

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Nullable only because SQLite cannot add a NOT NULL column without a constant default;
    # every user gets one when made (and from migration 0014), and a user without one has no
    # session to be found by.
    session_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True,
                                                      default=new_session_token)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_token


class PostHolding(Base):
    """A user holds a post from one date to another; "charge" is additional charge."""

    __tablename__ = "post_holdings"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="regular")  # regular | charge

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship()
