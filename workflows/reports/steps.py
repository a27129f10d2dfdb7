"""The table of a route's steps: per step, how many files lie there now, and how long the
stays that ended in the period were held (median and 90th percentile of clock hours, parked
time left out).  Counted and read in two light queries, the files there now grouped in SQL;
working days are not needed, so no stay is aged in Python (issue 25)."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from statistics import median
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import epoch
from ..files.tracking import diagram_element
from ..models import File, Route, RouteVersion, Task
from . import (NOT_STAYS, Filters, Scope, _filtered, day_bounds, default_period, parked_within,
               percentile)
from .parked import Parked, parked_spans, spans_of


@dataclass
class StepRow:
    """One step of one route in the table of slowest steps."""
    route: str
    route_id: int
    step_id: str
    step: str
    stays: int
    median_hours: float | None
    p90_hours: float | None
    now: int = 0


def route_names(session: Session, version_ids: Collection[int]) -> dict[int, tuple[int, str]]:
    """route version id -> (route id, route name)."""
    if not version_ids:
        return {}
    return {v: (r, n) for v, r, n in session.execute(
        select(RouteVersion.id, Route.id, Route.name).join(Route, Route.id == RouteVersion.route_id)
        .where(RouteVersion.id.in_(set(version_ids))))}


#: (route version id, step id, step name)
_Step = tuple[int, str, str]


class Held(NamedTuple):
    """A stay that ended: where it was, and its clock hours with parked time left out."""
    version_id: int
    step_id: str
    step_name: str
    post_id: int
    hours: float


def step_table(session: Session, scope: Scope, filters: Filters | None = None, *,
               today: date | None = None, diagram: bool = False,
               held: Sequence[Held] | None = None) -> list[StepRow]:
    """Per route and step of the scope's posts: stays ended in the filters' period, median
    and 90th percentile of hours held, files there now; the slowest (by median) first.  For
    a route's ``diagram``, the steps of a route it called count together, as the call
    activity they were reached through.  ``held`` is ``hours_held`` of the same scope and
    filters, when the caller has it already."""
    filters = filters or Filters()
    here = (File.route_version_id, Task.step_id, Task.step_name)
    there_now = session.execute(_filtered(
        select(*here, func.count()).join_from(Task, File, File.id == Task.file_id)
        .where(Task.done_at.is_(None), File.status.in_(("open", "parked"))).group_by(*here),
        scope, filters)).all()
    hours: dict[_Step, list[float]] = {}
    for stay in hours_held(session, scope, filters, today) if held is None else held:
        hours.setdefault((stay.version_id, stay.step_id, stay.step_name), []).append(stay.hours)
    counts: dict[_Step, int] = {(v, step_id, name): n for v, step_id, name, n in there_now}
    routes = route_names(session, {k[0] for k in counts} | {k[0] for k in hours})
    # versions of a route count together, and so, on its diagram, the steps of a route called
    groups: dict[tuple[tuple[int, str], str, str], tuple[list[float], int]] = {}
    for key in set(counts) | set(hours):
        version_id, step_id, name = key
        if diagram and "/" in step_id:
            step_id, name = diagram_element(step_id), ""
        group = (routes[version_id], step_id, name)
        together, there = groups.get(group, ([], 0))
        groups[group] = (together + hours.get(key, []), there + counts.get(key, 0))
    rows = [StepRow(route=route[1], route_id=route[0], step_id=step_id, step=name,
                    stays=len(spent), median_hours=median(spent) if spent else None,
                    p90_hours=percentile(spent, 0.9), now=there)
            for (route, step_id, name), (spent, there) in groups.items()]
    return sorted(rows, key=lambda r: (-(r.median_hours or 0), r.route, r.step))


def hours_held(session: Session, scope: Scope, filters: Filters | None = None,
               today: date | None = None) -> list[Held]:
    """The stays at the scope's posts that ended in the filters' period, with their clock
    hours (parked time left out), in the order they ended.  The database works out each
    stay's seconds; only a stay of a file that was parked is looked at closer."""
    filters = filters or Filters()
    start, end = default_period(filters, today)
    low, high = day_bounds(scope.office, start, end)
    session.flush()  # the connection's own execute does not flush what the session holds
    rows = session.connection().execute(_filtered(  # plain rows: no entities among them
        select(File.route_version_id, Task.step_id, Task.step_name, Task.file_id, Task.post_id,
               epoch(session, Task.since).label("began"),
               epoch(session, Task.done_at).label("ended"))
        .join_from(Task, File, File.id == Task.file_id)
        .where(Task.done_at >= low, Task.done_at < high, Task.outcome.not_in(NOT_STAYS))
        .order_by(Task.done_at, Task.id), scope, filters)).all()
    spans = parked_spans(session, {r[3] for r in rows})
    found: list[Held] = []
    for row in rows:  # by position: a row's attributes by name cost more, 6,000 times a page
        version_id, step_id, step_name, file_id, post_id, began, ended = row
        seconds = ended - began
        periods: list[Parked] = spans.get(file_id, [])
        if periods:
            since, until = (datetime.fromtimestamp(t, timezone.utc) for t in (began, ended))
            seconds -= sum((b - a).total_seconds()
                           for a, b in parked_within(spans_of(periods, row), since, until))
        found.append(Held(version_id, step_id, step_name, post_id, max(seconds, 0) / 3600))
    return found
