"""Open tasks (a file waiting at a post) and movements (the track, append-only)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..clock import utcnow
from .office import Post
from .people import User


class Task(Base):
    """A stop of a file at a post: open while ``done_at`` is empty."""

    __tablename__ = "tasks"
    __table_args__ = (
        # a post's tasks and their files, read from the index alone (migration 0033)
        Index("ix_tasks_by_post", "post_id", "done_at", "file_id"),
        Index("ix_tasks_file_open", "file_id", "done_at"),
        Index("ix_tasks_open_due", "done_at", "due_at"),
        # only open tasks are escalated: the scheduler's index holds nothing else, and a task
        # done leaves it (migration 0013)
        Index("ix_tasks_open_escalate", "escalate_at",
              sqlite_where=text("done_at IS NULL"), postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    engine_task_id: Mapped[str] = mapped_column(String(36))
    step_id: Mapped[str] = mapped_column(String(200))
    step_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(100))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    limit_days: Mapped[int | None]
    # Escalation: the last level fired, and when the next one is due (empty: none left).
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the holder set this part aside (park); empty while it can move (migration 0024)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(32), default="")  # acted | pulled back | closed
    choice: Mapped[str] = mapped_column(String(200), default="")
    # a step of a route the file's route called: that route's version, the one current when
    # the file reached the call (migration 0023); empty for a step of the file's own route
    route_version_id: Mapped[int | None] = mapped_column(ForeignKey("route_versions.id"))

    post: Mapped[Post] = relationship()
    done_by: Mapped[User | None] = relationship()


class Movement(Base):
    """One entry on the file's track. Rows are only ever added."""

    __tablename__ = "movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    # open act pull-back park unpark close reopen timer transfer route put-up put-back
    kind: Mapped[str] = mapped_column(String(16))
    from_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    step_name: Mapped[str] = mapped_column(String(200), default="")
    choice: Mapped[str] = mapped_column(String(200), default="")
    remark: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    from_post: Mapped[Post | None] = relationship(foreign_keys=[from_post_id])
    from_user: Mapped[User | None] = relationship(foreign_keys=[from_user_id])
    to_post: Mapped[Post | None] = relationship(foreign_keys=[to_post_id])

    #: Movements that bring a file to a post from someone (the inbox's "From"); the others
    #: leave it where it is (a parking, a transfer of the holder, a move to a newer route
    #: version by the administrator) or end it.  A put-up brings the file to an officer above
    #: from its holder, a put-back brings it down again (``files.putting_up``).
    ARRIVALS = ("open", "act", "pull-back", "timer", "reopen", "put-up", "put-back")

    @property
    def acting_post(self) -> Post | None:
        """The post the official acted as: for a pull back, the post the file came back to
        (``from_post`` is where it was taken from, where its stay ended)."""
        return self.to_post if self.kind == "pull-back" else self.from_post
