"""What waits for an official: how many files and receipts (dak) lie at their posts, for the
header of every page, and the files that arrived since a moment, for the page's notice.

Two COUNT queries and one small select: cheap enough to run on every page."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..models import File, Movement, Post, Receipt, User
from . import inbox

ARRIVALS_SHOWN = 5


@dataclass(frozen=True)
class Waiting:
    """How many files and receipts wait at the official's posts."""

    files: int
    dak: int


@dataclass(frozen=True)
class Arrival:
    """A file that came to one of the official's posts."""

    file_id: int
    number: str
    sender: User | None
    sender_post: Post | None
    returned: bool
    at: datetime


def waiting(session: Session, user: User, day: date | None = None) -> Waiting:
    """The counts of the header: files in the inbox, receipts not yet in a file."""
    day = day or clock.today()
    dak = session.execute(select(func.count()).select_from(Receipt).where(
        Receipt.status == "pending",
        Receipt.holder_post_id.in_(inbox._held_posts(user, day)))).scalar_one()
    return Waiting(files=inbox.counts(session, user, day), dak=dak)


def arrivals_since(session: Session, user: User, since: datetime,
                   day: date | None = None) -> list[Arrival]:
    """Files sent (or returned) to the user's posts after ``since`` by someone else, that
    still lie there open, newest first (a few at most)."""
    day = day or clock.today()
    rows = session.execute(
        select(Movement, File.number).join(File, File.id == Movement.file_id)
        .where(Movement.at > since, Movement.kind.in_(Movement.ARRIVALS),
               Movement.to_post_id.in_(inbox._held_posts(user, day)),
               (Movement.from_user_id.is_(None) | (Movement.from_user_id != user.id)), File.status == "open")
        .order_by(Movement.id.desc()).limit(ARRIVALS_SHOWN))
    return [Arrival(file_id=m.file_id, number=number, sender=m.from_user,
                    sender_post=m.acting_post,
                    returned=m.kind == "put-back" or (m.kind == "act" and
                                                      m.choice.lower().startswith("return")),
                    at=m.at) for m, number in rows]
