"""Move a file's place from one version of a route to another.

The engine's state belongs to one route version, so a file cannot simply be handed a newer
spec.  Instead a fresh instance of the new version is driven, along the choices its own flows
offer, to the step (or, for a file in parts, the steps at once) the file stands at, and its
history is compacted away: what the new instance remembers is only "the file is at these
steps, with these routing variables".
"""

from collections import deque
from collections.abc import Sequence
from typing import Any

from SpiffWorkflow.util.task import TaskState

from .calls import Called
from .history import compact
from .instance import Instance
from .live import LIVE
from .refusals import RouteError
from .routes import Route
from .runtime import complete, ready_steps, start

#: How many places a search for the target steps may look at before giving up (a route has
#: tens of steps; a consultation of a few parts some hundreds of places).
MAX_EXPANSIONS = 500

#: One move of the search: complete the ready step ``step id`` with ``choice``.
_Move = tuple[str, str]


def start_at(route: Route, step_id: str, variables: dict[str, Any] | None = None,
             called: Called | None = None) -> Instance:
    """A new instance of ``route`` waiting at the step ``step_id``, carrying ``variables``
    (``start_at_steps`` with one step)."""
    return start_at_steps(route, (step_id,), variables, called)


def start_at_steps(route: Route, step_ids: Sequence[str],
                   variables: dict[str, Any] | None = None,
                   called: Called | None = None) -> Instance:
    """A new instance of ``route`` waiting at exactly the steps ``step_ids`` at once (a file
    in parts: one step per open part; the parts that already answered wait at their join),
    carrying ``variables``.

    The way there is found by trying the choices the route offers at each ready step (breadth
    first, so the shortest way wins); conditions on routing variables such as the priority are
    honoured.  Raises RouteError when the route has no such step, or no way of its choices
    leaves the file at those steps together (they lie in different parallel blocks, or one is
    reached only after another is done).  A way through a call enters the version of the
    called route that ``called`` gives now."""
    missing = [s for s in dict.fromkeys(step_ids) if s not in route.steps]
    if missing:
        raise RouteError("the route has no step '%(step)s'", step=", ".join(missing))
    target = tuple(sorted(step_ids))
    variables = {k: v for k, v in (variables or {}).items() if k != "choice"}
    path = _path_to(route, target, variables, called)
    if path is None:
        if len(target) == 1:
            raise RouteError("no path of the route leads to the step '%(step)s'",
                             step=target[0])
        raise RouteError("no path of the route leaves the file at the steps %(steps)s at "
                         "once", steps=", ".join(f"'{route.steps[s].name}'" for s in step_ids))
    instance = _replay(route, path, variables, called)
    wf = instance._wf
    compact(wf)
    for task in wf.get_tasks(state=TaskState.READY, manual=True):
        task.data.pop("choice", None)
        task.data.update(variables)
    return instance


def _replay(route: Route, path: tuple[_Move, ...], variables: dict[str, Any],
            called: Called | None) -> Instance:
    instance = start(route, variables, called)
    for step_id, choice in path:
        step = next(s for s in ready_steps(instance) if s.step_id == step_id)
        complete(instance, step.task_id, choice, variables)
    LIVE.drop(instance)
    return instance


def _place(instance: Instance) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Where an instance stands: its ready steps, and the joins (or other tasks) waiting."""
    ready = tuple(sorted(s.step_id for s in ready_steps(instance)))
    waiting = tuple(sorted(t.task_spec.name
                           for t in instance._wf.get_tasks(state=TaskState.WAITING)))
    return ready, waiting


def _path_to(route: Route, target: tuple[str, ...], variables: dict[str, Any],
             called: Called | None) -> tuple[_Move, ...] | None:
    """The shortest list of moves that leaves a fresh instance at exactly the ``target``
    steps (sorted step ids)."""
    queue: deque[tuple[_Move, ...]] = deque([()])
    seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    expansions = 0
    while queue and expansions < MAX_EXPANSIONS:
        path = queue.popleft()
        expansions += 1
        instance = _replay(route, path, variables, called)
        place = _place(instance)
        if place[0] == target:
            return path
        if place in seen or instance.finished:
            continue
        seen.add(place)
        queue.extend(path + ((step.step_id, choice),) for step in ready_steps(instance)
                     for choice in step.choices)
    return None
