"""The delegation of powers of an office: for each kind of draft, the post or the role that is
the competent authority to approve and to issue it; and every approval given to a draft."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .draft import Draft
from .office import Office, Post
from .people import User


class Power(Base):
    """Drafts of ``kind`` in ``office`` are approved and issued by ``post`` (one seat), or by
    the post holding ``role`` in the file's section, else in the office (one of the two is
    set).  An office without a row for a kind falls back to the defaults (``org.powers``)."""

    __tablename__ = "powers"
    __table_args__ = (UniqueConstraint("office_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    role: Mapped[str | None] = mapped_column(String(100))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    office: Mapped[Office] = relationship()
    post: Mapped[Post | None] = relationship()
    set_by: Mapped[User | None] = relationship()


class DraftApproval(Base):
    """One approval of one version of a draft.  Rows are only ever added: a revision after
    approval sends the draft back for approval, and the earlier approval stays here."""

    __tablename__ = "draft_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    version: Mapped[int]
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_by_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    draft: Mapped[Draft] = relationship()
    approved_by: Mapped[User] = relationship()
    approved_by_post: Mapped[Post] = relationship()
