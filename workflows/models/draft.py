"""Drafts (प्रारूप): letters and orders written on a file, versioned, approved and issued."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .office import Post
from .people import User

# kind shown to officials -> the code in its issue number (SADAR/ORDER/2026/0007)
DRAFT_KINDS = {"Letter": "LETTER", "Order": "ORDER", "Office memorandum": "OM",
               "Notice": "NOTICE"}
DRAFT_STATUSES = ("draft", "approved", "issued")


class Draft(Base):
    """A letter or order on a file.  Its text lives in versions; once issued it never changes."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_version: Mapped[int | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issue_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_by_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    approved_by_post: Mapped[Post | None] = relationship(foreign_keys=[approved_by_post_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    issued_by_post: Mapped[Post | None] = relationship(foreign_keys=[issued_by_post_id])


class DraftVersion(Base):
    """One version of a draft's text.  Rows are only ever added."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()
    author_post: Mapped[Post] = relationship()
