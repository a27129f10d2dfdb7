"""Published route versions as the engine reads them: the newest version of a route, and the
parsed route of a version, parsed once per process and kept by the XML's sha256."""

import hashlib

import engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import Route, RouteVersion

_routes_by_sha: dict[str, engine.Route] = {}


def latest_version(session: Session, route: Route) -> RouteVersion | None:
    """The newest version of ``route`` (None before its first)."""
    return session.scalar(select(RouteVersion).where(RouteVersion.route_id == route.id)
                          .order_by(RouteVersion.version.desc()).limit(1))


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
