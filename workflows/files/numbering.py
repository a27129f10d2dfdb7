"""Serial numbers by the office's year: files per section (SADAR/REV/2026/0001), and receipts,
issued letters and orders per office and kind (SADAR/R/2026/0001).

The counter row is locked for the rest of the transaction, so two officials opening,
diarising or issuing at once get consecutive numbers, never the same one; a transaction that
is rolled back gives its number back.  The year is the office's (``clock.office_today``): at
01:30 IST on 1 January the numbers begin again, although the host's date is 31 December.
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import for_update
from ..models import NumberCounter, Office, Section


def next_number(session: Session, office: Office, kind: str, day: date) -> str:
    """The next number of ``kind`` in ``office`` for the year of ``day``: SADAR/R/2026/0001."""
    serial = _next_serial(session, office.id, kind, day.year)
    return f"{office.code}/{kind}/{day.year}/{serial:04d}"


def next_file_number(session: Session, office: Office, section: Section, day: date) -> str:
    """The next file number of ``section`` for the year of ``day``: SADAR/REV/2026/0001."""
    serial = _next_serial(session, office.id, file_counter_kind(section.id), day.year)
    return f"{office.code}/{section.code}/{day.year}/{serial:04d}"


def file_counter_kind(section_id: int) -> str:
    """The counter of a section's files, kept by the section's id (a code may be renamed)."""
    return f"file:{section_id}"


def _next_serial(session: Session, office_id: int, kind: str, year: int) -> int:
    """Move the counter of ``kind`` in the office for ``year`` on by one (making it when there
    is none yet); its new value."""
    query = for_update(select(NumberCounter).filter_by(office_id=office_id, kind=kind,
                                                       year=year), session)
    counter = session.scalar(query)
    if counter is None:
        try:
            with session.begin_nested():
                counter = NumberCounter(office_id=office_id, kind=kind, year=year, last=0)
                session.add(counter)
        except IntegrityError:  # another transaction made it first; wait for theirs
            counter = session.execute(query).scalar_one()
    counter.last += 1
    return counter.last
