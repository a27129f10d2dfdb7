"""Every use the engine makes of SpiffWorkflow's private attributes and undocumented internals.

The library's public API covers parsing, running, catching events and serializing.  It does not
cover what keeps a route cheap to run and to store: a state change without the log's cost, a
walk-free engine step, cutting the task tree back after a loop, and rebuilding a tree from the
engine's own stored format.  Those are here and nowhere else in ``engine/``; each is covered by
``tests/test_spiff_contract.py``, whose failures name what changed in SpiffWorkflow, so an
upgrade that breaks one says which piece of this module to redo.

Only Sanchika's own workflows (``RouteWorkflow``, whose tasks are ``RouteTask``) behave
differently; a ``BpmnWorkflow`` made anywhere else in the process is the library's own.
"""

import logging
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

_TASK_LOG = logging.getLogger("spiff.task")

TaskHook = Callable[[Any], None] | None


class RouteTask(Task):  # type: ignore[misc]  # SpiffWorkflow has no type information
    """A task of a route's workflow.

    SpiffWorkflow formats a log message and a dictionary of details at every change of a
    task's state, whether its log is on or not: a third of the time a step takes.  A route's
    task changes state (and notes when) without them while the ``spiff.task`` log is off; with
    it on (INFO or DEBUG) the library's own method runs.
    """

    _state: int
    last_state_change: float

    def _set_state(self, value: int) -> None:
        if _TASK_LOG.isEnabledFor(logging.INFO):
            super()._set_state(value)
        elif value != self._state:
            self.last_state_change = time.time()
            self._state = value

    def _add_child(self, task_spec: Any, state: int = TaskState.MAYBE) -> "RouteTask":
        # The library makes every child a plain Task; a route's children are route tasks, made
        # as such (in CPython 3.11 an object whose class is changed after it is made is several
        # times slower to read), with the library's rules: a predicted task has only predicted
        # children, a child is on its parent's thread, and one made ready is readied.
        if self.has_state(TaskState.PREDICTED_MASK) and not state & TaskState.PREDICTED_MASK:
            raise WorkflowException("Attempt to add non-predicted child to predicted task",
                                    task_spec=self.task_spec)
        child = RouteTask(self.workflow, task_spec, self, state=state)
        child.thread_id = self.thread_id
        if state == TaskState.READY:
            child._ready()
        return child


#: Finds the spec a sub-process task runs: ``(task, spec name) -> (spec, route, path)``, where
#: route is Sanchika's route the sub-process runs on and path the ids that lead to it.
SpecFinder = Callable[[Any, str], tuple[Any, Any, str]]


class _EveryName(dict[str, Any]):
    """The library checks that a sub-process's spec is among the workflow's ``subprocess_specs``
    before it asks the workflow to create it; a route's workflow finds the spec itself
    (``RouteWorkflow.create_subprocess``), so every name is there."""

    def __contains__(self, name: object) -> bool:
        return True


def _first_tasks(workflow: Any) -> None:
    # The first tasks the library's constructor makes, made as route tasks: the root, the tasks
    # predicted from it, and the root ready to run.
    workflow.task_tree = RouteTask(workflow, workflow.spec.start, state=TaskState.FUTURE)
    workflow.task_tree.task_spec._predict(workflow.task_tree, mask=TaskState.NOT_FINISHED_MASK)
    workflow.task_tree._ready()


class RouteWorkflow(BpmnWorkflow):  # type: ignore[misc]  # SpiffWorkflow has no type information
    """A route's workflow: its tasks are ``RouteTask``, its timers fire only when the
    application says so, and the sub-processes it runs (an embedded sub-process, a route it
    calls) are found by ``find_spec`` when a file reaches them.

    The application computes due times in working days and fires a timer when its own clock
    passes them; the engine's wall-clock check must not second-guess that.
    """

    route: Any = None  # Sanchika's route (engine.Route) this workflow runs on
    path = ""  # the ids that lead to a workflow's steps ("" for the file's own route)
    find_spec: SpecFinder | None = None

    def __init__(self, spec: Any, subprocess_specs: Any = None, script_engine: Any = None,
                 deserializing: bool = False) -> None:
        super().__init__(spec, script_engine=script_engine, deserializing=True)
        self.subprocess_specs = _EveryName()
        if not deserializing:
            _first_tasks(self)

    def refresh_timers(self) -> None:
        return None

    def create_subprocess(self, my_task: Any, spec_name: str) -> "RouteSubWorkflow":
        if self.find_spec is None:
            raise WorkflowException("this route runs no sub-processes", task_spec=my_task.task_spec)
        spec, route, path = self.find_spec(my_task, spec_name)
        return self.add_subprocess(my_task.id, spec, route, path)

    def add_subprocess(self, parent_task_id: UUID, spec: Any, route: Any, path: str,
                       deserializing: bool = False) -> "RouteSubWorkflow":
        """A sub-process of the task ``parent_task_id`` (of this workflow or one of its
        sub-processes), running ``spec`` of ``route``; restored with ``deserializing``."""
        subprocess = RouteSubWorkflow(spec, parent_task_id, self, deserializing=deserializing)
        subprocess.route, subprocess.path = route, path
        self.subprocesses[parent_task_id] = subprocess
        return subprocess

    # A route has no sub-processes and no parallel flows (the checks refuse them), so at most
    # one task is ready to run by the engine, or waiting, at a time.  The library finds them by
    # walking the whole tree at every engine step; the workflow's table of tasks holds them
    # too.  When more than one is found, the library's walk decides their order, as before.

    def _do_engine_steps(self, will_complete_task: TaskHook = None,
                         did_complete_task: TaskHook = None) -> bool:
        ready = [task for task in self.tasks.values()
                 if task._state == TaskState.READY and not task.task_spec.manual]
        if len(ready) > 1 or self.subprocesses:
            return bool(super()._do_engine_steps(will_complete_task, did_complete_task))
        for task in ready:
            if will_complete_task is not None:
                will_complete_task(task)
            task.run()
            if did_complete_task is not None:
                did_complete_task(task)
        return bool(ready)

    def update_waiting_tasks(self) -> None:
        waiting = [task for task in self.tasks.values() if task._state == TaskState.WAITING]
        if len(waiting) > 1:
            super().update_waiting_tasks()
            return
        for task in waiting:
            task.task_spec._update(task)


class RouteSubWorkflow(BpmnSubWorkflow):  # type: ignore[misc]  # no type information
    """A sub-process of a route's workflow, whose tasks are ``RouteTask`` too."""

    route: Any = None
    path = ""

    def __init__(self, spec: Any, parent_task_id: UUID, top_workflow: Any,
                 deserializing: bool = False) -> None:
        super().__init__(spec, parent_task_id, top_workflow, deserializing=True)
        if not deserializing:
            _first_tasks(self)


def is_call(task: Any) -> bool:
    """Whether ``task`` runs another route (a call activity), not an embedded sub-process."""
    return isinstance(task.task_spec, CallActivity)


def is_call_task(subprocess: Any) -> bool:
    """Whether the sub-process ``subprocess`` runs a route called (not an embedded one)."""
    return is_call(subprocess.top_workflow.get_task_from_id(subprocess.parent_task_id))


def resume_subprocess(task: Any, subprocess: Any) -> None:
    """Have the restored ``subprocess`` hand its data back to ``task`` when it completes, as
    the library's serializer does for a sub-process it restores."""
    subprocess.completed_event.connect(task.task_spec._on_subworkflow_completed, task)


def update(task: Any) -> None:
    """Let the task's spec react to what just happened to it (an event caught)."""
    task.task_spec._update(task)


# The engine's stored format (``engine.state``) is a table of tasks, each with its state and
# the places of its children; these read and rebuild the tree's links, for the whole table at
# once (a dump or a load is on the path of every movement).

def tree_links(workflow: Any) -> list[tuple[Any, int, list[UUID], UUID | None]]:
    """Each task of ``workflow`` in the order of its table of tasks, with its state, the ids of
    its children (the lists themselves: do not change them) and its parent's id (None for the
    root)."""
    return [(task, task._state, task._children, task._parent)
            for task in workflow.tasks.values()]


def link(made: list[Any], children: list[list[int]]) -> None:
    """Link tasks made without a parent: ``children[i]`` holds the places in ``made`` of the
    children of ``made[i]``, in order."""
    for task, places in zip(made, children, strict=True):
        task._children = [made[place].id for place in places]
        for place in places:
            made[place]._parent = task.id


def watch(workflow: Any, task: Any) -> None:
    """Have the workflow's event manager deliver events to the waiting ``task``, as the
    library's serializer does for a catching event it restores."""
    workflow.top_workflow.event_manager.add_task(task)


def subtree_ids(workflow: Any, top: Any) -> list[UUID]:
    """The ids of ``top`` and all the tasks below it."""
    ids, stack = [], [top.id]
    while stack:
        task_id = stack.pop()
        ids.append(task_id)
        stack.extend(workflow.tasks[task_id]._children)
    return ids


def graft(workflow: Any, top: Any, keep: Any) -> None:
    """Put ``keep`` (a task below ``top``) in ``top``'s place in the tree, and drop ``top`` and
    every task under it that is not under ``keep``, with the sub-processes they ran, from the
    workflow (the file's route or one of its sub-processes) and the event manager (in 3.2.0 a
    task left there makes the next engine step fail)."""
    kept = set(subtree_ids(workflow, keep))
    main = workflow.top_workflow
    for task_id in subtree_ids(workflow, top):
        if task_id not in kept:
            workflow._task_removed_notify(workflow.tasks.pop(task_id))
            _drop_subprocess(main, task_id)
    above = top.parent
    above._children[above._children.index(top.id)] = keep.id
    keep._parent = above.id
    manager = main.event_manager
    for task in list(manager.tasks.values()):
        if not _alive(main, task):
            manager.remove_task(task)


def _drop_subprocess(main: Any, task_id: UUID) -> None:
    """Forget the sub-process the task ``task_id`` ran (and those its tasks ran), if any."""
    subprocess = main.subprocesses.pop(task_id, None)
    if subprocess is not None:
        for inner in list(subprocess.tasks):
            _drop_subprocess(main, inner)


def _alive(main: Any, task: Any) -> bool:
    """Whether ``task`` is still in its workflow, and its workflow still one of ``main``'s."""
    workflow = task.workflow
    if workflow.tasks.get(task.id) is not task:
        return False
    return workflow is main or main.subprocesses.get(workflow.parent_task_id) is workflow


def schema_errors(root: Any, limit: int = 20) -> list[tuple[int | None, str]]:
    """Where and why the BPMN document ``root`` (an lxml element, changed in place: pass a
    copy) breaks the BPMN 2.0 schema; every error, where the library's ``validate`` raises the
    first one only."""
    VALIDATOR.preprocess(root)
    if VALIDATOR.validator.validate(root):
        return []
    return [(error.line, str(error.message))
            for error in list(VALIDATOR.validator.error_log)[:limit]]


def answers_merge(spec: Any) -> None:
    """Have each multi-instance step of the parsed ``spec`` take in its instances' answers as
    they complete, however the workflow was made.  The library connects a step's instances
    to it only when it makes one, or when its own serializer reads a spec; a route's spec is
    parsed once and a file's state is read in Sanchika's own format, so a process that loads a
    circulation already begun would otherwise never see it end."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, MultiInstanceTask):
            child = spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)
