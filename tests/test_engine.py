"""The engine on its own: routes run, survive dump/load at every step, and stay small."""

import json
import logging
import random
import time
from datetime import datetime, timezone
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from SpiffWorkflow.util.task import TaskState

import engine
from test_check_route import LOOPS, START_LOOP, TIMER_LOOP

ROUTES = Path(__file__).parent / "routes"
SHIPPED = Path(__file__).parent.parent / "bpmn"
NOW = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)  # when a test fires a timer


def route(name, folder=ROUTES):
    return engine.parse_route((folder / name).read_bytes())


def save_restore(instance):
    """Round-trip through stored text, as an action in another process would see it."""
    text = engine.dump(instance)
    engine.clear_cache()
    return engine.load(instance.route, text)


def only_step(instance):
    steps = engine.ready_steps(instance)
    assert len(steps) == 1, steps
    return steps[0]


def walk(instance, choices):
    """Act with each choice in turn, saving and restoring between steps; return roles seen."""
    roles = []
    for choice in choices:
        instance = save_restore(instance)
        step = only_step(instance)
        roles.append(step.role)
        engine.complete(instance, step.task_id, choice)
    return save_restore(instance), roles


def test_general_noting_round_trips_mid_route_and_ends_where_the_choices_lead():
    noting = route("general_noting.bpmn", SHIPPED)
    instance = engine.start(noting, {"priority": "Normal"})
    instance, roles = walk(instance, ["Submit", "Return", "Submit", "Forward", "Return",
                                      "Forward", "Approve", "Close"])
    assert roles == ["Dealing Assistant", "Section Officer", "Dealing Assistant",
                     "Section Officer", "Head of Office", "Section Officer", "Head of Office",
                     "Dealing Assistant"]
    assert instance.finished and instance.end_name == "Closed"
    assert engine.ready_steps(instance) == []


@pytest.mark.parametrize("name, choices, end", [
    ("relief_grant.bpmn", ["Send for verification", "Verified", "Sanction", "Order issued"],
     "Grant sanctioned"),
    ("relief_grant.bpmn", ["Send for verification", "Verified", "Return", "Not eligible",
                           "Applicant informed"], "Closed not eligible"),
    ("land_mutation.bpmn", ["Submit report", "Return", "Submit report", "Forward",
                            "Allow mutation", "Register corrected"], "Mutation allowed"),
    ("land_mutation.bpmn", ["Submit report", "Forward", "Return", "Forward", "Reject"],
     "Mutation rejected"),
])
def test_shipped_routes_reach_the_end_their_choices_name(name, choices, end):
    instance, _roles = walk(engine.start(route(name, SHIPPED), {"priority": "Immediate"}), choices)
    assert instance.finished and instance.end_name == end


def test_a_choice_the_route_does_not_offer_is_refused_and_changes_nothing():
    instance = engine.start(route("two_step.bpmn"))
    step = only_step(instance)
    before = engine.dump(instance)
    with pytest.raises(engine.RouteError, match="'Approve' is not a choice at 'Put up note'"):
        engine.complete(instance, step.task_id, "Approve")
    assert engine.dump(instance) == before


def test_a_step_no_longer_waiting_is_refused():
    instance = engine.start(route("two_step.bpmn"))
    step = only_step(instance)
    engine.complete(instance, step.task_id, "Submit")
    with pytest.raises(engine.RouteError, match="no longer waiting"):
        engine.complete(instance, step.task_id, "Submit")
    for not_an_id in ("not-a-task", "", None, 42):  # a stale or forged form gets the same
        with pytest.raises(engine.RouteError, match="no longer waiting"):
            engine.complete(instance, not_an_id, "Submit")


def test_a_thousand_bounces_keep_state_and_tree_flat():
    two_step = route("two_step.bpmn")
    instance = engine.start(two_step, {"priority": "Normal"})
    sizes, tasks = {}, {}
    for movement in range(1, 1001):
        step = only_step(instance)
        engine.complete(instance, step.task_id, "Submit" if step.step_id == "Task_Note" else "Return")
        instance = save_restore(instance)
        if movement in (2, 1000):
            sizes[movement] = len(engine.dump(instance))
            tasks[movement] = instance.task_count()
    assert tasks[1000] == tasks[2]
    assert sizes[1000] <= sizes[2] * 1.05
    # and the file still moves correctly after all that
    step = only_step(instance)
    assert step.step_id == "Task_Note"
    engine.complete(instance, step.task_id, "Submit")
    step = only_step(instance)
    engine.complete(instance, step.task_id, "Approve")
    assert instance.finished and instance.end_name == "Approved"


def test_state_does_not_carry_the_route_spec():
    instance = engine.start(route("general_noting.bpmn", SHIPPED))
    text = engine.dump(instance)
    assert "Examine and comment" not in text  # step names live in the route, not in each file
    assert len(text) < 8000


def test_priority_is_a_routing_variable_the_conditions_can_read():
    instance = engine.start(route("two_step.bpmn"), {"priority": "Immediate"})
    assert instance.variables["priority"] == "Immediate"


def test_non_interrupting_timer_fires_only_when_told_and_the_step_stays():
    instance = engine.start(route("two_step.bpmn"))
    engine.complete(instance, only_step(instance).task_id, "Submit")
    instance = save_restore(instance)
    timers = engine.waiting_timers(instance)
    assert [(t.timer_id, t.expression, t.interrupting) for t in timers] == [
        ("Timer_SO", "P3D", False)]
    engine.fire_timer(instance, timers[0].task_id, NOW)
    assert only_step(instance).step_id == "Task_Decide"
    assert engine.waiting_timers(instance) == []
    with pytest.raises(engine.RouteError):
        engine.fire_timer(instance, timers[0].task_id, NOW)


def test_interrupting_timer_moves_the_file_on():
    instance = engine.start(route("camunda_style.bpmn"))
    timers = engine.waiting_timers(instance)
    assert [t.interrupting for t in timers] == [True]
    instance = save_restore(instance)
    engine.fire_timer(instance, engine.waiting_timers(instance)[0].task_id, NOW)
    step = only_step(instance)
    assert step.step_id == "Activity_Approve" and step.role == "Head of Office"


def test_state_from_another_format_is_refused_clearly():
    instance = engine.start(route("two_step.bpmn"))
    text = engine.dump(instance).replace('"format":2', '"format":99')
    with pytest.raises(engine.RouteError, match="format 99"):
        engine.load(instance.route, text)


def test_state_stored_in_format_1_is_read_and_moves_on_in_format_2():
    # Written by the engine before format 2 (SpiffWorkflow's own serializer): a file of the
    # general noting route, Immediate, returned once and now with its section officer.
    general = route("general_noting.bpmn", SHIPPED)
    stored = (Path(__file__).parent / "data" / "general_noting_format1.json").read_text()
    engine.clear_cache()
    instance = engine.load(general, stored)
    step = only_step(instance)
    assert (step.name, step.role) == ("Examine and comment", "Section Officer")
    assert str(step.task_id) in stored  # the task id the tasks table holds is kept
    assert instance.variables["priority"] == "Immediate"
    engine.complete(instance, step.task_id, "Return")
    text = engine.dump(instance)
    assert text.startswith('{"format":2,') and len(text) < len(stored) / 2
    variables = instance.variables
    instance = save_restore(instance)
    assert only_step(instance).name == "Put up note"
    assert instance.variables == variables and variables["priority"] == "Immediate"


def test_state_round_trips_exactly_with_timers_armed():
    instance = engine.start(route("two_step.bpmn"), {"priority": "Top Priority"})
    engine.complete(instance, only_step(instance).task_id, "Submit")
    text = engine.dump(instance)
    restored = save_restore(instance)
    assert engine.dump(restored) == text
    assert engine.waiting_timers(restored) == engine.waiting_timers(instance)
    assert engine.ready_steps(restored) == engine.ready_steps(instance)


def test_values_json_cannot_hold_round_trip_through_the_converters():
    received = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
    instance = engine.start(route("two_step.bpmn"), {"priority": "Normal", "received": received,
                                                     "copies": [1, 2]})
    engine.complete(instance, only_step(instance).task_id, "Submit")
    restored = save_restore(instance)
    assert restored.variables["received"] == received
    assert restored.variables["copies"] == [1, 2] and restored.variables["choice"] == "Submit"


@pytest.mark.parametrize("damage, why", [
    (lambda doc: doc["tasks"][2].__setitem__(1, "Task_NotInTheRoute"),
     "the route has no task 'Task_NotInTheRoute'"),
    (lambda doc: doc["tasks"].pop(), "damaged"),
    (lambda doc: doc["tasks"][1].__setitem__(0, "not-an-id"), "damaged"),
    (lambda doc: doc["tasks"][2][4].append(0), "damaged"),
    (lambda doc: doc.pop("workflow"), "damaged"),
])
def test_damaged_state_is_refused_with_what_is_wrong(damage, why):
    instance = engine.start(route("two_step.bpmn"))
    doc = json.loads(engine.dump(instance))
    damage(doc)
    engine.clear_cache()
    with pytest.raises(engine.RouteError, match="cannot be read") as refused:
        engine.load(instance.route, json.dumps(doc))
    assert why in str(refused.value)


def test_the_script_engine_never_runs_python():
    # A route that slipped past the checks (built in code) still cannot run Python.
    from engine.scripting import RestrictedEnvironment as _Environment
    with pytest.raises(engine.UnsafeExpression):
        _Environment().evaluate("__import__('os').getcwd()", {})
    with pytest.raises(engine.UnsafeExpression):
        _Environment().execute("x = 1", {})


def test_spiffworkflows_task_log_tells_state_changes_when_it_is_on(caplog):
    """A route's tasks change state (and note when) without formatting log records while
    SpiffWorkflow's task log is off; turned on, it tells every change as the library does."""
    noting = route("general_noting.bpmn", SHIPPED)
    instance = engine.start(noting)
    step = only_step(instance)
    before = time.time()  # SpiffWorkflow stamps a change with time.time()
    engine.complete(instance, step.task_id, "Submit")
    done = instance._wf.get_task_from_id(UUID(step.task_id))
    assert done.state == TaskState.COMPLETED and done.last_state_change >= before
    step = only_step(instance)
    assert step.name == "Examine and comment"
    with caplog.at_level(logging.INFO, logger="spiff.task"):
        engine.complete(instance, step.task_id, "Return")
    changes = [r for r in caplog.records if r.name == "spiff.task"]
    assert any(r.getMessage() == "State changed to COMPLETED" and r.task_spec == step.step_id
               for r in changes)
    assert only_step(instance).name == "Put up note"


def test_an_instance_kept_in_memory_is_never_handed_out_stale():
    two_step = route("two_step.bpmn")
    instance = engine.start(two_step)
    first = engine.dump(instance)
    assert engine.load(two_step, first) is instance  # the next action skips deserializing
    engine.complete(instance, only_step(instance).task_id, "Submit")
    # the old text now means the old state again, not the changed object
    old = engine.load(two_step, first)
    assert old is not instance and only_step(old).step_id == "Task_Note"
    second = engine.dump(instance)
    taken = engine.load(two_step, second)
    assert taken is instance and engine.load(two_step, second) is not instance  # taken, not shared


def _trial(instance, move):
    """What ``move`` would do to a copy of ``instance``: whether the copy finishes."""
    text = engine.dump(instance)
    engine.clear_cache()  # else load hands back the instance itself
    copy = engine.load(instance.route, text, instance.called)
    _apply(copy, move)
    return copy.finished


def _apply(instance, move):
    kind, task_id, choice = move
    if kind == "timer":
        engine.fire_timer(instance, task_id, NOW)
    else:  # a circulation goes to three posts
        engine.complete(instance, task_id, choice, {
            c.collection: [11, 12, 13] for c in instance.route.circulations.values()})


def _seen(instance, ids=True):
    """What an official or the scheduler could see of ``instance``; without the task ids
    (which new tasks draw at random) when ``ids`` is false."""
    steps = [(s.task_id if ids else None, s.step_id, s.name, s.role, s.choices, s.post_id)
             for s in engine.ready_steps(instance)]
    timers = [(t.task_id if ids else None, t.timer_id, t.step_id, t.expression, t.interrupting)
              for t in engine.waiting_timers(instance)]
    return (steps, timers, instance.finished, instance.end_name, instance.task_count(),
            instance.variables)


class Shipped:
    """The shipped routes, for a route that calls one (``engine.Called``)."""

    def current(self, key):
        return engine.parse_route((SHIPPED / f"{key}.bpmn").read_bytes())

    def stored(self, key, sha256):
        return self.current(key)


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.bpmn")) + sorted(ROUTES.glob("*.bpmn")),
                         ids=lambda path: path.stem)
def test_random_walks_read_back_exactly_and_stay_flat(path):
    # Random choices and timer firings, mostly away from the end so that steps are returned
    # to again and again.  At every move the instance is stored and read back: the copy must
    # give the same text and show the same, and the same move on both must lead to the same
    # place; the walk goes on with either.  The route's history must not grow.
    rnd = random.Random(path.stem)
    route_ = engine.parse_route(path.read_bytes())
    priorities = ["Normal", "Priority", "Top Priority", "Immediate"]
    counts = []
    shipped = Shipped()
    live = engine.start(route_, {"priority": rnd.choice(priorities)}, shipped)
    for _move in range(240):
        text = engine.dump(live)
        engine.clear_cache()
        copy = engine.load(route_, text, shipped)
        assert engine.dump(copy) == text
        engine.clear_cache()
        assert _seen(copy) == _seen(live)
        moves = [("step", s.task_id, c) for s in engine.ready_steps(live) for c in s.choices]
        moves += [("timer", t.task_id, None) for t in engine.waiting_timers(live)
                  if rnd.random() < 0.3]
        rnd.shuffle(moves)
        staying = [m for m in moves if not _trial(live, m)]
        move = staying[0] if staying and rnd.random() < 0.9 else moves[0]
        _apply(live, move)
        _apply(copy, move)
        assert _seen(copy, ids=False) == _seen(live, ids=False), f"they differ after {move}"
        live = rnd.choice([live, copy])
        counts.append(live.task_count())
        if live.finished:
            live = engine.start(route_, {"priority": rnd.choice(priorities)}, shipped)
    assert max(counts[120:]) <= max(counts[:120])


# --- routes that would never stop: every action is bounded ----------------------------------

#: A route that never stops fails its test instead of hanging the run.
GUARD = pytest.mark.timeout(30)
RUNS_ON = "without stopping at a step for an official"


@pytest.fixture
def unchecked(monkeypatch):
    """Routes as if the check for loops had let them through: the route's text, made unique,
    to parse or publish while the test runs."""
    monkeypatch.setattr(engine.checks, "cycle_problems", lambda *args: [], raising=False)
    # each text its own, so the parsed-route cache never hands an unchecked route to a test
    return lambda text: f"{text}<!-- {uuid4()} -->".encode()


@GUARD
def test_an_act_that_would_go_round_for_ever_is_refused_and_the_file_moves_on(unchecked):
    loop = engine.parse_route(unchecked((ROUTES / "refused" / "gateway_loop.bpmn").read_text()))
    instance = engine.start(loop)
    text, step = engine.dump(instance), only_step(instance)
    with pytest.raises(engine.RouteError, match=RUNS_ON) as refused:
        engine.complete(instance, step.task_id, "Check again")
    assert refused.value.params["steps"] <= engine.MAX_ENGINE_STEPS
    again = engine.load(loop, text)  # the stored state is as it was, and moves on
    assert only_step(again) == step
    engine.complete(again, step.task_id, "Done")
    assert again.finished and again.end_name == "Done"


@GUARD
def test_a_start_that_would_go_round_for_ever_is_refused(unchecked):
    with pytest.raises(engine.RouteError, match=RUNS_ON):
        engine.start(engine.parse_route(unchecked(START_LOOP)), {"priority": "Normal"})


@GUARD
def test_a_timer_fired_into_a_loop_is_refused_and_stays_armed(unchecked):
    instance = engine.start(engine.parse_route(unchecked(TIMER_LOOP)), {"priority": "Normal"})
    engine.complete(instance, only_step(instance).task_id, "Submit")
    text = engine.dump(instance)
    [timer] = engine.waiting_timers(instance)
    with pytest.raises(engine.RouteError, match=RUNS_ON):
        engine.fire_timer(instance, timer.task_id, NOW)
    assert engine.waiting_timers(engine.load(instance.route, text)) == [timer]


@GUARD
@pytest.mark.parametrize("case", sorted(c for c in LOOPS if "timer" in c and "back" in c))
def test_a_timer_that_fires_at_once_round_its_step_is_refused_not_a_crash(unchecked, case):
    # the engine's task tree grows several tasks a step and deeper each time round: the bound
    # on its growth refuses the act before the steps bound, a RecursionError or a long wait
    instance = engine.start(engine.parse_route(unchecked(LOOPS[case][0])))
    with pytest.raises(engine.RouteError, match=RUNS_ON):
        engine.complete(instance, only_step(instance).task_id, "Submit")


@GUARD
@pytest.mark.parametrize("steps, tasks", [(100, 10**9), (10**9, 100)])
def test_each_bound_refuses_on_its_own(unchecked, monkeypatch, steps, tasks):
    monkeypatch.setattr(engine.runtime, "MAX_ENGINE_STEPS", steps)
    monkeypatch.setattr(engine.runtime, "MAX_NEW_TASKS", tasks)
    loop = engine.parse_route(unchecked((ROUTES / "refused" / "gateway_loop.bpmn").read_text()))
    instance = engine.start(loop)
    with pytest.raises(engine.RouteError, match=RUNS_ON) as refused:
        engine.complete(instance, only_step(instance).task_id, "Check again")
    assert refused.value.params["steps"] < 200  # refused by the bound set low, not the other

