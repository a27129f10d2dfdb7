"""Loops a file could go round for ever: the check that every loop of a route stops at a step.

The engine runs everything that is not a step (decisions, events, tasks that are not user
tasks) without waiting, so a loop of flows that passes no step would keep it running for ever.
A step stops the engine until an official acts, except that a timer on it that fires as soon
as the step is reached (a duration of nothing, or a date, once it has passed) leads on at once:
the loop through such a timer does not stop either.  So a route's flows are a graph whose
edges are the flows that do not wait for an official, and every cycle of it is refused.
"""

import re
from collections import deque
from typing import Any

from lxml import etree

from .refusals import N_

#: The elements that are steps an official holds: a plain task (a modeler's default shape)
#: is held like a user task.
STEPS = ("userTask", "manualTask", "task")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def fires_at_once(value: str) -> bool:
    """Whether a step's timer of ISO 8601 ``value`` can fire as soon as the step is reached."""
    if not value.upper().startswith("P"):
        return True  # a date: once it has passed, every file reaching the step moves on at once
    return all(float(n.replace(",", ".")) == 0 for n in _NUMBER.findall(value))


def cycle_problems(nodes: dict[str, Any], flows: list[Any], instant_timers: dict[str, Any],
                   stops: frozenset[str] = frozenset()) -> list[tuple[str, str, dict[str, str]]]:
    """For each group of elements that a file could go round without an official acting, the
    element to mark, the problem's template and its values (one of the group's loops, named).
    ``nodes`` are the flow nodes by id, in document order; ``instant_timers`` the boundary
    events that fire as their step is reached, by id; ``stops`` the ids of other elements a
    file always stops in (a sub-process with steps on every path, a call activity)."""
    after: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for flow in flows:
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if (source in nodes and target in nodes and not _is_step(nodes[source])
                and source not in stops):
            after[source].append(target)
    for timer_id, event in instant_timers.items():
        after[event.get("attachedToRef")].append(timer_id)
    problems = []
    for group in _strongly_connected(after):
        loop = _shortest_loop(group, after)
        timer = next((i for i in loop if i in instant_timers), None)
        path = " → ".join(_named(nodes[i]) for i in loop + [loop[0]])
        if timer is None:
            problems.append((loop[0], N_(
                "goes round a loop with no step on it (%(loop)s): a file would go round it for "
                "ever; put a step (user task) on the loop or lead the file out of it"),
                {"loop": path}))
        else:
            problems.append((timer, N_(
                "is a timer that fires as soon as its step is reached (a date, once it has "
                "passed, or a duration of nothing), on a loop with no other stop (%(loop)s): a "
                "file would go round it for ever; give the timer a duration, or lead it "
                "elsewhere"), {"loop": path}))
    return problems


def _is_step(el: Any) -> bool:
    return etree.QName(el).localname in STEPS


def _named(el: Any) -> str:
    name = (el.get("name") or "").strip()
    return f"{el.get('id')}" + (f' "{name}"' if name else "")


def _strongly_connected(after: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected groups of the graph that could hold a loop (more than one
    element, or one with a flow to itself), by Tarjan's algorithm without recursion (a route
    may have thousands of elements); each in the graph's order, first elements in order."""
    order = {node: i for i, node in enumerate(after)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in after:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = after[node]
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1 or node in after[node]:
                    groups.append(sorted(group, key=order.__getitem__))
    return sorted(groups, key=lambda g: order[g[0]])


def _shortest_loop(group: list[str], after: dict[str, list[str]]) -> list[str]:
    """The shortest loop from the group's first element back to it."""
    start, members = group[0], set(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in after[node]:
            if nxt not in members:
                continue
            if nxt == start:
                loop = [node]
                while loop[-1] != start:
                    loop.append(came_from[loop[-1]])
                return loop[::-1]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    raise AssertionError("a strongly connected group holds a loop through each element")
