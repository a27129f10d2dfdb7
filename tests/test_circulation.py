"""Circulation in the engine: a step drawn as a multi-instance task goes to a list of posts,
all at once or one after another, and is done when all have answered or when its completion
condition says so; routes that cannot say where it goes are refused, each problem named."""

from pathlib import Path

import pytest

import engine

SHIPPED = Path(__file__).parent.parent / "bpmn"
FLOOD = (SHIPPED / "flood_damage_report.bpmn").read_bytes()

_ROUTE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="circulate" name="Circulate" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="L1" name="Dealing Assistant"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>put_up</bpmn:flowNodeRef><bpmn:flowNodeRef>compile</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="L2" name="Circle Officer"><bpmn:flowNodeRef>report</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="put_up" name="Put up the letter"/>
    <bpmn:userTask id="report" name="Send the report">{properties}{loop}</bpmn:userTask>
    <bpmn:userTask id="compile" name="Compile the reports"/>
    <bpmn:endEvent id="e" name="Done"/>{extra}
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="put_up"/>
    <bpmn:sequenceFlow id="f2" name="Circulate" sourceRef="put_up" targetRef="report"/>
    <bpmn:sequenceFlow id="f3" name="Report sent" sourceRef="report" targetRef="compile"/>
    <bpmn:sequenceFlow id="f4" name="Compiled" sourceRef="compile" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""
LIST = ("<bpmn:loopDataInputRef>posts</bpmn:loopDataInputRef>"
        "<bpmn:inputDataItem id='post' name='post'/>")


def route(loop=None, sequential=False, condition="", properties="", extra=""):
    if loop is None:
        loop = (f"<bpmn:multiInstanceLoopCharacteristics isSequential='{str(sequential).lower()}'>"
                f"{LIST}" + (f"<bpmn:completionCondition>{condition}</bpmn:completionCondition>"
                             if condition else "") + "</bpmn:multiInstanceLoopCharacteristics>")
    return _ROUTE.format(loop=loop, properties=properties, extra=extra)


def circulate(xml, posts):
    instance = engine.start(engine.parse_route(xml))
    [step] = engine.ready_steps(instance)
    engine.complete(instance, step.task_id, "Circulate", {"posts": posts})
    return instance


def answer(instance, post_id):
    [step] = [s for s in engine.ready_steps(instance) if s.post_id == post_id]
    engine.complete(instance, step.task_id, "Report sent")
    return engine.load(instance.route, engine.dump(instance))  # as the next request would


def waiting(instance):
    return [(s.name, s.post_id) for s in engine.ready_steps(instance)]


def test_the_shipped_route_circulates_to_every_circle_or_to_the_marked_ones():
    steps = engine.parse_route(FLOOD).steps
    every, marked = steps["Task_ReportFromEveryCircle"], steps["Task_ReportFromMarkedCircles"]
    assert (every.circulation.recipients, every.circulation.collection) == (
        "district", "circle_officers")
    assert (marked.circulation.recipients, marked.circulation.collection) == (
        "marked", "marked_posts")
    assert every.role == marked.role == "Circle Officer"
    assert steps["Task_ApproveCirculation"].next_step("Circulate to marked circles") == marked.id
    assert steps["Task_DraftCall"].circulation is None


def test_a_circulation_waits_with_every_post_at_once_and_goes_on_when_all_have_answered():
    instance = circulate(route(), [31, 32, 33])
    assert waiting(instance) == [("Send the report", 31), ("Send the report", 32),
                                 ("Send the report", 33)]
    instance = answer(instance, 32)
    instance = answer(instance, 31)
    assert waiting(instance) == [("Send the report", 33)]
    instance = answer(instance, 33)
    assert waiting(instance) == [("Compile the reports", None)]


def test_a_sequential_circulation_goes_to_one_post_after_another_in_the_order_given():
    instance = circulate(route(sequential=True), [33, 31, 32])
    seen = []
    while waiting(instance)[0][0] == "Send the report":
        [(_name, post_id)] = waiting(instance)
        seen.append(post_id)
        instance = answer(instance, post_id)
    assert seen == [33, 31, 32]
    assert waiting(instance) == [("Compile the reports", None)]


@pytest.mark.parametrize("condition", ["${nrOfCompletedInstances >= majority}",
                                       "nrOfCompletedInstances >= majority"])
def test_a_completion_condition_ends_the_circulation_early_and_the_others_are_let_off(
        condition):
    instance = circulate(route(condition=condition), [1, 2, 3, 4, 5])
    for post_id in (4, 1):
        instance = answer(instance, post_id)
    assert len(waiting(instance)) == 3  # two of five is not a majority
    instance = answer(instance, 5)
    assert waiting(instance) == [("Compile the reports", None)]


def test_camundas_collection_and_element_variable_are_read_as_the_list_and_its_item():
    loop = ("<bpmn:multiInstanceLoopCharacteristics camunda:collection='${circleOfficers}' "
            "camunda:elementVariable='officer'/>")
    xml = route(loop=loop)
    circulation = engine.parse_route(xml).steps["report"].circulation
    assert (circulation.collection, circulation.item) == ("circleOfficers", "officer")
    instance = engine.start(engine.parse_route(xml))
    [step] = engine.ready_steps(instance)
    engine.complete(instance, step.task_id, "Circulate", {"circleOfficers": [7, 8]})
    assert waiting(instance) == [("Send the report", 7), ("Send the report", 8)]


def test_reaching_a_circulation_with_no_post_is_refused_and_says_why():
    instance = engine.start(engine.parse_route(route()))
    [step] = engine.ready_steps(instance)
    with pytest.raises(engine.RouteError, match="no post holds it"):
        engine.complete(instance, step.task_id, "Circulate", {"posts": []})
    marked = engine.start(engine.parse_route(route(properties=(
        "<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property "
        "name='recipients' value='marked'/></spiffworkflow:properties></bpmn:extensionElements>"
    ))))
    [step] = engine.ready_steps(marked)
    with pytest.raises(engine.RouteError, match="mark at least one post"):
        engine.complete(marked, step.task_id, "Circulate")


def test_five_hundred_posts_answering_keep_the_state_flat():
    instance = circulate(route(), list(range(1, 501)))
    sizes = []
    for post_id in range(1, 500):
        instance = answer(instance, post_id)
        if post_id in (2, 499):
            sizes.append((instance.task_count(), len(engine.dump(instance))))
    (tasks_2, bytes_2), (tasks_499, bytes_499) = sizes
    assert tasks_499 == tasks_2 and bytes_499 <= 1.2 * bytes_2
    instance = answer(instance, 500)
    assert waiting(instance) == [("Compile the reports", None)]


_PROPERTY = ("<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property "
             "name='recipients' value='{}'/></spiffworkflow:properties></bpmn:extensionElements>")


@pytest.mark.parametrize("xml, message", [
    (route(loop="<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3"
                "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"),
     "needs a list of posts to go to, not a number of copies"),
    (route(loop="<bpmn:multiInstanceLoopCharacteristics/>"), "needs a list of posts"),
    (route(loop=f"<bpmn:multiInstanceLoopCharacteristics>{LIST}<bpmn:outputDataItem "
                "id='answer'/></bpmn:multiInstanceLoopCharacteristics>"),
     "bpmn:outputDataItem is not supported"),
    (route(properties=_PROPERTY.format("everyone")),
     "recipients 'everyone' is not one of district, office, marked"),
    (route(condition="nrOfVotes > 2"), "reads nrOfVotes; it may read only"),
    (route(condition="__import__('os')"), "completion condition '__import__('os')' refused"),
    (route(extra="<bpmn:boundaryEvent id='late' attachedToRef='report'>"
                 "<bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration>"
                 "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"),
     "a timer on a step that goes to many posts is not supported"),
], ids=["cardinality", "no list", "output", "recipients", "unknown name", "code", "timer"])
def test_a_circulation_that_cannot_say_where_it_goes_is_refused_on_the_step(xml, message):
    problems = engine.check_route(xml)
    assert any(message in str(p) for p in problems), [str(p) for p in problems]
    assert all(p.element_id == "report" for p in problems if message in str(p))


def _in_sub_process(loop_on_step):
    """The route with its circulation step inside a sub-process (the loop on the step), or
    with the sub-process itself drawn as a multi-instance."""
    loop = ("<bpmn:multiInstanceLoopCharacteristics>" + LIST
            + "</bpmn:multiInstanceLoopCharacteristics>")
    inner, outer = (loop, "") if loop_on_step else ("", loop)
    xml = route(loop=inner)
    step = xml[xml.index('<bpmn:userTask id="report"'):]
    step = step[:step.index("</bpmn:userTask>") + len("</bpmn:userTask>")]
    group = (f'<bpmn:subProcess id="reports" name="Reports">{outer}<bpmn:startEvent id="gs"/>'
             f'{step}<bpmn:endEvent id="ge"/>'
             '<bpmn:sequenceFlow id="g1" sourceRef="gs" targetRef="report"/>'
             '<bpmn:sequenceFlow id="g2" sourceRef="report" targetRef="ge"/></bpmn:subProcess>')
    return (xml.replace(step, group)
            .replace('<bpmn:flowNodeRef>report</bpmn:flowNodeRef>',
                     '<bpmn:flowNodeRef>reports</bpmn:flowNodeRef>'
                     '<bpmn:flowNodeRef>report</bpmn:flowNodeRef>')
            .replace('targetRef="report"/>\n', 'targetRef="reports"/>\n')
            .replace('sourceRef="report" targetRef="compile"',
                     'sourceRef="reports" targetRef="compile"'))


@pytest.mark.parametrize("loop_on_step, element, message", [
    (True, "report", "a step inside a sub-process cannot go to many posts"),
    (False, "reports", "a multi-instance subProcess is not supported: only a step"),
], ids=["step in a sub-process", "multi-instance sub-process"])
def test_a_circulation_is_drawn_in_the_route_itself(loop_on_step, element, message):
    # the parts of a circulation are placed and answered in the file's own workflow only
    problems = engine.check_route(_in_sub_process(loop_on_step))
    named = [p for p in problems if message in str(p)]
    assert named and all(p.element_id == element for p in named), [str(p) for p in problems]


_IN_A_PART = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="circulate" name="Circulate" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="L1" name="Dealing Assistant"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>put_up</bpmn:flowNodeRef><bpmn:flowNodeRef>compile</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>split</bpmn:flowNodeRef><bpmn:flowNodeRef>join</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="L2" name="Circle Officer"><bpmn:flowNodeRef>report</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="L3" name="Accounts Officer"><bpmn:flowNodeRef>funds</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="put_up" name="Put up the letter"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:userTask id="report" name="Send the report"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>posts</bpmn:loopDataInputRef><bpmn:inputDataItem id='post' name='post'/></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>
    <bpmn:userTask id="funds" name="Check funds"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:userTask id="compile" name="Compile the reports"/>
    <bpmn:endEvent id="e" name="Done"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="put_up"/>
    <bpmn:sequenceFlow id="f2" name="Circulate" sourceRef="put_up" targetRef="split"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="report"/>
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="funds"/>
    <bpmn:sequenceFlow id="f5" name="Report sent" sourceRef="report" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" name="Funds checked" sourceRef="funds" targetRef="join"/>
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="compile"/>
    <bpmn:sequenceFlow id="f8" name="Compiled" sourceRef="compile" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_circulation_in_one_part_of_a_file_waits_with_the_other_part_at_the_join():
    instance = circulate(_IN_A_PART, [11, 12, 13])
    assert sorted(waiting(instance), key=str) == [
        ("Check funds", None), ("Send the report", 11), ("Send the report", 12),
        ("Send the report", 13)]
    instance = answer(instance, 12)
    [funds] = [s for s in engine.ready_steps(instance) if s.name == "Check funds"]
    engine.complete(instance, funds.task_id, "Funds checked")
    instance = engine.load(instance.route, engine.dump(instance))
    assert sorted(waiting(instance)) == [("Send the report", 11), ("Send the report", 13)]
    for post_id in (11, 13):
        instance = answer(instance, post_id)
    assert waiting(instance) == [("Compile the reports", None)]
