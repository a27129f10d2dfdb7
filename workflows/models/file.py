"""Files (संचिका), their numbering, notes and attachments."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .office import Office, Post, Section
from .people import User
from .route import RouteVersion

PRIORITIES = ("Normal", "Priority", "Top Priority", "Immediate")
STATUSES = ("open", "parked", "closed")
RETENTION = ("A", "B", "C")  # A, B: kept for good, reviewed after 25 years; C: up to 10 years


class File(Base):
    __tablename__ = "files"
    # PostgreSQL: a fifth of each page left free, so that the update at every movement stays
    # on its page and writes no index entries (migration 0012)
    __table_args__ = {"postgresql_with": {"fillfactor": 80}}

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(100), default="")
    priority: Mapped[str] = mapped_column(String(16), default="Normal")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str] = mapped_column(String(200), default="")
    route_version_id: Mapped[int] = mapped_column(ForeignKey("route_versions.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retention: Mapped[str | None] = mapped_column(String(1))  # set when the file is recorded
    review_on: Mapped[date | None] = mapped_column(Date, index=True)
    workflow_state: Mapped[str] = mapped_column(Text, default="")
    previous_state: Mapped[str] = mapped_column(Text, default="")
    engine_version: Mapped[str] = mapped_column(String(32), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}

    office: Mapped[Office] = relationship()
    section: Mapped[Section] = relationship()
    route_version: Mapped[RouteVersion] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    created_by_post: Mapped[Post] = relationship(foreign_keys=[created_by_post_id])


class Note(Base):
    """A numbered paragraph on the note sheet. A draft stays editable by its author until the
    file moves on; then it is frozen for ever."""

    __tablename__ = "notes"
    __table_args__ = (UniqueConstraint("file_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    number: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the part (open task) it was written on; empty for a note from before parts were
    # remembered (migration 0022), or by an official holding no part of the file
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))

    author: Mapped[User] = relationship()
    author_post: Mapped[Post] = relationship()


class Attachment(Base):
    """A document on the file; its bytes live on disk, named by their sha256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_by_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
