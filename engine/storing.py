"""Store a file's place in its route as text, and read it back.

The state stored per file holds only where the file is in its route and its routing
variables; the route itself is stored once per route version and handed back in on load.
Format 2 is ``engine.state``; format 1 (SpiffWorkflow's own serializer without the spec,
written before format 2) is still read, so a file stored then moves on.
"""

import json
from importlib.metadata import version
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from . import state
from .calls import Called, bind
from .instance import Instance
from .live import LIVE
from .refusals import RouteError
from .routes import Route
from .scripting import SCRIPT_ENGINE
from .spiff_internals import RouteTask, RouteWorkflow

SPIFF_VERSION = version("SpiffWorkflow")


class _WorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Read format 1 state without the spec, which is handed back in on load."""

    def __init__(self, target_class: type, registry: Any) -> None:
        super().__init__(target_class, registry, typename="_Workflow")  # as format 1 names it

    def from_dict(self, dct: dict[str, Any], spec: Any = None) -> Any:
        workflow = self.target_class(spec, {}, script_engine=SCRIPT_ENGINE, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _TaskConverter(TaskConverter):  # type: ignore[misc]
    """Read format 1's tasks (named "Task" there) as a route's tasks."""

    def __init__(self, target_class: type, registry: Any) -> None:
        super().__init__(target_class, registry, typename="Task")


def _registry() -> Any:
    config = dict(SPIFF_CONFIG)
    config.pop(BpmnWorkflow)
    config.pop(Task)
    config[RouteWorkflow] = _WorkflowConverter
    config[RouteTask] = _TaskConverter
    return BpmnWorkflowSerializer.configure(config)


_REGISTRY = _registry()
_SERIALIZER_VERSION = str(BpmnWorkflowSerializer(_REGISTRY).VERSION)


def dump(instance: Instance) -> str:
    """The instance's state as text (``engine.state``, format 2), without the route spec."""
    text = state.write(instance._wf, _REGISTRY, SPIFF_VERSION)
    LIVE.keep(instance, text)
    return text


def load(route: Route, text: str, called: Called | None = None) -> Instance:
    """Restore an instance from ``dump`` output and the route it was started on; the routes it
    calls are found through ``called`` (``engine.calls``).  Text of format 1 (SpiffWorkflow's
    own serializer, written before format 2) is read too."""
    kept = LIVE.take(text, route)
    if kept is not None:
        kept.use(called)
        return kept
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    stored = doc.get("format") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and stored == state.FORMAT:
        return Instance(route, _read(route, doc, called), called)
    if isinstance(doc, dict) and stored == 1 and doc.get("serializer") == _SERIALIZER_VERSION:
        return Instance(route, _REGISTRY.restore(doc["state"], spec=route.spec), called)
    serializer = f"/{doc.get('serializer')}" if isinstance(doc, dict) and stored == 1 else ""
    raise RouteError("stored state has format %(stored)s, this engine reads %(reads)s",
                     stored=f"{stored}{serializer}",
                     reads=f"{state.FORMAT}, and 1/{_SERIALIZER_VERSION}")


def _read(route: Route, doc: dict[str, Any], called: Called | None) -> Any:
    workflow = RouteWorkflow(route.spec, {}, script_engine=SCRIPT_ENGINE, deserializing=True)
    bind(workflow, route, called)
    try:
        return state.read(doc, workflow, _REGISTRY, called)
    except state.StateUnreadable as exc:
        raise RouteError("the stored state of this file cannot be read: %(why)s",
                         why=str(exc)) from None
