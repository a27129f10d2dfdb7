"""The one clock: instants are UTC, and "today" is always an office's local date.

Offices live in their own time zone (India Standard Time for every office so far) while hosts
run in UTC: at 01:30 IST on 1 January the host's date is still 31 December.  So nothing in
Sanchika asks the host for its date; services take ``now`` (an aware UTC instant, this clock's
by default) and turn it into the office's date with ``today``.  Tests freeze this clock with
time-machine, or pass ``now`` in.
"""

from datetime import date, datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the models take their default times from this clock
    from .models.office import Office

#: The zone an office is in unless it says otherwise, and the zone of an official's own day
#: (an official is not tied to one office).
DEFAULT_TIMEZONE = "Asia/Kolkata"
IST = ZoneInfo(DEFAULT_TIMEZONE)


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    """The time zone named ``name`` (the default zone when none is named)."""
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def today(tz: str | None = None, now: datetime | None = None) -> date:
    """The date it is in the zone ``tz`` (an office's ``timezone``; the default zone when not
    given) at ``now`` (this clock's instant when not given)."""
    return (now or utcnow()).astimezone(zone(tz)).date()


def office_today(office: "Office", now: datetime | None = None) -> date:
    """The office's local date at ``now``."""
    return today(office.timezone, now)
