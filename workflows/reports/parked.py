"""Parked periods: when a file, or a part of a file in parts, was set aside (between a park
movement and the next unpark of the same part), read from the track."""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import one_of
from ..models import Movement, Task
from .shapes import StayTask

#: a parked period of a stay: (parked at, unparked at or None while it is parked)
Span = tuple[datetime, datetime | None]


class Parked(NamedTuple):
    """A parked period of a file (``end`` None while it is parked), of the whole file
    (``step`` empty) or of its part at ``post_id`` and ``step``."""
    begin: datetime
    end: datetime | None
    post_id: int | None
    step: str


def parked_spans(session: Session, file_ids: Iterable[int]) -> dict[int, list[Parked]]:
    """For each file, its parked periods in order: of the whole file (``step`` empty) or of
    one part (the post and step a park movement names on a file in parts)."""
    spans: dict[int, list[Parked]] = {}
    ids = sorted(set(file_ids))
    for i in range(0, len(ids), 5000):  # SQLite's limit of parameters (one array on PostgreSQL)
        rows = session.execute(
            select(Movement.file_id, Movement.kind, Movement.at, Movement.from_post_id,
                   Movement.step_name)
            .where(one_of(session, Movement.file_id, ids[i:i + 5000]),
                   Movement.kind.in_(("park", "unpark")))
            .order_by(Movement.file_id, Movement.at, Movement.id))
        for file_id, kind, at, post_id, step in rows:
            periods = spans.setdefault(file_id, [])
            if kind == "park":
                periods.append(Parked(at, None, post_id, step))
                continue
            open_ = [n for n, p in enumerate(periods) if p.end is None
                     and (p.post_id, p.step) == (post_id, step)]
            if open_:
                periods[open_[-1]] = periods[open_[-1]]._replace(end=at)
    return spans


def spans_of(periods: Iterable[Parked], task: StayTask | Task) -> list[Span]:
    """Of a file's parked ``periods``, those that held ``task`` back: the whole file's, and
    its own part's."""
    return [(p.begin, p.end) for p in periods
            if not p.step or (p.post_id == task.post_id and p.step == task.step_name)]
