"""The timers armed on a file's steps, and firing one when the application's clock says so.

SpiffWorkflow would fire a timer by comparing its due time with the wall clock; a route's
workflow never does (``RouteWorkflow.refresh_timers``).  The application computes due times in
working days, keeps the earliest in a column, and fires a timer here by sending the boundary
event its own definition.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from .instance import Instance
from .live import LIVE
from .refusals import RouteError
from .runtime import run_on
from .spiff_internals import update


@dataclass(frozen=True)
class WaitingTimer:
    """A timer armed on a step: its task, the timer event of the route, and what it says."""

    task_id: str
    timer_id: str
    step_id: str
    expression: str
    interrupting: bool


def waiting_timers(instance: Instance) -> list[WaitingTimer]:
    """Timer events armed now (on the steps that are ready), in the file's route and in the
    routes it called (named by the path of calls, as ``ready_steps`` names their steps)."""
    found = []
    for task in instance._wf.get_tasks(state=TaskState.WAITING):
        route, path = task.workflow.route, task.workflow.path
        timer = route.timers.get(task.task_spec.bpmn_id)
        if timer is not None:
            found.append(WaitingTimer(str(task.id), path + timer.id, path + timer.step_id,
                                      timer.expression, timer.interrupting))
    return found


def fire_timer(instance: Instance, task_id: str, now: datetime) -> None:
    """Fire one armed timer at ``now`` (an aware time: the caller's clock), as if its time had
    come, and run on."""
    task = _armed(instance, task_id)
    definition = task.task_spec.event_definition
    LIVE.drop(instance)
    task.task_spec.catch(task, BpmnEvent(definition,
                                         payload=now.isoformat()))
    update(task)
    run_on(instance)


def _armed(instance: Instance, task_id: str) -> Any:
    task = next((t for t in instance._wf.get_tasks(state=TaskState.WAITING)
                 if str(t.id) == task_id), None)
    if task is None or not isinstance(task.task_spec.event_definition, TimerEventDefinition):
        raise RouteError("that timer is not armed on this file")
    return task
