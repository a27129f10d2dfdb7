"""How a route's XML names things: the namespaces of BPMN and of the modelers' own additions,
a tag or attribute said as a modeler writes it (``camunda:asyncBefore``, not
``{http://camunda.org/schema/1.0/bpmn}asyncBefore``), an element's name, and the element of
the drawing that a problem is about."""

import re
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF, "camunda": CAMUNDA}

#: The prefixes a problem uses, whatever prefix the document gave the namespace.
_PREFIXES = {
    BPMN: "bpmn", SPIFF: "spiffworkflow", CAMUNDA: "camunda",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi",
    "http://www.omg.org/spec/DD/20100524/DC": "dc",
    "http://www.omg.org/spec/DD/20100524/DI": "di",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi",
    "http://camunda.org/schema/modeler/1.0": "modeler",
    "http://camunda.org/schema/zeebe/1.0": "zeebe",
    "http://www.signavio.com": "signavio",
}
#: BPMN elements that are parts of another element rather than of the drawing.
_NOT_DRAWN = re.compile(r"extensionElements|.*Definition|.*Expression")
_BRACED = re.compile(r"\{([^{}\s']+)\}([\w.-]+)")


def name_of(el: Any) -> str:
    """The element's name, trimmed ("" when it has none)."""
    return (el.get("name") or "").strip()


def qualified(name: str, nsmap: Mapping[str | None, str] | None = None) -> str:
    """A tag or attribute name (``{namespace}local``) with its namespace's usual prefix, or the
    prefix ``nsmap`` gives it; as it is when the namespace has neither."""
    if not name.startswith("{"):
        return name
    qname = etree.QName(name)
    namespace = qname.namespace or ""
    prefix = _PREFIXES.get(namespace) or next(
        (p for p, uri in (nsmap or {}).items() if uri == namespace and p), None)
    return f"{prefix}:{qname.localname}" if prefix else name


def readable(text: str, nsmap: Mapping[str | None, str] | None = None) -> str:
    """``text`` with every ``{namespace}local`` in it said with its prefix."""
    return _BRACED.sub(lambda m: qualified("{%s}%s" % m.groups(), nsmap), text)


def kind_of(el: Any) -> str:
    """The element's qualified tag, such as ``bpmn:userTask``."""
    return qualified(el.tag, el.nsmap)


def owner_of(el: Any) -> Any:
    """The element of the drawing a problem about ``el`` names: ``el`` itself, or the nearest
    element around it that has an id and is drawn (a step, a flow, an event, a lane, the
    process), rather than an extension, an expression or an event's definition."""
    node = el
    while node is not None:
        if (etree.QName(node).namespace == BPMN and node.get("id")
                and not _NOT_DRAWN.fullmatch(etree.QName(node).localname)):
            return node
        node = node.getparent()
    return el


def properties(el: Any) -> dict[str, str]:
    """The properties a modeler set on ``el`` (SpiffWorkflow's or Camunda's), by name."""
    found = {}
    for prop in el.xpath("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
                         " | bpmn:extensionElements/camunda:properties/camunda:property",
                         namespaces=NS):
        if prop.get("name"):
            found[prop.get("name")] = prop.get("value", "")
    return found


def relabel(xml: bytes, say: Callable[[str], str]) -> bytes:
    """The route's XML with the name of each BPMN element (process, lane, step, choice, event)
    replaced by ``say(name)``, for drawing it in the reader's language; the XML is otherwise
    as it was, and is for drawing only (never parsed back as the route)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)
    root = etree.fromstring(xml, parser)
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).namespace == BPMN and name_of(el):
            said = say(name_of(el))
            if said and said != name_of(el):
                el.set("name", said)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
