"""Users (one login per employee) and who holds which post, from when to when."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .office import Post


class User(Base):
    """An official's login.  A signed-in browser's cookie names its session
    (``models.signin.SignInSession``), not the user: each session can be ended on its own.

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
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Not a column: the token of the sign-in session this object was loaded for (what the
    # cookie carries), set by ``workflows.org.sessions``; Flask-Login asks for it as the id.
    session_key = None  # type: str | None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_key


class PostHolding(Base):
    """A user holds a post from one date to another; "charge" is additional charge."""

    __tablename__ = "post_holdings"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="regular")  # regular | charge
    # a charge an official on leave handed over themselves (migration 0030): who handed it
    handed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    handed_by: Mapped[User | None] = relationship(foreign_keys=[handed_by_id])
