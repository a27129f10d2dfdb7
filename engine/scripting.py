"""The script engine every route runs with: expressions go to the restricted evaluator
(``engine.conditions``) and scripts or service calls are refused, never run."""

from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import conditions
from .timer_checks import is_iso_timer


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Expressions go to the restricted evaluator; scripts are never run."""

    def evaluate(self, expression: str | None, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        """A gateway condition's or timer's value; a bare ISO 8601 timer value (P3D) is
        itself."""
        text = (expression or "").strip()
        if is_iso_timer(text):
            return text
        value = conditions.evaluate(text, {**(external_context or {}), **context})
        return value.strip() if isinstance(value, str) and is_iso_timer(value) else value

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        """Refused: a route may not run a script."""
        raise conditions.UnsafeExpression("routes may not run scripts")

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        """Refused: a route may not call a service."""
        raise conditions.UnsafeExpression("routes may not call services")


SCRIPT_ENGINE = PythonScriptEngine(environment=RestrictedEnvironment())
