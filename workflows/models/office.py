"""Offices (a district and the offices below it), their sections, and posts (seats)."""

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="office")  # district | office
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Kolkata")
    limit_days: Mapped[int] = mapped_column(default=7)
    # Working-day calendar: weekday numbers off each week (Monday 0 ... Sunday 6), and the
    # working days after the limit before the next level of escalation.
    weekly_offs: Mapped[str] = mapped_column(String(16), default="6", server_default="6")
    grace_days: Mapped[int] = mapped_column(default=2, server_default="2")
    # When the office's day begins ("HH:MM", office-local): a sign-in after it is a late arrival.
    day_starts: Mapped[str] = mapped_column(String(5), default="10:00", server_default="10:00")

    # Leave handover (migration 0030): how many days at most an official may hand their posts
    # to a colleague themselves (0: not at all), and to whom: "office" (anyone of the office)
    # or "senior" (one holding a post of the same role or one above theirs).
    handover_days: Mapped[int] = mapped_column(default=30, server_default="30")
    handover_to: Mapped[str] = mapped_column(String(16), default="office",
                                             server_default="office")

    parent: Mapped["Office | None"] = relationship(remote_side=[id])
    sections: Mapped[list["Section"]] = relationship(back_populates="office")


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("office_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str] = mapped_column(String(200), default="")

    office: Mapped[Office] = relationship(back_populates="sections")


class Post(Base):
    """A seat such as "Circle Officer, Sadar": it holds a role; people come and go."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("office_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    title_hi: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(100), index=True)
    reports_to_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    office: Mapped[Office] = relationship()
    section: Mapped[Section | None] = relationship()
    reports_to: Mapped["Post | None"] = relationship(remote_side=[id])
