"""Working days: due times are counted in the office's working days, not calendar days."""

from datetime import timedelta
from zoneinfo import ZoneInfo

DEFAULT_WEEKLY_OFFS = frozenset({6})  # Sunday (Monday is 0)


def add_working_days(start, days, tz="Asia/Kolkata", weekly_offs=DEFAULT_WEEKLY_OFFS,
                     holidays=frozenset()):
    """The moment ``days`` working days after ``start`` (an aware datetime), at the same local
    time of day; off days and holidays (local dates) are skipped."""
    local = start.astimezone(ZoneInfo(tz))
    remaining = days
    while remaining > 0:
        local += timedelta(days=1)
        if local.weekday() not in weekly_offs and local.date() not in holidays:
            remaining -= 1
    return local.astimezone(start.tzinfo)
