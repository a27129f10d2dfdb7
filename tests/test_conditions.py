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


# --- conditions written as ${...} (Camunda's and Signavio's Unified Expression Language) ----

@pytest.mark.parametrize("expression, variables, expected", [
    ("${approved}", {"approved": True}, True),
    ("${choice == 'Approve'}", {"choice": "Approve"}, True),
    ("${choice == 'Approve'}", {"choice": "Return"}, False),
    ("${choice eq \"Approve\" && priority != 'urgent'}", {"choice": "Approve", "priority": "x"},
     True),
    ("${choice eq \"Approve\" && priority != 'urgent'}",
     {"choice": "Approve", "priority": "urgent"}, False),
    ("${!approved}", {"approved": False}, True),
    ("${not approved or choice ne 'Return'}", {"approved": True, "choice": "Forward"}, True),
    ("${a lt 2 and b ge 3.5 && c gt -1 && d le 0}", {"a": 1, "b": 3.5, "c": 0, "d": 0}, True),
    ("${a < 2 && b >= 3 && c > 1 && d <= 0}", {"a": 1, "b": 3, "c": 2, "d": 0}, True),
    ("${x == null}", {"x": None}, True),
    ("${true && !false}", {}, True),
    ("${(choice == 'A' || choice == 'B') && priority == 'Immediate'}",
     {"choice": "B", "priority": "Immediate"}, True),
    ("${choice == 'A' || choice == 'B' && priority == 'Immediate'}",  # && before ||
     {"choice": "A", "priority": "Normal"}, True),
    ("${choice == '}'}", {"choice": "}"}, True),  # a brace inside a string does not close it
    ("${choice == \"it's\" || choice == 'say \"no\"'}", {"choice": 'say "no"'}, True),
    (r"${choice == 'it\'s'}", {"choice": "it's"}, True),
    ("${choice == 'a && b || !c'}", {"choice": "a && b || !c"}, True),  # operators in strings
    ("  ${ choice  ==  'Approve' }  ", {"choice": "Approve"}, True),
    # EL's precedence, not Python's: ! before ==, and < before ==
    ("${!choice == true}", {"choice": "Approve"}, False),
    ("${1 < 2 == 3 < 4}", {}, True),
    ("${007 == 7}", {}, True),
])
def test_el_conditions_evaluate_with_els_meaning(expression, variables, expected):
    assert conditions.evaluate(expression, variables) is expected


@pytest.mark.parametrize("expression, named", [
    ("${a.b()}", "'.': reading a property or calling a method"),
    ("${choice.length() > 0}", "'.': reading a property or calling a method"),
    ("${choice[0] == 'A'}", "'['"),
    ("#{choice == 'A'}", "deferred expressions #{...} are not allowed"),
    ("${approved ? 'yes' : 'no'}", "'?': the conditional"),
    ("${amount + 1 > 2}", "'+': arithmetic"),
    ("${amount - 1 > 2}", "'-': arithmetic"),
    ("${amount * 2 > 2}", "'*': arithmetic"),
    ("${amount div 2 > 2}", "'div': arithmetic"),
    ("${amount mod 2 == 0}", "'mod': arithmetic"),
    ("${-choice}", "'-': arithmetic"),
    ("${empty choice}", "'empty' is not allowed"),
    ("${not empty choice}", "'empty' is not allowed"),
    ("${upper(choice) == 'A'}", "'upper(...)': calling a function"),
    ("${choice == 'A'} and ${priority == 'B'}", "after its closing }"),
    ("${choice == 'A'", "not closed with }"),
    ("${choice == 'A}", "a string in ${...} is not closed"),
    ("${(choice == 'A'}", "'(' in ${...} is not closed"),
    ("${choice == 'A')}", "')' in ${...} has no '('"),
    ("${choice = 'A'}", "'=' is not allowed"),
    ("${choice == 'A'; true}", "';' is not allowed"),
    ("${x -> x}", "'->' is not allowed"),
    ("${choice instanceof String}", "'instanceof' is not allowed"),
    ("${choice == ${other}}", "an expression inside an expression"),
    ("${choice choice}", "an operator such as ==, && or || was expected"),
    ("${choice == }", "ends where a value was expected"),
    ("${== 'A'}", "a value was expected"),
    ("${}", "the expression is empty"),
    ("${in == 1}", "'in' cannot be a variable's name"),
    ("${None == choice}", "'None' cannot be a variable's name"),
    ("${$x == 1}", "'$x' cannot be a variable's name"),
    ("${__import__ == 1}", "the name '__import__' is not allowed"),  # the evaluator's own rule
    ("${choice == 'A' @ 1}", "'@' is not allowed"),
    ("${" + "(" * 70 + "choice" + ")" * 70 + "}", "nested more than 64 deep"),
    ("${" + "!" * 70 + "choice}", "nested more than 64 deep"),
])
def test_el_conditions_that_use_anything_else_are_refused_naming_it(expression, named):
    with pytest.raises(UnsafeExpression) as refused:
        conditions.evaluate(expression, {"choice": "A", "amount": 5, "approved": True})
    assert named in str(refused.value)


def test_an_el_condition_is_checked_and_read_like_any_other():
    assert conditions.names("${!approved || choice == null}") == {"approved", "choice"}
    with pytest.raises(UnsafeExpression, match="'amount' is not set"):
        conditions.evaluate("${amount > 5000}", {"choice": "Forward"})
    # a long chain of && is flat, not nested
    assert conditions.evaluate("${" + " && ".join(["true"] * 200) + "}", {}) is True


def test_plain_conditions_that_mention_dollar_braces_stay_plain():
    assert conditions.evaluate("choice == '${x}'", {"choice": "${x}"}) is True
    with pytest.raises(UnsafeExpression, match="not valid"):
        conditions.evaluate("choice && priority", {"choice": 1, "priority": 2})
