"""Run a file's route: start it, list the steps ready, complete one with a choice, fire timers,
and keep the engine's memory small.

The state stored per file holds only where the file is in its route and its routing variables;
the route itself is stored once per route version and handed back in on load.  After every
movement the engine's task tree is compacted (see ``_compact``), so a file returned back and
forth a thousand times costs the same to load, move and store as a fresh one.
"""

import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow, BpmnEvent
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import conditions, state
from .refusals import Refusal
from .routes import is_iso_timer

SPIFF_VERSION = version("SpiffWorkflow")


class RouteError(Refusal):
    """An action the route does not allow (an unknown choice, a step not ready, ...)."""


@dataclass(frozen=True)
class ReadyStep:
    task_id: str
    step_id: str
    name: str
    role: str
    choices: tuple


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    timer_id: str
    step_id: str
    expression: str
    interrupting: bool


class _Environment(BasePythonScriptEngineEnvironment):
    """Expressions go to the restricted evaluator; scripts are never run."""

    def evaluate(self, expression, context, external_context=None):
        text = (expression or "").strip()
        if is_iso_timer(text):  # a bare ISO 8601 timer value, e.g. P3D
            return text
        value = conditions.evaluate(text, {**(external_context or {}), **context})
        return value.strip() if isinstance(value, str) and is_iso_timer(value) else value

    def execute(self, script, context, external_context=None):
        raise conditions.UnsafeExpression("routes may not run scripts")

    def call_service(self, context, **kwargs):
        raise conditions.UnsafeExpression("routes may not call services")


class _Workflow(BpmnWorkflow):
    """A workflow whose timers fire only when the application says so.

    The application computes due times in working days and fires a timer when its own clock
    passes them; the engine's wall-clock check must not second-guess that.
    """

    def refresh_timers(self):
        return None

    # A route has no sub-processes and no parallel flows (the checks refuse them), so at most
    # one task is ready to run by the engine, or waiting, at a time.  The library finds them by
    # walking the whole tree at every engine step; the workflow's table of tasks holds them
    # too.  When more than one is found, the library's walk decides their order, as before.

    def _do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        ready = [task for task in self.tasks.values()
                 if task._state == TaskState.READY and not task.task_spec.manual]
        if len(ready) > 1 or self.subprocesses:
            return super()._do_engine_steps(will_complete_task, did_complete_task)
        for task in ready:
            if will_complete_task is not None:
                will_complete_task(task)
            task.run()
            if did_complete_task is not None:
                did_complete_task(task)
        return bool(ready)

    def update_waiting_tasks(self):
        waiting = [task for task in self.tasks.values() if task._state == TaskState.WAITING]
        if len(waiting) > 1:
            return super().update_waiting_tasks()
        for task in waiting:
            task.task_spec._update(task)
        return None


# SpiffWorkflow formats a log message and a dictionary of details at every change of a task's
# state, whether its log is on or not: a third of the time a step takes.  A task of a route's
# workflow changes state without them while that log is off; with it on (INFO or DEBUG), and
# for every other workflow in the process, the library's own method runs.
_TASK_LOG = logging.getLogger("spiff.task")
_library_set_state = Task._set_state


def _set_state(task, value):
    if type(task.workflow) is not _Workflow or _TASK_LOG.isEnabledFor(logging.INFO):
        return _library_set_state(task, value)
    if value != task._state:
        task.last_state_change = time.time()
        task._state = value
    return None


Task._set_state = _set_state


class _WorkflowConverter(BpmnWorkflowConverter):
    """Read format 1 state (SpiffWorkflow's serializer, without the spec, which is handed
    back in on load); format 2 is ``engine.state``."""

    def from_dict(self, dct, spec=None):
        workflow = self.target_class(spec, {}, script_engine=_SCRIPT_ENGINE, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_SCRIPT_ENGINE = PythonScriptEngine(environment=_Environment())
_CONFIG = dict(SPIFF_CONFIG)
_CONFIG.pop(BpmnWorkflow)
_CONFIG[_Workflow] = _WorkflowConverter
_REGISTRY = BpmnWorkflowSerializer.configure(_CONFIG)
_SERIALIZER = BpmnWorkflowSerializer(_REGISTRY)


class Instance:
    """One file's position in its route. Not thread-safe: one per action, never shared."""

    def __init__(self, route, workflow):
        self.route = route
        self._wf = workflow
        self._stored_as = None  # the dump text this instance is kept under, see _Live

    @property
    def finished(self):
        return self._wf.completed

    @property
    def variables(self):
        return dict(self._wf.last_task.data) if self._wf.last_task else dict(self._wf.data)

    @property
    def end_name(self):
        """The name of the end event reached, once the route is finished."""
        if not self._wf.completed:
            return None
        ends = [t for t in self._wf.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.bpmn_id in self.route.end_names]
        if not ends:
            return "Finished"
        last = max(ends, key=lambda t: t.last_state_change)
        return self.route.end_names[last.task_spec.bpmn_id] or "Finished"

    def task_count(self):
        return len(self._wf.tasks)


class _Live:
    """Instances just dumped, kept by their dump text so that the next action on the same file
    in this process skips deserializing.  An entry is taken out (never shared) on load and
    dropped when its instance changes; any other process's write changes the text, so a stale
    entry can never match."""

    def __init__(self, size=256):
        self._size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, instance, text):
        with self._lock:
            self._items[text] = instance
            self._items.move_to_end(text)
            instance._stored_as = text
            while len(self._items) > self._size:
                _key, old = self._items.popitem(last=False)
                old._stored_as = None

    def take(self, text, route):
        with self._lock:
            instance = self._items.pop(text, None)
        if instance is None or instance.route is not route:
            return None
        instance._stored_as = None
        return instance

    def drop(self, instance):
        if instance._stored_as is None:
            return
        with self._lock:
            if self._items.get(instance._stored_as) is instance:
                del self._items[instance._stored_as]
        instance._stored_as = None

    def clear(self):
        with self._lock:
            for instance in self._items.values():
                instance._stored_as = None
            self._items.clear()


_live = _Live()


def clear_cache():
    """Forget the instances kept in memory; the next load deserializes from the stored text."""
    _live.clear()


def start(route, variables=None):
    """Start a route with the given routing variables and run it to its first step."""
    wf = _Workflow(route.spec, {}, script_engine=_SCRIPT_ENGINE)
    wf.data.update(variables or {})
    start_task = wf.task_tree
    start_task.data.update(variables or {})
    wf.do_engine_steps()
    return Instance(route, wf)


def ready_steps(instance):
    """The steps waiting for an official now."""
    steps = []
    for task in _ready(instance._wf):
        step = instance.route.steps[task.task_spec.bpmn_id]
        steps.append(ReadyStep(str(task.id), step.id, step.name, step.role, step.choices))
    return steps


def complete(instance, task_id, choice, variables=None):
    """Complete a ready step with one of its choices and run on to the next step(s)."""
    task = _ready_task(instance, task_id)
    step = instance.route.steps[task.task_spec.bpmn_id]
    if choice not in step.choices:
        raise RouteError("'%(choice)s' is not a choice at '%(step)s'; the route offers: "
                         "%(offered)s", choice=choice, step=step.name,
                         offered=", ".join(step.choices))
    _live.drop(instance)
    task.data.update(variables or {})
    task.data["choice"] = choice
    _run(instance, task)


def waiting_timers(instance):
    """Timer events armed now (on the steps that are ready)."""
    found = []
    for task in instance._wf.get_tasks(state=TaskState.WAITING):
        timer = instance.route.timers.get(task.task_spec.bpmn_id)
        if timer is not None:
            found.append(WaitingTimer(str(task.id), timer.id, timer.step_id, timer.expression,
                                      timer.interrupting))
    return found


def fire_timer(instance, task_id):
    """Fire one armed timer, as if its time had come, and run on."""
    task = next((t for t in instance._wf.get_tasks(state=TaskState.WAITING)
                 if str(t.id) == task_id), None)
    if task is None or not isinstance(task.task_spec.event_definition, TimerEventDefinition):
        raise RouteError("that timer is not armed on this file")
    definition = task.task_spec.event_definition
    _live.drop(instance)
    task.task_spec.catch(task, BpmnEvent(definition, payload=datetime.now(timezone.utc).isoformat()))
    task.task_spec._update(task)
    _run(instance, None)


def dump(instance):
    """The instance's state as text (``engine.state``, format 2), without the route spec."""
    text = state.write(instance._wf, _REGISTRY, SPIFF_VERSION)
    _live.keep(instance, text)
    return text


def load(route, text):
    """Restore an instance from ``dump`` output and the route it was started on.  Text of
    format 1 (SpiffWorkflow's own serializer, written before format 2) is read too."""
    kept = _live.take(text, route)
    if kept is not None:
        return kept
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    stored = doc.get("format") if isinstance(doc, dict) else None
    if stored == state.FORMAT:
        workflow = _Workflow(route.spec, {}, script_engine=_SCRIPT_ENGINE, deserializing=True)
        try:
            state.read(doc, workflow, _REGISTRY)
        except state.StateUnreadable as exc:
            raise RouteError("the stored state of this file cannot be read: %(why)s",
                             why=str(exc)) from None
        return Instance(route, workflow)
    if stored == 1 and doc.get("serializer") == _SERIALIZER.VERSION:
        return Instance(route, _REGISTRY.restore(doc["state"], spec=route.spec))
    serializer = f"/{doc.get('serializer')}" if stored == 1 else ""
    raise RouteError("stored state has format %(stored)s, this engine reads %(reads)s",
                     stored=f"{stored}{serializer}",
                     reads=f"{state.FORMAT}, and 1/{_SERIALIZER.VERSION}")


def _ready(wf):
    """The user tasks ready now.  A route has no sub-processes, so the workflow's own table
    of tasks holds them all; reading it is cheaper than walking the task tree."""
    return [task for task in wf.tasks.values()
            if task.state == TaskState.READY and task.task_spec.manual]


def _ready_task(instance, task_id):
    try:
        task = instance._wf.tasks.get(UUID(str(task_id)))
    except ValueError:  # not a task id at all
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise RouteError("that step is no longer waiting on this file")
    return task


def _run(instance, task):
    if task is not None:
        task.run()
    instance._wf.do_engine_steps()
    _compact(instance._wf)


def _compact(wf):
    """Bound the engine's history.

    A loop never reuses tasks, so every return adds tasks and each engine step walks them all.
    When a step is reached again, the branch of its new occurrence (with the tasks already
    predicted after it) takes the place of its first occurrence on the path the file took, and
    everything in between is dropped; the track lives in the application's movement table, so
    nothing of value is lost.  The first occurrence is found by climbing from the step, not by
    walking the whole tree.  The tree left is the one SpiffWorkflow's ``reset_from_task_id`` of
    the first occurrence would leave, except that the step keeps the task (and id) and the data
    of its new occurrence, and the tasks already predicted after it are not predicted again.
    """
    ready = _ready(wf)
    if len(ready) != 1:
        return
    current = first = ready[0]
    task = current.parent
    while task is not None:
        if task.task_spec is current.task_spec:
            first = task
        task = task.parent
    if first is current:
        return
    keep, top = _branch(current), _branch(first)
    above = top.parent
    kept = set(_subtree(wf, keep))
    for task_id in _subtree(wf, top):
        if task_id not in kept:
            wf._task_removed_notify(wf.tasks.pop(task_id))
    above._children[above._children.index(top.id)] = keep.id
    keep._parent = above.id
    wf.last_task = current.parent
    for task in list(wf.event_manager.tasks.values()):
        if task.id not in wf.tasks:
            wf.event_manager.remove_task(task)


def _branch(task):
    """The task that stands for a step in the tree: the step, or the split that holds it with
    its boundary events."""
    parent = task.parent
    return parent if isinstance(parent.task_spec, BoundaryEventSplit) else task


def _subtree(wf, top):
    """The ids of ``top`` and all the tasks below it."""
    ids, stack = [], [top.id]
    while stack:
        task_id = stack.pop()
        ids.append(task_id)
        stack.extend(wf.tasks[task_id]._children)
    return ids
