"""Route checking: any bytes at all get a verdict, never a crash; unsafe routes are refused."""

from pathlib import Path

import pytest

import engine

ROUTES = Path(__file__).parent / "routes"
SHIPPED = Path(__file__).parent.parent / "workflows" / "routes"
GOOD = (ROUTES / "two_step.bpmn").read_text()


def mutate(old, new, text=GOOD):
    assert old in text, old
    return text.replace(old, new, 1)


TASK_DECIDE = '<bpmn:userTask id="Task_Decide" name="Decide">'
COND_APPROVE = 'choice == "Approve"'

# name: (route text, expected words in one problem, element id that problem names)
BROKEN = {
    "python in a condition": (
        mutate(COND_APPROVE, "__import__('os').system('touch /tmp/pwned')"),
        "refused", "F_Approve"),
    "attribute access in a condition": (
        mutate(COND_APPROVE, "choice.__class__ == 1"), "refused", "F_Approve"),
    "script task": (
        mutate(TASK_DECIDE, '<bpmn:scriptTask id="Script_1" name="Do it"><bpmn:script>import os'
               '</bpmn:script></bpmn:scriptTask>' + TASK_DECIDE),
        "script tasks could run arbitrary code", "Script_1"),
    "service task": (
        mutate(TASK_DECIDE, '<bpmn:serviceTask id="Service_1" name="Call"/>' + TASK_DECIDE),
        "service tasks", "Service_1"),
    "pre-script on a step": (
        mutate(TASK_DECIDE, TASK_DECIDE + '<bpmn:extensionElements><spiffworkflow:preScript>'
               'import os</spiffworkflow:preScript></bpmn:extensionElements>'),
        "preScript is not supported", "Task_Decide"),
    "step outside any lane": (
        mutate("<bpmn:flowNodeRef>Task_Decide</bpmn:flowNodeRef>", ""),
        "not in a named lane", "Task_Decide"),
    "choice without a name": (
        mutate('name="Approve" sourceRef="Gateway_SO"', 'sourceRef="Gateway_SO"'),
        "has no name", "F_Approve"),
    "flow without condition and not default": (
        mutate('default="F_Reject"', ""), "no condition", "F_Reject"),
    "condition on an unknown variable": (
        mutate(COND_APPROVE, "amount &gt; 50000"), "reads amount", "F_Approve"),
    "condition that ignores the choice": (
        mutate(COND_APPROVE, 'priority == "Normal"'), "does not test choice", "F_Approve"),
    "the same choice twice": (
        mutate('name="Return" sourceRef', 'name="Approve" sourceRef'),
        "offered twice", "F_Return"),
    "parallel gateway": (
        mutate(TASK_DECIDE, '<bpmn:parallelGateway id="Par_1"/>' + TASK_DECIDE),
        "parallel gateways are not supported", "Par_1"),
    "call activity": (
        mutate(TASK_DECIDE, '<bpmn:callActivity id="Call_1" calledElement="x"/>' + TASK_DECIDE),
        "call activities", "Call_1"),
    "reserved id": (GOOD.replace("Task_Note", "Start"), "reserved", "Start"),
    "step with no way out": (
        mutate('<bpmn:outgoing>F3</bpmn:outgoing>', "").replace(
            '<bpmn:sequenceFlow id="F3" sourceRef="Task_Decide" targetRef="Gateway_SO"/>', ""),
        "no way out", "Task_Decide"),
    "no end event": (
        GOOD.replace('<bpmn:endEvent id="End_Rejected" name="Rejected"><bpmn:incoming>F_Reject'
                     '</bpmn:incoming></bpmn:endEvent>',
                     '<bpmn:task id="End_Rejected" name="Rejected"><bpmn:incoming>F_Reject'
                     '</bpmn:incoming></bpmn:task>'),
        "no way out", "End_Rejected"),
    "repeating timer": (
        mutate('<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P3D"</bpmn:timeDuration>',
               '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R3/PT1H</bpmn:timeCycle>'),
        "repeating timers", ""),
    "python in a timer": (
        mutate('"P3D"', "__import__('os').getcwd()"), "timer refused", "Timer_SO"),
    "limit that is not a number": (
        mutate('name="limit_days" value="3"', 'name="limit_days" value="three"'),
        "limit_days 'three'", "Task_Note"),
    "message event": (
        mutate(TASK_DECIDE, '<bpmn:intermediateCatchEvent id="Msg_1"><bpmn:messageEventDefinition/>'
               '</bpmn:intermediateCatchEvent>' + TASK_DECIDE),
        "message events", ""),
    "element the schema does not know": (
        mutate(TASK_DECIDE, "<bpmn:frobnicate/>" + TASK_DECIDE), "not valid BPMN 2.0", ""),
    "two executable processes": (
        mutate("</bpmn:definitions>", '<bpmn:process id="other" isExecutable="true">'
               '<bpmn:startEvent id="S2"/></bpmn:process></bpmn:definitions>'),
        "2 executable processes", ""),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_routes_are_refused_with_the_element_named(case):
    text, words, element_id = BROKEN[case]
    problems = engine.check_route(text.encode())
    assert problems, f"{case} was accepted"
    matching = [p for p in problems if words in str(p)]
    assert matching, f"{case}: expected '{words}' in {[str(p) for p in problems]}"
    if element_id:
        assert any(p.element_id == element_id for p in matching), [str(p) for p in matching]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol4;</bpmn:definitions>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
<bpmn:process id="p" name="&secret;"/></bpmn:definitions>"""

NOT_ROUTES = {
    "empty": (b"", "empty"),
    "blank": (b"  \n\t ", "empty"),
    "plain text": (b"This is a note, not a route.", "not well-formed XML"),
    "binary": (bytes(range(256)) * 4, "XML"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not well-formed XML"),
    "html": (b"<html><body>hello</body></html>", "not a BPMN 2.0 file"),
    "truncated": (GOOD[: len(GOOD) // 2].encode(), "not well-formed XML"),
    "utf-16 bpmn 1.x namespace": ('<?xml version="1.0" encoding="UTF-16"?><definitions '
                                  'xmlns="http://www.omg.org/bpmn20"/>'.encode("utf-16"),
                                  "not a BPMN 2.0 file"),
    "entity bomb": (BILLION_LAUGHS, ""),
    "external entity": (XXE, ""),
    "huge": (b"<x>" + b" " * (3 * 1024 * 1024) + b"</x>", "larger than"),
    "no process": (b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
                   b'id="d" targetNamespace="x"/>', "no executable process"),
}


@pytest.mark.parametrize("case", sorted(NOT_ROUTES))
def test_anything_at_all_gets_a_verdict_not_a_crash(case):
    data, words = NOT_ROUTES[case]
    problems = engine.check_route(data)
    assert problems
    assert words in " ".join(map(str, problems))


def test_external_entities_are_not_read():
    problems = engine.check_route(XXE)
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else None
    if hostname:
        assert all(hostname not in str(p) for p in problems)


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.bpmn")) + sorted(ROUTES.glob("*.bpmn")),
                         ids=lambda p: p.name)
def test_shipped_and_foreign_modeler_routes_are_valid(path):
    assert engine.check_route(path.read_bytes()) == []


def test_camunda_properties_and_bare_iso_timers_are_understood():
    route = engine.parse_route((ROUTES / "camunda_style.bpmn").read_bytes())
    assert route.steps["Activity_Draft"].limit_days == 5
    assert route.timers["Event_Late"].expression == "P30D"
    assert route.timers["Event_Late"].interrupting is True
    assert route.steps["Activity_Approve"].choices == ("Approve",)


def test_shipped_routes_offer_the_documented_choices():
    noting = engine.parse_route((SHIPPED / "general_noting.bpmn").read_bytes())
    assert noting.roles == ("Dealing Assistant", "Section Officer", "Head of Office")
    by_name = {s.name: s for s in noting.steps.values()}
    assert set(by_name["Examine and comment"].choices) == {"Forward", "Return"}
    assert set(by_name["Consider and decide"].choices) == {"Approve", "Return", "Reject"}
