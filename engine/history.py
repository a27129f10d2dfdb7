"""Keep the engine's memory of a file flat, however often it goes round a loop.

A loop never reuses tasks, so every return adds tasks and each engine step walks them all:
left alone, a file bounced a few hundred times grows slow and then is lost (RecursionError).
When a step is reached again, the branch of its new occurrence (with the tasks already
predicted after it) takes the place of its first occurrence on the path the file took, and
everything in between is dropped; the track lives in the application's movement table, so
nothing of value is lost.
"""

from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.util.task import TaskState

from .instance import ready_tasks
from .spiff_internals import graft, subtree_ids

_ALIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def compact(workflow: Any) -> None:
    """Bound the engine's history after a movement.

    The first occurrence of each ready step is found by climbing from the step, not by walking
    the whole tree.  The tree left is the one SpiffWorkflow's ``reset_from_task_id`` of the
    first occurrence would leave, except that the step keeps the task (and id) and the data of
    its new occurrence, and the tasks already predicted after it are not predicted again.  A
    file in parts is compacted part by part: a step's first occurrence is replaced only when
    nothing else still waiting (another part, a join) lies under it.
    """
    for current in _current(workflow):
        here = current.workflow
        if here.tasks.get(current.id) is not current or (
                here is not workflow and workflow.subprocesses.get(here.parent_task_id) is not here):
            continue  # dropped by a graft before it
        first = _first_occurrence(current)
        if first is current:
            continue
        top, keep = _branch(first), _branch(current)
        if _holds_others(here, top, keep):
            continue
        graft(here, top, keep)
        here.last_task = current.parent


def _current(workflow: Any) -> list[Any]:
    """The tasks a file stands at: the steps ready, and the tasks running a sub-process now
    (a route called, a sub-process entered), outer ones first: a file that goes round a loop
    through a call without a step of its own between passes is compacted at the call."""
    running = [workflow.get_task_from_id(sub.parent_task_id)
               for sub in workflow.subprocesses.values() if not sub.completed]
    return running + ready_tasks(workflow)


def _first_occurrence(current: Any) -> Any:
    first, task = current, current.parent
    while task is not None:
        if task.task_spec is current.task_spec:
            first = task
        task = task.parent
    return first


def _holds_others(workflow: Any, top: Any, keep: Any) -> bool:
    """Whether a task still waiting (ready, waiting or started) lies under ``top`` but not
    under ``keep``: grafting would drop it."""
    kept = set(subtree_ids(workflow, keep))
    return any(workflow.tasks[task_id].state & _ALIVE
               for task_id in subtree_ids(workflow, top) if task_id not in kept)


def _branch(task: Any) -> Any:
    """The task that stands for a step in the tree: the step, or the split that holds it with
    its boundary events."""
    parent = task.parent
    return parent if isinstance(parent.task_spec, BoundaryEventSplit) else task
