"""What waits for an official: the open tasks of every post they hold today."""

from datetime import date

from sqlalchemy import case, select

from .models import File, Movement, Post, PostHolding, Task
from .models.file import PRIORITIES
from .org import held_on


def inbox(session, user, day=None, now=None):
    """Rows of (task, file, post) waiting for ``user``, most urgent priority first, then oldest."""
    day = day or date.today()
    held = select(PostHolding.post_id).where(PostHolding.user_id == user.id, held_on(day))
    urgency = case({p: i for i, p in enumerate(reversed(PRIORITIES))}, value=File.priority)
    rows = session.execute(
        select(Task, File, Post).join(File, File.id == Task.file_id)
        .join(Post, Post.id == Task.post_id)
        .where(Task.done_at.is_(None), Task.post_id.in_(held), File.status == "open")
        .order_by(urgency, Task.since)).all()
    return rows


def last_sender(session, file_ids):
    """For each file, the movement that brought it to where it is."""
    if not file_ids:
        return {}
    latest = (select(Movement).where(Movement.file_id.in_(file_ids))
              .order_by(Movement.file_id, Movement.id.desc()))
    found = {}
    for movement in session.scalars(latest):
        found.setdefault(movement.file_id, movement)
    return found
