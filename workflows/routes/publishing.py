"""Publishing routes drawn by administrators, their versions, and moving files in flight
from one version to a newer one.

A route is checked with exactly the rules of ``sanchika check-route`` and, before it is
published, against the office: a lane whose role no post of the office holds would strand
every file that reaches it.  Files in flight keep the version they started on until an
administrator moves them (dry run first).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..files import circulation, filing
from ..org import orgchart
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed, NotFound, Sentence, named
from ..models import File, Movement, Office, Post, Route, RouteVersion, Task, User
from ..org import HEAD_OF_OFFICE
from .calling import call_problems, called_routes
from .routing import deploy_route, engine_route, latest_version


def check(session: Session, office: Office, xml: bytes | str) -> list[engine.Problem]:
    """Every problem that stops ``xml`` being published in ``office``: the route checks of
    ``sanchika check-route`` first, then lanes whose role no post of the office holds and
    calls to routes the office does not publish or that call back into this one."""
    problems = engine.check_route(xml)
    if problems:
        return problems
    route = engine.parse_route(xml)
    return lane_problems(session, office, route) + call_problems(session, office, route)


def lane_problems(session: Session, office: Office,
                  route: engine.Route) -> list[engine.Problem]:
    """Lanes of ``route`` that no post of ``office`` would hold, and steps that go to many
    posts (``circulation``) where no post of the role is there to go to."""
    roles = set(session.scalars(select(Post.role).where(Post.office_id == office.id)))
    has_head = session.scalar(select(Post.id).where(Post.office_id == office.id,
                                                    Post.is_head.is_(True)).limit(1)) is not None
    problems = _circulation_problems(session, office, route)
    held_by_one = {step.role for step in route.steps.values() if step.circulation is None}
    for role in route.roles:
        if role in roles or (role == HEAD_OF_OFFICE and has_head) or role not in held_by_one:
            continue
        lane_id = engine.lane_id(route, role)
        problems.append(engine.Problem(
            "no post of %(office)s holds the role '%(role)s': a file reaching this lane would "
            "be stranded; create the post or rename the lane", lane_id, role,
            params={"office": named(office), "role": role}))
    return problems


def _circulation_problems(session: Session, office: Office,
                          route: engine.Route) -> list[engine.Problem]:
    problems: list[engine.Problem] = []
    for step in route.steps.values():
        if step.circulation and not circulation.post_ids(session, office, step.role,
                                                         step.circulation.recipients):
            problems.append(engine.Problem(
                "no post holds the role '%(role)s' where '%(step)s' goes (%(recipients)s): "
                "a file reaching it would go to no one; create the posts or change the role",
                step.id, step.name, params={"role": step.role, "step": step.name,
                                            "recipients": step.circulation.recipients}))
    return problems


def publish(session: Session, office: Office, xml: bytes | str, user: User) -> RouteVersion:
    """Publish ``xml`` as the next version of its route in ``office`` (``user`` must
    administer it).  Refused, with every problem, when the route would strand a file."""
    orgchart.require_admin(session, user, office)
    problems = check(session, office, xml)
    if problems:
        raise InvalidInput("the route cannot be published: %(problems)s",
                           problems="; ".join(_say(p) for p in problems))
    return deploy_route(session, office, xml, user)


def _say(problem: engine.Problem) -> str:
    where = problem.element_id + (f' "{problem.element_name}"' if problem.element_name else "")
    return (where + ": " if where else "") + problem.message


def route_of(session: Session, route_id: int, user: User | None = None) -> Route:
    """The route ``route_id`` (NotFound otherwise); ``user``, if given, must administer its
    office."""
    route = session.get(Route, route_id)
    if route is None:
        raise NotFound("no route with the id %(id)s", id=route_id)
    if user is not None:
        orgchart.require_admin(session, user, route.office)
    return route


def version_of(session: Session, route: Route, number: int) -> RouteVersion:
    """Version ``number`` of ``route`` (NotFound otherwise)."""
    version = session.scalar(select(RouteVersion).where(RouteVersion.route_id == route.id,
                                                        RouteVersion.version == number))
    if version is None:
        raise NotFound("route %(key)s has no version %(version)s", key=route.key, version=number)
    return version


def routes_of(session: Session, office: Office) -> list[Route]:
    """The routes of ``office``, by key."""
    return list(session.scalars(select(Route).where(Route.office_id == office.id)
                                .order_by(Route.key)))


def history(session: Session,
            route: Route) -> list[tuple[RouteVersion, User | None, list[str], list[Sentence]]]:
    """Each version, newest first, with who published it, when, how many files are open on
    it (their numbers), and what changed from the version before: ``[(version, publisher, open files,
    [change, ...]), ...]``."""
    from ..models import User
    versions = list(session.scalars(select(RouteVersion).where(RouteVersion.route_id == route.id)
                                    .order_by(RouteVersion.version)))
    rows: list[tuple[RouteVersion, User | None, list[str], list[Sentence]]] = []
    previous: engine.Route | None = None
    for version in versions:
        parsed = engine_route(session, version)
        publisher = session.get(User, version.published_by_id) if version.published_by_id else None
        open_files = [f.number for f in _open_files(session, version)]
        rows.append((version, publisher, open_files, changes(previous, parsed)))
        previous = parsed
    return list(reversed(rows))


def changes(old: engine.Route | None, new: engine.Route) -> list[Sentence]:
    """What changed from route ``old`` to route ``new``, in sentences (``old`` may be None)."""
    if old is None:
        return [Sentence("first version")]
    said: list[Sentence] = []
    for step_id, step in new.steps.items():
        before = old.steps.get(step_id)
        if before is None:
            said.append(Sentence("step '%(step)s' added (%(role)s)", step=step.name,
                                 role=step.role))
            continue
        if before.name != step.name:
            said.append(Sentence("step '%(step)s': name %(before)s → %(after)s",
                                 step=step.name, before=before.name, after=step.name))
        if before.role != step.role:
            said.append(Sentence("step '%(step)s': role %(before)s → %(after)s",
                                 step=step.name, before=before.role, after=step.role))
        if before.limit_days != step.limit_days:
            said.append(Sentence("step '%(step)s': time limit %(before)s → %(after)s",
                                 step=step.name, before=before.limit_days or "-",
                                 after=step.limit_days or "-"))
        if before.choices != step.choices:
            said.append(Sentence("step '%(step)s': choices %(before)s → %(after)s",
                                 step=step.name, before=", ".join(before.choices) or "-",
                                 after=", ".join(step.choices) or "-"))
    for step_id, step in old.steps.items():
        if step_id not in new.steps:
            said.append(Sentence("step '%(step)s' removed", step=step.name))
    for flow_id in dict.fromkeys([*old.conditions, *new.conditions]):
        (name, was), (new_name, is_now) = (old.conditions.get(flow_id, ("", "")),
                                           new.conditions.get(flow_id, ("", "")))
        if was != is_now:
            said.append(Sentence("condition of '%(flow)s': %(before)s → %(after)s",
                                 flow=new_name or name or flow_id, before=was or "-",
                                 after=is_now or "-"))
    if not said and old.sha256 != new.sha256:
        said.append(Sentence("drawing changed; steps, roles, limits, choices and conditions "
                             "unchanged"))
    return said


@dataclass(frozen=True)
class PlannedMove:
    """What a move would do with one open file: whether it can move and why not.
    ``step_name`` names the step it waits at (the steps of its open parts, joined); ``parts``
    lists them one by one."""
    number: str
    subject: str
    step_name: str
    can_move: bool
    reason: str | Sentence
    parts: tuple[str, ...] = ()


def _open_files(session: Session, version: RouteVersion) -> list[File]:
    return list(session.scalars(select(File).where(File.route_version_id == version.id,
                                                   File.status != "closed").order_by(File.id)))


def plan_move(session: Session, source: RouteVersion,
              target: RouteVersion) -> list[PlannedMove]:
    """Dry run: for every open file of version ``source``, whether it can move to ``target``
    (each step it waits at, one per open part, still exists there, held by the same role, and
    the new version can hold the file at all of them at once) and why not."""
    new = engine_route(session, target)
    plan: list[PlannedMove] = []
    for file in _open_files(session, source):
        plan.append(_plan_one(session, file, new))
    return plan


def _plan_one(session: Session, file: File, new: engine.Route) -> PlannedMove:
    tasks = filing.open_tasks(session, file)
    names = tuple(t.step_name for t in tasks)

    def planned(reason: str | Sentence = "") -> PlannedMove:
        return PlannedMove(file.number, file.subject, ", ".join(names), not reason, reason,
                           names)

    if not tasks:
        return planned(Sentence("the file is not waiting at any step"))
    called_part = next((t for t in tasks if t.route_version_id is not None), None)
    if called_part is not None:  # its place is in the called route's state
        return planned(Sentence(
            "the file is at '%(step)s' of a route this one called; it moves to another "
            "version once it has come back from that route", step=called_part.step_name))
    reason = _no_counterpart(tasks, new)
    if reason:
        return planned(reason)
    try:
        engine.start_at_steps(new, [t.step_id for t in tasks], {"priority": file.priority},
                              called_routes(session, file.office_id))
    except engine.RouteError as exc:
        return planned(Sentence(exc.template, **exc.params))
    return planned()


def _no_counterpart(tasks: Sequence[Task], new: engine.Route) -> Sentence | None:
    """Why the open ``tasks`` (parts) of a file have no counterpart in ``new``: a step gone, or
    held by another role; None when every one has its step there."""
    if len(tasks) == 1:
        task = tasks[0]
        step = new.steps.get(task.step_id)
        if step is None:
            return Sentence("the step '%(step)s' (%(id)s) is not in the new version",
                            step=task.step_name, id=task.step_id)
        if step.role != task.role:
            return Sentence("the step is held by '%(new)s' in the new version, not "
                            "'%(old)s'", new=step.role, old=task.role)
        return None
    lost = [t for t in tasks
            if t.step_id not in new.steps or new.steps[t.step_id].role != t.role]
    if not lost:
        return None
    return Sentence("the file lies in %(count)s parts at once, and these parts have no "
                    "counterpart in the new version (the same step, held by the same role): "
                    "%(parts)s", count=len(tasks),
                    parts=", ".join(f"'{t.step_name}' ({t.step_id})" for t in lost))


def move_files(session: Session, source: RouteVersion, target: RouteVersion, user: User,
               now: datetime | None = None) -> list[PlannedMove]:
    """Move every open file of version ``source`` that can move to version ``target``; each
    move is on the file's track and in the audit log.  Returns the plan that was carried out."""
    now = now or utcnow()
    route = source.route
    orgchart.require_admin(session, user, route.office)
    if target.route_id != source.route_id or target.version <= source.version:
        raise NotAllowed("files move only to a newer version of the same route")
    new = engine_route(session, target)
    plan = plan_move(session, source, target)
    for item in plan:
        if item.can_move:
            _move(session, filing.lock_file(session, item.number), source, target, new, user, now)
    session.flush()
    return plan


def _move(session: Session, file: File, source: RouteVersion, target: RouteVersion,
          new: engine.Route, user: User, now: datetime) -> None:
    """Put ``file`` at the same steps of version ``target``: each open part's task takes the
    new instance's task of its step, and gets a "route" movement on the track."""
    tasks = filing.open_tasks(session, file)
    instance = engine.start_at_steps(new, [t.step_id for t in tasks], {"priority": file.priority},
                                     called_routes(session, file.office_id))
    filing.reseat(tasks, instance)
    file.route_version_id = target.id
    file.workflow_state = engine.dump(instance)
    file.engine_version = engine.SPIFF_VERSION
    file.previous_state = ""  # the old version's state cannot be pulled back to
    remark = f"Route {source.route.key} version {source.version} → {target.version}"
    for task in tasks:
        session.add(Movement(file_id=file.id, kind="route", from_post_id=task.post_id,
                             from_user_id=user.id, to_post_id=task.post_id,
                             step_name=task.step_name, remark=remark, at=now))
    where: dict[str, str | list[str]] = ({"step": tasks[0].step_id} if len(tasks) == 1
                                         else {"steps": [t.step_id for t in tasks]})
    audit.record(session, "file.route_migrated", user, file, None, route=source.route.key,
                 from_version=source.version, to_version=target.version, **where)


def latest(session: Session, route: Route) -> RouteVersion | None:
    """The newest version of ``route``."""
    return latest_version(session, route)
