"""Read, check and parse a route: a BPMN 2.0 process that Sanchika can run safely.

``check_route`` accepts any bytes at all and returns a list of problems (empty when the route
is good); ``parse_route`` returns a ``Route`` for a good one and raises ``RouteInvalid`` with the
same problems otherwise (the checks are ``engine.checks``).  Parsing is cached by content, so a
route version is parsed once per process however many files travel on it.
"""

import hashlib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .bpmn_names import BPMN, NS, name_of, properties
from .circulation import Circulation, for_the_engine, of_step
from .checks import Problem, RouteInvalid, _problem, check_document
from .timer_checks import timer_value
from .cycles import STEPS
from .parallel import steps_in_parts
from .roles import step_roles
from .spiff_internals import answers_merge
from .subroutes import calls_of, sub_processes

DEFAULT_CHOICE = "Forward"


@dataclass(frozen=True)
class Step:
    """A stop on the track: a user task, the role that holds it, and the choices it offers."""
    id: str
    name: str
    role: str
    choices: tuple[str, ...]
    limit_days: int | None = None
    timers: tuple[str, ...] = ()
    #: (choice, role of the step it leads to, or "" for an end or a decision)
    next_roles: tuple[tuple[str, str], ...] = ()
    #: how the step goes to many posts (None: it is held by one)
    circulation: Circulation | None = None
    #: (choice, id of the step it leads to, or "" for an end or a decision)
    next_steps: tuple[tuple[str, str], ...] = ()
    #: the choices that end the route: their flow goes straight to an end event of the
    #: process (not of a sub-process)
    ending: tuple[str, ...] = ()
    #: the choices the route's author marked to be asked again (a flow with the property
    #: ``confirm`` set to true: a rejection that still passes a step before the end)
    confirm: tuple[str, ...] = ()

    def next_role(self, choice: str) -> str:
        """The role of the step ``choice`` leads to ("" for an end or a decision)."""
        return dict(self.next_roles).get(choice, "")

    def next_step(self, choice: str) -> str:
        """The id of the step ``choice`` leads to ("" for an end or a decision)."""
        return dict(self.next_steps).get(choice, "")


@dataclass(frozen=True)
class Timer:
    """A timer event on a step: after a duration or at a date, interrupting the step or not."""
    id: str
    name: str
    step_id: str
    expression: str
    interrupting: bool


@dataclass(eq=False)
class Route:
    """A parsed route: its steps and roles, ends, timers and conditions, and the engine's spec."""
    key: str
    name: str
    sha256: str
    xml: bytes
    steps: dict[str, Step]
    roles: tuple[str, ...]
    end_names: dict[str, str]
    timers: dict[str, Timer] = field(default_factory=dict)
    #: flow id -> (flow name, condition)
    conditions: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: ids of the steps that lie in a part of the file (between a parallel split and its join)
    part_steps: frozenset[str] = frozenset()
    #: call activity id -> (the key of the route it runs, the call's name) (``engine.subroutes``)
    calls: dict[str, tuple[str, str]] = field(default_factory=dict)
    spec: Any = field(default=None, repr=False)  # engine-private parsed spec
    #: engine-private parsed specs of the route's embedded sub-processes, by their ids
    sub_specs: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def circulations(self) -> dict[str, Circulation]:
        """The steps that go to many posts, by id, with how they do."""
        return {step.id: step.circulation for step in self.steps.values() if step.circulation}


def check_route(data: bytes | bytearray | memoryview | str) -> list[Problem]:
    """Return the problems that stop ``data`` (bytes or str) being run as a route."""
    try:
        _parse_cached(_as_bytes(data))
    except RouteInvalid as exc:
        return list(exc.problems)
    return []


def parse_route(data: bytes | bytearray | memoryview | str) -> "Route":
    """Parse and check a route; raise RouteInvalid listing every problem found."""
    return _parse_cached(_as_bytes(data))


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


@lru_cache(maxsize=256)
def _parse_cached(data: bytes) -> "Route":
    root, process = check_document(data)
    route = _describe(process, data)
    route.spec, route.sub_specs = _spiff_spec(root, route.key)
    return route


def _describe(process: Any, data: bytes) -> Route:
    timers = _timers_of(process)
    steps = _steps_of(process, timers)
    ends = {e.get("id"): name_of(e) for e in process.xpath("bpmn:endEvent", namespaces=NS)}
    conditions_ = {flow.get("id"): (name_of(flow), " ".join(expr.split()))
                   for flow in process.xpath(".//bpmn:sequenceFlow", namespaces=NS)
                   for expr in flow.xpath("bpmn:conditionExpression/text()", namespaces=NS)}
    return Route(
        key=process.get("id"), name=name_of(process) or process.get("id"),
        sha256=hashlib.sha256(data).hexdigest(), xml=data, steps=steps,
        roles=tuple(dict.fromkeys(s.role for s in steps.values())), end_names=ends,
        timers=timers, conditions=conditions_,
        part_steps=_part_steps(process).intersection(steps), calls=calls_of(process))


def _part_steps(process: Any) -> frozenset[str]:
    """The ids of the elements that lie in a part of the file, in the process or in one of its
    sub-processes; what a sub-process in a part holds is in that part too."""
    inside: set[str] = set()
    for scope in [process, *sub_processes(process)]:
        nodes = {el.get("id"): el for el in scope.iterchildren(etree.Element) if el.get("id")}
        outgoing: dict[str, list[Any]] = {}
        incoming: dict[str, list[Any]] = {}
        for flow in scope.xpath("bpmn:sequenceFlow", namespaces=NS):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
            incoming.setdefault(flow.get("targetRef"), []).append(flow)
        inside |= steps_in_parts(nodes, outgoing, incoming)
        if scope.get("id") in inside:
            inside.update(el.get("id") for el in scope.iter(etree.Element) if el.get("id"))
    return frozenset(inside)


def _timers_of(process: Any) -> dict[str, Timer]:
    timers = {}
    for event in process.xpath(".//bpmn:boundaryEvent", namespaces=NS):
        expr_el = event.find(f"{{{BPMN}}}timerEventDefinition/*")
        timers[event.get("id")] = Timer(event.get("id"), name_of(event), event.get("attachedToRef"),
                                        timer_value(expr_el.text),
                                        event.get("cancelActivity", "true") != "false")
    return timers


def _steps_of(process: Any, timers: dict[str, Timer]) -> dict[str, Step]:
    roles = step_roles(process)[0]
    nodes = {el.get("id"): el for el in process.iter(etree.Element)}
    out: dict[str, list[Any]] = {}
    for flow in process.xpath(".//bpmn:sequenceFlow", namespaces=NS):
        out.setdefault(flow.get("sourceRef"), []).append(flow)
    steps = {}
    problems = []
    for el in process.xpath(" | ".join(f".//bpmn:{kind}" for kind in STEPS), namespaces=NS):
        choices, next_roles, next_steps, ending, confirm = _choices(
            out.get(el.get("id"), []), out, nodes, roles)
        props = properties(el)
        limit = props.get("limit_days")
        if limit not in (None, "") and not (limit.strip().isdigit() and 0 < int(limit) <= 365):
            problems.append(_problem(el, "limit_days '%(limit)s' must be a whole number of "
                                     "working days from 1 to 365", limit=limit))
            limit = None
        steps[el.get("id")] = Step(
            el.get("id"), name_of(el) or el.get("id"), roles[el.get("id")], choices,
            int(limit) if limit else None,
            tuple(t.id for t in timers.values() if t.step_id == el.get("id")), next_roles,
            of_step(el, props), next_steps, ending, confirm)
    if problems:
        raise RouteInvalid(problems)
    return steps


def _choices(outs: list[Any], out: dict[str, list[Any]], nodes: dict[str, Any],
             roles: dict[str, str]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...],
                                             tuple[tuple[str, str], ...], tuple[str, ...],
                                             tuple[str, ...]]:
    """A step's choices (the names of the flows leaving the gateway after it, or of its one
    flow) and, for each, the role and the id of the step it leads to ("" for an end or a
    decision); the choices whose flow goes straight to an end event; and those whose flow
    its author marked ``confirm``."""
    target: Any = nodes.get(outs[0].get("targetRef"))
    if etree.QName(target).localname == "exclusiveGateway":
        leaving = out.get(target.get("id"), [])
        choices = tuple(name_of(f) for f in leaving)
    else:
        leaving = outs[:1]
        choices = (name_of(outs[0]) or DEFAULT_CHOICE,)
    targets = [flow.get("targetRef") if etree.QName(nodes[flow.get("targetRef")]).localname
               in STEPS else "" for flow in leaving]
    next_roles = tuple((choice, roles.get(target, "") if target else "")
                       for choice, target in zip(choices, targets, strict=True))
    ending = tuple(choice for choice, flow in zip(choices, leaving, strict=True)
                   if _ends_the_process(nodes[flow.get("targetRef")]))
    confirm = tuple(choice for choice, flow in zip(choices, leaving, strict=True)
                    if properties(flow).get("confirm", "").strip().lower() in ("true", "yes"))
    return choices, next_roles, tuple(zip(choices, targets, strict=True)), ending, confirm


def _ends_the_process(node: Any) -> bool:
    """Whether ``node`` is an end event of the process itself (one inside a sub-process ends
    only that sub-process)."""
    return bool(etree.QName(node).localname == "endEvent"
                and etree.QName(node.getparent()).localname == "process")


def _spiff_spec(root: Any, key: str) -> tuple[Any, dict[str, Any]]:
    """The engine's spec of the process ``key`` and of its embedded sub-processes (the routes
    it calls are parsed as routes of their own)."""
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_xml(for_the_engine(root))
        spec = parser.get_spec(key)
        subs = parser.get_subprocess_specs(key, require_call_activity_specs=False)
    except Exception as exc:  # the engine's own parser may object to what our checks allowed
        raise RouteInvalid([Problem("the workflow engine could not read the route: %(why)s",
                                    params={"why": str(exc)})]) from None
    sub_specs = {name: sub for name, sub in subs.items() if sub is not None}
    for each in (spec, *sub_specs.values()):
        answers_merge(each)
    return spec, sub_specs


def lane_id(route: Route, role: str) -> str:
    """The id of the lane named ``role`` in ``route`` ("" when there is none)."""
    root = etree.fromstring(route.xml, etree.XMLParser(resolve_entities=False, no_network=True))
    for lane in root.iter(f"{{{BPMN}}}lane"):
        if name_of(lane) == role:
            return lane.get("id") or ""
    return ""
