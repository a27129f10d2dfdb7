"""Running a route's sub-processes: an embedded sub-process runs on the route's own spec, a call
activity on the route it calls, at the version the office publishes when the file reaches it.

The engine knows no office: whoever runs a route that calls others hands in ``Called``, which
gives the version to enter now (``current``) and, for a file that entered a route earlier,
that same version again (``stored``, by the sha256 the state recorded).  A step of a called
route is named by the path of call activities that lead to it: ``Call_Legal/Task_Vet``.
"""

from typing import Any, Protocol

from .refusals import RouteError
from .routes import Route
from .spiff_internals import is_call

#: How deep calls may nest (a route calling a route calling a route ...).
MAX_DEPTH = 8
SEPARATOR = "/"


class Called(Protocol):
    """The routes a route may call: the office's published routes."""

    def current(self, key: str) -> Route:
        """The version of route ``key`` a file reaching a call to it enters now; raises
        RouteError when the office publishes no such route."""
        ...

    def stored(self, key: str, sha256: str) -> Route:
        """The version of route ``key`` whose XML has ``sha256`` (one a file entered before);
        raises RouteError when there is none."""
        ...


def bind(workflow: Any, route: Route, called: Called | None) -> None:
    """Have ``workflow`` (a route's, engine.spiff_internals.RouteWorkflow) run on ``route`` and
    find the routes it calls through ``called``."""
    workflow.route = route

    def find(task: Any, name: str) -> tuple[Any, Route, str]:
        return _find(workflow, called, task, name)

    workflow.find_spec = find


def _find(main: Any, called: Called | None, task: Any, name: str) -> tuple[Any, Route, str]:
    """The spec, route and path of the sub-process ``task`` starts (spec ``name``)."""
    here = task.workflow
    if not is_call(task):
        return here.route.sub_specs[name], here.route, here.path
    key = task.task_spec.spec
    if called is None:
        raise RouteError("the route calls the route '%(key)s', and no routes of the office are "
                         "at hand to run it", key=key)
    chain = [wf.route.key for wf in reversed(list(lineage(main, here)))]
    if len(chain) >= MAX_DEPTH:
        raise RouteError("calls nest more than %(depth)s routes deep (%(chain)s)",
                         depth=MAX_DEPTH, chain=" → ".join(chain + [key]))
    route = called.current(key)
    if route.key in chain:
        raise RouteError("the route calls back into itself: %(chain)s",
                         chain=" → ".join(chain[chain.index(route.key):] + [route.key]))
    return route.spec, route, here.path + task.task_spec.bpmn_id + SEPARATOR


def lineage(main: Any, workflow: Any) -> list[Any]:
    """``workflow`` and the workflows around it, out to the file's own (``main``)."""
    found = [workflow]
    while found[-1] is not main:
        found.append(main.get_task_from_id(found[-1].parent_task_id).workflow)
    return found


def workflows(main: Any) -> list[Any]:
    """The file's workflow and its sub-processes (running or done), outer ones first."""
    return [main, *main.subprocesses.values()]


def routes_by_path(main: Any) -> dict[str, Route]:
    """The route that the steps under each path run on; a sub-process running now wins over
    one done (an earlier pass through the same call may have run an older version)."""
    found = {"": main.route}
    for done in (True, False):
        for sub in main.subprocesses.values():
            if bool(sub.completed) == done:
                found[sub.path] = sub.route
    return found


def split(step_id: str) -> tuple[str, str]:
    """A step's path (ending in the separator, or "") and its id in its own route."""
    path, _, own = step_id.rpartition(SEPARATOR)
    return (path + SEPARATOR if path else ""), own
