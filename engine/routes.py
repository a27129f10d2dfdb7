"""Read, check and parse a route: a BPMN 2.0 process that Sanchika can run safely.

``check_route`` accepts any bytes at all and returns a list of problems (empty when the route
is good); ``parse_route`` returns a ``Route`` for a good one and raises ``RouteInvalid`` with the
same problems otherwise.  Parsing is cached by content, so a route version is parsed once per
process however many files travel on it.
"""

import hashlib
from copy import deepcopy
import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, VALIDATOR

from . import conditions
from .refusals import english

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF, "camunda": CAMUNDA}

#: Variables a condition may read: the official's choice and the file's priority.
ROUTING_VARIABLES = frozenset({"choice", "priority"})
DEFAULT_CHOICE = "Forward"
MAX_ROUTE_BYTES = 2 * 1024 * 1024

_FLOW_NODES = {"startEvent", "endEvent", "userTask", "manualTask", "task", "exclusiveGateway",
               "boundaryEvent", "intermediateCatchEvent"}
_STRUCTURE = {"laneSet", "lane", "childLaneSet", "flowNodeRef", "sequenceFlow", "incoming",
              "outgoing", "conditionExpression", "documentation", "extensionElements",
              "textAnnotation", "text", "association", "group", "timerEventDefinition",
              "timeDuration", "timeDate", "terminateEventDefinition"}
_RESERVED_IDS = {"Start", "End", "Root"}


def N_(template):
    """Marks a problem's sentence for the Hindi catalog where it is not written inside a call
    that ``make translations`` knows (the table below)."""
    return template


#: Why an element cannot be in a route, by its BPMN name (``kind``).
_WHY_UNSUPPORTED = {
    "scriptTask": N_("%(kind)s: script tasks could run arbitrary code"),
    "serviceTask": N_("%(kind)s: service tasks could call arbitrary code"),
    "businessRuleTask": N_("%(kind)s: business rule tasks are not supported"),
    "sendTask": N_("%(kind)s: message tasks are not supported"),
    "receiveTask": N_("%(kind)s: message tasks are not supported"),
    "callActivity": N_("%(kind)s: call activities are not supported; "
                       "draw the steps in this route"),
    "subProcess": N_("%(kind)s: sub-processes are not supported; draw the steps in this route"),
    "transaction": N_("%(kind)s: transactions are not supported"),
    "adHocSubProcess": N_("%(kind)s: ad-hoc sub-processes are not supported"),
    "parallelGateway": N_("%(kind)s: a file is in one place at a time; "
                          "parallel gateways are not supported"),
    "inclusiveGateway": N_("%(kind)s: a file is in one place at a time; "
                           "inclusive gateways are not supported"),
    "eventBasedGateway": N_("%(kind)s: event-based gateways are not supported"),
    "complexGateway": N_("%(kind)s: complex gateways are not supported"),
    "intermediateThrowEvent": N_("%(kind)s: throw events are not supported"),
    "timeCycle": N_("%(kind)s: repeating timers are not supported; use a duration or a date"),
    "multiInstanceLoopCharacteristics": N_("%(kind)s: multi-instance steps are not supported"),
    "standardLoopCharacteristics": N_("%(kind)s: loop steps are not supported; "
                                      "draw the loop with flows"),
    "dataObject": N_("%(kind)s: data objects are not supported"),
    "dataObjectReference": N_("%(kind)s: data objects are not supported"),
    "dataStoreReference": N_("%(kind)s: data stores are not supported"),
    "messageEventDefinition": N_("%(kind)s: message events are not supported"),
    "signalEventDefinition": N_("%(kind)s: signal events are not supported"),
    "errorEventDefinition": N_("%(kind)s: error events are not supported"),
    "escalationEventDefinition": N_("%(kind)s: escalation events are not supported"),
    "conditionalEventDefinition": N_("%(kind)s: conditional events are not supported"),
    "compensateEventDefinition": N_("%(kind)s: compensation is not supported"),
    "linkEventDefinition": N_("%(kind)s: link events are not supported"),
    "cancelEventDefinition": N_("%(kind)s: cancel events are not supported"),
}


class RouteInvalid(ValueError):
    """A route that cannot be run; ``problems`` lists what is wrong."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class Problem:
    """Something that stops a route being run, and where it is.  Like a refusal, it keeps its
    sentence as a %-style ``template`` with named ``params``, so that a page can say it in the
    reader's language; ``message`` is the English."""

    template: str
    element_id: str = ""
    element_name: str = ""
    line: int | None = None
    params: dict = field(default_factory=dict, compare=False)

    @property
    def message(self):
        return english(self.template, self.params)

    def __str__(self):
        where = []
        if self.line:
            where.append(f"line {self.line}")
        if self.element_id:
            where.append(self.element_id + (f' "{self.element_name}"' if self.element_name else ""))
        return (", ".join(where) + ": " if where else "") + self.message


@dataclass(frozen=True)
class Step:
    """A stop on the track: a user task, the role that holds it, and the choices it offers."""
    id: str
    name: str
    role: str
    choices: tuple
    limit_days: int | None = None
    timers: tuple = ()
    next_roles: tuple = ()  # (choice, role of the step it leads to, or "" for an end/decision)

    def next_role(self, choice):
        return dict(self.next_roles).get(choice, "")


@dataclass(frozen=True)
class Timer:
    id: str
    name: str
    step_id: str
    expression: str
    interrupting: bool


@dataclass(eq=False)
class Route:
    key: str
    name: str
    sha256: str
    xml: bytes
    steps: dict
    roles: tuple
    end_names: dict
    timers: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)  # flow id -> (flow name, condition)
    spec: object = field(default=None, repr=False)  # engine-private parsed spec


def check_route(data):
    """Return the problems that stop ``data`` (bytes or str) being run as a route."""
    try:
        _parse_cached(_as_bytes(data))
    except RouteInvalid as exc:
        return list(exc.problems)
    return []


def parse_route(data):
    """Parse and check a route; raise RouteInvalid listing every problem found."""
    return _parse_cached(_as_bytes(data))


def _as_bytes(data):
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


@lru_cache(maxsize=256)
def _parse_cached(data):
    if not data.strip():
        raise RouteInvalid([Problem("the file is empty")])
    if len(data) > MAX_ROUTE_BYTES:
        raise RouteInvalid([Problem("the file is larger than %(kb)s KB",
                                    params={"kb": MAX_ROUTE_BYTES // 1024})])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RouteInvalid([Problem("not well-formed XML: %(why)s", line=exc.lineno,
                                    params={"why": exc.msg})]) from None
    except ValueError as exc:
        raise RouteInvalid([Problem("not readable as XML: %(why)s",
                                    params={"why": str(exc)})]) from None
    if root.getroottree().docinfo.doctype:
        raise RouteInvalid([Problem("the file declares a DOCTYPE; BPMN needs none, and entities "
                                    "are not accepted", line=1)])
    if etree.QName(root).namespace != BPMN or etree.QName(root).localname != "definitions":
        raise RouteInvalid([Problem("this is not a BPMN 2.0 file (the root element must be "
                                    "bpmn:definitions in the BPMN 2.0 namespace)")])
    problems = _schema_problems(root)
    if problems:
        raise RouteInvalid(problems)
    process, problems = _the_process(root)
    if problems:
        raise RouteInvalid(problems)
    problems = _unsupported(process) + _structure_problems(process)
    if problems:
        raise RouteInvalid(problems)
    route = _describe(root, process, data)
    route.spec = _spiff_spec(root, route.key)
    return route


def _schema_problems(root):
    copy = deepcopy(root)
    VALIDATOR.preprocess(copy)
    if VALIDATOR.validator.validate(copy):
        return []
    return [Problem("not valid BPMN 2.0: %(why)s", line=e.line, params={"why": e.message})
            for e in list(VALIDATOR.validator.error_log)[:20]]


def _the_process(root):
    processes = root.findall(f"{{{BPMN}}}process")
    runnable = [p for p in processes if p.get("isExecutable", "true") != "false"
                and len(p.xpath("bpmn:startEvent", namespaces=NS))]
    if len(runnable) == 1:
        return runnable[0], []
    if not runnable:
        return None, [Problem("the file has no executable process with a start event")]
    ids = ", ".join(p.get("id") for p in runnable)
    return None, [Problem("the file has %(count)s executable processes (%(ids)s); a route is "
                          "one process", params={"count": len(runnable), "ids": ids})]


def _name(el):
    return (el.get("name") or "").strip()


def _problem(el, template, **params):
    return Problem(template, el.get("id") or "", _name(el), el.sourceline, params)


def _unsupported(process):
    problems = []
    for el in process.iter(etree.Element):
        qn = etree.QName(el)
        if qn.namespace == BPMN:
            if qn.localname in _WHY_UNSUPPORTED:
                problems.append(_problem(el, _WHY_UNSUPPORTED[qn.localname], kind=qn.localname))
            elif qn.localname not in _FLOW_NODES | _STRUCTURE and el is not process:
                problems.append(_problem(el, "%(kind)s is not supported by Sanchika",
                                         kind=qn.localname))
        elif qn.namespace == SPIFF and qn.localname not in ("properties", "property"):
            owner = el.getparent().getparent()
            problems.append(_problem(owner, "spiffworkflow:%(kind)s is not supported (routes may "
                                     "not carry scripts or service calls)", kind=qn.localname))
    for event in process.xpath("bpmn:startEvent", namespaces=NS):
        if len(event):
            defs = [etree.QName(c).localname for c in event if etree.QName(c).localname.endswith("Definition")]
            if defs:
                problems.append(_problem(event, "a route starts with a plain start event, not "
                                         "%(kinds)s", kinds=", ".join(defs)))
    return problems


def _structure_problems(process):
    problems = []
    nodes = {el.get("id"): el for el in process.iter(etree.Element)
             if etree.QName(el).localname in _FLOW_NODES}
    flows = process.xpath("bpmn:sequenceFlow", namespaces=NS)
    outgoing, incoming = {}, {}
    for flow in flows:
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        incoming.setdefault(flow.get("targetRef"), []).append(flow)
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in nodes:
                problems.append(_problem(flow, "%(end)s '%(ref)s' is not a step of this route",
                                         end=end, ref=flow.get(end)))
    lanes = _lanes_of(process)
    starts = process.xpath("bpmn:startEvent", namespaces=NS)
    if len(starts) != 1:
        problems.append(Problem("a route has exactly one start event; this one has %(count)s",
                                params={"count": len(starts)}))
    if not process.xpath("bpmn:endEvent", namespaces=NS):
        problems.append(Problem("the route has no end event: a file could never be finished"))
    for node_id, el in nodes.items():
        kind = etree.QName(el).localname
        if node_id in _RESERVED_IDS:
            problems.append(_problem(el, "the id '%(id)s' is reserved by the engine; rename it",
                                     id=node_id))
        outs = outgoing.get(node_id, [])
        if kind != "endEvent" and not outs:
            problems.append(_problem(el, "has no way out: a file arriving here would be stranded"))
        if kind in ("userTask", "manualTask"):
            if not lanes.get(node_id):
                problems.append(_problem(el, "is not in a named lane: no role would hold it"))
            if len(outs) > 1:
                problems.append(_problem(el, "has several flows leaving it; lead it to one "
                                         "exclusive gateway whose flows are the choices"))
        if kind == "exclusiveGateway":
            problems.extend(_gateway_problems(el, outs, nodes, incoming))
    problems.extend(_timer_problems(process, nodes))
    if not problems:
        problems.extend(_reachability_problems(nodes, outgoing))
    return problems


def _gateway_problems(gateway, outs, nodes, incoming):
    problems = []
    default = gateway.get("default")
    after_step = any(etree.QName(nodes.get(f.get("sourceRef"), gateway)).localname
                     in ("userTask", "manualTask") for f in incoming.get(gateway.get("id"), []))
    seen = set()
    for flow in outs:
        name = _name(flow)
        expr_el = flow.find(f"{{{BPMN}}}conditionExpression")
        expr = (expr_el.text or "").strip() if expr_el is not None else ""
        if after_step:
            if not name:
                problems.append(_problem(flow, "leaves a decision after a step but has no name; "
                                         "its name is the choice the official sees"))
            elif name in seen:
                problems.append(_problem(flow, "the choice '%(choice)s' is offered twice",
                                         choice=name))
            seen.add(name)
        if flow.get("id") == default:
            continue
        if not expr:
            problems.append(_problem(flow, "has no condition and is not the gateway's default flow"))
            continue
        try:
            used = conditions.names(expr)
        except conditions.UnsafeExpression as exc:
            problems.append(_problem(flow, "condition '%(condition)s' refused: %(why)s",
                                     condition=expr, why=exc))
            continue
        unknown = used - ROUTING_VARIABLES - {"True", "False", "None"}
        if unknown:
            problems.append(_problem(flow, "condition '%(condition)s' reads %(names)s; a "
                                     "condition may read only %(allowed)s", condition=expr,
                                     names=", ".join(sorted(unknown)),
                                     allowed=", ".join(sorted(ROUTING_VARIABLES))))
        elif after_step and "choice" not in used:
            problems.append(_problem(flow, "condition '%(condition)s' does not test choice, so "
                                     "the official's button would not decide the path",
                                     condition=expr))
    return problems


_ISO = re.compile(r"^\s*(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.+\-Z]+)?)\s*$", re.I)


def is_iso_timer(text):
    """Whether ``text`` is a bare ISO 8601 timer value (a duration such as P3D, or a date)."""
    return bool(_ISO.match(text))


def timer_value(expression):
    """The ISO 8601 text of a timer expression: a bare ISO value, or a safe quoted string."""
    text = (expression or "").strip()
    if is_iso_timer(text):
        return text
    value = conditions.evaluate(text, {})
    if not isinstance(value, str) or not is_iso_timer(value):
        raise conditions.UnsafeExpression("a timer must be an ISO 8601 duration such as P3D or "
                                          "a date")
    return value.strip()


def _timer_problems(process, nodes):
    problems = []
    for event in process.xpath("bpmn:boundaryEvent | bpmn:intermediateCatchEvent", namespaces=NS):
        timer = event.find(f"{{{BPMN}}}timerEventDefinition")
        if timer is None:
            problems.append(_problem(event, "only timer events are supported here"))
            continue
        expr_el = timer.find(f"{{{BPMN}}}timeDuration")
        if expr_el is None:
            expr_el = timer.find(f"{{{BPMN}}}timeDate")
        try:
            timer_value(expr_el.text if expr_el is not None else "")
        except conditions.UnsafeExpression as exc:
            problems.append(_problem(event, "timer refused: %(why)s", why=exc))
        if etree.QName(event).localname == "boundaryEvent":
            host = nodes.get(event.get("attachedToRef"))
            if host is None or etree.QName(host).localname not in ("userTask", "manualTask"):
                problems.append(_problem(event, "a timer must be attached to a step (user task)"))
    return problems


def _reachability_problems(nodes, outgoing):
    ends = {i for i, el in nodes.items() if etree.QName(el).localname == "endEvent"}
    reaches_end = set(ends)
    changed = True
    while changed:
        changed = False
        for node_id in nodes:
            if node_id not in reaches_end and any(
                    f.get("targetRef") in reaches_end for f in outgoing.get(node_id, [])):
                reaches_end.add(node_id)
                changed = True
    return [_problem(nodes[i], "no path leads from here to an end event")
            for i in nodes if i not in reaches_end
            and etree.QName(nodes[i]).localname != "boundaryEvent"]


def _lanes_of(process):
    lanes = {}
    for ref in process.xpath(".//bpmn:lane/bpmn:flowNodeRef", namespaces=NS):
        lane_name = _name(ref.getparent())
        if ref.text and lane_name:
            lanes[ref.text.strip()] = lane_name
    return lanes


def _properties(el):
    props = {}
    for prop in el.xpath("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
                         " | bpmn:extensionElements/camunda:properties/camunda:property",
                         namespaces=NS):
        if prop.get("name"):
            props[prop.get("name")] = prop.get("value", "")
    return props


def _describe(root, process, data):
    lanes = _lanes_of(process)
    nodes = {el.get("id"): el for el in process.iter(etree.Element)}
    flows = process.xpath("bpmn:sequenceFlow", namespaces=NS)
    out = {}
    for flow in flows:
        out.setdefault(flow.get("sourceRef"), []).append(flow)
    timers = {}
    for event in process.xpath("bpmn:boundaryEvent", namespaces=NS):
        expr_el = event.find(f"{{{BPMN}}}timerEventDefinition/*")
        timers[event.get("id")] = Timer(event.get("id"), _name(event), event.get("attachedToRef"),
                                        timer_value(expr_el.text),
                                        event.get("cancelActivity", "true") != "false")
    steps = {}
    problems = []
    for el in process.xpath("bpmn:userTask | bpmn:manualTask", namespaces=NS):
        outs = out.get(el.get("id"), [])
        target = nodes.get(outs[0].get("targetRef"))
        if etree.QName(target).localname == "exclusiveGateway":
            leaving = out.get(target.get("id"), [])
            choices = tuple(_name(f) for f in leaving)
        else:
            leaving = outs[:1]
            choices = (_name(outs[0]) or DEFAULT_CHOICE,)
        next_roles = tuple((choice, lanes.get(flow.get("targetRef"), "")
                            if etree.QName(nodes[flow.get("targetRef")]).localname
                            in ("userTask", "manualTask") else "")
                           for choice, flow in zip(choices, leaving))
        limit = _properties(el).get("limit_days")
        if limit not in (None, "") and not (limit.strip().isdigit() and 0 < int(limit) <= 365):
            problems.append(_problem(el, "limit_days '%(limit)s' must be a whole number of "
                                     "working days from 1 to 365", limit=limit))
            limit = None
        steps[el.get("id")] = Step(
            el.get("id"), _name(el) or el.get("id"), lanes[el.get("id")], choices,
            int(limit) if limit else None,
            tuple(t.id for t in timers.values() if t.step_id == el.get("id")), next_roles)
    if problems:
        raise RouteInvalid(problems)
    ends = {e.get("id"): _name(e) for e in process.xpath("bpmn:endEvent", namespaces=NS)}
    conditions_ = {flow.get("id"): (_name(flow), " ".join(expr.split()))
                   for flow in process.xpath("bpmn:sequenceFlow", namespaces=NS)
                   for expr in flow.xpath("bpmn:conditionExpression/text()", namespaces=NS)}
    return Route(
        key=process.get("id"), name=_name(process) or process.get("id"),
        sha256=hashlib.sha256(data).hexdigest(), xml=data, steps=steps,
        roles=tuple(dict.fromkeys(s.role for s in steps.values())), end_names=ends,
        timers=timers, conditions=conditions_)


def _spiff_spec(root, key):
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_xml(root)
        return parser.get_spec(key)
    except Exception as exc:  # the engine's own parser may object to what our checks allowed
        raise RouteInvalid([Problem("the workflow engine could not read the route: %(why)s",
                                    params={"why": str(exc)})]) from None


def lane_id(route, role):
    """The id of the lane named ``role`` in ``route`` ("" when there is none)."""
    root = etree.fromstring(route.xml, etree.XMLParser(resolve_entities=False, no_network=True))
    for lane in root.iter(f"{{{BPMN}}}lane"):
        if _name(lane) == role:
            return lane.get("id") or ""
    return ""
