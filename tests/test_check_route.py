"""Route checking: any bytes at all get a verdict, never a crash; unsafe routes are refused."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.cycles import _shortest_loop, _strongly_connected

ROUTES = Path(__file__).parent / "routes"
SHIPPED = Path(__file__).parent.parent / "bpmn"
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
    "a timer event between steps": (  # the scheduler fires timers of steps
        mutate('targetRef="Task_Note">', 'targetRef="Wait_1">').replace(
            "</bpmn:process>", '<bpmn:intermediateCatchEvent id="Wait_1" name="Wait a day">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration>'
            '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
            '<bpmn:sequenceFlow id="F_Wait" sourceRef="Wait_1" targetRef="Gateway_SO"/>'
            "</bpmn:process>"),
        "would lie with no one", "Wait_1"),
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
    "inclusive gateway": (
        mutate(TASK_DECIDE, '<bpmn:inclusiveGateway id="Inc_1"/>' + TASK_DECIDE),
        "inclusive gateways are not supported", "Inc_1"),
    "call activity calling its own route": (
        mutate(TASK_DECIDE, '<bpmn:callActivity id="Call_1" calledElement="two_step"/>'
               + TASK_DECIDE), "calls the route it is in (two_step)", "Call_1"),
    "call activity naming no route": (
        mutate(TASK_DECIDE, '<bpmn:callActivity id="Call_1" name="Vet"/>' + TASK_DECIDE),
        "names no route to run", "Call_1"),
    "sub-process with no start": (
        mutate(TASK_DECIDE, '<bpmn:subProcess id="Sub_1" name="Group"><bpmn:userTask id="T_in" '
               'name="In"/><bpmn:endEvent id="E_in"/><bpmn:sequenceFlow id="F_in" '
               'sourceRef="T_in" targetRef="E_in"/></bpmn:subProcess>' + TASK_DECIDE),
        "a sub-process has exactly one start event; this one has 0", "Sub_1"),
    "sub-process with no end": (
        mutate(TASK_DECIDE, '<bpmn:subProcess id="Sub_1" name="Group"><bpmn:startEvent '
               'id="S_in"/><bpmn:userTask id="T_in" name="In"/><bpmn:sequenceFlow id="F_in" '
               'sourceRef="S_in" targetRef="T_in"/></bpmn:subProcess>' + TASK_DECIDE),
        "the sub-process has no end event", "Sub_1"),
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


# --- loops a file could go round for ever ---------------------------------------------------

REFUSED = ROUTES / "refused"
TIMER = ('<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P3D"</bpmn:timeDuration>')
LATE_TO_END = '<bpmn:sequenceFlow id="F_Late" sourceRef="Timer_SO" targetRef="End_Approved"/>'


def timer_back_to_its_step(timer, interrupting=True):
    """two_step with its timer (``timer``: the timer definition's child element) leading back
    to the step it is attached to."""
    text = mutate(TIMER, timer)
    text = mutate('cancelActivity="false"', f'cancelActivity="{str(interrupting).lower()}"', text)
    text = mutate("<bpmn:incoming>F_Late</bpmn:incoming>", "", text)
    return mutate(LATE_TO_END, LATE_TO_END.replace("End_Approved", "Task_Decide"), text)


def round_two_decisions(flow, exit_to):
    """two_step with ``flow`` (one of its sequence flows) leading instead into two decisions
    that send a file to each other for ever (unless its priority is "Never")."""
    flow_id, source = re.search(r'id="([^"]+)" sourceRef="([^"]+)"', flow).groups()
    return mutate(flow, (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="Round_A"/>'
        '<bpmn:exclusiveGateway id="Round_A" name="Round" default="F_AB"/>'
        '<bpmn:exclusiveGateway id="Round_B" name="And round" default="F_BA"/>'
        '<bpmn:sequenceFlow id="F_AB" sourceRef="Round_A" targetRef="Round_B"/>'
        '<bpmn:sequenceFlow id="F_BA" sourceRef="Round_B" targetRef="Round_A"/>'
        f'<bpmn:sequenceFlow id="F_Out" sourceRef="Round_A" targetRef="{exit_to}">'
        '<bpmn:conditionExpression>priority == "Never"</bpmn:conditionExpression>'
        '</bpmn:sequenceFlow>'))


#: Routes that go round two decisions for ever: from the start, and once a timer fires.
START_LOOP = round_two_decisions(
    '<bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_Note"/>', "Task_Note")
TIMER_LOOP = round_two_decisions(LATE_TO_END, "End_Approved")


def test_decisions_that_loop_into_each_other_are_refused_naming_the_loop():
    problems = engine.check_route((REFUSED / "gateway_loop.bpmn").read_bytes())
    [loop] = [p for p in problems if "loop with no step" in p.message]
    assert (loop.element_id, loop.element_name) == ("Gateway_Check", "Checked?")
    assert ('Gateway_Check "Checked?" → Gateway_Again "Check again" → Gateway_Check "Checked?"'
            in loop.message), loop.message


LOOPS = {
    "decision back into itself": (
        mutate('targetRef="Task_Note">', 'targetRef="Gateway_SO">'),
        "loop with no step", "Gateway_SO"),
    "through a plain task that no lane holds": (  # a plain task is a step, held by its lane
        mutate('targetRef="Task_Note">', 'targetRef="Plain_1">').replace(
            "</bpmn:process>", '<bpmn:task id="Plain_1" name="Plain"/><bpmn:sequenceFlow '
            'id="F_Plain" sourceRef="Plain_1" targetRef="Gateway_SO"/></bpmn:process>'),
        "not in a named lane", "Plain_1"),
    "an interrupting timer of no time back to its step": (
        timer_back_to_its_step("<bpmn:timeDuration>PT0S</bpmn:timeDuration>"),
        "fires as soon as its step is reached", "Timer_SO"),
    "a timer of no time back to its step, the step staying": (
        timer_back_to_its_step('<bpmn:timeDuration>"P0D"</bpmn:timeDuration>', False),
        "fires as soon as its step is reached", "Timer_SO"),
    "a timer at a date back to its step": (
        timer_back_to_its_step("<bpmn:timeDate>2001-01-01</bpmn:timeDate>"),
        "fires as soon as its step is reached", "Timer_SO"),
    "from the start": (START_LOOP, "loop with no step", "Round_A"),
    "once a timer fires": (TIMER_LOOP, "loop with no step", "Round_A"),
}


@pytest.mark.parametrize("case", sorted(LOOPS))
def test_a_loop_that_no_official_stops_is_refused(case):
    text, words, element_id = LOOPS[case]
    problems = engine.check_route(text.encode())
    matching = [p for p in problems if words in p.message]
    assert matching, f"{case}: expected '{words}' in {[str(p) for p in problems]}"
    assert matching[0].element_id == element_id, [str(p) for p in matching]


def test_a_loop_through_a_step_or_a_timer_that_waits_is_a_route():
    assert engine.check_route(timer_back_to_its_step(TIMER).encode()) == []
    assert engine.check_route(timer_back_to_its_step(
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration>", False).encode()) == []


@pytest.mark.parametrize("timer, words", [
    ("<bpmn:timeDuration>2026-03-31</bpmn:timeDuration>", "timeDuration must be a duration"),
    ("<bpmn:timeDate>P3D</bpmn:timeDate>", "timeDate must be a date"),
])
def test_a_timer_whose_value_is_not_of_its_kind_is_refused(timer, words):
    # SpiffWorkflow reads a timeDuration as a duration and a timeDate as a date: crossed, the
    # first file to reach the step would fail there
    problems = engine.check_route(mutate(TIMER, timer).encode())
    assert any(words in str(p) and p.element_id == "Timer_SO" for p in problems), problems


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=20))
def test_every_loop_of_any_graph_is_found_and_named_by_flows_it_has(edges):
    after = {f"n{i}": [] for i in range(9)}
    for source, target in edges:
        after[f"n{source}"].append(f"n{target}")

    def reach(node):
        seen, todo = set(), list(after[node])
        while todo:
            if (nxt := todo.pop()) not in seen:
                seen.add(nxt)
                todo.extend(after[nxt])
        return seen

    reached = {node: reach(node) for node in after}
    loops = {frozenset({n} | {m for m in reached[n] if n in reached[m]})
             for n in after if n in reached[n]}
    groups = _strongly_connected(after)
    assert {frozenset(group) for group in groups} == loops
    for group in groups:
        loop = _shortest_loop(group, after)
        assert loop[0] == group[0]
        assert all(b in after[a] for a, b in zip(loop, loop[1:] + loop[:1], strict=True))


def _plain_task(text):
    """two_step with its "Decide" step drawn as a plain task, a modeler's default shape."""
    text = mutate(TASK_DECIDE, '<bpmn:task id="Task_Decide" name="Decide">', text)
    start = text.index('<bpmn:task id="Task_Decide"')
    end = text.index("</bpmn:userTask>", start)
    return text[:end] + "</bpmn:task>" + text[end + len("</bpmn:userTask>"):]


def test_a_plain_task_is_a_step_held_by_its_lane():
    route = engine.parse_route(_plain_task(GOOD).encode())
    instance = engine.start(route)
    [first] = engine.ready_steps(instance)
    engine.complete(instance, first.task_id, "Submit", {})
    [decide] = engine.ready_steps(instance)
    assert (decide.name, decide.role) == ("Decide", "Section Officer")
    assert decide.choices == ("Approve", "Return", "Reject")
    engine.complete(instance, decide.task_id, "Approve", {})
    assert instance.finished and instance.end_name == "Approved"


def test_a_plain_task_outside_a_lane_is_refused_by_name():
    text = mutate("<bpmn:flowNodeRef>Task_Decide</bpmn:flowNodeRef>", "", _plain_task(GOOD))
    problems = [p for p in engine.check_route(text.encode()) if p.element_id == "Task_Decide"]
    assert problems and "not in a named lane" in str(problems[0]), problems
