"""The engine's refusals keep their sentence as a %-style ``template`` with named ``params``,
as the application's do, so that a page can say them in the reader's language while
``str()`` stays the English sentence for the CLI and logs."""

from collections.abc import Mapping
from typing import Any


def N_(template: str) -> str:
    """Marks a sentence for the Hindi catalog where it is not written inside a call that
    ``make translations`` knows (a refusal, a problem)."""
    return template


def english(template: str, params: Mapping[str, Any]) -> str:
    """The sentence with its values put in."""
    return template % params if params else template


class Refusal(Exception):
    """Something the engine will not do or accept, said as a template with its values."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template)
        self.template, self.params = template, params

    def __str__(self) -> str:
        return english(self.template, self.params)


class RouteError(Refusal):
    """An action the route does not allow (an unknown choice, a step not ready, ...)."""


class UnsafeExpression(Refusal, ValueError):
    """The expression uses something the restricted evaluator does not allow."""
