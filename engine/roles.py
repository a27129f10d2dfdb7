"""Who holds each step of a route: the role of the lane the step is in or, for a step outside
every lane (a route drawn without lanes), the role its modeler wrote on it: Camunda's
``camunda:candidateGroups="Section Officer"``, or BPMN's own ``potentialOwner`` (whose
expression is the role, or Camunda's ``group(Section Officer)``).

A step has one role.  A lane and a role written on the step that disagree, several roles, a
person instead of a role, or an expression instead of a name are refused, as is a step with no
role at all; each problem names the step and what says which role.
"""

import re
from typing import Any

from lxml import etree

from .bpmn_names import BPMN, CAMUNDA, NS, kind_of, name_of
from .cycles import STEPS
from .refusals import N_

Found = tuple[Any, str, dict[str, Any]]

CANDIDATE_GROUPS = "camunda:candidateGroups"
POTENTIAL_OWNER = "bpmn:potentialOwner"
_CAMUNDA_OWNER = re.compile(r"(?P<kind>user|group)\s*\((?P<name>.*)\)", re.DOTALL)


def lanes_of(process: Any) -> dict[str, str]:
    """The name of the lane each flow node is in, by the node's id."""
    lanes = {}
    for ref in process.xpath(".//bpmn:lane/bpmn:flowNodeRef", namespaces=NS):
        lane_name = name_of(ref.getparent())
        if ref.text and lane_name:
            lanes[ref.text.strip()] = lane_name
    # a modeler lists a sub-process in its lane and not always the steps drawn inside it: those
    # are in the sub-process's lane unless a lane lists them
    for sub in process.iter(f"{{{BPMN}}}subProcess"):
        sub_lane = lanes.get(sub.get("id") or "")
        if sub_lane:
            for el in sub.iter(etree.Element):
                inner = el.get("id")
                if inner and inner not in lanes:
                    lanes[inner] = sub_lane
    return lanes


def step_roles(process: Any) -> tuple[dict[str, str], list[Found]]:
    """The role that holds each step, by the step's id, and the problems of the steps whose
    role is missing, ambiguous or not a role's name (as (element, template, values))."""
    lanes = lanes_of(process)
    roles: dict[str, str] = {}
    found: list[Found] = []
    for el in process.iter(*(f"{{{BPMN}}}{kind}" for kind in STEPS)):
        written, wrong = _written_roles(el)
        found.extend(wrong)
        step_id = el.get("id") or ""
        role = _one_role(el, lanes.get(step_id), written, found, quiet=bool(wrong))
        if role:
            roles[step_id] = role
    for owner in process.iter(f"{{{BPMN}}}potentialOwner"):
        if etree.QName(owner.getparent()).localname not in STEPS:
            found.append((owner, N_(
                "%(attribute)s is read only on a step (a user task) and not on %(kind)s; write "
                "the role on each step, or draw the steps in lanes"),
                {"attribute": POTENTIAL_OWNER, "kind": kind_of(owner.getparent())}))
    return roles, found


def _one_role(step: Any, lane: str | None, written: list[tuple[str, str]], found: list[Found],
              quiet: bool) -> str:
    """The step's role: its lane's, else the one written on it; problems go to ``found``."""
    for attribute, role in written:
        if lane and role != lane:
            found.append((step, N_(
                "is in the lane '%(lane)s' but its %(attribute)s names the role '%(role)s'; a "
                "step is held by one role: make them the same, or remove %(attribute)s"),
                {"lane": lane, "attribute": attribute, "role": role}))
        elif not lane and role != written[0][1]:
            found.append((step, N_(
                "its %(first)s names the role '%(role)s' but its %(attribute)s names '%(other)s'; "
                "a step is held by one role"), {"first": written[0][0], "role": written[0][1],
                                                "attribute": attribute, "other": role}))
    if lane:
        return lane
    if written:
        return written[0][1]
    if not quiet:
        found.append((step, N_(
            "is not in a named lane and names no role (%(attributes)s): no one would hold it; "
            "draw it in a lane named for the role, or name the role on the step"),
            {"attributes": f"{CANDIDATE_GROUPS}, {POTENTIAL_OWNER}"}))
    return ""


def _written_roles(step: Any) -> tuple[list[tuple[str, str]], list[Found]]:
    """The roles written on ``step``, each with what says it, and the problems of what is
    written there but is not one role's name."""
    written: list[tuple[str, str]] = []
    found: list[Found] = []
    groups = (step.get(f"{{{CAMUNDA}}}candidateGroups") or "").strip()
    if groups:
        written.extend(_named(step, CANDIDATE_GROUPS, groups, [], found))
    for owner in step.iterchildren(f"{{{BPMN}}}potentialOwner"):
        text = " ".join(t.strip() for t in owner.xpath(
            "bpmn:resourceAssignmentExpression/*/text()", namespaces=NS) if t.strip())
        names = text.split(",") if text else [_resource_name(owner)]
        written.extend(_named(step, POTENTIAL_OWNER, text, names, found))
    return written, found


def _named(step: Any, attribute: str, text: str, names: list[str],
           found: list[Found]) -> list[tuple[str, str]]:
    """The one role ``text`` names (Camunda's ``group(...)`` read as the role in it), or none,
    with the problem in ``found``; ``names`` are the parts of a potentialOwner."""
    if "${" in text or "#{" in text:
        found.append((step, N_("its %(attribute)s '%(value)s' is an expression; write the "
                               "role's name, such as Section Officer"),
                      {"attribute": attribute, "value": text}))
        return []
    roles = []
    for part in (p.strip() for p in (names or text.split(","))):
        match = _CAMUNDA_OWNER.fullmatch(part) if attribute == POTENTIAL_OWNER else None
        if match and match["kind"] == "user":
            found.append((step, N_("its %(attribute)s names the user '%(user)s'; a step is held "
                                   "by a role (the role of a post), not by a person"),
                          {"attribute": attribute, "user": match["name"].strip()}))
            return []
        name = match["name"].strip() if match else part
        if name:
            roles.append(name)
    if not roles:
        found.append((step, N_("its %(attribute)s is empty; write the role's name, such as "
                               "Section Officer"), {"attribute": attribute}))
    elif len(set(roles)) > 1:
        found.append((step, N_("its %(attribute)s names several roles (%(roles)s); a step is "
                               "held by one role: draw a step for each, or choose one"),
                      {"attribute": attribute, "roles": ", ".join(dict.fromkeys(roles))}))
        return []
    return [(attribute, roles[0])] if roles else []


def _resource_name(owner: Any) -> str:
    """The name of the resource a potentialOwner refers to (its ``resourceRef``), or ""."""
    ref = " ".join(owner.xpath("bpmn:resourceRef/text()", namespaces=NS)).strip()
    if not ref:
        return ""
    ref = ref.split(":")[-1]  # a QName; resources are the document's own
    root = owner.getroottree().getroot()
    resource = next((r for r in root.iterchildren(f"{{{BPMN}}}resource") if r.get("id") == ref),
                    None)
    return name_of(resource) if resource is not None else ""
