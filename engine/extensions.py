"""What the modelers people use write into a route beyond BPMN itself, and which of it a route
may carry: their own attributes and extension elements (Camunda's ``camunda:``,
SpiffWorkflow's ``spiffworkflow:``), the language a condition or timer says it is written in,
and the schema's complaints about attributes, said readably.

What only describes the drawing or asks for what Sanchika does anyway (``camunda:asyncBefore``,
a form key, Signavio's metadata) is ignored, as the engine ignores it.  What would run code,
or ask for what Sanchika would silently not do (a listener, a script, a due date), is refused:
each refusal names the attribute or extension element as the modeler writes it
(``camunda:taskListener``), the element it is on, and, through the problem, that element's id
and name.

Each function returns its problems as (element, template, values), for ``engine.checks`` to
make into problems named on the element of the drawing that the element is part of.
"""

import re
from typing import Any

from lxml import etree

from .bpmn_names import BPMN, CAMUNDA, SPIFF, kind_of, qualified, readable
from .refusals import N_

Found = tuple[Any, str, dict[str, Any]]

_CODE = N_("%(attribute)s on %(kind)s would run code; a route may not carry scripts, listeners "
           "or service calls")
_DATES = N_("%(attribute)s on %(kind)s would not be read: a step's time limit is its "
            "limit_days property, in working days, or a timer on the step")
_EXTENSION = N_("%(extension)s is not supported on %(kind)s (a route may not carry scripts, "
                "listeners or service calls)")
_LANGUAGE = N_("the attribute language=\"%(language)s\" on %(kind)s asks for a script; "
               "Sanchika reads conditions and timers itself: remove the attribute and write an "
               "expression such as ${choice == 'Approve'}, or a duration such as P3D")

#: Camunda's attributes a route may not carry, by local name (the rest are ignored).
_CAMUNDA_ATTRIBUTES = {
    "class": _CODE, "delegateExpression": _CODE, "expression": _CODE, "resultVariable": _CODE,
    "type": _CODE, "topic": _CODE, "decisionRef": _CODE, "resource": _CODE,
    "scriptFormat": _CODE, "dueDate": _DATES, "followUpDate": _DATES,
}
#: Camunda's extension elements a route may not carry (the rest are ignored).
_CAMUNDA_ELEMENTS = {"executionListener", "taskListener", "inputOutput", "script", "connector",
                     "field", "in", "out"}
#: SpiffWorkflow's extension elements a route may carry (the rest run scripts or services).
_SPIFF_ELEMENTS = {"properties", "property"}
#: What a condition's or timer's ``language`` may say: nothing, or a language Sanchika reads.
_LANGUAGES = {"", "python", "juel", "el", "uel"}
_EXPRESSIONS = ("conditionExpression", "timeDuration", "timeDate")


def extension_problems(process: Any) -> list[Found]:
    """The attributes and extension elements of ``process`` a route may not carry."""
    found: list[Found] = []
    for el in process.iter(etree.Element):
        qname = etree.QName(el)
        if _refused_element(qname) and not any(_refused_element(etree.QName(above))
                                               for above in el.iterancestors()):
            host = el.getparent().getparent() if _in_extensions(el) else el.getparent()
            found.append((el, _EXTENSION, {"extension": kind_of(el), "kind": kind_of(host)}))
        for attribute in el.attrib:
            if etree.QName(attribute).namespace == CAMUNDA and (
                    template := _CAMUNDA_ATTRIBUTES.get(etree.QName(attribute).localname)):
                found.append((el, template, {"attribute": qualified(attribute),
                                             "kind": kind_of(el)}))
        language = (el.get("language") or "").strip()
        if (qname.namespace == BPMN and qname.localname in _EXPRESSIONS
                and language.lower() not in _LANGUAGES):
            found.append((el, _LANGUAGE, {"language": language, "kind": kind_of(el)}))
    return found


def _refused_element(qname: Any) -> bool:
    return bool((qname.namespace == SPIFF and qname.localname not in _SPIFF_ELEMENTS)
                or (qname.namespace == CAMUNDA and qname.localname in _CAMUNDA_ELEMENTS))


def _in_extensions(el: Any) -> bool:
    parent = el.getparent()
    return parent is not None and etree.QName(parent).localname == "extensionElements"


_SCHEMA_ERROR = re.compile(r"Element '(?P<tag>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: "
                           r"(?P<why>.*)", re.DOTALL)


def schema_problem(root: Any, line: int | None, message: str) -> Found:
    """A complaint of the BPMN schema at ``line``, said with the element it is about (None
    when it cannot be found) and, for an attribute, the attribute's name as the modeler
    writes it."""
    match = _SCHEMA_ERROR.match(message)
    if match is None:
        return None, N_("not valid BPMN 2.0: %(why)s"), {"why": readable(message, root.nsmap)}
    tag, attribute = match["tag"], match["attribute"]
    el = next((e for e in root.iter(tag) if e.sourceline == line
               and (attribute is None or attribute in e.attrib)), None)
    nsmap = el.nsmap if el is not None else root.nsmap
    params = {"kind": qualified(tag, nsmap), "why": readable(match["why"], nsmap)}
    if attribute is None:
        return el, N_("not valid BPMN 2.0: %(kind)s: %(why)s"), params
    params["attribute"] = qualified(attribute, nsmap)
    if match["why"].startswith("The attribute") and match["why"].rstrip(".").endswith(
            "is not allowed"):
        return el, N_("not valid BPMN 2.0: the attribute %(attribute)s is not allowed on "
                      "%(kind)s; a modeler's own attributes carry its prefix, such as "
                      "camunda:asyncBefore"), params
    return el, N_("not valid BPMN 2.0: the attribute %(attribute)s of %(kind)s: %(why)s"), params

