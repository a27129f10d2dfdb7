"""What engine/spiff_internals.py relies on in SpiffWorkflow, one test per reliance.

The engine touches SpiffWorkflow's private parts in that one module only.  Each test here
fails, after an upgrade of the library, with a message naming what changed and which piece of
engine/spiff_internals.py must be redone; the engine's own tests (test_engine.py) then say
whether files still move.
"""

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

import engine
from engine import spiff_internals
from engine.scripting import SCRIPT_ENGINE
from engine.spiff_internals import RouteTask, RouteWorkflow

ROUTES = Path(__file__).parent / "routes"
SHIPPED = Path(__file__).parent.parent / "bpmn"
REDO = "; {what} in engine/spiff_internals.py must be redone"


def two_step(text_change=None):
    xml = (ROUTES / "two_step.bpmn").read_text()
    return engine.parse_route(text_change(xml) if text_change else xml)


def bounce(instance, times):
    """Submit and return the file ``times`` times; it ends waiting at its first step."""
    for _ in range(times):
        for choice in ("Submit", "Return"):
            [step] = engine.ready_steps(instance)
            engine.complete(instance, step.task_id, choice)
    return instance


def fresh(instance):
    """The instance as another process would load it."""
    text = engine.dump(instance)
    engine.clear_cache()
    return engine.load(instance.route, text)


@pytest.fixture
def log_off():
    log = logging.getLogger("spiff.task")
    level = log.level
    log.setLevel(logging.WARNING)
    yield
    log.setLevel(level)


# --- the fast state change: RouteTask._set_state -------------------------------------------

def test_task_state_changes_go_through_set_state(monkeypatch, log_off):
    assert callable(getattr(Task, "_set_state", None)), (
        "SpiffWorkflow's Task no longer has _set_state" + REDO.format(what="RouteTask._set_state"))
    calls = []
    fast = RouteTask._set_state
    monkeypatch.setattr(RouteTask, "_set_state",
                        lambda task, value: (calls.append(value), fast(task, value))[1])
    bounce(engine.start(two_step()), 1)
    assert TaskState.COMPLETED in calls and TaskState.READY in calls, (
        "SpiffWorkflow no longer changes a task's state through Task._set_state (the fast "
        "state change is never used)" + REDO.format(what="RouteTask._set_state"))


def test_the_state_a_task_reports_is_the_one_the_fast_change_sets(log_off):
    wf = engine.start(two_step())._wf
    task = next(t for t in wf.tasks.values() if t.state == TaskState.FUTURE)
    before = task.last_state_change
    task._set_state(TaskState.LIKELY)
    assert task.state == TaskState.LIKELY and task.has_state(TaskState.LIKELY), (
        "SpiffWorkflow's Task no longer keeps its state in _state (Task.state and has_state "
        "read something else)" + REDO.format(what="RouteTask._set_state"))
    assert task.last_state_change >= before


def test_route_tasks_skip_the_log_details_that_plain_tasks_compute(monkeypatch, log_off):
    # With the log off, the library still builds each change's log details; a route's task
    # does not.  This is what the fast state change is for.
    details = []
    library = Task.collect_log_extras
    monkeypatch.setattr(Task, "collect_log_extras",
                        lambda task, dct=None: (details.append(type(task)), library(task, dct))[1])
    bounce(engine.start(two_step()), 2)
    assert RouteTask not in details
    route = two_step()
    plain = BpmnWorkflow(route.spec)
    plain.do_engine_steps()
    assert Task in details, "a plain workflow's tasks log through Task.collect_log_extras"


def test_every_task_of_a_route_is_a_route_task():
    instance = bounce(engine.start(two_step(), {"priority": "Normal"}), 3)
    wf = instance._wf
    kinds = {type(task) for task in wf.tasks.values()}
    assert kinds == {RouteTask}, (
        f"tasks of a route's workflow are {kinds}: SpiffWorkflow no longer makes a task's "
        "children through Task._add_child, or its constructor makes more than the first "
        "tasks" + REDO.format(what="RouteTask._add_child and RouteWorkflow.__init__"))
    restored = fresh(instance)._wf
    assert {type(task) for task in restored.tasks.values()} == {RouteTask}
    bounce(fresh(instance), 1)


def _tree(wf):
    return [(t.task_spec.name, TaskState.get_name(t.state), t.depth, t.thread_id, t.triggered,
             t.data) for t in wf.get_tasks()]


def _act(wf, choice):
    [ready] = wf.get_tasks(state=TaskState.READY, manual=True)
    ready.data["choice"] = choice
    ready.run()
    wf.do_engine_steps()


@pytest.mark.parametrize("path, choices", [
    (ROUTES / "two_step.bpmn", ["Submit", "Return", "Submit", "Approve"]),
    (ROUTES / "camunda_style.bpmn", []),
    (SHIPPED / "general_noting.bpmn", ["Submit", "Return", "Submit", "Forward", "Return"]),
])
def test_a_route_workflow_grows_the_tree_a_plain_one_does(path, choices):
    spec = engine.parse_route(path.read_bytes()).spec
    ours = RouteWorkflow(spec, script_engine=SCRIPT_ENGINE)
    theirs = BpmnWorkflow(spec, script_engine=SCRIPT_ENGINE)
    redo = REDO.format(what="RouteWorkflow.__init__ and RouteTask._add_child")
    assert _tree(ours) == _tree(theirs), (
        "a new RouteWorkflow's first tasks differ from a BpmnWorkflow's: SpiffWorkflow's "
        "Workflow constructor changed" + redo)
    ours.do_engine_steps()
    theirs.do_engine_steps()
    assert _tree(ours) == _tree(theirs), "Task._add_child changed" + redo
    for choice in choices:
        _act(ours, choice)
        _act(theirs, choice)
        assert _tree(ours) == _tree(theirs), "Task._add_child changed" + redo
    assert {type(t) for t in ours.tasks.values()} == {RouteTask}
    assert ours.completed == theirs.completed


def test_a_child_is_made_by_the_librarys_rules():
    spec = two_step().spec
    for wf in (RouteWorkflow(spec), BpmnWorkflow(spec)):
        predicted = next(t for t in wf.tasks.values() if t.has_state(TaskState.PREDICTED_MASK))
        with pytest.raises(WorkflowException, match="non-predicted child"):
            predicted._add_child(spec.task_specs["Task_Note"], TaskState.FUTURE)
        predicted.thread_id = 7
        child = predicted._add_child(spec.task_specs["Task_Note"], TaskState.LIKELY)
        assert (child.parent, child.thread_id, child.state) == (predicted, 7, TaskState.LIKELY)
        assert child.id in wf.tasks and child in predicted.children


def test_a_plain_bpmn_workflow_made_outside_sanchika_is_untouched():
    assert Task._set_state.__module__ == "SpiffWorkflow.task"
    assert Task._set_state.__qualname__ == "Task._set_state", "the library's Task is patched"
    assert Task._add_child.__qualname__ == "Task._add_child", "the library's Task is patched"
    assert BpmnWorkflow._do_engine_steps.__qualname__ == "BpmnWorkflow._do_engine_steps"
    assert BpmnWorkflow.refresh_timers.__qualname__ == "BpmnWorkflow.refresh_timers"
    engine.start(two_step())  # a route running in the same process changes nothing
    plain = BpmnWorkflow(two_step().spec)
    plain.do_engine_steps()
    [ready] = plain.get_tasks(state=TaskState.READY, manual=True)
    ready.data["choice"] = "Submit"
    ready.run()
    plain.do_engine_steps()
    assert {type(task) for task in plain.tasks.values()} == {Task}
    assert [t.task_spec.bpmn_id for t in plain.get_tasks(state=TaskState.READY,
                                                          manual=True)] == ["Task_Decide"]


def test_the_library_tells_state_changes_for_a_plain_workflow(caplog):
    plain = BpmnWorkflow(two_step().spec)
    with caplog.at_level(logging.INFO, logger="spiff.task"):
        plain.do_engine_steps()
    assert any(r.getMessage() == "State changed to READY" for r in caplog.records)


# --- the walk-free engine step: RouteWorkflow ----------------------------------------------

def test_engine_steps_and_waiting_tasks_go_through_the_methods_route_workflows_replace(
        monkeypatch):
    assert callable(getattr(BpmnWorkflow, "_do_engine_steps", None)), (
        "SpiffWorkflow's BpmnWorkflow no longer has _do_engine_steps"
        + REDO.format(what="RouteWorkflow._do_engine_steps"))
    steps, waits = [], []
    own_steps, own_waits = RouteWorkflow._do_engine_steps, RouteWorkflow.update_waiting_tasks
    monkeypatch.setattr(RouteWorkflow, "_do_engine_steps",
                        lambda wf, *a: (steps.append(1), own_steps(wf, *a))[1])
    monkeypatch.setattr(RouteWorkflow, "update_waiting_tasks",
                        lambda wf: (waits.append(1), own_waits(wf))[1])
    bounce(engine.start(two_step()), 1)
    assert steps, ("BpmnWorkflow.do_engine_steps no longer runs through _do_engine_steps"
                   + REDO.format(what="RouteWorkflow._do_engine_steps"))
    assert waits, ("a completed task no longer updates the waiting tasks through "
                   "update_waiting_tasks" + REDO.format(what="RouteWorkflow.update_waiting_tasks"))


def test_the_engines_own_steps_each_pass_the_hook_that_bounds_them():
    # engine.runtime bounds an action by counting, in do_engine_steps' will_complete_task, the
    # tasks the engine runs: RouteWorkflow's engine step must call it for each, as the
    # library's does, or the bound would count nothing
    def walk(wf):
        seen = []
        wf.do_engine_steps(will_complete_task=lambda task: seen.append(task.task_spec.name))
        for choice in ("Submit", "Return", "Submit", "Approve"):
            [ready] = wf.get_tasks(state=TaskState.READY, manual=True)
            ready.data["choice"] = choice
            ready.run()
            wf.do_engine_steps(will_complete_task=lambda task: seen.append(task.task_spec.name))
        assert wf.completed
        return seen

    spec = two_step().spec
    plain = walk(BpmnWorkflow(spec, script_engine=SCRIPT_ENGINE))
    assert plain and walk(RouteWorkflow(spec, {}, script_engine=SCRIPT_ENGINE)) == plain, (
        "a route's engine step no longer passes every task it runs to will_complete_task"
        + REDO.format(what="RouteWorkflow._do_engine_steps"))


def test_a_waiting_task_is_updated_through_its_specs_update():
    spec = two_step().spec.task_specs["Timer_SO"]
    assert callable(getattr(spec, "_update", None)), (
        "SpiffWorkflow's TaskSpec no longer has _update"
        + REDO.format(what="RouteWorkflow.update_waiting_tasks and update()"))


def test_a_due_timer_fires_only_when_the_application_says_so():
    soon = two_step(lambda xml: xml.replace('"P3D"', '"PT1S"'))
    plain = BpmnWorkflow(soon.spec)
    instance = engine.start(soon)
    plain.do_engine_steps()
    [ready] = plain.get_tasks(state=TaskState.READY, manual=True)
    ready.data["choice"] = "Submit"
    ready.run()
    plain.do_engine_steps()
    [step] = engine.ready_steps(instance)
    engine.complete(instance, step.task_id, "Submit")
    time.sleep(1.2)
    plain.do_engine_steps()
    assert not plain.get_tasks(state=TaskState.WAITING)  # the library fires it by the clock
    instance._wf.do_engine_steps()
    assert len(engine.waiting_timers(instance)) == 1, (
        "a route's timer fired by the wall clock: BpmnWorkflow no longer checks timers "
        "through refresh_timers" + REDO.format(what="RouteWorkflow.refresh_timers"))
    engine.fire_timer(instance, engine.waiting_timers(instance)[0].task_id,
                      datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc))
    assert engine.waiting_timers(instance) == []
    assert [s.step_id for s in engine.ready_steps(instance)] == ["Task_Decide"]


# --- the stored format's links and events ---------------------------------------------------

def test_a_tasks_links_and_state_are_where_the_stored_format_reads_them():
    wf = bounce(engine.start(two_step()), 2)._wf
    links = spiff_internals.tree_links(wf)
    assert [task for task, *_ in links] == list(wf.tasks.values())
    for task, state, children, parent_id in links:
        assert state == task.state, (
            "SpiffWorkflow's Task no longer keeps its state in _state"
            + REDO.format(what="tree_links"))
        assert children == [c.id for c in task.children], (
            "SpiffWorkflow's Task no longer keeps its children's ids in _children"
            + REDO.format(what="tree_links, link and subtree_ids"))
        parent = task.parent
        assert parent_id == (parent.id if parent else None), (
            "SpiffWorkflow's Task no longer keeps its parent's id in _parent"
            + REDO.format(what="tree_links and link"))


def test_linking_tasks_builds_the_tree_the_library_walks():
    wf = RouteWorkflow(two_step().spec, {}, deserializing=True)
    specs = wf.spec.task_specs
    made = [RouteTask(wf, specs["Start"], state=TaskState.COMPLETED),
            RouteTask(wf, specs["StartEvent_1"], state=TaskState.COMPLETED),
            RouteTask(wf, specs["Task_Note"], state=TaskState.READY)]
    spiff_internals.link(made, [[1], [2], []])
    wf.task_tree = made[0]
    assert made[0].children == [made[1]] and made[2].parent is made[1], (
        "a task's children and parent are no longer read from _children and _parent"
        + REDO.format(what="link"))
    assert list(wf.get_tasks()) == made
    assert [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.READY,
                                                      manual=True)] == ["Task_Note"]


def test_a_restored_waiting_event_is_delivered_through_the_event_manager():
    instance = engine.start(two_step())
    [step] = engine.ready_steps(instance)
    engine.complete(instance, step.task_id, "Submit")
    wf = fresh(instance)._wf
    waiting = [t for t in wf.tasks.values()
               if isinstance(t.task_spec, CatchingEvent) and t.state == TaskState.WAITING]
    assert waiting and hasattr(wf, "event_manager"), (
        "SpiffWorkflow's BpmnWorkflow no longer has an event_manager" + REDO.format(what="watch"))
    assert {t.id for t in waiting} <= set(wf.event_manager.tasks), (
        "the event manager no longer keeps its tasks in .tasks by id (add_task)"
        + REDO.format(what="watch and graft"))
    assert len(wf.waiting_events()) == len(waiting)


# --- compacting history: graft ---------------------------------------------------------------

def test_compacting_drops_tasks_through_the_workflows_removal_notice():
    assert callable(getattr(BpmnWorkflow, "_task_removed_notify", None)), (
        "SpiffWorkflow's Workflow no longer has _task_removed_notify" + REDO.format(what="graft"))
    instance = bounce(engine.start(two_step()), 1)
    removed = []
    instance._wf.task_removed_event.connect(lambda wf, task: removed.append(task.id))
    size = instance.task_count()
    bounce(instance, 1)
    assert instance.task_count() == size
    assert removed and not set(removed) & set(instance._wf.tasks), (
        "Workflow._task_removed_notify no longer tells task_removed_event"
        + REDO.format(what="graft"))


def test_compacting_leaves_no_dropped_task_in_the_event_manager():
    instance = engine.start(two_step())
    [note] = engine.ready_steps(instance)
    engine.complete(instance, note.task_id, "Submit")
    wf = instance._wf
    dropped = wf.get_task_from_id(UUID(note.task_id))  # the step's first occurrence
    spiff_internals.watch(wf, dropped)  # as if it still waited for an event
    [decide] = engine.ready_steps(instance)
    engine.complete(instance, decide.task_id, "Return")
    assert dropped.id not in wf.tasks
    assert set(wf.event_manager.tasks) <= set(wf.tasks), (
        "a task dropped from the tree is left in the event manager: it no longer keeps its "
        "tasks in .tasks by id, or remove_task changed" + REDO.format(what="graft"))
    [note] = engine.ready_steps(instance)
    engine.complete(instance, note.task_id, "Submit")
    assert len(engine.waiting_timers(instance)) == 1


# --- format 1 and the schema -----------------------------------------------------------------

def test_format_1_is_read_into_a_route_workflow_with_route_tasks():
    stored = (Path(__file__).parent / "data" / "general_noting_format1.json").read_text()
    noting = engine.parse_route((SHIPPED / "general_noting.bpmn").read_bytes())
    engine.clear_cache()
    wf = engine.load(noting, stored)._wf
    assert type(wf) is RouteWorkflow
    assert {type(task) for task in wf.tasks.values()} == {RouteTask}, (
        "SpiffWorkflow's serializer no longer makes tasks with its converter's target_class, "
        "or no longer names them 'Task'; the format 1 converters in engine/storing.py must be "
        "redone")


def test_every_schema_error_of_a_route_is_told_with_its_line():
    xml = (ROUTES / "two_step.bpmn").read_text()
    broken = xml.replace('<bpmn:userTask id="Task_Decide" name="Decide">',
                         '<bpmn:userTask id="Task_Decide" name="Decide" colour="red">'
                         ).replace('isExecutable="true"', 'isExecutable="perhaps"')
    problems = engine.check_route(broken)
    assert len(problems) >= 2 and all(p.line for p in problems), (
        "SpiffWorkflow's VALIDATOR no longer offers preprocess and its schema as .validator "
        f"(with error_log); got {problems}" + REDO.format(what="schema_errors"))
    assert all(p.template.startswith("not valid BPMN 2.0: ") for p in problems)


def test_a_multi_instance_step_is_told_of_its_instances_only_once_it_makes_one():
    # engine.spiff_internals.answers_merge connects each parsed circulation to its instances'
    # completion, as the library's own spec serializer does: a file loaded in a process that
    # has not yet made an instance of the step would otherwise never see it end.
    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from test_circulation import route as circulation_route

    parser = SpiffBpmnParser()
    parser.add_bpmn_str(circulation_route().encode())
    spec = parser.get_spec("circulate")
    step = spec.task_specs["report"]
    assert isinstance(step, MultiInstanceTask), REDO.format(what="answers_merge (no class)")
    child = spec.task_specs[step.task_spec]
    assert not child.completed_event.is_connected(step.merge_child), REDO.format(
        what="answers_merge (the library now connects on parsing; it may be dropped)")
    spiff_internals.answers_merge(spec)
    assert child.completed_event.is_connected(step.merge_child), REDO.format(
        what="answers_merge")
    parsed = engine.parse_route(circulation_route()).spec
    mi = parsed.task_specs["report"]
    assert parsed.task_specs[mi.task_spec].completed_event.is_connected(mi.merge_child)


# --- sub-processes: an embedded one, a route called -------------------------------------------

LEGAL = engine.parse_route((SHIPPED / "legal_vetting.bpmn").read_bytes())
CONTRACT = engine.parse_route((SHIPPED / "supply_contract.bpmn").read_bytes())


class _Legal:
    def current(self, key):
        return LEGAL

    def stored(self, key, sha256):
        return LEGAL


def _to_vetting():
    instance = engine.start(CONTRACT, {"priority": "Normal"}, _Legal())
    for choice in ("Submit", "Forward", "Forward"):
        [ready] = engine.ready_steps(instance)
        engine.complete(instance, ready.task_id, choice)
    return instance


def test_a_sub_process_is_created_through_the_workflows_create_subprocess(monkeypatch):
    asked = []
    real = RouteWorkflow.create_subprocess
    monkeypatch.setattr(RouteWorkflow, "create_subprocess",
                        lambda wf, task, name: asked.append(name) or real(wf, task, name))
    instance = _to_vetting()
    assert asked == ["Sub_Scrutiny", "legal_vetting"], (
        "SpiffWorkflow no longer starts a sub-process through the top workflow's "
        "create_subprocess, or no longer asks subprocess_specs first"
        + REDO.format(what="RouteWorkflow.create_subprocess and _EveryName"))
    kinds = {type(task) for sub in instance._wf.subprocesses.values()
             for task in sub.tasks.values()}
    assert kinds == {RouteTask}, (
        f"tasks of a sub-process are {kinds}: BpmnSubWorkflow's constructor changed"
        + REDO.format(what="RouteSubWorkflow.__init__"))


def test_a_restored_sub_process_hands_its_data_back_when_it_completes():
    text = engine.dump(_to_vetting())
    engine.clear_cache()
    instance = engine.load(CONTRACT, text, _Legal())
    [vet] = engine.ready_steps(instance)
    engine.complete(instance, vet.task_id, "Object")
    [again] = engine.ready_steps(instance)
    assert again.name == "Put up draft agreement", (
        "a restored sub-process no longer tells its task when it completes through "
        "completed_event and _on_subworkflow_completed" + REDO.format(what="resume_subprocess"))


def test_compacting_a_loop_round_a_call_drops_the_sub_processes_of_passes_before():
    instance = _to_vetting()
    for _ in range(5):
        for choice in ("Object", "Submit", "Forward", "Forward"):
            [ready] = engine.ready_steps(instance)
            engine.complete(instance, ready.task_id, choice)
    wf = instance._wf
    assert len(wf.subprocesses) <= 3, (
        "sub-processes of dropped tasks are left in BpmnWorkflow.subprocesses, keyed by the "
        "task that ran them" + REDO.format(what="graft and _drop_subprocess"))
    assert all(wf.get_task_from_id(task_id) is not None for task_id in wf.subprocesses)
