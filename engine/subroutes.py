"""Routes inside routes: an embedded sub-process groups steps of the route's own drawing, and a
call activity runs another published route of the office (its ``calledElement`` is that
route's key, the id of its process) as one step of this one.

A sub-process is checked as a route is: one plain start event, at least one end event, every
element on a path to an end, its own decisions and parts; it is read as a stop on a loop of
the route around it when every path through it passes a step.  A call activity names the
route it runs; one that names nothing, or the route it is in, is refused here; whether the
office publishes the route it names, and whether routes call each other round in a circle, is
the office's to check (``call_chain``), since only the office knows its routes.
"""

from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from .bpmn_names import NS, name_of
from .cycles import STEPS
from .refusals import N_

Found = tuple[Any, str, dict[str, Any]]

#: Flow nodes that hold other steps: an embedded sub-process and a call activity.
ACTIVITIES = ("subProcess", "callActivity")


def kind(el: Any) -> str:
    """The element's BPMN local name."""
    return str(etree.QName(el).localname)


def called_key(el: Any) -> str:
    """The key of the route a call activity runs: its ``calledElement``, without a prefix."""
    return (el.get("calledElement") or "").strip().split(":")[-1]


def calls_of(process: Any) -> dict[str, tuple[str, str]]:
    """Each call activity of ``process`` (in sub-processes too), by id: the route key it
    calls, and the call activity's name."""
    return {el.get("id"): (called_key(el), name_of(el))
            for el in process.xpath(".//bpmn:callActivity", namespaces=NS)}


def sub_processes(process: Any) -> list[Any]:
    """The embedded sub-processes of ``process``, at any depth, outer first."""
    return list(process.xpath(".//bpmn:subProcess", namespaces=NS))


def call_problems(process: Any) -> list[Found]:
    """Call activities that name no route, or the route they are in."""
    found: list[Found] = []
    own = process.get("id")
    for el in process.xpath(".//bpmn:callActivity", namespaces=NS):
        key = called_key(el)
        if not key:
            found.append((el, N_("is a call activity that names no route to run: set its "
                                 "called element to the key of one of the office's routes"),
                          {}))
        elif key == own:
            found.append((el, N_("calls the route it is in (%(key)s): a file reaching it "
                                 "would enter the same route again and again"), {"key": key}))
    return found


def scope_problems(scope: Any, starts: list[Any], ends: list[Any]) -> list[Found]:
    """A sub-process with no start event, several, or no end event."""
    found: list[Found] = []
    if len(starts) != 1:
        found.append((scope, N_("a sub-process has exactly one start event; this one has "
                                "%(count)s"), {"count": len(starts)}))
    if not ends:
        found.append((scope, N_("the sub-process has no end event: a file entering it could "
                                "never leave it"), {}))
    return found


def passes_a_step(el: Any) -> bool:
    """Whether a file going through the activity ``el`` always stops at a step on the way: a
    call activity does (the route it calls is one of the office's, with its steps; a route
    that would not stop is refused as it runs), a sub-process when no path from its start to
    an end avoids its steps."""
    if kind(el) == "callActivity":
        return True
    nodes = {child.get("id"): child for child in el if child.get("id")}
    after: dict[str, list[str]] = {}
    for flow in el.xpath("bpmn:sequenceFlow", namespaces=NS):
        after.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    stack = [n for n, child in nodes.items() if kind(child) == "startEvent"]
    seen: set[str] = set()
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        here = nodes[node_id]
        if kind(here) == "endEvent":
            return False
        if kind(here) in STEPS or (kind(here) in ACTIVITIES and passes_a_step(here)):
            continue
        stack.extend(after.get(node_id, []))
    return True


def call_chain(key: str, calls: Iterable[str],
               calls_of_key: Callable[[str], Iterable[str] | None]) -> list[str] | None:
    """The chain of route keys by which the route ``key`` (calling ``calls``) would come to
    call itself again, starting and ending with ``key`` (None when it never would);
    ``calls_of_key`` gives the keys a published route calls (None for a route that is not
    published)."""
    stack: list[tuple[str, list[str]]] = [(called, [key, called]) for called in calls]
    seen: set[str] = set()
    while stack:
        here, chain = stack.pop(0)
        if here == key:
            return chain
        if here in seen:
            continue
        seen.add(here)
        stack.extend((nxt, chain + [nxt]) for nxt in calls_of_key(here) or ())
    return None


def named(el: Any) -> str:
    """The element's id, with its name in quotes when it has one."""
    name = name_of(el)
    return f"{el.get('id')}" + (f' "{name}"' if name else "")
