"""Routes drawn in the modelers people use: Camunda Modeler's roles on tasks and ``${...}``
conditions, BPMN's potentialOwner, and refusals of what a modeler adds that Sanchika does not
run, each naming the attribute or extension element and the element it is on."""

from pathlib import Path

import pytest

import engine
from test_check_route import mutate
from test_engine import save_restore, walk

ROUTES = Path(__file__).parent / "routes"
CAMUNDA_ROUTE = ROUTES / "camunda_modeler_no_lanes.bpmn"


# --- a route as Camunda Modeler saves it: no lanes, candidate groups, ${...} conditions -------

def test_a_camunda_modeler_route_without_lanes_takes_its_roles_from_candidate_groups():
    route = engine.parse_route(CAMUNDA_ROUTE.read_bytes())
    assert route.roles == ("Dealing Assistant", "Section Officer", "Circle Officer",
                           "Head of Office")
    examine = route.steps["Activity_Examine"]
    assert examine.role == "Section Officer" and examine.choices == ("Forward", "Return")
    assert examine.next_role("Return") == "Dealing Assistant"
    assert route.steps["Activity_Apply"].limit_days == 2
    # the conditions are kept as the author wrote them
    assert route.conditions["Flow_Return_SO"] == ("Return", '${choice eq "Return"}')


@pytest.mark.parametrize("priority, choices, roles, end", [
    ("Immediate", ["Submit", "Forward", "Sanction"],
     ["Dealing Assistant", "Section Officer", "Head of Office"], "Leave sanctioned"),
    ("Top Priority", ["Submit", "Return", "Submit", "Forward", "Refuse"],
     ["Dealing Assistant", "Section Officer", "Dealing Assistant", "Section Officer",
      "Head of Office"], "Leave refused"),
    ("Normal", ["Submit", "Forward", "Endorse", "Return", "Submit", "Forward", "Endorse",
                "Sanction"],
     ["Dealing Assistant", "Section Officer", "Circle Officer", "Head of Office",
      "Dealing Assistant", "Section Officer", "Circle Officer", "Head of Office"],
     "Leave sanctioned"),
])
def test_a_file_runs_through_a_camunda_modeler_route_by_its_el_conditions(priority, choices,
                                                                         roles, end):
    route = engine.parse_route(CAMUNDA_ROUTE.read_bytes())
    instance, seen = walk(engine.start(route, {"priority": priority}), choices)
    assert seen == roles
    assert instance.finished and instance.end_name == end


# --- ${...} conditions and timers in a route ---------------------------------------------------

TWO_STEP = (ROUTES / "two_step.bpmn").read_text()
APPROVE = 'choice == "Approve"'


def test_an_el_condition_passes_the_checks_and_decides_the_path():
    route = engine.parse_route(mutate(APPROVE, "${choice == 'Approve' &amp;&amp; true}",
                                      TWO_STEP))
    instance, _roles = walk(engine.start(route, {"priority": "Normal"}), ["Submit", "Approve"])
    assert instance.finished and instance.end_name == "Approved"


@pytest.mark.parametrize("condition, words", [
    ("${amount &gt; 50000}", "reads amount"),
    ("${priority == 'Normal'}", "does not test choice"),
    ("${choice.equals('Approve')}", "refused: '.': reading a property"),
    ("#{choice == 'Approve'}", "refused: deferred expressions"),
    ("${choice == 'Approve' ? true : false}", "refused: '?': the conditional"),
])
def test_an_el_condition_is_held_to_the_rules_of_every_condition(condition, words):
    problems = engine.check_route(mutate(APPROVE, condition, TWO_STEP))
    assert any(words in str(p) and p.element_id == "F_Approve" for p in problems), \
        [str(p) for p in problems]


TIMER = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P3D"</bpmn:timeDuration>'


def test_a_timer_written_as_el_is_read_like_a_quoted_one():
    text = mutate(TIMER, TIMER.replace('"P3D"', "${'P3D'}"), TWO_STEP)
    route = engine.parse_route(text)
    assert route.timers["Timer_SO"].expression == "P3D"
    instance = engine.start(route)
    engine.complete(instance, engine.ready_steps(instance)[0].task_id, "Submit")
    instance = save_restore(instance)
    assert [t.expression for t in engine.waiting_timers(instance)] == ["P3D"]
    problems = engine.check_route(mutate(TIMER, TIMER.replace('"P3D"', "${days}"), TWO_STEP))
    assert any("timer refused" in str(p) and p.element_id == "Timer_SO" for p in problems)


# --- roles written on the steps ------------------------------------------------------------

def small_route(a="", a_body="", b='camunda:candidateGroups="Head of Office"', lanes="",
                before_process="", process_end="", a_head=""):
    """Start, step Task_A "Put up note", step Task_B "Decide", end: ``a`` and ``b`` are the
    steps' attributes, ``a_head`` and ``a_body`` what Task_A holds before and after its
    flows."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" targetNamespace="x">
  {before_process}
  <bpmn:process id="small" isExecutable="true">
    {lanes}
    <bpmn:startEvent id="Start_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_A" name="Put up note" {a}>{a_head}
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>{a_body}
    </bpmn:userTask>
    <bpmn:userTask id="Task_B" name="Decide" {b}>
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End_1"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Start_1" targetRef="Task_A"/>
    <bpmn:sequenceFlow id="F2" name="Submit" sourceRef="Task_A" targetRef="Task_B"/>
    <bpmn:sequenceFlow id="F3" name="Close" sourceRef="Task_B" targetRef="End_1"/>
    {process_end}
  </bpmn:process>
</bpmn:definitions>"""


def owner(expression="Section Officer", ref=""):
    body = (f"<bpmn:resourceAssignmentExpression><bpmn:formalExpression>{expression}"
            "</bpmn:formalExpression></bpmn:resourceAssignmentExpression>") if expression else ""
    ref = f"<bpmn:resourceRef>{ref}</bpmn:resourceRef>" if ref else ""
    return f"<bpmn:potentialOwner>{ref}{body}</bpmn:potentialOwner>"


LANES = """<bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_A" name="{role}">
  <bpmn:flowNodeRef>Start_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_A</bpmn:flowNodeRef>
</bpmn:lane></bpmn:laneSet>"""
RESOURCE = '<bpmn:resource id="Resource_SO" name="Section Officer"/>'


@pytest.mark.parametrize("case, text", [
    ("camunda:candidateGroups", small_route(a='camunda:candidateGroups="Section Officer"')),
    ("potentialOwner", small_route(a_body=owner())),
    ("potentialOwner as camunda's group(...)", small_route(a_body=owner("group(Section Officer)"))),
    ("potentialOwner naming a resource",
     small_route(a_body=owner("", "Resource_SO"), before_process=RESOURCE)),
    ("a lane", small_route(lanes=LANES.format(role="Section Officer"))),
    ("a lane and the same candidate group",
     small_route(a='camunda:candidateGroups="Section Officer"',
                 lanes=LANES.format(role="Section Officer"))),
    ("a candidate group and the same potentialOwner",
     small_route(a='camunda:candidateGroups="Section Officer"', a_body=owner())),
])
def test_a_step_takes_its_role_from_its_lane_or_from_what_its_modeler_wrote(case, text):
    route = engine.parse_route(text)
    assert route.steps["Task_A"].role == "Section Officer", case
    assert route.steps["Task_A"].next_role("Submit") == "Head of Office"
    assert route.roles == ("Section Officer", "Head of Office")


@pytest.mark.parametrize("text, words", [
    (small_route(a='camunda:candidateGroups="Head of Office"',
                 lanes=LANES.format(role="Section Officer")),
     "is in the lane 'Section Officer' but its camunda:candidateGroups names the role "
     "'Head of Office'"),
    (small_route(a_body=owner("Head of Office"), lanes=LANES.format(role="Section Officer")),
     "is in the lane 'Section Officer' but its bpmn:potentialOwner names the role "
     "'Head of Office'"),
    (small_route(a='camunda:candidateGroups="Section Officer"', a_body=owner("Head of Office")),
     "its camunda:candidateGroups names the role 'Section Officer' but its "
     "bpmn:potentialOwner names 'Head of Office'"),
    (small_route(a='camunda:candidateGroups="Section Officer, Head of Office"'),
     "camunda:candidateGroups names several roles (Section Officer, Head of Office)"),
    (small_route(a_body=owner("user(anil.sinha)")),
     "bpmn:potentialOwner names the user 'anil.sinha'"),
    (small_route(a='camunda:candidateGroups="${officer}"'),
     "camunda:candidateGroups '${officer}' is an expression"),
    (small_route(a_body=owner("")), "its bpmn:potentialOwner is empty"),
    (small_route(), "is not in a named lane and names no role (camunda:candidateGroups, "
                    "bpmn:potentialOwner)"),
])
def test_a_step_whose_role_is_missing_or_ambiguous_is_refused_naming_it(text, words):
    problems = engine.check_route(text)
    matching = [p for p in problems if words in p.message]
    assert matching, [str(p) for p in problems]
    assert (matching[0].element_id, matching[0].element_name) == ("Task_A", "Put up note")


def test_a_potential_owner_of_the_whole_process_is_refused():
    text = small_route(a='camunda:candidateGroups="Section Officer"', process_end=owner())
    problems = engine.check_route(text)
    assert any("bpmn:potentialOwner is read only on a step" in p.message
               and p.element_id == "small" for p in problems), [str(p) for p in problems]


# --- attributes and extension elements: ignored, or refused naming them -------------------------

@pytest.mark.parametrize("a", [
    'camunda:asyncBefore="true" camunda:asyncAfter="true" camunda:exclusive="false"',
    'camunda:formKey="embedded:app:forms/note.html" camunda:priority="50"',
    'camunda:assignee="pio" camunda:candidateUsers="anil.sinha"',
    'xmlns:acme="urn:acme" acme:colour="blue"',
])
def test_attributes_that_only_describe_a_step_are_ignored(a):
    text = small_route(a=a + ' camunda:candidateGroups="Section Officer"')
    assert engine.check_route(text) == []


FLOW_LISTENER = ('<bpmn:sequenceFlow id="F3" name="Close" sourceRef="Task_B" targetRef="End_1">'
                 '<bpmn:extensionElements><camunda:executionListener class="x.Notify" '
                 'event="take"/></bpmn:extensionElements></bpmn:sequenceFlow>')
INPUT_OUTPUT = ('<bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter '
                'name="x"><camunda:script scriptFormat="groovy">1</camunda:script>'
                '</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>')
ROLE = ' camunda:candidateGroups="Section Officer"'


@pytest.mark.parametrize("text, words, element", [
    (small_route(a='camunda:class="org.example.Notify"' + ROLE),
     "camunda:class on bpmn:userTask would run code", ("Task_A", "Put up note")),
    (small_route(a='camunda:delegateExpression="${notify}"' + ROLE),
     "camunda:delegateExpression on bpmn:userTask would run code", ("Task_A", "Put up note")),
    (small_route(a='camunda:dueDate="${dateTime().plusDays(3).toDate()}"' + ROLE),
     "camunda:dueDate on bpmn:userTask would not be read: a step's time limit is its "
     "limit_days property", ("Task_A", "Put up note")),
    (small_route(a=ROLE, a_head='<bpmn:extensionElements><camunda:taskListener '
                 'event="create" class="x.Y"/></bpmn:extensionElements>'),
     "camunda:taskListener is not supported on bpmn:userTask", ("Task_A", "Put up note")),
    (small_route(a=ROLE, a_head=INPUT_OUTPUT),
     "camunda:inputOutput is not supported on bpmn:userTask", ("Task_A", "Put up note")),
    (small_route(a=ROLE, a_head='<bpmn:extensionElements><spiffworkflow:preScript>import os'
                 '</spiffworkflow:preScript></bpmn:extensionElements>'),
     "spiffworkflow:preScript is not supported on bpmn:userTask", ("Task_A", "Put up note")),
    (small_route(a=ROLE).replace(
        '<bpmn:sequenceFlow id="F3" name="Close" sourceRef="Task_B" targetRef="End_1"/>',
        FLOW_LISTENER),
     "camunda:executionListener is not supported on bpmn:sequenceFlow", ("F3", "Close")),
    (small_route(a='foo="1"' + ROLE),
     "not valid BPMN 2.0: the attribute foo is not allowed on bpmn:userTask",
     ("Task_A", "Put up note")),
    (small_route(a='isForCompensation="maybe"' + ROLE),
     "not valid BPMN 2.0: the attribute isForCompensation of bpmn:userTask: 'maybe' is not a "
     "valid value", ("Task_A", "Put up note")),
])
def test_refusals_of_attributes_and_extensions_name_them_and_their_element(text, words,
                                                                          element):
    problems = engine.check_route(text)
    matching = [p for p in problems if words in p.message]
    assert matching, [str(p) for p in problems]
    assert (matching[0].element_id, matching[0].element_name) == element
    assert "{http" not in " ".join(str(p) for p in problems)  # namespaces said as prefixes


def test_a_refused_extension_is_named_once_not_with_everything_inside_it():
    problems = engine.check_route(small_route(a=ROLE, a_head=INPUT_OUTPUT))
    assert [p.params.get("extension") for p in problems] == ["camunda:inputOutput"]


@pytest.mark.parametrize("attributes, words", [
    ('language="javascript"', 'the attribute language="javascript" on bpmn:conditionExpression '
                              "asks for a script"),
    ('camunda:resource="deployment://approve.js"',
     "camunda:resource on bpmn:conditionExpression would run code"),
])
def test_a_condition_that_asks_for_a_script_is_refused_naming_the_attribute(attributes, words):
    text = mutate("<bpmn:conditionExpression ",
                  f"<bpmn:conditionExpression {attributes} ", TWO_STEP).replace(
        "xmlns:bpmn=", 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:bpmn=', 1)
    problems = engine.check_route(text)
    assert any(words in p.message and (p.element_id, p.element_name) == ("F_Approve", "Approve")
               for p in problems), [str(p) for p in problems]


def test_a_condition_in_the_evaluators_own_language_may_say_so():
    text = mutate("<bpmn:conditionExpression ", '<bpmn:conditionExpression language="python" ',
                  TWO_STEP)
    assert engine.check_route(text) == []


def test_a_schema_complaint_about_an_element_not_found_still_says_it_readably():
    from lxml import etree

    from engine.extensions import schema_problem
    root = etree.fromstring(b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
                            b'20100524/MODEL"/>')
    el, template, params = schema_problem(
        root, 7, "Element '{http://camunda.org/schema/1.0/bpmn}x': not expected here.")
    assert el is None
    assert template % params == "not valid BPMN 2.0: camunda:x: not expected here."
