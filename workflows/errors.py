"""Errors a user can be told about. Each carries one clear sentence; none is a crash.

An error keeps its sentence as a %-style template with named placeholders and the values for
them, so that the pages can say it in the official's language (the templates are extracted into
the Hindi catalog) while ``str(error)`` stays the English sentence for the CLI, jobs and logs.
Nothing here knows about Flask.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Self

from .clock import IST


_DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def devanagari_digits(text: str) -> str:
    """``text`` with its digits written as Hindi writes them (३ for 3)."""
    return text.translate(_DEVANAGARI)


class Named(str):
    """A name put into a refusal (an office, a post's title, a person): the English as the
    string, for the CLI, jobs and logs, and the Hindi beside it when the org chart has one,
    for a page to show a Hindi user."""

    hindi: str

    def __new__(cls, english: str | None, hindi: str | None = "") -> Self:
        value = super().__new__(cls, english or "")
        value.hindi = hindi or ""
        return value


def named(thing: object, attribute: str = "name") -> Named:
    """``thing``'s ``attribute`` (``name`` or ``title``) with its ``_hi`` form, as a Named."""
    return Named(getattr(thing, attribute), getattr(thing, attribute + "_hi", ""))


def listed(names: Iterable[Named]) -> Named:
    """Several Named as one ("A and B" / "A और B"), each in the reader's language; a name
    with no Hindi stays English in the Hindi list."""
    names = list(names)
    return Named(" and ".join(names), " और ".join(n.hindi or n for n in names)
                 if any(getattr(n, "hindi", "") for n in names) else "")


class Moment(str):
    """A moment put into a refusal: Indian time as the string (for the CLI, jobs and logs);
    ``moment`` keeps the time itself, for a page to tell in the reader's language."""

    moment: datetime

    def __new__(cls, moment: datetime) -> Self:
        value = super().__new__(cls, moment.astimezone(IST).strftime("%d-%m-%Y %H:%M IST"))
        value.moment = moment
        return value


class Sentence(str):
    """A sentence for an official that is not a refusal (what changed in a route, why a file
    cannot move): the English as the string, with its template and values beside it, so that
    a page can say it in the reader's language as it says a refusal."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Self:
        value = super().__new__(cls, template % params if params else template)
        value.template, value.params = template, params
        return value


class SanchikaError(Exception):
    """Base class: ``str(error)`` is the message shown to the official, ``template`` and
    ``params`` are the same message before its values are put in (``template % params``)."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template)
        self.template, self.params = template, params

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


class NotFound(SanchikaError):
    pass


class NotAllowed(SanchikaError):
    pass


class InvalidInput(SanchikaError):
    pass


class WrongPin(NotAllowed):
    """A signing PIN (or the password replacing one) that does not open the key: the pages
    count these against the official (``web.throttle``)."""


class FileMoved(SanchikaError):
    """The file changed since the official last saw it (someone else acted first)."""

    def __init__(self, template: str = "the file has moved: someone acted on it first; "
                                     "look at it again before acting",
                 **params: object) -> None:
        super().__init__(template, **params)
