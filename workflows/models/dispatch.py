"""The dispatch register (प्रेषण पंजी): each issued letter or order as it leaves the office."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from .draft import Draft
from .file import File
from .office import Office, Post
from .people import User

DISPATCH_MODES = ("By post", "By email", "By hand")


class Dispatch(Base):
    """An issued draft entered in its office's register when it leaves: its dispatch (memo)
    number, addressee, copies, mode and date; the acknowledgement is recorded later, once.
    Nothing else of the row ever changes, and no row is deleted."""

    __tablename__ = "dispatches"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), unique=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    addressee: Mapped[str] = mapped_column(Text)
    copy_to: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(16))
    dispatched_on: Mapped[date] = mapped_column(Date, index=True)
    dispatched_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dispatched_by_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledgement_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledgement_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    office: Mapped[Office] = relationship()
    draft: Mapped[Draft] = relationship()
    file: Mapped[File] = relationship()
    dispatched_by: Mapped[User] = relationship(foreign_keys=[dispatched_by_id])
    dispatched_by_post: Mapped[Post] = relationship()
    acknowledgement_by: Mapped[User | None] = relationship(foreign_keys=[acknowledgement_by_id])

    @property
    def copies(self) -> list[str]:
        """The copy-to list, one addressee a line."""
        return [line for line in self.copy_to.splitlines() if line.strip()]
