"""Limits per priority, timers armed on open tasks, and the escalations fired for them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .task import Task


class PriorityLimit(Base):
    """An office's limit, in working days, for files of one priority (Immediate: 1, ...)."""

    __tablename__ = "priority_limits"
    __table_args__ = (UniqueConstraint("office_id", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    priority: Mapped[str] = mapped_column(String(16))
    limit_days: Mapped[int]


class Escalation(Base):
    """One level of escalation of one open task: fired once, never twice (unique task, level).

    Level 1 reminds the holder; level 2 tells the post the holder reports to; level 3 the head
    of office.  ``cause`` is "limit" or the name of the timer that fired it."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("task_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    level: Mapped[int]
    holder_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    to_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    cause: Mapped[str] = mapped_column(String(200), default="limit")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[Task] = relationship()


class FileTimer(Base):
    """A timer boundary event armed on an open task, with its due time in working days.

    ``state``: armed, fired, or dropped (the step was done before the timer came due)."""

    __tablename__ = "file_timers"
    __table_args__ = (
        UniqueConstraint("task_id", "timer_id"),
        Index("ix_file_timers_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    timer_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    expression: Mapped[str] = mapped_column(String(100))
    interrupting: Mapped[bool]
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="armed")
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    task: Mapped[Task] = relationship()
