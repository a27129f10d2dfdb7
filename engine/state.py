"""The text a file's place in its route is stored as.

Format 2 keeps what SpiffWorkflow's own serializer keeps of a running instance, task for task,
but as a table instead of a tree of named objects:

    {"format": 2, "spiff": "3.2.0",
     "workflow": {"root": 0, "last": 3, "success": true, "completed": false,
                  "data": {}, "correlations": {}, "events": []},
     "tasks": [[id, spec, state, last_state_change, [children], triggered, internal_data,
                data_updates, data_deletions], ...]}

- A task's id is its UUID in hex; its children and the workflow's root and last task are places
  in the table, and a task's parent is the task whose children list it.
- The table is in the order of the workflow's own table of tasks, so a loaded instance meets
  its tasks in the same order as the one dumped.
- A task's data is kept as its change from its parent's (as SpiffWorkflow's serializer does);
  the four last fields are left out when they hold nothing (false, {}, {}, []).
- A sub-process (an embedded one, or a route called) is a table of its own under
  "subprocesses", with the task that runs it, the path of its steps and, for a route called,
  the key and sha256 of the version entered; a route that has run none has no such list.
- Data whose values are all strings, numbers, booleans or None (routing variables are) is kept
  as it is; other values (dates, ids) go through SpiffWorkflow's registry of converters.

It is under a third of the size of format 1 (SpiffWorkflow's dictionaries, one per task, each
naming its fields) and several times quicker to write and read.  Format 1 is still read, so a
file stored before moves on; it is written in format 2 at its next movement.
"""

import json
from copy import deepcopy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

from .refusals import RouteError
from .spiff_internals import (RouteTask, is_call_task, link, resume_subprocess, tree_links,
                              watch)

FORMAT = 2
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> bool:
    """Whether ``value`` is kept in JSON as it is: a string, number, boolean or None, or a
    list of them (a circulation's list of posts)."""
    kind = type(value)
    return kind in _PLAIN or (kind is list and all(type(x) in _PLAIN for x in value))


class StateUnreadable(ValueError):
    """Stored text that does not describe an instance of the route it is loaded with."""


def write(workflow: Any, registry: Any, spiff_version: str) -> str:
    """``workflow`` as format 2 text."""
    top, rows = _table(workflow, registry)
    doc: dict[str, Any] = {"format": FORMAT, "spiff": spiff_version,
                           "workflow": {**top, "events": registry.convert(workflow.bpmn_events)},
                           "tasks": rows}
    if workflow.subprocesses:
        doc["subprocesses"] = [_subprocess(task_id, sub, registry)
                               for task_id, sub in workflow.subprocesses.items()]
    return json.dumps(doc, separators=(",", ":"))


def _subprocess(task_id: UUID, sub: Any, registry: Any) -> dict[str, Any]:
    """A sub-process as format 2 keeps it: the task that runs it, the path of its steps, the
    route it runs when it is a route called (key and sha256: the version entered), its own
    table of tasks."""
    top, rows = _table(sub, registry)
    called = [sub.route.key, sub.route.sha256] if is_call_task(sub) else None
    return {"task": task_id.hex, "path": sub.path, "route": called, "workflow": top,
            "tasks": rows}


def _table(workflow: Any, registry: Any) -> tuple[dict[str, Any], list[list[Any]]]:
    tasks = workflow.tasks
    place = {task_id: i for i, task_id in enumerate(tasks)}
    rows = []
    for task, task_state, children, parent_id in tree_links(workflow):
        row = [task.id.hex, task.task_spec.name, task_state, task.last_state_change,
               [place[child] for child in children]]
        parent = tasks.get(parent_id) if parent_id is not None else None
        data = task.data
        if parent is None:
            updates, deletions = data, []
        else:  # by name: a task's data read back has its parent's order, not its own
            above = parent.data
            updates = {k: data[k] for k in sorted(data) if k not in above or above[k] != data[k]}
            deletions = sorted(k for k in above if k not in data)
        extra = [task.triggered, _stored(task.internal_data, registry),
                 _stored(updates, registry), deletions]
        while extra and not extra[-1]:
            extra.pop()
        rows.append(row + extra)
    last = workflow.last_task
    return {"root": place[workflow.task_tree.id],
            "last": place.get(last.id) if last is not None else None,
            "success": workflow.success, "completed": workflow.completed,
            "data": _stored(workflow.data, registry),
            "correlations": workflow.correlations}, rows


def read(doc: dict[str, Any], workflow: Any, registry: Any, called: Any = None) -> Any:
    """Fill the empty ``workflow`` (made with ``deserializing=True``) from the parsed format 2
    ``doc``, the routes it called found through ``called`` (``engine.calls.Called``); raise
    StateUnreadable when the text does not fit the workflow's route."""
    try:
        _fill(workflow, doc["workflow"], doc["tasks"], registry)
        workflow.bpmn_events = registry.restore(doc["workflow"]["events"])
        for sub in doc.get("subprocesses", ()):
            _read_subprocess(workflow, sub, registry, called)
    except StateUnreadable:
        raise
    except RouteError as exc:
        raise StateUnreadable(str(exc)) from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise StateUnreadable(f"stored state is damaged ({type(exc).__name__}: {exc})") from None
    return workflow


def _fill(workflow: Any, top: dict[str, Any], rows: list[list[Any]], registry: Any) -> None:
    made = _tasks(rows, workflow, registry)
    link(made, [row[4] for row in rows])
    _restore_data(top["root"], rows, made, registry)
    workflow.task_tree = made[top["root"]]
    workflow.success = top["success"]
    workflow.completed = top["completed"]
    workflow.correlations = top["correlations"]
    last = top["last"]
    workflow.last_task = made[last] if last is not None else None
    workflow.data = _restored(top["data"], registry)


def _read_subprocess(main: Any, sub: dict[str, Any], registry: Any, called: Any) -> None:
    task = main.get_task_from_id(UUID(hex=sub["task"]))
    around = task.workflow.route
    if sub["route"] is None:
        route, spec = around, around.sub_specs[task.task_spec.spec]
    elif called is None:
        raise StateUnreadable(f"the file is in the route '{sub['route'][0]}', and no routes of "
                              "the office are at hand to read it")
    else:
        route = called.stored(*sub["route"])
        spec = route.spec
    workflow = main.add_subprocess(task.id, spec, route, sub["path"], deserializing=True)
    _fill(workflow, sub["workflow"], sub["tasks"], registry)
    if not workflow.completed:
        resume_subprocess(task, workflow)


def _tasks(rows: list[list[Any]], workflow: Any, registry: Any) -> list[Any]:
    """The tasks the table's rows describe, not yet linked."""
    specs = workflow.spec.task_specs
    made = []
    for row in rows:
        spec = specs.get(row[1])
        if spec is None:
            raise StateUnreadable(f"the route has no task '{row[1]}'")
        task = RouteTask(workflow, spec, state=row[2], id=UUID(hex=row[0]))
        task.last_state_change = row[3]
        task.triggered = bool(row[5]) if len(row) > 5 else False
        if len(row) > 6 and row[6]:
            task.internal_data = _restored(row[6], registry)
        if isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            watch(workflow, task)
        made.append(task)
    return made


def _restore_data(root: int, rows: list[list[Any]], made: list[Any], registry: Any) -> None:
    """Each task's data (``root`` and the others are places in the table): its parent's, with
    its own changes; parents before children."""
    stack: list[tuple[int, dict[str, Any] | None]] = [(root, None)]
    seen: set[int] = set()
    while stack:
        place, above = stack.pop()
        if place in seen:
            raise StateUnreadable("stored state is damaged (a task is listed under two parents, "
                                  "or under itself)")
        seen.add(place)
        row = rows[place]
        updates = _restored(row[7], registry) if len(row) > 7 and row[7] else {}
        if above is None:
            data = updates
        else:
            data = _copy(above)
            data.update(updates)
            for key in row[8] if len(row) > 8 else ():
                data.pop(key, None)
        made[place].data = data
        stack.extend((child, data) for child in row[4])


def _stored(values: dict[str, Any], registry: Any) -> Any:
    """A dict of values as JSON can hold it: as it is when every value is plain (routing
    variables are; see ``_plain``), else through the registry's converters."""
    if all(_plain(value) for value in values.values()):
        return values
    return registry.convert(registry.clean(values))


def _restored(values: Any, registry: Any) -> Any:
    """The values ``_stored`` gave, as they were."""
    if all(_plain(value) for value in values.values()):
        return dict(values)
    return registry.restore(values)


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A task's own copy of its parent's data (deep only when a value could be shared)."""
    if all(_plain(value) for value in data.values()):
        return {k: list(v) if type(v) is list else v for k, v in data.items()}
    return deepcopy(data)
