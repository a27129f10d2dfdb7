"""Run a file's route: start it, list the steps ready, complete one with a choice.

After every movement the engine's task tree is compacted (``engine.history``), so a file
returned back and forth a thousand times costs the same to load, move and store as a fresh
one.  Timers are in ``engine.timers``; storing and loading in ``engine.storing``, and the
instances kept in memory between two actions on a file in ``engine.live``.

Every run of the engine's own steps is bounded (``run_engine``): a route that would never stop
at a step (the checks refuse the loops they can see) has its action refused, not a worker
held for ever.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from .circulation import answering, reached, require_posts, settle
from .history import compact
from .calls import Called, workflows
from .instance import Instance, ready_tasks
from .live import LIVE
from .refusals import N_, RouteError
from .routes import Route
from .scripting import SCRIPT_ENGINE
from .spiff_internals import RouteWorkflow


#: The most tasks the engine may run in one action (a start, a completion, a timer firing) before
#: the action is refused; a real route runs fewer than ten between two steps.
MAX_ENGINE_STEPS = 5_000
#: The most tasks one action may add to the engine's memory; a real route adds fewer than ten.
#: Each engine step costs more the more tasks there are, and a loop through timers adds several
#: a step, so this bound is the one that keeps such a refusal within a second.
MAX_NEW_TASKS = 2_000


class RouteRunsOn(RouteError):
    """An action after which the route would not stop at a step (it loops without one)."""

    def __init__(self, steps: int) -> None:
        super().__init__(N_("the route went on for %(steps)s engine steps without stopping at "
                            "a step for an official: it may go round a loop for ever. Nothing "
                            "was saved; ask the office's administrator to correct the route"),
                         steps=steps)


@dataclass(frozen=True)
class ReadyStep:
    """A step waiting for an official: its task, the step of the route, and its choices; a
    part of a circulation names the post it goes to (``post_id``)."""

    task_id: str
    step_id: str
    name: str
    role: str
    choices: tuple[str, ...]
    #: the post a part of a circulation goes to
    post_id: int | None = None
    #: for a step of a route this one called: that route's key, name and sha256 (the version
    #: entered); empty for a step of the file's own route
    route_key: str = ""
    route_name: str = ""
    route_sha256: str = ""


def start(route: Route, variables: dict[str, Any] | None = None,
          called: Called | None = None) -> Instance:
    """Start a route with the given routing variables and run it to its first step; the
    routes it calls are found through ``called`` (``engine.calls``)."""
    wf = RouteWorkflow(route.spec, {}, script_engine=SCRIPT_ENGINE)
    wf.data.update(variables or {})
    wf.task_tree.data.update(variables or {})
    instance = Instance(route, wf, called)
    run_on(instance)
    return instance


def ready_steps(instance: Instance) -> list[ReadyStep]:
    """The steps waiting for an official now, in the file's route or in a route it called
    (whose step ids are the path of calls to them, ``Call_Legal/Task_Vet``)."""
    steps = []
    for task in ready_tasks(instance._wf):
        route, path = task.workflow.route, task.workflow.path
        step = route.steps[task.task_spec.bpmn_id]
        within = (route.key, route.name, route.sha256) if path else ("", "", "")
        post_id = task.data.get(step.circulation.item) if step.circulation else None
        steps.append(ReadyStep(str(task.id), path + step.id, step.name, step.role,
                               step.choices, post_id if isinstance(post_id, int) else None,
                               *within))
    return steps


def complete(instance: Instance, task_id: object, choice: str,
             variables: dict[str, Any] | None = None) -> None:
    """Complete a ready step with one of its choices and run on to the next step(s)."""
    task = _ready_task(instance, task_id)
    step = task.workflow.route.steps[task.task_spec.bpmn_id]
    if choice not in step.choices:
        raise RouteError("'%(choice)s' is not a choice at '%(step)s'; the route offers: "
                         "%(offered)s", choice=choice, step=step.name,
                         offered=", ".join(step.choices))
    LIVE.drop(instance)
    task.data.update(variables or {})
    task.data["choice"] = choice
    if step.circulation:
        answering(task, step.circulation)
    run_on(instance, task)


def run_on(instance: Instance, task: Any = None) -> None:
    """Run ``task`` (if any) and the engine's own steps after it, then compact the history.
    Refused with RouteRunsOn past the engine's bounds, or when a circulation is reached with
    no post to go to, the instance left half run: the caller drops it (its stored text is
    unchanged)."""
    circulations = instance.route.circulations
    if circulations:
        data = task.data if task is not None else instance._wf.task_tree.data
        for circulation in circulations.values():  # the library cannot read a missing list
            data.setdefault(circulation.collection, [])
        before = reached(instance._wf)
    run_engine(instance._wf, task)
    if circulations:
        require_posts(instance, before)
        settle(instance)
    compact(instance._wf)


def run_engine(workflow: Any, task: Any = None) -> None:
    """Run ``task`` (if any) and then the engine's own steps until only steps for officials or
    timers wait; raise RouteRunsOn once the engine has run MAX_ENGINE_STEPS tasks or added
    MAX_NEW_TASKS to its memory."""
    size, steps = _size(workflow), 0

    def count(_task: Any) -> None:
        nonlocal steps
        steps += 1
        if steps > MAX_ENGINE_STEPS or _size(workflow) - size > MAX_NEW_TASKS:
            raise RouteRunsOn(steps - 1)

    try:
        if task is not None:
            task.run()
        workflow.do_engine_steps(will_complete_task=count)
    except RecursionError:  # the task tree of a loop grows deeper than the library can walk
        raise RouteRunsOn(steps) from None


def _size(workflow: Any) -> int:
    if not workflow.subprocesses:
        return len(workflow.tasks)
    return sum(len(wf.tasks) for wf in workflows(workflow))


def _ready_task(instance: Instance, task_id: object) -> Any:
    try:
        task = instance._wf.get_task_from_id(UUID(str(task_id)))
    except (ValueError, KeyError, TaskNotFoundException):  # not a task id, or not one here
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise RouteError("that step is no longer waiting on this file")
    return task
