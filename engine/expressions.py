"""Conditions written as Camunda Modeler and Signavio write them: ``${...}`` in the Unified
Expression Language (EL), read into the restricted evaluator's own language.

``to_python`` reads ``${choice eq 'Approve' && !urgent}`` with EL's own precedence (``!``
before the comparisons, ``<`` before ``==``, ``&&`` before ``||``) and writes the same
condition with every group in parentheses, ``((choice == 'Approve') and (not urgent))``, for
``engine.conditions`` to check and evaluate like any other condition.  What EL offers beyond
comparisons, boolean logic, names, parentheses and literals (properties and methods, calls,
arithmetic, ``empty``, the ``? :`` conditional, deferred ``#{...}``) is refused, named.
"""

import keyword
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .refusals import UnsafeExpression

_Part = Callable[[], str]

_MAX_DEPTH = 64

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<open_string>['"])
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<op>&&|\|\||==|!=|<=|>=|->|\+=|[\#$]\{|[<>!()}\-+*/%?:.\[\],;={&|])
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)

#: EL's operators and word operators, as the evaluator writes them.
_OR = {"||": "or", "or": "or"}
_AND = {"&&": "and", "and": "and"}
_EQUALITY = {"==": "==", "!=": "!=", "eq": "==", "ne": "!="}
_RELATIONAL = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "lt": "<", "gt": ">", "le": "<=",
               "ge": ">="}
_NOT = {"!", "not"}
_LITERAL_WORDS = {"true": "True", "false": "False", "null": "None"}
_WORD_OPERATORS = set(_OR) | set(_AND) | set(_EQUALITY) | set(_RELATIONAL) | _NOT
_ARITHMETIC = {"+", "-", "*", "/", "%", "div", "mod"}


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "number", "name", "word" (a word operator or literal), "op"
    text: str
    value: str = ""  # a string literal's value


def is_el(expression: str) -> bool:
    """Whether ``expression`` is written as an EL expression, ``${...}`` (or ``#{...}``)."""
    return expression.lstrip().startswith(("${", "#{"))


def to_python(expression: str) -> str:
    """The condition ``${...}`` written in the restricted evaluator's language; raise
    UnsafeExpression naming what is not allowed in it."""
    text = expression.strip()
    if text.startswith("#{"):
        raise UnsafeExpression("deferred expressions #{...} are not allowed; write ${...}")
    tokens = list(_tokens(text[2:]))
    parser = _Parser(tokens)
    if len(tokens) == 1:
        raise UnsafeExpression("the expression is empty")
    python = parser.expression()
    parser.expect("}")
    return python


def _tokens(body: str) -> Iterator[_Token]:
    """The tokens of ``body`` (the text after ``${``) up to its closing ``}``, which ends
    the list; refused: what no condition may use, and text after the ``}``."""
    for match in _TOKEN.finditer(body):
        kind, text = match.lastgroup or "other", match.group()
        if kind == "space":
            continue
        if kind == "op" and text == "}":
            rest = body[match.end():].strip()
            if rest:
                raise UnsafeExpression("a condition is one ${...} expression; '%(text)s' after "
                                       "its closing } is not allowed", text=rest)
            yield _Token("op", "}")
            return
        yield _token(kind, text)
    raise UnsafeExpression("the ${ of the condition is not closed with }")


def _token(kind: str, text: str) -> _Token:
    if kind == "string":
        return _Token("string", text, re.sub(r"\\([\\'\"])", r"\1", text[1:-1]))
    if kind == "open_string":
        raise UnsafeExpression("a string in ${...} is not closed: %(quote)s", quote=text)
    if kind == "other":
        raise UnsafeExpression("'%(text)s' is not allowed in ${...}", text=text)
    if kind == "number":
        return _Token("number", text)
    if kind == "name":
        return _word(text)
    _refuse_operator(text)
    return _Token("op", text)


def _word(text: str) -> _Token:
    if text in _WORD_OPERATORS or text in _LITERAL_WORDS:
        return _Token("word", text)
    if text == "empty":
        raise UnsafeExpression("'empty' is not allowed in ${...}; compare with null or '' "
                               "instead (x == null, x == '')")
    if text in ("div", "mod"):
        raise _arithmetic(text)
    if text == "instanceof":
        raise UnsafeExpression("'instanceof' is not allowed in ${...}")
    if "$" in text or keyword.iskeyword(text):
        raise UnsafeExpression("'%(text)s' cannot be a variable's name in ${...}", text=text)
    return _Token("name", text)


def _arithmetic(text: str) -> UnsafeExpression:
    return UnsafeExpression("'%(text)s': arithmetic is not allowed in ${...}; a condition "
                            "compares values", text=text)


def _refuse_operator(text: str) -> None:
    """Refuse the operators EL has and conditions may not use ("-" is allowed before a
    number, and refused by the parser elsewhere)."""
    if text in (".", "[", "]"):
        raise UnsafeExpression("'%(text)s': reading a property or calling a method of a "
                               "value (a.b, a.b(), a[0]) is not allowed in ${...}", text=text)
    if text in _ARITHMETIC - {"-"}:
        raise _arithmetic(text)
    if text in ("?", ":"):
        raise UnsafeExpression("'%(text)s': the conditional a ? b : c is not allowed in "
                               "${...}; lead a flow to each case from a gateway", text=text)
    if text in ("${", "#{"):
        raise UnsafeExpression("'%(text)s': an expression inside an expression is not "
                               "allowed in ${...}", text=text)
    if text in ("=", "+=", "->", ";", ",", "{", "&", "|"):
        raise UnsafeExpression("'%(text)s' is not allowed in ${...}", text=text)


class _Parser:
    """EL's grammar for the part conditions use, from its loosest operator (``||``) to its
    tightest (``!``); each method returns the evaluator's text of what it read."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens, self.at, self.depth = tokens, 0, 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def deeper(self, levels: int = 1) -> None:
        """Go ``levels`` deeper into the condition's groups (negative: back out)."""
        self.depth += levels
        if self.depth > _MAX_DEPTH:
            raise UnsafeExpression("the condition is nested more than %(limit)s deep",
                                   limit=_MAX_DEPTH)

    def expression(self) -> str:
        return self.joined(_OR, self.conjunction)

    def conjunction(self) -> str:
        return self.joined(_AND, self.equality)

    def joined(self, operators: dict[str, str], part: "_Part") -> str:
        """Parts joined by one boolean operator, flat: ``(a or b or c)``."""
        parts = [part()]
        while self.token.text in operators:
            self.take()
            parts.append(part())
        if len(parts) == 1:
            return parts[0]
        word = next(iter(operators.values()))
        return "(" + f" {word} ".join(parts) + ")"

    def equality(self) -> str:
        return self.compared(_EQUALITY, self.relational)

    def relational(self) -> str:
        return self.compared(_RELATIONAL, self.unary)

    def compared(self, operators: dict[str, str], part: "_Part") -> str:
        """Comparisons, grouped from the left as EL groups them: ``((a < b) == c)``."""
        left, levels = part(), 0
        while self.token.text in operators:
            op = operators[self.take().text]
            self.deeper()
            levels += 1
            left = f"({left} {op} {part()})"
        self.deeper(-levels)
        return left

    def unary(self) -> str:
        token = self.token
        if token.text in _NOT:
            self.take()
            self.deeper()
            negated = f"(not {self.unary()})"
            self.deeper(-1)
            return negated
        if token.text == "-":
            self.take()
            if self.token.kind != "number":
                raise _arithmetic("-")
            return f"(-{self.take().text})"
        return self.primary()

    def primary(self) -> str:
        token = self.take()
        if token.kind == "number":  # 007 is seven in EL, and not a number in Python
            return str(int(token.text)) if token.text.isdigit() else token.text
        if token.kind == "string":
            return repr(token.value)
        if token.text in _LITERAL_WORDS:
            return _LITERAL_WORDS[token.text]
        if token.kind == "name":
            if self.token.text == "(":
                raise UnsafeExpression("'%(name)s(...)': calling a function is not allowed in "
                                       "${...}", name=token.text)
            return token.text
        if token.text == "(":
            self.deeper()
            inner = self.expression()
            self.expect(")")
            self.deeper(-1)
            return f"({inner})"
        if token.text == "}":
            raise UnsafeExpression("the condition ${...} ends where a value was expected")
        raise UnsafeExpression("the condition ${...} is not valid at '%(text)s': a value was "
                               "expected", text=token.text)

    def expect(self, closing: str) -> None:
        """Take the ``closing`` token (")" or the final "}"), or refuse what stands there."""
        token = self.take()
        if token.text == closing:
            return
        if token.text == "-":
            raise _arithmetic("-")
        if token.text == "}":
            raise UnsafeExpression("a '(' in ${...} is not closed with ')'")
        if token.text == ")":
            raise UnsafeExpression("a ')' in ${...} has no '(' before it")
        raise UnsafeExpression("the condition ${...} is not valid at '%(text)s': an operator "
                               "such as ==, && or || was expected", text=token.text)
