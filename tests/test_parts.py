"""Parts of a file in the engine: a parallel split sends a file to several posts at once, its
join waits for every part, history stays flat when a part goes back and forth, and routes whose
parts might never all meet are refused, each problem named."""

from pathlib import Path

import pytest

import engine

SHIPPED = Path(__file__).parent.parent / "bpmn"
CONSULTATION = (SHIPPED / "sections_consultation.bpmn").read_bytes()
PARTS = {"Comments of the Relief section", "Comments of the Accounts section",
         "Comments of the General section"}


def ready(instance):
    return {step.name: step for step in engine.ready_steps(instance)}


def act(instance, name, choice=None):
    step = ready(instance)[name]
    engine.complete(instance, step.task_id, choice or step.choices[0])
    return engine.load(instance.route, engine.dump(instance))  # as the next request would


def consultation():
    route = engine.parse_route(CONSULTATION)
    return act(engine.start(route), "Put up for consultation")


def test_a_split_sends_the_file_to_every_section_and_the_join_waits_for_all():
    instance = consultation()
    assert set(ready(instance)) == PARTS
    assert {s.role for s in engine.ready_steps(instance)} == {
        "Section Officer", "Accounts Officer", "Head Clerk"}
    instance = act(instance, "Comments of the General section")
    instance = act(instance, "Comments of the Relief section")
    assert set(ready(instance)) == {"Comments of the Accounts section"}  # the join waits
    instance = act(instance, "Comments of the Accounts section", "Send comments")
    assert set(ready(instance)) == {"Consider the comments and decide"}
    instance = act(instance, "Consider the comments and decide", "Approve")
    assert instance.finished and instance.end_name == "Approved"


@pytest.mark.parametrize("others_done", [False, True], ids=["others open", "others at the join"])
def test_a_part_bounced_a_thousand_times_keeps_the_state_flat(others_done):
    instance = consultation()
    if others_done:
        instance = act(instance, "Comments of the General section")
        instance = act(instance, "Comments of the Relief section")
    sizes = []
    for bounce in range(1000):
        instance = act(instance, "Comments of the Accounts section", "Ask for papers")
        instance = act(instance, "Supply papers to Accounts")
        if bounce in (1, 999):
            sizes.append((instance.task_count(), len(engine.dump(instance))))
    (tasks_2, bytes_2), (tasks_1000, bytes_1000) = sizes
    assert tasks_1000 == tasks_2 and bytes_1000 <= 1.05 * bytes_2
    left = PARTS - {"Comments of the Accounts section"} if not others_done else set()
    for name in left:
        instance = act(instance, name)
    instance = act(instance, "Comments of the Accounts section", "Send comments")
    assert set(ready(instance)) == {"Consider the comments and decide"}


def test_consulting_again_starts_fresh_parts_and_the_old_ones_are_forgotten():
    instance = consultation()
    for name in sorted(PARTS):
        instance = act(instance, name, "Send comments")
    flat = instance.task_count()
    for _ in range(50):
        instance = act(instance, "Consider the comments and decide", "Consult again")
        instance = act(instance, "Put up for consultation")
        assert set(ready(instance)) == PARTS
        for name in sorted(PARTS):
            instance = act(instance, name, "Send comments")
    assert instance.task_count() <= flat + 2


# -- routes whose parts might not all meet ---------------------------------------------------

def route(nodes, flows):
    """A route of ``nodes`` ("kind id", all in one lane) and ``flows`` ("source target"); a
    flow leaving an exclusive gateway is the choice named after its target."""
    lane = "".join(f"<bpmn:flowNodeRef>{n.split()[1]}</bpmn:flowNodeRef>" for n in nodes)
    els = "".join(f'<bpmn:{n.split()[0]} id="{n.split()[1]}" name="{n.split()[1]}"/>'
                  for n in nodes)
    choices = {n.split()[1] for n in nodes if n.startswith("exclusiveGateway")}
    seqs = "".join(
        f'<bpmn:sequenceFlow id="F_{s}_{t}" sourceRef="{s}" targetRef="{t}"'
        + (f' name="{t}"><bpmn:conditionExpression>choice == &apos;{t}&apos;'
           "</bpmn:conditionExpression></bpmn:sequenceFlow>" if s in choices else "/>")
        for s, t in (f.split() for f in flows))
    return ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'id="Defs" targetNamespace="http://sanchika.org/bpmn"><bpmn:process id="p" '
            'isExecutable="true"><bpmn:laneSet id="LS"><bpmn:lane id="L" name="Clerk">'
            f"{lane}</bpmn:lane></bpmn:laneSet>{els}{seqs}</bpmn:process></bpmn:definitions>")


STEPS = ["startEvent S", "userTask A", "userTask B", "userTask C", "endEvent E"]

BAD = {
    "a part can end before the join": (
        STEPS + ["parallelGateway Split", "parallelGateway Join", "endEvent E2"],
        ["S Split", "Split A", "Split B", "A Join", "B E2", "Join C", "C E"],
        "Split", "can reach the end E2"),
    "parts meet at different joins": (  # block-structured: a split inside a part instead
        STEPS + ["parallelGateway Split", "parallelGateway J1", "parallelGateway J2"],
        ["S Split", "Split A", "Split B", "Split C", "A J1", "B J1", "J1 J2", "C J2", "J2 E"],
        "Split", "meet at different joins"),
    "a join no split comes before": (
        STEPS + ["exclusiveGateway X", "parallelGateway Join"],
        ["S A", "A X", "X B", "X C", "B Join", "C Join", "Join E"],
        "Join", "no parallel split comes before"),
    "a join with a flow from outside its parts": (
        STEPS + ["parallelGateway Split", "parallelGateway Join", "exclusiveGateway X"],
        ["S X", "X Split", "X C", "Split A", "Split B", "A Join", "B Join", "C Join",
         "Join E"],
        "Join", "do not each bring one part"),
    "a part that goes back to its split": (
        STEPS + ["parallelGateway Split", "parallelGateway Join", "exclusiveGateway X"],
        ["S C", "C Split", "Split A", "Split B", "A X", "X C", "X Join", "B Join", "Join E"],
        "Split", "comes back to this split"),
    "a gateway that joins and splits": (
        STEPS + ["parallelGateway Split", "parallelGateway Both"],
        ["S Split", "Split A", "Split B", "A Both", "B Both", "Both C", "Both E", "C E"],
        "Both", "both joins and splits"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_parts_that_might_never_all_meet_are_refused_by_name(case):
    nodes, flows, element, words = BAD[case]
    problems = engine.check_route(route(nodes, flows))
    assert any(p.element_id == element and words in p.message for p in problems), problems


def test_a_split_inside_a_part_meets_at_its_own_join_first():
    nodes = STEPS + ["userTask D", "parallelGateway Split", "parallelGateway Join",
                     "parallelGateway Inner", "parallelGateway InnerJoin"]
    flows = ["S Split", "Split A", "Split Inner", "Inner B", "Inner C", "B InnerJoin",
             "C InnerJoin", "InnerJoin Join", "A Join", "Join D", "D E"]
    parsed = engine.parse_route(route(nodes, flows))
    instance = engine.start(parsed)
    assert set(ready(instance)) == {"A", "B", "C"}
    for name in ("B", "A", "C"):
        instance = act(instance, name)
    assert set(ready(instance)) == {"D"}


def test_an_inclusive_gateway_is_refused_saying_why():
    nodes = STEPS + ["inclusiveGateway Some"]
    flows = ["S Some", "Some A", "Some B", "A E", "B E"]
    [problem] = [p for p in engine.check_route(route(nodes, flows)) if p.element_id == "Some"]
    assert "inclusive gateways are not supported" in problem.message
    assert "parallel gateway" in problem.message and "exclusive" in problem.message
