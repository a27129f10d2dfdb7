"""A small, safe evaluator for the expressions a route may carry.

Gateway conditions and timer expressions come from BPMN that an administrator uploads, so they
must never reach Python's ``eval``.  This module accepts comparisons, ``and``/``or``/``not``,
``in``/``not in``, names, and literals (strings, numbers, booleans, None, tuples and lists of
literals) and nothing else: no calls, attributes, subscripts, lambdas or comprehensions.
An expression written as ``${...}`` (Camunda's and Signavio's way) is read by
``engine.expressions`` into the same language first, here, so that the checks and the
running route both see the same condition.
"""

import ast
import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

from . import expressions
from .refusals import UnsafeExpression as UnsafeExpression  # where it always was

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}

_MAX_LENGTH = 2000


def check(expression: object) -> ast.Expression:
    """Parse ``expression`` and return its AST, or raise UnsafeExpression saying what is wrong.

    A route's few conditions are evaluated at every movement, so each expression's checked
    tree is kept (the trees are only read, never changed)."""
    if not isinstance(expression, str):
        raise UnsafeExpression("the expression is empty")
    return _checked(expression)


@functools.lru_cache(maxsize=1024)
def _checked(expression: str) -> ast.Expression:
    if not expression.strip():
        raise UnsafeExpression("the expression is empty")
    if len(expression) > _MAX_LENGTH:
        raise UnsafeExpression("the expression is longer than %(limit)s characters",
                               limit=_MAX_LENGTH)
    text = expressions.to_python(expression) if expressions.is_el(expression) else expression
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise UnsafeExpression("the expression is not valid: %(why)s", why=exc.msg) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise UnsafeExpression("'%(kind)s' is not allowed; use comparisons, and/or/not, "
                                   "in, names and literals", kind=type(node).__name__)
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise UnsafeExpression("the name '%(name)s' is not allowed", name=node.id)
    return tree


def names(expression: str) -> set[str]:
    """The variable names an expression reads."""
    return {n.id for n in ast.walk(check(expression)) if isinstance(n, ast.Name)}


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate a checked expression against a mapping of variables.

    A name that is not in ``variables`` raises UnsafeExpression naming it, so a route that
    tests a variable the file never sets fails loudly instead of taking a wrong path.
    """
    return _eval(check(expression).body, variables)


def _eval(node: ast.expr, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        if node.id not in variables:
            raise UnsafeExpression("the name '%(name)s' is not set on this file", name=node.id)
        return variables[node.id]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return tuple(_eval(e, variables) for e in node.elts)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            result = True
            for value in node.values:
                result = _eval(value, variables)
                if not result:
                    return result
            return result
        result = False
        for value in node.values:
            result = _eval(value, variables)
            if result:
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, variables)
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, ast.USub):
            return -value
        return +value
    if isinstance(node, ast.Compare):
        left = _eval(node.left, variables)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, variables)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError as exc:
                raise UnsafeExpression("cannot compare: %(why)s", why=str(exc)) from None
            left = right
        return True
    raise UnsafeExpression("'%(kind)s' is not allowed",  # unreachable after check()
                           kind=type(node).__name__)


_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Compare, ast.Name, ast.Load, ast.Constant, ast.Tuple, ast.List, ast.Set,
    *_COMPARE.keys(),
)
