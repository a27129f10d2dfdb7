"""Move a file's place from one version of a route to another.

The engine's state belongs to one route version, so a file cannot simply be handed a newer
spec.  Instead a fresh instance of the new version is driven, along the choices its own flows
offer, to the step the file stands at, and its history is compacted away: what the new
instance remembers is only "the file is at this step, with these routing variables".
"""

from collections import deque
from typing import Any

from SpiffWorkflow.util.task import TaskState

from .calls import Called
from .history import compact
from .instance import Instance
from .live import LIVE
from .refusals import RouteError
from .routes import Route
from .runtime import complete, ready_steps, start

#: How many steps a search for the target step may take before giving up (a route has tens).
MAX_EXPANSIONS = 500


def start_at(route: Route, step_id: str, variables: dict[str, Any] | None = None,
             called: Called | None = None) -> Instance:
    """A new instance of ``route`` waiting at the step ``step_id``, carrying ``variables``.

    The path to the step is found by trying the choices the route offers (breadth first, so
    the shortest path wins); conditions on routing variables such as the priority are honoured.
    Raises RouteError when the route has no such step or no path reaches it; a path through a
    call enters the version of the called route ``called`` gives now."""
    if step_id not in route.steps:
        raise RouteError("the route has no step '%(step)s'", step=step_id)
    variables = {k: v for k, v in (variables or {}).items() if k != "choice"}
    path = _path_to(route, step_id, variables, called)
    if path is None:
        raise RouteError("no path of the route leads to the step '%(step)s'", step=step_id)
    instance = _replay(route, path, variables, called)
    wf = instance._wf
    compact(wf)
    for task in wf.get_tasks(state=TaskState.READY, manual=True):
        task.data.pop("choice", None)
        task.data.update(variables)
    return instance


def _replay(route: Route, path: tuple[str, ...], variables: dict[str, Any],
            called: Called | None) -> Instance:
    instance = start(route, variables, called)
    for choice in path:
        step = ready_steps(instance)[0]
        complete(instance, step.task_id, choice, variables)
    LIVE.drop(instance)
    return instance


def _path_to(route: Route, step_id: str, variables: dict[str, Any],
             called: Called | None) -> tuple[str, ...] | None:
    """The shortest list of choices that brings a fresh instance to ``step_id``."""
    queue: deque[tuple[str, ...]] = deque([()])
    seen: set[str] = set()
    expansions = 0
    while queue and expansions < MAX_EXPANSIONS:
        path = queue.popleft()
        expansions += 1
        ready = ready_steps(_replay(route, path, variables, called))
        if len(ready) != 1:
            continue
        current = ready[0]
        if current.step_id == step_id:
            return path
        if current.step_id in seen:
            continue
        seen.add(current.step_id)
        queue.extend(path + (choice,) for choice in current.choices)
    return None
