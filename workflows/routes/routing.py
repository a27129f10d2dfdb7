"""Publishing routes as immutable versions, and handing the engine the route of a file."""

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import engine
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from .. import audit
from ..errors import InvalidInput, NotFound, named
from ..models import Office, Route, RouteVersion, User

_routes_by_sha: dict[str, engine.Route] = {}


def deploy_route(session: Session, office: Office, xml: bytes | str,
                 user: User | None = None) -> RouteVersion:
    """Validate ``xml`` and publish it as the next version of its route in ``office``.

    Publishing the same XML as the latest version again publishes nothing and returns it.
    """
    try:
        parsed = engine.parse_route(xml)
    except engine.RouteInvalid as exc:
        raise InvalidInput("the route is not valid: %(problems)s",
                           problems="; ".join(map(str, exc.problems))) from None
    route = session.scalar(select(Route).where(Route.office_id == office.id,
                                               Route.key == parsed.key))
    if route is None:
        route = Route(office_id=office.id, key=parsed.key, name=parsed.name)
        session.add(route)
        session.flush()
    latest = latest_version(session, route)
    if latest is not None and latest.sha256 == parsed.sha256:
        return latest
    route.name = parsed.name
    version = RouteVersion(
        route_id=route.id, version=(latest.version + 1) if latest else 1, sha256=parsed.sha256,
        xml=bytes(parsed.xml), published_by_id=user.id if user else None)
    session.add(version)
    session.flush()
    audit.record(session, "route.published", user, office_id=office.id, route=route.key,
                 version=version.version, sha256=version.sha256)
    return version


@contextmanager
def engine_refusals() -> Iterator[None]:
    """Run the engine (``with engine_refusals(): engine.start(...)``) with what it refuses told
    as the office's refusals: a route the engine will not run this way (a choice it does not
    offer, a route that would never stop at a step) is an InvalidInput, with the same words."""
    try:
        yield
    except engine.RouteError as exc:
        raise InvalidInput(exc.template, **exc.params) from None


def latest_version(session: Session, route: Route) -> RouteVersion | None:
    """The newest version of ``route`` (None before its first)."""
    return session.scalar(select(RouteVersion).where(RouteVersion.route_id == route.id)
                          .order_by(RouteVersion.version.desc()).limit(1))


def route_by_key(session: Session, office: Office, key: str) -> Route:
    """The route ``key`` of ``office`` (NotFound, naming the office's routes, otherwise)."""
    route = session.scalar(select(Route).where(Route.office_id == office.id, Route.key == key))
    if route is None:
        known = ", ".join(session.scalars(select(Route.key).where(Route.office_id == office.id)
                                        .order_by(Route.key)))
        if known:
            raise NotFound("no route '%(key)s' in %(office)s; routes: %(known)s",
                           key=key, office=named(office), known=known)
        raise NotFound("no route '%(key)s' in %(office)s", key=key, office=named(office))
    return route


def list_routes(session: Session,
                office: Office | None = None) -> Sequence[Row[Route, int, int]]:
    """(route, version count, latest version) for every route, optionally of one office."""
    stmt = (select(Route, func.count(RouteVersion.id), func.max(RouteVersion.version))
            .join(RouteVersion, RouteVersion.route_id == Route.id)
            .group_by(Route.id).order_by(Route.office_id, Route.key))
    if office is not None:
        stmt = stmt.where(Route.office_id == office.id)
    return session.execute(stmt).all()


def engine_route(session: Session, version: RouteVersion) -> engine.Route:
    """The parsed route of a version; parsed once per process, keyed by the XML's sha256."""
    route = _routes_by_sha.get(version.sha256)
    if route is None:
        route = _parse_version(version.id, version.xml, version.sha256)
    return route


def route_of_version(session: Session, version_id: int, sha256: str) -> engine.Route:
    """``engine_route`` when only the version's id and sha256 are at hand: the XML is read
    only the first time this process meets the version."""
    route = _routes_by_sha.get(sha256)
    if route is None:
        # the id comes from a row that refers to the version (a foreign key): it is there
        xml = session.execute(select(RouteVersion.xml)
                              .where(RouteVersion.id == version_id)).scalar_one()
        route = _parse_version(version_id, xml, sha256)
    return route


def _parse_version(version_id: int, xml: bytes, sha256: str) -> engine.Route:
    if hashlib.sha256(xml).hexdigest() != sha256:
        raise NotFound("route version %(id)s does not match its recorded sha256", id=version_id)
    route = engine.parse_route(xml)
    _routes_by_sha[sha256] = route
    return route
