"""The checks of a route's timers, and the ISO 8601 text a timer's expression gives.

A timer is attached to a step (a reminder, or a way out when the step lies too long); its
expression is a bare ISO 8601 duration or date, or a quoted string the restricted evaluator
reads.  A timer between steps would leave a file with no one, so it is refused.
"""

import re
from typing import Any

from lxml import etree

from . import conditions
from .bpmn_names import BPMN, NS
from .cycles import STEPS
from .refusals import N_

Found = tuple[Any, str, dict[str, Any]]

_ISO = re.compile(r"^\s*(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.+\-Z]+)?)\s*$", re.I)


def is_iso_timer(text: str) -> bool:
    """Whether ``text`` is a bare ISO 8601 timer value (a duration such as P3D, or a date)."""
    return bool(_ISO.match(text))


def timer_value(expression: str | None) -> str:
    """The ISO 8601 text of a timer expression: a bare ISO value, or a safe quoted string."""
    text = (expression or "").strip()
    if is_iso_timer(text):
        return text
    value = conditions.evaluate(text, {})
    if not isinstance(value, str) or not is_iso_timer(value):
        raise conditions.UnsafeExpression("a timer must be an ISO 8601 duration such as P3D or "
                                          "a date")
    return value.strip()


def timer_expression(timer: Any) -> tuple[str, str]:
    """The kind (timeDuration, timeDate or "") and the text of a timer definition."""
    for kind in ("timeDuration", "timeDate"):
        expr_el = timer.find(f"{{{BPMN}}}{kind}")
        if expr_el is not None:
            return kind, expr_el.text or ""
    return "", ""


def timer_problems(scope: Any, nodes: dict[str, Any]) -> list[Found]:
    """The timers drawn in ``scope`` (a process or sub-process) that Sanchika cannot run, each
    as the element to mark, the problem's template and its values; ``nodes``: its flow nodes
    by id."""
    found: list[Found] = []
    for event in scope.xpath("bpmn:boundaryEvent | bpmn:intermediateCatchEvent", namespaces=NS):
        timer = event.find(f"{{{BPMN}}}timerEventDefinition")
        if timer is None:
            found.append((event, N_("only timer events are supported here"), {}))
            continue
        found.extend((event, template, params) for template, params in _value_problems(timer))
        if etree.QName(event).localname == "intermediateCatchEvent":
            found.append((event, N_("a file waiting at a timer between steps would lie with no "
                                    "one; attach the timer to the step before it"), {}))
        else:
            host = nodes.get(event.get("attachedToRef"))
            if host is None or etree.QName(host).localname not in STEPS:
                found.append((event, N_("a timer must be attached to a step (user task)"), {}))
    return found


def _value_problems(timer: Any) -> list[tuple[str, dict[str, Any]]]:
    kind, expression = timer_expression(timer)
    try:
        value = timer_value(expression)
    except conditions.UnsafeExpression as exc:
        return [(N_("timer refused: %(why)s"), {"why": exc})]
    # the engine reads a timeDuration as a duration, a timeDate as a date
    if kind == "timeDuration" and not value.upper().startswith("P"):
        return [(N_("a timeDuration must be a duration such as P3D, not '%(value)s'"),
                 {"value": value})]
    if kind == "timeDate" and value.upper().startswith("P"):
        return [(N_("a timeDate must be a date (YYYY-MM-DD), not '%(value)s'"),
                 {"value": value})]
    return []
