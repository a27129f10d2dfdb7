"""One file's place in its route, as the engine holds it between the calls of one action."""

from typing import Any

from SpiffWorkflow.util.task import TaskState

from .routes import Route


class Instance:
    """One file's position in its route. Not thread-safe: one per action, never shared."""

    def __init__(self, route: Route, workflow: Any) -> None:
        self.route = route
        self._wf = workflow
        self._stored_as: str | None = None  # the dump text it is kept under, see engine.live

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
        ends = [t for t in self._wf.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.bpmn_id in self.route.end_names]
        if not ends:
            return "Finished"
        last = max(ends, key=lambda t: t.last_state_change)
        return str(self.route.end_names[last.task_spec.bpmn_id] or "Finished")

    def task_count(self) -> int:
        """How many tasks the engine remembers (stays flat however often the file moves)."""
        return len(self._wf.tasks)


def ready_tasks(workflow: Any) -> list[Any]:
    """The user tasks ready now.  A route has no sub-processes, so the workflow's own table
    of tasks holds them all; reading it is cheaper than walking the task tree."""
    return [task for task in workflow.tasks.values()
            if task.state == TaskState.READY and task.task_spec.manual]
