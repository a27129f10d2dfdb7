"""Copies of a file marked to other posts for information: the file does not move; the
post's holders see it under "For information" until one of them marks it seen."""

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .file import File
from .office import Post
from .people import User


class Copy(Base):
    """A copy of ``file`` marked to ``to_post`` by ``by_user`` (acting as ``by_post``)."""

    __tablename__ = "copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    to_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    by_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    remark: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    file: Mapped[File] = relationship()
    to_post: Mapped[Post] = relationship(foreign_keys=[to_post_id])
    by_post: Mapped[Post] = relationship(foreign_keys=[by_post_id])
    by_user: Mapped[User] = relationship(foreign_keys=[by_user_id])
    seen_by: Mapped[User | None] = relationship(foreign_keys=[seen_by_id])
