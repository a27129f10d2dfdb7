"""Reusable sub-routes: a call activity runs another published route of the office (the DDMO's
"Legal vetting") as part of the file's route, at the version current when the file reached it;
an embedded sub-process groups steps.  Both are on the track and on the diagram; bad calls are
refused by name; a file bounced inside a sub-route, or round a call, stays flat."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

import engine
from webtools import sign_in
from workflows.errors import InvalidInput
from workflows.files import filing
from workflows.files.tracking import step_states
from workflows.models import RouteVersion, Task
from workflows.routes import publishing, routing

ROOT = Path(__file__).resolve().parent.parent
LEGAL = (ROOT / "bpmn" / "legal_vetting.bpmn").read_text()
CONTRACT = (ROOT / "bpmn" / "supply_contract.bpmn").read_text()
VET = "Call_LegalVetting/Task_VetDraft"
CLARIFY = "Call_LegalVetting/Task_Clarify"


class Shelf:
    """Routes by key for the engine (``engine.Called``), as an office would publish them."""

    def __init__(self, *xml):
        self.latest = {}
        self.all = []
        for text in xml:
            self.publish(text)

    def publish(self, text):
        route = engine.parse_route(text)
        self.latest[route.key] = route
        self.all.append(route)
        return route

    def current(self, key):
        if key not in self.latest:
            raise engine.RouteError("no route '%(key)s'", key=key)
        return self.latest[key]

    def stored(self, key, sha256):
        return next(r for r in self.all if r.key == key and r.sha256 == sha256)


def step(instance):
    [ready] = engine.ready_steps(instance)
    return ready


def act(instance, choice, shelf):
    """Complete the one ready step with ``choice``, through a dump and a load."""
    engine.complete(instance, step(instance).task_id, choice)
    text = engine.dump(instance)
    engine.clear_cache()
    return engine.load(instance.route, text, shelf)


def to_vetting(shelf):
    contract = engine.parse_route(CONTRACT)
    instance = engine.start(contract, {"priority": "Normal"}, shelf)
    for choice in ("Submit", "Forward", "Forward"):
        instance = act(instance, choice, shelf)
    return instance


# --- the engine -----------------------------------------------------------------------------

def test_a_call_runs_the_called_route_and_its_outcome_decides_the_route_after_it():
    shelf = Shelf(LEGAL)
    contract = engine.parse_route(CONTRACT)
    instance = engine.start(contract, {"priority": "Normal"}, shelf)
    names = [step(instance).name]
    for choice in ("Submit", "Forward", "Forward", "Object", "Submit", "Forward", "Forward",
                   "Vetted"):
        instance = act(instance, choice, shelf)
        names.append(step(instance).name)
    assert names == ["Put up draft agreement", "Check rates and funds", "Examine the agreement",
                     "Vet the draft", "Put up draft agreement", "Check rates and funds",
                     "Examine the agreement", "Vet the draft", "Approve the agreement"]
    instance = act(instance, "Approve", shelf)
    assert instance.finished and instance.end_name == "Agreement approved"


def test_a_step_of_the_called_route_is_named_by_its_call_with_the_called_version():
    shelf = Shelf(LEGAL)
    instance = to_vetting(shelf)
    ready = step(instance)
    assert (ready.step_id, ready.role, ready.choices) == (
        VET, "Law Officer", ("Vetted", "Object", "Ask for clarification"))
    assert (ready.route_key, ready.route_sha256) == ("legal_vetting", shelf.latest[
        "legal_vetting"].sha256)
    assert instance.step(VET).limit_days == 3
    inner = engine.ready_steps(engine.start(engine.parse_route(CONTRACT), {}, shelf))[0]
    assert inner.route_key == ""  # a step of the file's own route


def test_a_file_keeps_the_version_it_entered_and_the_next_file_enters_the_new_one():
    shelf = Shelf(LEGAL)
    inside = to_vetting(shelf)
    shelf.publish(LEGAL.replace('name="Give clarification"', 'name="Explain the draft"'))
    inside = act(inside, "Ask for clarification", shelf)
    assert step(inside).name == "Give clarification"  # still version 1
    after = to_vetting(shelf)
    after = act(after, "Ask for clarification", shelf)
    assert step(after).name == "Explain the draft"


def test_a_route_that_has_run_no_sub_process_is_stored_as_before():
    route = engine.parse_route((ROOT / "bpmn" / "general_noting.bpmn").read_bytes())
    doc = json.loads(engine.dump(engine.start(route, {"priority": "Normal"})))
    assert "subprocesses" not in doc and doc["format"] == 2


def test_a_file_bounced_inside_a_called_route_and_round_the_call_stays_flat():
    shelf = Shelf(LEGAL)
    instance = to_vetting(shelf)
    sizes = []
    for n in range(300):
        for choice in ("Ask for clarification", "Clarification given"):
            instance = act(instance, choice, shelf)
        if n % 3 == 0:  # and out of the call, back round the scrutiny, into the call again
            for choice in ("Object", "Submit", "Forward", "Return", "Forward", "Forward"):
                instance = act(instance, choice, shelf)
        assert step(instance).step_id == VET
        sizes.append((instance.task_count(), len(engine.dump(instance))))
    assert max(s[0] for s in sizes[-50:]) <= max(s[0] for s in sizes[:50])
    assert max(s[1] for s in sizes[-50:]) <= max(s[1] for s in sizes[:50]) * 1.1


LOOP_ROUND_CALL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="D" targetNamespace="http://x">
  <bpmn:process id="again_and_again" name="Vetted until it passes" isExecutable="true">
    <bpmn:startEvent id="Start_1"/>
    <bpmn:callActivity id="Call_Vet" name="Legal vetting" calledElement="legal_vetting"/>
    <bpmn:exclusiveGateway id="Gateway_1" default="F_Done"/>
    <bpmn:endEvent id="End_1" name="Passed"/>
    <bpmn:sequenceFlow id="F1" sourceRef="Start_1" targetRef="Call_Vet"/>
    <bpmn:sequenceFlow id="F2" sourceRef="Call_Vet" targetRef="Gateway_1"/>
    <bpmn:sequenceFlow id="F_Again" sourceRef="Gateway_1" targetRef="Call_Vet">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">choice == "Object"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F_Done" sourceRef="Gateway_1" targetRef="End_1"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_file_going_round_a_call_with_no_step_of_its_own_stays_flat():
    shelf = Shelf(LEGAL)
    instance = engine.start(engine.parse_route(LOOP_ROUND_CALL), {}, shelf)
    counts = []
    for _ in range(400):
        instance = act(instance, "Object", shelf)
        counts.append(instance.task_count())
    assert step(instance).step_id == "Call_Vet/Task_VetDraft"
    assert max(counts[-50:]) <= max(counts[:50])
    instance = act(instance, "Vetted", shelf)
    assert instance.finished and instance.end_name == "Passed"


def test_a_call_the_office_cannot_run_is_refused_as_the_file_reaches_it():
    contract = engine.parse_route(CONTRACT)
    instance = engine.start(contract, {}, Shelf())
    for choice in ("Submit", "Forward"):
        instance = act(instance, choice, Shelf())
    with pytest.raises(engine.RouteError, match="legal_vetting"):
        engine.complete(instance, step(instance).task_id, "Forward")


def test_a_route_calling_back_into_itself_is_refused_as_it_runs():
    back = LEGAL.replace('<bpmn:userTask id="Task_VetDraft"', '<bpmn:callActivity '
                         'id="Call_Back" calledElement="again_and_again"><bpmn:incoming>'
                         'Flow_Start_Vet</bpmn:incoming></bpmn:callActivity><bpmn:userTask '
                         'id="Task_VetDraft"')
    shelf = Shelf(LEGAL, LOOP_ROUND_CALL)
    shelf.latest["legal_vetting"] = shelf.publish(back.replace(
        'sourceRef="Start_Referred" targetRef="Task_VetDraft"',
        'sourceRef="Start_Referred" targetRef="Call_Back"').replace(
        '<bpmn:sequenceFlow id="Flow_Vet_Gateway"', '<bpmn:sequenceFlow id="F_Back_Vet" '
        'sourceRef="Call_Back" targetRef="Task_VetDraft"/><bpmn:sequenceFlow '
        'id="Flow_Vet_Gateway"'))
    with pytest.raises(engine.RouteError, match="again_and_again → legal_vetting → "
                                                "again_and_again"):
        engine.start(engine.parse_route(LOOP_ROUND_CALL), {}, shelf)


def test_embedded_sub_process_steps_are_the_routes_own_and_in_their_lanes():
    contract = engine.parse_route(CONTRACT)
    assert contract.steps["Task_CheckRates"].role == "Accounts Officer"
    assert contract.steps["Task_ExamineAgreement"].choices == ("Forward", "Return")
    assert contract.calls == {"Call_LegalVetting": ("legal_vetting", "Legal vetting")}


# --- the office ----------------------------------------------------------------------------

def contract_file(session, ddmo, people, subject="Supply of tarpaulins: rate contract"):
    file = filing.open_file(session, office=ddmo, user=people.ramesh,
                            route_key="supply_contract", subject=subject)
    for user, choice in ((people.ramesh, "Submit"), (people.kavita, "Forward"),
                         (people.priya, "Forward")):
        filing.act(session, number=file.number, user=user, choice=choice)
    return file


def legal_version(session, ddmo, number):
    route = routing.route_by_key(session, ddmo, "legal_vetting")
    return publishing.version_of(session, route, number)


def test_the_demo_has_a_contract_file_with_the_law_officer(session, ddmo, people):
    [task] = session.scalars(select(Task).where(Task.step_id == VET, Task.done_at.is_(None)))
    assert task.post.code == "LO" and task.step_name == "Vet the draft"
    assert task.route_version_id == legal_version(session, ddmo, 1).id


def test_a_contract_goes_through_scrutiny_and_legal_vetting_on_its_track(session, ddmo, people):
    file = contract_file(session, ddmo, people)
    [task] = filing.open_tasks(session, file)
    assert (task.step_id, task.post.code) == (VET, "LO")
    filing.act(session, number=file.number, user=people.meena, choice="Ask for clarification")
    filing.act(session, number=file.number, user=people.ramesh, choice="Clarification given")
    filing.act(session, number=file.number, user=people.meena, choice="Vetted")
    filing.act(session, number=file.number, user=people.anil, choice="Approve")
    assert file.status == "closed" and file.outcome == "Agreement approved"
    track = [(m.step_name, m.choice) for m in filing.track(session, file) if m.kind == "act"]
    assert track == [("Put up draft agreement", "Submit"), ("Check rates and funds", "Forward"),
                     ("Examine the agreement", "Forward"), ("Vet the draft",
                                                            "Ask for clarification"),
                     ("Give clarification", "Clarification given"), ("Vet the draft", "Vetted"),
                     ("Approve the agreement", "Approve")]
    states = step_states(session, file)
    assert states["done"]["Call_LegalVetting"] == 3 and states["done"][VET] == 2
    assert states["done"]["Task_CheckRates"] == 1  # a step of the embedded sub-process


def test_publishing_a_new_version_leaves_a_file_inside_on_the_old_one(session, ddmo, people):
    inside = contract_file(session, ddmo, people)
    version = publishing.publish(session, ddmo, LEGAL.replace(
        'name="Give clarification"', 'name="Explain the draft"'), people.vikas)
    assert version.version == 2
    filing.act(session, number=inside.number, user=people.meena, choice="Ask for clarification")
    [task] = filing.open_tasks(session, inside)
    assert (task.step_id, task.step_name) == (CLARIFY, "Give clarification")
    assert task.route_version_id == legal_version(session, ddmo, 1).id
    after = contract_file(session, ddmo, people, subject="Supply of dry ration: rate contract")
    [task] = filing.open_tasks(session, after)
    assert task.route_version_id == version.id
    filing.act(session, number=after.number, user=people.meena, choice="Ask for clarification")
    [task] = filing.open_tasks(session, after)
    assert task.step_name == "Explain the draft"
    filing.act(session, number=inside.number, user=people.ramesh, choice="Clarification given")
    assert [t.step_name for t in filing.open_tasks(session, inside)] == ["Vet the draft"]


def test_a_step_inside_the_called_route_can_be_pulled_back(session, ddmo, people):
    file = contract_file(session, ddmo, people)
    filing.act(session, number=file.number, user=people.meena, choice="Ask for clarification")
    filing.pull_back(session, number=file.number, user=people.meena)
    [task] = filing.open_tasks(session, file)
    assert task.step_id == VET and task.post.code == "LO"
    filing.act(session, number=file.number, user=people.meena, choice="Vetted")
    assert [t.step_name for t in filing.open_tasks(session, file)] == ["Approve the agreement"]


def test_a_call_to_a_route_the_office_does_not_publish_is_refused_by_name(session, ddmo,
                                                                          people):
    xml = CONTRACT.replace('calledElement="legal_vetting"', 'calledElement="legal_opinion"')
    problems = publishing.check(session, ddmo, xml)
    assert [(p.element_id, p.element_name) for p in problems] == [
        ("Call_LegalVetting", "Legal vetting")]
    assert "legal_opinion" in problems[0].message
    with pytest.raises(InvalidInput, match="legal_opinion"):
        publishing.publish(session, ddmo, xml, people.vikas)


def clarify_as_call(key):
    """Legal vetting with its step "Give clarification" drawn as a call of the route ``key``."""
    start = LEGAL.index('<bpmn:userTask id="Task_Clarify"')
    end = LEGAL.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    block = LEGAL[start:end].replace(
        "<bpmn:userTask", f'<bpmn:callActivity calledElement="{key}"').replace(
        "</bpmn:userTask>", "</bpmn:callActivity>")
    return LEGAL[:start] + block + LEGAL[end:]


def test_routes_calling_each_other_round_are_refused_naming_the_chain(session, ddmo, people):
    problems = publishing.check(session, ddmo, clarify_as_call("supply_contract"))
    assert [(p.element_id, p.element_name) for p in problems] == [
        ("Task_Clarify", "Give clarification")], [str(p) for p in problems]
    assert "legal_vetting → supply_contract → legal_vetting" in problems[0].message
    with pytest.raises(InvalidInput, match="supply_contract → legal_vetting"):
        routing.deploy_route(session, ddmo, clarify_as_call("supply_contract"))


def test_a_route_calling_itself_is_refused_before_the_office_is_asked():
    problems = engine.check_route(clarify_as_call("legal_vetting"))
    assert [(p.element_id, p.message) for p in problems] == [(
        "Task_Clarify", "calls the route it is in (legal_vetting): a file reaching it would "
        "enter the same route again and again")]


def test_the_file_page_shows_the_step_of_the_called_route_with_its_choices(
        session, client, ddmo, people):
    file = contract_file(session, ddmo, people)
    session.flush()
    sign_in(client, "meena.gupta")
    body = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert "Vet the draft" in body and "Ask for clarification" in body
    figures = client.get(f"/files/{file.id}/route-state.json").get_json()
    assert figures["current"] == [VET, "Call_LegalVetting"]


def test_a_file_inside_a_called_route_does_not_move_to_another_version_of_its_own(
        session, ddmo, people):
    file = contract_file(session, ddmo, people)
    route = routing.route_by_key(session, ddmo, "supply_contract")
    source = publishing.version_of(session, route, 1)
    target = publishing.publish(session, ddmo, CONTRACT.replace(
        'name="Approve the agreement"', 'name="Approve the contract"'), people.vikas)
    [plan] = [p for p in publishing.plan_move(session, source, target)
              if p.number == file.number]
    assert not plan.can_move and "come back" in str(plan.reason)
    assert session.get(RouteVersion, target.id) is not None


TIMED = LEGAL.replace(
    '<bpmn:exclusiveGateway id="Gateway_Vetting"',
    '<bpmn:boundaryEvent id="Timer_Vet" name="No opinion in time" attachedToRef="Task_VetDraft">'
    '<bpmn:outgoing>Flow_Late</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration '
    'xsi:type="bpmn:tFormalExpression">P5D</bpmn:timeDuration></bpmn:timerEventDefinition>'
    '</bpmn:boundaryEvent><bpmn:exclusiveGateway id="Gateway_Vetting"').replace(
    '<bpmn:incoming>Flow_AskClarification</bpmn:incoming>',
    '<bpmn:incoming>Flow_AskClarification</bpmn:incoming><bpmn:incoming>Flow_Late'
    '</bpmn:incoming>').replace(
    '</bpmn:process>', '<bpmn:sequenceFlow id="Flow_Late" sourceRef="Timer_Vet" '
    'targetRef="Task_Clarify"/></bpmn:process>')


def test_a_timer_on_a_step_of_a_called_route_is_armed_and_fires_by_its_path():
    from datetime import datetime, timezone
    shelf = Shelf(TIMED)
    instance = to_vetting(shelf)
    [timer] = engine.waiting_timers(instance)
    assert (timer.timer_id, timer.step_id, timer.expression) == (
        "Call_LegalVetting/Timer_Vet", VET, "P5D")
    assert instance.timer(timer.timer_id).name == "No opinion in time"
    assert instance.step(VET).timers == ("Call_LegalVetting/Timer_Vet",)
    text = engine.dump(instance)
    engine.clear_cache()
    instance = engine.load(instance.route, text, shelf)
    engine.fire_timer(instance, timer.task_id, datetime(2026, 11, 2, tzinfo=timezone.utc))
    # the vetting waits no longer: the dealing assistant is asked to explain the delay
    assert step(instance).step_id == CLARIFY
    assert engine.waiting_timers(instance) == []


def test_the_office_arms_and_fires_a_timer_of_a_called_route(session, ddmo, people):
    from datetime import timedelta
    from workflows.clock import utcnow
    from workflows.models import FileTimer
    publishing.publish(session, ddmo, TIMED, people.vikas)
    file = contract_file(session, ddmo, people)
    [task] = filing.open_tasks(session, file)
    [armed] = session.scalars(select(FileTimer).where(FileTimer.task_id == task.id))
    assert armed.timer_id == "Call_LegalVetting/Timer_Vet"
    filing.fire_timer(session, file, task, armed.timer_id, utcnow() + timedelta(days=9))
    assert [t.step_id for t in filing.open_tasks(session, file)] == [CLARIFY]
    assert task.outcome == "timed out"


def test_a_file_closed_inside_a_called_route_is_reopened_there(session, ddmo, people):
    file = contract_file(session, ddmo, people)
    filing.close(session, number=file.number, user=people.anil, retention="C",
                 remark="Proposal withdrawn for now.")
    assert filing.open_tasks(session, file) == []
    filing.reopen(session, number=file.number, user=people.anil, remark="Proposal renewed.")
    [task] = filing.open_tasks(session, file)
    assert (task.step_id, task.post.code) == (VET, "LO")
    assert task.route_version_id == legal_version(session, ddmo, 1).id


def test_the_called_routes_step_and_choices_are_said_in_hindi(session, client, ddmo, people):
    from webtools import post
    file = contract_file(session, ddmo, people)
    session.flush()
    sign_in(client, "meena.gupta")
    post(client, "/language", {"language": "hi", "next": "/"})
    body = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert "प्रारूप का विधिक परीक्षण करें" in body and "स्पष्टीकरण माँगें" in body


def test_a_call_to_a_route_that_circulates_is_refused_by_name(session, ddmo, people):
    # each post's part of a circulation is placed in the file's own route, never a called one
    xml = CONTRACT.replace('calledElement="legal_vetting"',
                           'calledElement="flood_damage_report"')
    problems = publishing.check(session, ddmo, xml)
    assert [(p.element_id, p.element_name) for p in problems] == [
        ("Call_LegalVetting", "Legal vetting")], [str(p) for p in problems]
    assert "'flood_damage_report', which goes to many posts" in problems[0].message


def test_a_called_route_cannot_begin_to_circulate(session, ddmo, people):
    start = LEGAL.index('<bpmn:userTask id="Task_VetDraft"')
    end = LEGAL.index("</bpmn:userTask>", start)
    loop = ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>officers"
            "</bpmn:loopDataInputRef></bpmn:multiInstanceLoopCharacteristics>")
    xml = LEGAL[:end] + loop + LEGAL[end:]
    assert engine.check_route(xml) == []  # a route of its own may circulate
    problems = [p for p in publishing.check(session, ddmo, xml) if "call this route" in p.message]
    assert [(p.element_id, p.element_name) for p in problems] == [
        ("Task_VetDraft", "Vet the draft")], [str(p) for p in problems]
    assert "the office's routes supply_contract call this route" in problems[0].message


def test_a_file_reaching_a_call_to_a_route_that_circulates_is_refused(session, ddmo):
    # a version published before calls were checked for circulation is caught as it is entered
    from workflows.routes import calling
    with pytest.raises(engine.RouteError, match="goes to many posts at a step, and a called "
                                                "route cannot"):
        calling.called_routes(session, ddmo.id).current("flood_damage_report")
    assert calling.called_routes(session, ddmo.id).current("legal_vetting").key == "legal_vetting"
