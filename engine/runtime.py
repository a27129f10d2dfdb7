"""Run a file's route: start it, list the steps ready, complete one with a choice.

After every movement the engine's task tree is compacted (``engine.history``), so a file
returned back and forth a thousand times costs the same to load, move and store as a fresh
one.  Timers are in ``engine.timers``; storing and loading in ``engine.storing``, and the
instances kept in memory between two actions on a file in ``engine.live``.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from .history import compact
from .instance import Instance, ready_tasks
from .live import LIVE
from .refusals import RouteError
from .routes import Route
from .scripting import SCRIPT_ENGINE
from .spiff_internals import RouteWorkflow


@dataclass(frozen=True)
class ReadyStep:
    """A step waiting for an official: its task, the step of the route, and its choices."""

    task_id: str
    step_id: str
    name: str
    role: str
    choices: tuple[str, ...]


def start(route: Route, variables: dict[str, Any] | None = None) -> Instance:
    """Start a route with the given routing variables and run it to its first step."""
    wf = RouteWorkflow(route.spec, {}, script_engine=SCRIPT_ENGINE)
    wf.data.update(variables or {})
    wf.task_tree.data.update(variables or {})
    wf.do_engine_steps()
    return Instance(route, wf)


def ready_steps(instance: Instance) -> list[ReadyStep]:
    """The steps waiting for an official now."""
    steps = []
    for task in ready_tasks(instance._wf):
        step = instance.route.steps[task.task_spec.bpmn_id]
        steps.append(ReadyStep(str(task.id), step.id, step.name, step.role, step.choices))
    return steps


def complete(instance: Instance, task_id: object, choice: str,
             variables: dict[str, Any] | None = None) -> None:
    """Complete a ready step with one of its choices and run on to the next step(s)."""
    task = _ready_task(instance, task_id)
    step = instance.route.steps[task.task_spec.bpmn_id]
    if choice not in step.choices:
        raise RouteError("'%(choice)s' is not a choice at '%(step)s'; the route offers: "
                         "%(offered)s", choice=choice, step=step.name,
                         offered=", ".join(step.choices))
    LIVE.drop(instance)
    task.data.update(variables or {})
    task.data["choice"] = choice
    run_on(instance, task)


def run_on(instance: Instance, task: Any = None) -> None:
    """Run ``task`` (if any) and the engine's own steps after it, then compact the history."""
    if task is not None:
        task.run()
    instance._wf.do_engine_steps()
    compact(instance._wf)


def _ready_task(instance: Instance, task_id: object) -> Any:
    try:
        task = instance._wf.tasks.get(UUID(str(task_id)))
    except ValueError:  # not a task id at all
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise RouteError("that step is no longer waiting on this file")
    return task
