"""The restricted evaluator: what a route's conditions may and may not do."""

import pytest

from engine import conditions
from engine.conditions import UnsafeExpression


@pytest.mark.parametrize("expression, variables, expected", [
    ('choice == "Forward"', {"choice": "Forward"}, True),
    ('choice == "Forward"', {"choice": "Return"}, False),
    ('choice != "Return" and priority in ("Immediate", "Top Priority")',
     {"choice": "Approve", "priority": "Immediate"}, True),
    ("not (choice == 'Return') or priority == 'Normal'", {"choice": "Return", "priority": "Normal"},
     True),
    ("1 < 2 <= 2", {}, True),
    ("-1 < 0", {}, True),
    ("choice not in ['Reject', 'Return']", {"choice": "Approve"}, True),
    ("choice is None", {"choice": None}, True),
    ("True and False", {}, False),
])
def test_allowed_expressions_evaluate(expression, variables, expected):
    assert conditions.evaluate(expression, variables) is expected


@pytest.mark.parametrize("expression", [
    "__import__('os').system('echo pwned')",
    "open('/etc/passwd').read()",
    "().__class__.__bases__[0].__subclasses__()",
    "choice.upper() == 'X'",
    "[x for x in range(10)]",
    "lambda: 1",
    "choice[0] == 'F'",
    "_secret == 1",
    "a + b",
    "(yield 1)",
    "x := 1",
    "f'{choice}'",
])
def test_dangerous_or_unsupported_expressions_are_refused(expression):
    with pytest.raises(UnsafeExpression):
        conditions.evaluate(expression, {"choice": "Forward", "a": 1, "b": 2, "_secret": 1})


def test_unknown_name_is_named_in_the_error():
    with pytest.raises(UnsafeExpression, match="'amount'"):
        conditions.evaluate("amount > 5000", {"choice": "Forward"})


def test_empty_and_huge_expressions_are_refused():
    with pytest.raises(UnsafeExpression, match="empty"):
        conditions.check("  ")
    with pytest.raises(UnsafeExpression, match="longer"):
        conditions.check("1 == 1 and " * 500 + "True")


def test_names_lists_variables_read():
    assert conditions.names('choice == "A" and priority != "Normal"') == {"choice", "priority"}
