"""Time limits: how long a file may lie with one official, and when its timers come due.

The limit of a step is the strictest that applies of the office's default (7 working days by
the manual of office procedure), the route step's own ``limit_days`` and the office's limit
for the file's priority.  The due time is counted in the office's working days, in its time
zone, and stored on the open task when the file arrives, with the time of its first
escalation and any timers armed on the step.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Protocol, TypedDict
from zoneinfo import ZoneInfo

import engine
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .. import audit
from .. import clock
from .calendar import OfficeCalendar, office_calendar, parse_weekly_offs
from ..errors import InvalidInput
from ..models import PRIORITIES, Office, PriorityLimit, User

MAX_LIMIT = 365
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$", re.I)


class Arriving(Protocol):
    """What the clocks need of a file: a File, or the row an act locks (``acting``)."""

    @property
    def office(self) -> Office: ...
    @property
    def priority(self) -> str: ...


class ArmedTimer(TypedDict):
    """The columns of a FileTimer armed on a step as it arrives (the task's are added)."""
    timer_id: str
    name: str
    expression: str
    interrupting: bool
    due_at: datetime


#: per step arriving: its limit in working days, its due time, the timers armed on it
Clock = tuple[int, datetime, list[ArmedTimer]]


def priority_limits(session: Session, office: Office) -> dict[str, int]:
    """{priority: working days} set for ``office``."""
    return dict(session.execute(select(PriorityLimit.priority, PriorityLimit.limit_days)
                                .where(PriorityLimit.office_id == office.id)).all())


_LIMITS = PriorityLimit.__table__
_PRIORITY_LIMIT = select(_LIMITS.c.limit_days).where(
    _LIMITS.c.office_id == bindparam("office_id"), _LIMITS.c.priority == bindparam("priority"))


def strictest(*limits: int | None) -> int:
    """The smallest of the limits that are set (the office default always is)."""
    return min(x for x in limits if x)


def clocks_for(session: Session, file: Arriving, instance: engine.Instance,
               step_ids: Iterable[str], now: datetime) -> list[Clock]:
    """For each step of ``file`` arriving at ``now`` (``step_ids``, see ``acting.place_tasks``):
    its limit in working days (the strictest of the office's, the step's and the file's
    priority's), its due time, which is also its first escalation time, and the timers armed
    on it (the columns of a FileTimer each), all in the office's working days."""
    if not step_ids:
        return []
    office = file.office
    calendar = office_calendar(session, office, since=clock.office_today(office, now))
    by_priority = session.scalar(_PRIORITY_LIMIT, {"office_id": office.id,
                                                   "priority": file.priority})
    clocks: list[Clock] = []
    for step_id in step_ids:
        limit = strictest(office.limit_days, instance.step(step_id).limit_days, by_priority)
        timers = armed_timers(instance, step_id, calendar, now) if instance.has_timers else []
        clocks.append((limit, calendar.add(now, limit), timers))
    return clocks


def armed_timers(instance: engine.Instance, step_id: str, calendar: OfficeCalendar,
                 now: datetime) -> list[ArmedTimer]:
    """The timer events armed on the step ``step_id`` as it arrives at ``now``: a dict of the
    columns of a FileTimer each, with its due time in the office's working days."""
    timers: list[ArmedTimer] = []
    for timer in engine.waiting_timers(instance):
        if timer.step_id != step_id:
            continue
        route_timer = instance.timer(timer.timer_id)
        timers.append(ArmedTimer(timer_id=timer.timer_id, name=route_timer.name,
                                 expression=timer.expression, interrupting=timer.interrupting,
                                 due_at=timer_due(calendar, now, timer.expression)))
    return timers


def timer_due(calendar: OfficeCalendar, start: datetime, expression: str) -> datetime:
    """When a timer armed at ``start`` comes due.  Days and weeks of a duration count working
    days (a week is as many working days as the office has in a week); hours, minutes and
    seconds are clock time; years and months are calendar time.  A date is that moment (in the
    office's zone when it names none)."""
    text = expression.strip()
    match = _DURATION.match(text)
    if match is None:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(calendar.tz))
        return moment.astimezone(start.tzinfo)
    years, months, weeks, days, hours, minutes, seconds = (
        float((g or "0").replace(",", ".")) for g in match.groups())
    moment = start + timedelta(days=365 * years + 30 * months)
    moment = calendar.add(moment, int(days + weeks * (7 - len(calendar.weekly_offs))))
    return moment + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def set_limits(session: Session, office: Office, *, default: int | str | None = None,
               priorities: Mapping[str, int | str | None] | None = None,
               weekly_offs: str | None = None, grace_days: int | str | None = None,
               user: User | None = None) -> dict[str, int | str | None]:
    """Change an office's limits: its default, per priority ({priority: days, or None to
    remove}), its weekly offs ("5,6" or "Sat,Sun") and the grace between escalation levels.
    Files already waiting keep the due time they arrived with."""
    changes: dict[str, int | str | None] = {}
    if default is not None:
        office.limit_days = changes["default"] = _days(
            default, InvalidInput("the office limit must be a whole number of working days"),
            InvalidInput("the office limit must be from 1 to %(most)s working days",
                         most=MAX_LIMIT))
    if grace_days is not None:
        office.grace_days = changes["grace_days"] = _days(
            grace_days, InvalidInput("the grace must be a whole number of working days"),
            InvalidInput("the grace must be from 1 to %(most)s working days", most=MAX_LIMIT))
    if weekly_offs is not None:
        offs = parse_weekly_offs(weekly_offs)
        office.weekly_offs = changes["weekly_offs"] = ",".join(str(d) for d in sorted(offs))
    existing = {p.priority: p for p in session.scalars(
        select(PriorityLimit).where(PriorityLimit.office_id == office.id))}
    for priority, days in (priorities or {}).items():
        if priority not in PRIORITIES:
            raise InvalidInput("priority '%(priority)s' is not one of: %(choices)s",
                               priority=priority, choices=", ".join(PRIORITIES))
        if days is None:
            if priority in existing:
                session.delete(existing[priority])
        else:
            days_for = _days(
                days, InvalidInput("the limit for %(priority)s must be a whole number of "
                                   "working days", priority=priority),
                InvalidInput("the limit for %(priority)s must be from 1 to %(most)s working "
                             "days", priority=priority, most=MAX_LIMIT))
            if priority in existing:
                existing[priority].limit_days = days_for
            else:
                session.add(PriorityLimit(office_id=office.id, priority=priority,
                                          limit_days=days_for))
        changes[priority] = days
    session.flush()
    audit.record(session, "limits.set", user, None, office_id=office.id, **changes)
    return changes


def _days(value: int | str, not_whole: InvalidInput, out_of_range: InvalidInput) -> int:
    """``value`` as a number of working days; the refusal that fits when it is not one."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise not_whole from None
    if not 0 < days <= MAX_LIMIT:
        raise out_of_range
    return days
