"""Routes that call routes: a call activity runs another published route of the same office,
at the version current when the file reaches the call.

``called_routes`` hands the engine the office's routes (``engine.Called``): the latest version
of a route to enter now, and the version a file entered before, by the sha256 its state keeps.
A task at a step of a called route names that version (``Task.route_version_id``), so a page
reads the step's choices from the task row and the version, never from the workflow state.

Before a route is published its calls are checked against the office: each must name one of
the office's published routes, and no chain of calls may lead back to the route itself.
"""

from dataclasses import dataclass
from typing import Protocol

import engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import named
from ..models import Office, Route, RouteVersion
from .versions import engine_route, latest_version, route_of_version


def _version_ids(session: Session) -> dict[tuple[int, str, str], int]:
    """The version ids found in this session, by (office, route key, sha256): a version's id
    never changes, and acting on one file asks for the same ones several times."""
    found: dict[tuple[int, str, str], int] = session.info.setdefault("called_versions", {})
    return found


@dataclass
class OfficeRoutes:
    """The published routes of one office, as the engine asks for the routes a route calls."""

    session: Session
    office_id: int

    def current(self, key: str) -> engine.Route:
        route = self._route(key)
        version = latest_version(self.session, route) if route is not None else None
        if version is None:
            raise engine.RouteError("the route calls the route '%(key)s', which this office "
                                    "does not publish", key=key)
        called = engine_route(self.session, version)
        if called.circulations:  # refused on publishing; a version published before that
            raise engine.RouteError("the route '%(key)s', which this route calls, goes to many "
                                    "posts at a step, and a called route cannot; ask the "
                                    "office's administrator to correct the routes", key=key)
        _version_ids(self.session)[(self.office_id, key, version.sha256)] = version.id
        return called

    def stored(self, key: str, sha256: str) -> engine.Route:
        version_id = version_id_of(self.session, self.office_id, key, sha256)
        if version_id is None:
            raise engine.RouteError("the file is in a version of the route '%(key)s' that this "
                                    "office does not have", key=key)
        return route_of_version(self.session, version_id, sha256)

    def _route(self, key: str) -> Route | None:
        return self.session.scalar(select(Route).where(Route.office_id == self.office_id,
                                                       Route.key == key))


def called_routes(session: Session, office_id: int) -> OfficeRoutes:
    """The routes a file's route in office ``office_id`` may call (``engine.Called``)."""
    return OfficeRoutes(session, office_id)


def version_id_of(session: Session, office_id: int, key: str, sha256: str) -> int | None:
    """The id of the version of route ``key`` of the office whose XML has ``sha256``."""
    known = _version_ids(session)
    found = known.get((office_id, key, sha256))
    if found is None:
        found = session.scalar(
            select(RouteVersion.id).join(Route, Route.id == RouteVersion.route_id)
            .where(Route.office_id == office_id, Route.key == key,
                   RouteVersion.sha256 == sha256)
            .order_by(RouteVersion.version.desc()).limit(1))
        if found is not None:
            known[(office_id, key, sha256)] = found
    return found


class _TaskRow(Protocol):
    @property
    def step_id(self) -> str: ...
    @property
    def route_version_id(self) -> int | None: ...


def route_of_task(session: Session, own: RouteVersion, task: _TaskRow) -> engine.Route | None:
    """The route an open task's step belongs to: the file's own (version ``own``), or the
    version of the called route it is a step of (None if that version is gone)."""
    if task.route_version_id is None:
        return engine_route(session, own)
    version = session.get(RouteVersion, task.route_version_id)
    return engine_route(session, version) if version is not None else None


def step_of_task(session: Session, own: RouteVersion, task: _TaskRow) -> engine.Step | None:
    """The step an open task waits at, read from its route version (``route_of_task``)."""
    route = route_of_task(session, own, task)
    return route.steps.get(task.step_id.rpartition("/")[2]) if route is not None else None


def call_problems(session: Session, office: Office, route: engine.Route) -> list[engine.Problem]:
    """Calls of ``route`` to routes ``office`` does not publish, and calls that lead back to
    ``route`` itself through the routes the office publishes."""
    problems: list[engine.Problem] = []
    for call_id, (key, name) in route.calls.items():
        if key == route.key:
            continue  # refused with the route's own checks
        latest = _latest(session, office, key)
        if latest is None:
            problems.append(engine.Problem(
                "calls the route '%(key)s', which %(office)s does not publish: publish that "
                "route first, or call one of the office's routes", call_id, name,
                params={"key": key, "office": named(office)}))
            continue
        if engine_route(session, latest).circulations:
            problems.append(engine.Problem(
                "calls the route '%(key)s', which goes to many posts at a step: a route that "
                "circulates cannot be called, since each post's part is placed in the file's "
                "own route; draw the circulation in this route instead", call_id, name,
                params={"key": key}))
            continue
        chain = engine.call_chain(route.key, [key], lambda k: _calls(session, office, k))
        if chain:
            problems.append(engine.Problem(
                "calls back into this route through other routes (%(chain)s): a file would "
                "enter the same routes round in a circle", call_id, name,
                params={"chain": " → ".join(chain)}))
    callers = _callers(session, office, route.key) if route.circulations else []
    if callers:
        step = next(iter(route.circulations))
        problems.append(engine.Problem(
            "goes to many posts, and the office's routes %(callers)s call this route: a route "
            "that circulates cannot be called, since each post's part is placed in the file's "
            "own route; draw the circulation in the routes that call it", step,
            route.steps[step].name, params={"callers": ", ".join(callers)}))
    return problems


def _callers(session: Session, office: Office, key: str) -> list[str]:
    """The keys of the office's routes whose published version calls the route ``key``."""
    keys = session.scalars(select(Route.key).where(Route.office_id == office.id,
                                                   Route.key != key).order_by(Route.key))
    return [other for other in keys if key in (_calls(session, office, other) or [])]


def _latest(session: Session, office: Office, key: str) -> RouteVersion | None:
    route = session.scalar(select(Route).where(Route.office_id == office.id, Route.key == key))
    return latest_version(session, route) if route is not None else None


def _calls(session: Session, office: Office, key: str) -> list[str] | None:
    version = _latest(session, office, key)
    if version is None:
        return None
    return [called for called, _name in engine_route(session, version).calls.values()]
