"""Links that let an official choose their own password (mailed at onboarding).

Only a link's SHA-256 is kept, with the SHA-256 of the password hash it was made against: a
link is good once, and none is good after the password changes.  A row without a token is a
link still to be made: the mail that carries it (``mail_id``) makes it when it is sent, so
that nothing in the outbox can sign anyone in.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .outbox import OutboxMail
from .people import User


class PasswordLink(Base):
    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mails.id"), index=True)
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    mail: Mapped[OutboxMail | None] = relationship()
