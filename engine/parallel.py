"""Parts of a file: the check that the parts a parallel gateway makes all meet again.

A parallel gateway with several flows leaving it (a split) sends a file to several posts at
once, one part per flow; a parallel gateway with several flows arriving (a join) waits until a
part has come in by each of them, and then the file goes on as one.  A route is refused when
that wait could be for ever, or could end early: a part that can reach an end event before the
join, parts of one split that meet at different joins, a join with a flow no part of its split
arrives by (or that two parts share), a join no split comes before, and a part that goes back
to its own split.  Splits inside a part are followed to their own join first.

The same walk tells which steps lie in a part (``steps_in_parts``): a file at one of them lies
in parts, even when the other parts have already come to the join and wait there.
"""

from typing import Any

from lxml import etree

from .refusals import N_

Problems = list[tuple[str, str, dict[str, str]]]


def parallel_problems(nodes: dict[str, Any], outgoing: dict[str, list[Any]],
                      incoming: dict[str, list[Any]]) -> Problems:
    """For each parallel split or join whose parts might not all meet: the element to mark,
    the problem's template and its values.  ``nodes`` are the flow nodes by id;
    ``outgoing`` and ``incoming`` their sequence flows."""
    return _Parts(nodes, outgoing, incoming).problems()


def steps_in_parts(nodes: dict[str, Any], outgoing: dict[str, list[Any]],
                   incoming: dict[str, list[Any]]) -> frozenset[str]:
    """The ids of the nodes that lie in a part of the file: after a parallel split and before
    the join its parts meet at (of a route whose parts all meet; see ``parallel_problems``)."""
    parts = _Parts(nodes, outgoing, incoming)
    for node_id in nodes:
        if parts.is_parallel(node_id) and len(outgoing.get(node_id, [])) > 1:
            parts.join_of(node_id)
    return frozenset(parts.inside)


def _kind(el: Any) -> str:
    return str(etree.QName(el).localname)


def _named(el: Any) -> str:
    name = (el.get("name") or "").strip()
    return f"{el.get('id')}" + (f' "{name}"' if name else "")


class _Parts:
    def __init__(self, nodes: dict[str, Any], outgoing: dict[str, list[Any]],
                 incoming: dict[str, list[Any]]) -> None:
        self.nodes, self.outgoing, self.incoming = nodes, outgoing, incoming
        self.found: Problems = []
        self.joins: dict[str, str | None] = {}  # split id -> the join its parts meet at
        self.walking: set[str] = set()
        self.inside: set[str] = set()  # the nodes the parts walked pass through
        self.after: dict[str, list[str]] = {i: [f.get("targetRef") for f in outgoing.get(i, [])]
                                            for i in nodes}
        for node_id, el in nodes.items():  # a step's timers lead on from the step
            if _kind(el) == "boundaryEvent" and el.get("attachedToRef") in self.after:
                self.after[el.get("attachedToRef")].append(node_id)

    def is_parallel(self, node_id: str) -> bool:
        return _kind(self.nodes[node_id]) == "parallelGateway"

    def problems(self) -> Problems:
        gateways = [i for i in self.nodes if self.is_parallel(i)]
        for node_id in gateways:
            ins, outs = len(self.incoming.get(node_id, [])), len(self.outgoing.get(node_id, []))
            if ins > 1 and outs > 1:
                self.found.append((node_id, N_(
                    "is a parallel gateway that both joins and splits; draw a join and then a "
                    "split"), {}))
        if self.found:
            return self.found
        met = {self.join_of(i) for i in gateways if len(self.outgoing.get(i, [])) > 1}
        for node_id in gateways:
            if len(self.incoming.get(node_id, [])) > 1 and node_id not in met:
                self.found.append((node_id, N_(
                    "is a parallel join that no parallel split comes before: it would wait for "
                    "parts that never all arrive"), {}))
        return self.found

    def join_of(self, split: str) -> str | None:
        """The join the parts of ``split`` meet at (None when they do not all meet at one)."""
        if split in self.joins:
            return self.joins[split]
        if split in self.walking:
            return None  # reported by the walk that came back here
        self.walking.add(split)
        arrivals: dict[str, list[set[str]]] = {}  # join -> for each part, the flows it came by
        for flow in self.outgoing.get(split, []):
            for join, came_by in self._walk(split, flow).items():
                arrivals.setdefault(join, []).append(came_by)
        self.walking.discard(split)
        met = self.joins[split] = self._one_join(split, arrivals)
        return met

    def _walk(self, split: str, flow: Any) -> dict[str, set[str]]:
        """The joins one part (leaving ``split`` by ``flow``) can reach, each with the flows
        it arrives by; a part that ends or goes back to its split is reported."""
        reached: dict[str, set[str]] = {}
        stack, seen = [(flow.get("targetRef"), flow.get("id"))], set()
        while stack:
            node_id, came_by = stack.pop()
            if node_id in seen or node_id not in self.nodes:
                continue
            seen.add(node_id)
            el = self.nodes[node_id]
            self.inside.add(node_id)
            if node_id == split:
                self._part_problem(split, flow, N_(
                    "a part of the file leaving by %(flow)s comes back to this split before "
                    "meeting the other parts"))
                continue
            if _kind(el) == "endEvent":
                self._part_problem(split, flow, N_(
                    "a part of the file leaving by %(flow)s can reach the end %(end)s before "
                    "the parts meet: the other parts would wait for it for ever"),
                    end=_named(el))
                continue
            if self.is_parallel(node_id) and len(self.incoming.get(node_id, [])) > 1:
                reached.setdefault(node_id, set()).add(came_by)
                continue
            if self.is_parallel(node_id) and len(self.outgoing.get(node_id, [])) > 1:
                inner = self.join_of(node_id)
                if inner is not None:
                    stack.extend((f.get("targetRef"), f.get("id"))
                                 for f in self.outgoing.get(inner, []))
                continue
            for f in self.outgoing.get(node_id, []):
                stack.append((f.get("targetRef"), f.get("id")))
            stack.extend((timer, came_by) for timer in self.after[node_id]
                         if _kind(self.nodes.get(timer, el)) == "boundaryEvent")
        return reached

    def _one_join(self, split: str, arrivals: dict[str, list[set[str]]]) -> str | None:
        if not arrivals:
            return None
        if len(arrivals) > 1:
            self.found.append((split, N_(
                "the parts split here meet at different joins (%(joins)s); lead them all to "
                "one parallel join"),
                {"joins": ", ".join(_named(self.nodes[j]) for j in arrivals)}))
            return None
        [(join, parts)] = arrivals.items()
        flows_in = [f.get("id") for f in self.incoming.get(join, [])]
        came_by = [flow for part in parts for flow in sorted(part)]
        if (len(parts) != len(self.outgoing.get(split, [])) or any(len(p) != 1 for p in parts)
                or sorted(came_by) != sorted(flows_in)):
            self.found.append((join, N_(
                "is a parallel join whose flows (%(flows)s) do not each bring one part of the "
                "split %(split)s (%(parts)s parts, arriving by %(arrived)s): it would wait for "
                "a part that never comes, or go on with one missing"),
                {"flows": ", ".join(flows_in), "split": _named(self.nodes[split]),
                 "parts": str(len(self.outgoing.get(split, []))),
                 "arrived": ", ".join(sorted(came_by))}))
            return None
        return join

    def _part_problem(self, split: str, flow: Any, template: str, **params: str) -> None:
        self.found.append((split, template, {"flow": flow.get("id"), **params}))
