"""Publishing routes as immutable versions, and handing the engine the route of a file."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import engine
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from .. import audit
from ..errors import InvalidInput, NotFound, named
from ..models import Office, Route, RouteVersion, User
from .calling import call_problems
# the parsed route of a version is read through this module too (routing.engine_route)
from .versions import engine_route, latest_version, route_of_version  # noqa: F401

def deploy_route(session: Session, office: Office, xml: bytes | str,
                 user: User | None = None) -> RouteVersion:
    """Validate ``xml`` and publish it as the next version of its route in ``office``.

    Publishing the same XML as the latest version again publishes nothing and returns it.  A
    route whose calls name routes the office does not publish, or lead back to it, is refused.
    """
    try:
        parsed = engine.parse_route(xml)
    except engine.RouteInvalid as exc:
        raise InvalidInput("the route is not valid: %(problems)s",
                           problems="; ".join(map(str, exc.problems))) from None
    problems = call_problems(session, office, parsed) if parsed.calls else []
    if problems:
        raise InvalidInput("the route is not valid: %(problems)s",
                           problems="; ".join(map(str, problems)))
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
