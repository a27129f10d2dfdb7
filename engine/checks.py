"""The checks a route passes before it is run: well-formed, valid BPMN 2.0, one process, only
the elements Sanchika runs safely, and a structure along which no file can be stranded.

``check_document`` raises ``RouteInvalid`` listing every problem of the first kind of check
that finds any; ``engine.routes`` describes and parses a route that passes.
"""

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from . import circulation, conditions
from .bpmn_names import BPMN, NS, kind_of, name_of, owner_of, properties
from .cycles import STEPS, cycle_problems, fires_at_once
from .extensions import extension_problems, schema_problem
from .parallel import parallel_problems
from .refusals import N_, english
from .roles import step_roles
from .spiff_internals import schema_errors
from .subroutes import ACTIVITIES, call_problems, passes_a_step, scope_problems, sub_processes
from .timer_checks import timer_expression, timer_problems, timer_value

#: Variables a condition may read: the official's choice and the file's priority.
ROUTING_VARIABLES = frozenset({"choice", "priority"})
MAX_ROUTE_BYTES = 2 * 1024 * 1024

_FLOW_NODES = {"startEvent", "endEvent", "userTask", "manualTask", "task", "exclusiveGateway",
               "parallelGateway", "boundaryEvent", "intermediateCatchEvent", *ACTIVITIES}
_STRUCTURE = {"laneSet", "lane", "childLaneSet", "flowNodeRef", "sequenceFlow", "incoming",
              "outgoing", "conditionExpression", "documentation", "extensionElements",
              "textAnnotation", "text", "association", "group", "timerEventDefinition",
              "timeDuration", "timeDate", "terminateEventDefinition",
              "potentialOwner", "resourceRef", "resourceAssignmentExpression",
              "formalExpression", "multiInstanceLoopCharacteristics", "loopDataInputRef",
              "inputDataItem", "completionCondition", "loopCardinality",
              "loopDataOutputRef", "outputDataItem"}
_RESERVED_IDS = {"Start", "End", "Root"}


#: Why an element cannot be in a route, by its BPMN name (``kind``).
_WHY_UNSUPPORTED = {
    "scriptTask": N_("%(kind)s: script tasks could run arbitrary code"),
    "serviceTask": N_("%(kind)s: service tasks could call arbitrary code"),
    "businessRuleTask": N_("%(kind)s: business rule tasks are not supported"),
    "sendTask": N_("%(kind)s: message tasks are not supported"),
    "receiveTask": N_("%(kind)s: message tasks are not supported"),
    "transaction": N_("%(kind)s: transactions are not supported"),
    "adHocSubProcess": N_("%(kind)s: ad-hoc sub-processes are not supported"),
    "inclusiveGateway": N_("%(kind)s: inclusive gateways are not supported: which parts "
                           "a file is split into would depend on conditions, and its join "
                           "would have to guess which parts to wait for; draw a parallel "
                           "gateway for parts that all go, exclusive gateways for a choice"),
    "eventBasedGateway": N_("%(kind)s: event-based gateways are not supported"),
    "complexGateway": N_("%(kind)s: complex gateways are not supported"),
    "intermediateThrowEvent": N_("%(kind)s: throw events are not supported"),
    "timeCycle": N_("%(kind)s: repeating timers are not supported; use a duration or a date"),
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

    def __init__(self, problems: list["Problem"]) -> None:
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
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def message(self) -> str:
        """The sentence in English, with its values put in."""
        return english(self.template, self.params)

    def __str__(self) -> str:
        where = []
        if self.line:
            where.append(f"line {self.line}")
        if self.element_id:
            where.append(self.element_id + (f' "{self.element_name}"' if self.element_name else ""))
        return (", ".join(where) + ": " if where else "") + self.message


def check_document(data: bytes) -> tuple[Any, Any]:
    """The document's root element and its one process; raise RouteInvalid when the bytes are
    not a route Sanchika can run."""
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
    return root, process


def _schema_problems(root: Any) -> list[Problem]:
    problems = []
    for line, why in schema_errors(deepcopy(root)):
        el, template, params = schema_problem(root, line, why)
        if el is None:  # the schema's complaint names no element that can be found
            problems.append(Problem(template, line=line, params=params))
        else:
            owner = owner_of(el)
            problems.append(Problem(template, owner.get("id") or "", name_of(owner), line,
                                    params))
    return problems


def _the_process(root: Any) -> tuple[Any, list[Problem]]:
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


def _problem(el: Any, template: str, **params: Any) -> Problem:
    return Problem(template, el.get("id") or "", name_of(el), el.sourceline, params)


def _part_problem(el: Any, template: str, **params: Any) -> Problem:
    """A problem about ``el`` at its line, named on the element of the drawing it is part of
    (``owner_of``: a timer's definition on its event, an extension on its step)."""
    owner = owner_of(el)
    return Problem(template, owner.get("id") or "", name_of(owner), el.sourceline, params)


def _unsupported(process: Any) -> list[Problem]:
    problems = []
    for el in process.iter(etree.Element):
        qn = etree.QName(el)
        if qn.namespace == BPMN:
            if qn.localname in _WHY_UNSUPPORTED:
                problems.append(_part_problem(el, _WHY_UNSUPPORTED[qn.localname],
                                              kind=qn.localname))
            elif qn.localname not in _FLOW_NODES | _STRUCTURE and el is not process:
                problems.append(_part_problem(el, "%(kind)s is not supported by Sanchika",
                                              kind=kind_of(el)))
    problems.extend(_part_problem(el, template, **params)
                    for el, template, params in extension_problems(process))
    for event in process.xpath(".//bpmn:startEvent", namespaces=NS):
        if len(event):
            defs = [etree.QName(c).localname for c in event
                    if etree.QName(c).localname.endswith("Definition")]
            if defs:
                problems.append(_problem(event, "a route starts with a plain start event, not "
                                         "%(kinds)s", kinds=", ".join(defs)))
    return problems


def _structure_problems(process: Any) -> list[Problem]:
    problems = [_part_problem(el, template, **params)
                for el, template, params in step_roles(process)[1]]
    problems.extend(_problem(el, template, **params)
                    for el, template, params in call_problems(process))
    problems.extend(_part_problem(el, template, **params) for el, template, params
                    in circulation.problems(process, properties, ROUTING_VARIABLES))
    for scope in [process, *sub_processes(process)]:
        problems.extend(_scope_problems(scope, scope is process))
    return problems


def _scope_problems(scope: Any, top: bool) -> list[Problem]:
    """The problems of the route's process (``top``) or of one of its sub-processes: the flow
    nodes and flows drawn directly in it."""
    problems: list[Problem] = []
    nodes = {el.get("id"): el for el in scope.iterchildren(etree.Element)
             if etree.QName(el).localname in _FLOW_NODES}
    flows = scope.xpath("bpmn:sequenceFlow", namespaces=NS)
    outgoing: dict[str, list[Any]] = {}
    incoming: dict[str, list[Any]] = {}
    for flow in flows:
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        incoming.setdefault(flow.get("targetRef"), []).append(flow)
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in nodes:
                problems.append(_problem(flow, "%(end)s '%(ref)s' is not a step of this route",
                                         end=end, ref=flow.get(end)))
    problems.extend(_ends_problems(scope, top))
    for node_id, el in nodes.items():
        kind = etree.QName(el).localname
        if node_id in _RESERVED_IDS:
            problems.append(_problem(el, "the id '%(id)s' is reserved by the engine; rename it",
                                     id=node_id))
        outs = outgoing.get(node_id, [])
        if kind != "endEvent" and not outs:
            problems.append(_problem(el, "has no way out: a file arriving here would be stranded"))
        if (kind in STEPS or kind in ACTIVITIES) and len(outs) > 1:
            problems.append(_problem(el, "has several flows leaving it; lead it to one "
                                     "exclusive gateway whose flows are the choices"))
        if kind == "exclusiveGateway":
            problems.extend(_gateway_problems(el, outs, nodes, incoming))
    problems.extend(_problem(el, template, **params)
                    for el, template, params in timer_problems(scope, nodes))
    if not problems:
        problems.extend(_reachability_problems(nodes, outgoing))
        problems.extend(_problem(nodes[element_id], template, **params) for element_id, template,
                        params in parallel_problems(nodes, outgoing, incoming))
        problems.extend(_loop_problems(scope, nodes, flows))
    return problems


def _ends_problems(scope: Any, top: bool) -> list[Problem]:
    starts = scope.xpath("bpmn:startEvent", namespaces=NS)
    ends = scope.xpath("bpmn:endEvent", namespaces=NS)
    if not top:
        if scope.get("triggeredByEvent", "false") == "true":
            return [_problem(scope, "event sub-processes are not supported: a sub-process "
                                    "groups steps that a file goes through in turn")]
        return [_problem(el, template, **params)
                for el, template, params in scope_problems(scope, starts, ends)]
    problems = []
    if len(starts) != 1:
        problems.append(Problem("a route has exactly one start event; this one has %(count)s",
                                params={"count": len(starts)}))
    if not ends:
        problems.append(Problem("the route has no end event: a file could never be finished"))
    return problems


def _gateway_problems(gateway: Any, outs: list[Any], nodes: dict[str, Any],
                      incoming: dict[str, list[Any]]) -> list[Problem]:
    problems = []
    default = gateway.get("default")
    after_step = any(etree.QName(nodes.get(f.get("sourceRef"), gateway)).localname
                     in STEPS for f in incoming.get(gateway.get("id"), []))
    seen = set()
    for flow in outs:
        name = name_of(flow)
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
            problems.append(_problem(flow, "has no condition and is not the gateway's "
                                     "default flow"))
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


def _loop_problems(process: Any, nodes: dict[str, Any], flows: list[Any]) -> list[Problem]:
    """Loops a file could go round for ever, with no official to stop it (``engine.cycles``)."""
    instant = {event.get("id"): event
               for event in process.xpath("bpmn:boundaryEvent", namespaces=NS)
               if fires_at_once(timer_value(timer_expression(
                   event.find(f"{{{BPMN}}}timerEventDefinition"))[1]))}
    stops = frozenset(i for i, el in nodes.items()
                      if etree.QName(el).localname in ACTIVITIES and passes_a_step(el))
    return [_problem(nodes[element_id], template, **params)
            for element_id, template, params in cycle_problems(nodes, flows, instant, stops)]


def _reachability_problems(nodes: dict[str, Any],
                           outgoing: dict[str, list[Any]]) -> list[Problem]:
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
