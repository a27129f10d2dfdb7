"""One file's place in its route, as the engine holds it between the calls of one action."""

from dataclasses import replace
from typing import Any

from SpiffWorkflow.util.task import TaskState

from .calls import Called, bind, routes_by_path, split, workflows
from .refusals import RouteError
from .routes import Route, Step, Timer


class Instance:
    """One file's position in its route. Not thread-safe: one per action, never shared."""

    def __init__(self, route: Route, workflow: Any, called: Called | None = None) -> None:
        self.route = route
        self._wf = workflow
        self._stored_as: str | None = None  # the dump text it is kept under, see engine.live
        self.use(called)

    def use(self, called: Called | None) -> None:
        """Find the routes this route calls through ``called`` from now on."""
        self.called = called
        bind(self._wf, self.route, called)

    @property
    def finished(self) -> bool:
        """Whether the route has reached an end."""
        return bool(self._wf.completed)

    @property
    def variables(self) -> dict[str, Any]:
        """The routing variables the file carries now."""
        return dict(self._wf.last_task.data) if self._wf.last_task else dict(self._wf.data)

    @property
    def end_name(self) -> str | None:
        """The name of the end event reached, once the route is finished."""
        if not self._wf.completed:
            return None
        ends = [t for t in self._wf.tasks.values() if t.state == TaskState.COMPLETED
                and t.task_spec.bpmn_id in self.route.end_names]
        if not ends:
            return "Finished"
        last = max(ends, key=lambda t: t.last_state_change)
        return str(self.route.end_names[last.task_spec.bpmn_id] or "Finished")

    def task_count(self) -> int:
        """How many tasks the engine remembers (stays flat however often the file moves)."""
        return sum(len(wf.tasks) for wf in workflows(self._wf))

    def step(self, step_id: str) -> Step:
        """The step ``step_id`` of this route, or of a route it called (``Call/Step``), with
        its id and the ids of its timers as this file names them."""
        path, own = split(step_id)
        route = routes_by_path(self._wf).get(path)
        if route is None or own not in route.steps:
            raise RouteError("the route has no step '%(step)s'", step=step_id)
        found = route.steps[own]
        return replace(found, id=step_id, timers=tuple(path + t for t in found.timers))

    def timer(self, timer_id: str) -> Timer:
        """The timer ``timer_id`` (``Call/Timer`` in a route it called), named as ``step``
        names the steps."""
        path, own = split(timer_id)
        route = routes_by_path(self._wf).get(path)
        if route is None or own not in route.timers:
            raise RouteError("that timer is not armed on this file")
        found = route.timers[own]
        return replace(found, id=timer_id, step_id=path + found.step_id)

    @property
    def has_timers(self) -> bool:
        """Whether the route, or a route it is running, has timers at all."""
        return any(route.timers for route in routes_by_path(self._wf).values())


def ready_tasks(workflow: Any) -> list[Any]:
    """The user tasks ready now, in the file's route and in the sub-processes it runs (the
    workflows' own tables of tasks hold them; reading them is cheaper than walking the tree)."""
    return [task for wf in workflows(workflow) if not wf.completed
            for task in wf.tasks.values()
            if task.state == TaskState.READY and task.task_spec.manual]
