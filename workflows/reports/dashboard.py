"""The office dashboard: files open, received and disposed today, this week and this month;
pendency per official in ageing buckets; escalations; the slowest steps of each route.

Counted from the task, movement, file and escalation tables of the viewer's Scope
(workflows/reports.py):  received = stays begun at its posts; disposed = stays ended there
(the file sent on or closed); opened and closed = files opened by its posts or closed in it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from .. import clock, reports
from ..clock import utcnow
from ..models import Escalation, File, Office, Task

PERIODS = ("today", "week", "month")


@dataclass
class Dashboard:
    """Everything the dashboard shows for one Scope."""
    scope: reports.Scope
    open_now: int
    counts: dict[str, dict[str, int]]     # measure -> {period: n}
    officials: list[reports.OfficialRow]
    escalations: dict[str, int]           # period -> n fired; "open" -> open tasks escalated
    slowest: list[reports.StepRow]
    starts: dict[str, date] = field(default_factory=dict)  # period -> first day


def period_starts(today: date) -> dict[str, date]:
    """First day of today, this week (from Monday) and this month."""
    return {"today": today, "week": today - timedelta(days=today.weekday()),
            "month": today.replace(day=1)}


def _counts(session: Session,
            column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
            where: Sequence[ColumnElement[bool]], starts: dict[str, date],
            office: Office) -> dict[str, int]:
    """{period: n} of rows whose ``column`` falls in each period, up to today (one query)."""
    bounds = {p: reports.day_bounds(office, d, d)[0] for p, d in starts.items()}
    earliest = min(bounds.values())
    latest = reports.day_bounds(office, starts["today"], starts["today"])[1]
    row = session.execute(select(*[
        func.coalesce(func.sum(case((column >= bounds[p], 1), else_=0)), 0) for p in PERIODS])
        .where(column >= earliest, column < latest, *where)).one()
    return dict(zip(PERIODS, (int(n) for n in row), strict=True))


def _file_scope(scope: reports.Scope) -> list[ColumnElement[bool]]:
    """Files belonging to the scope: the office (or section) for a head, else those opened
    by the scope's posts."""
    if scope.whole_office:
        where = [File.office_id == scope.office.id]
        if scope.section is not None:
            where.append(File.section_id == scope.section.id)
        return where
    return [File.created_by_post_id.in_(scope.post_ids)]


def dashboard(session: Session, scope: reports.Scope, now: datetime | None = None,
              today: date | None = None) -> Dashboard:
    """Everything the dashboard shows for ``scope``."""
    now = now or utcnow()
    today = today or clock.office_today(scope.office, now)
    starts = period_starts(today)
    posts = list(scope.post_ids)
    counts = {
        "opened": _counts(session, File.created_at, _file_scope(scope), starts, scope.office),
        "received": _counts(session, Task.since, [Task.post_id.in_(posts)], starts,
                            scope.office),
        "disposed": _counts(session, Task.done_at, [
            Task.post_id.in_(posts), Task.outcome.not_in(reports.NOT_STAYS)], starts,
            scope.office),
        "closed": _counts(session, File.closed_at, [File.status == "closed",
                                                    *_file_scope(scope)], starts, scope.office),
    }
    open_now = session.execute(
        select(func.count(func.distinct(Task.file_id))).join(File, File.id == Task.file_id)
        .where(Task.done_at.is_(None), Task.post_id.in_(posts),
               File.status.in_(("open", "parked")))).scalar_one()
    pending = reports.pending_now(session, scope, now=now)
    recent = reports.Filters(start=today - timedelta(days=reports.DEFAULT_DAYS - 1), end=today)
    escalations = _counts(session, Escalation.fired_at,
                          [Escalation.holder_post_id.in_(posts)], starts, scope.office)
    escalations["open"] = session.execute(
        select(func.count()).select_from(Task).where(
            and_(Task.done_at.is_(None), Task.post_id.in_(posts),
                 Task.escalation_level > 0))).scalar_one()
    return Dashboard(scope=scope, open_now=open_now, counts=counts,
                     officials=reports.by_official(session, scope, pending, day=today),
                     escalations=escalations,
                     slowest=[r for r in reports.step_table(session, scope, recent,
                                                            today=today) if r.stays][:8],
                     starts=starts)


def drill(session: Session, scope: reports.Scope, measure: str, period: str,
          today: date | None = None, limit: int = 500) -> list[File]:
    """The files behind one dashboard number: (measure, period) as on the dashboard."""
    today = today or clock.office_today(scope.office)
    start = period_starts(today)[period]
    low, high = reports.day_bounds(scope.office, start, today)
    posts = list(scope.post_ids)
    if measure == "opened":
        stmt = select(File).where(File.created_at >= low, File.created_at < high,
                                  *_file_scope(scope))
    elif measure == "closed":
        stmt = select(File).where(File.closed_at >= low, File.closed_at < high,
                                  File.status == "closed",
                                  *_file_scope(scope))
    elif measure in ("received", "disposed"):
        where = ([Task.since >= low, Task.since < high] if measure == "received" else
                 [Task.done_at >= low, Task.done_at < high, Task.outcome.not_in(reports.NOT_STAYS)])
        stmt = select(File).where(File.id.in_(select(Task.file_id).where(
            Task.post_id.in_(posts), *where)))
    elif measure == "escalated":
        stmt = select(File).where(File.id.in_(select(Escalation.file_id).where(
            Escalation.fired_at >= low, Escalation.fired_at < high,
            Escalation.holder_post_id.in_(posts))))
    else:
        return []
    return list(session.scalars(stmt.order_by(File.id.desc()).limit(limit)))
