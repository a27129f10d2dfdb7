"""Receipts (आवती): incoming letters, diarised with a number and put into a file."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .file import File
from .office import Office, Post
from .people import User

MODES = ("By post", "By hand", "Email", "Portal", "Fax")
RECEIPT_STATUSES = ("pending", "in file")


class Receipt(Base):
    """An incoming letter.  It waits at a post (the diarising post, or the one it was sent
    to) until it is put into a file; from then on it never changes."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    sender_name: Mapped[str] = mapped_column(String(200))
    sender_address: Mapped[str] = mapped_column(String(500))
    letter_number: Mapped[str] = mapped_column(String(100), default="")
    letter_date: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(500))
    mode: Mapped[str] = mapped_column(String(16))
    # the scanned letter, if any: its bytes live in the content store, named by sha256
    document_filename: Mapped[str | None] = mapped_column(String(255))
    document_type: Mapped[str | None] = mapped_column(String(100))
    document_size: Mapped[int | None]
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    diarised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    diarised_by_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    diarised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    holder_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"), index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    office: Mapped[Office] = relationship()
    diarised_by: Mapped[User] = relationship(foreign_keys=[diarised_by_id])
    diarised_by_post: Mapped[Post] = relationship(foreign_keys=[diarised_by_post_id])
    holder_post: Mapped[Post] = relationship(foreign_keys=[holder_post_id])
    file: Mapped[File | None] = relationship()
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
