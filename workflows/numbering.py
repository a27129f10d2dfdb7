"""Serial numbers per office, kind and year (receipts, issued letters and orders).

The counter row is locked for the rest of the transaction, so two officials diarising or
issuing at once get consecutive numbers, never the same one.
"""

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .db import for_update
from .models import NumberCounter


def local_date(office, now):
    """The date ``now`` (aware) falls on in the office's time zone."""
    return now.astimezone(ZoneInfo(office.timezone)).date()


def next_number(session, office, kind, day: date):
    """The next number of ``kind`` in ``office`` for the year of ``day``: SADAR/R/2026/0001."""
    year = day.year
    query = for_update(select(NumberCounter).where(
        NumberCounter.office_id == office.id, NumberCounter.kind == kind,
        NumberCounter.year == year), session)
    counter = session.scalar(query)
    if counter is None:
        try:
            with session.begin_nested():
                counter = NumberCounter(office_id=office.id, kind=kind, year=year, last=0)
                session.add(counter)
        except IntegrityError:  # another transaction created it first; lock theirs
            counter = session.scalar(query)
    counter.last += 1
    return f"{office.code}/{kind}/{year}/{counter.last:04d}"
