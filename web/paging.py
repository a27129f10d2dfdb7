"""Long lists shown a page at a time, with the totals: a page of a report holds ``SIZE`` rows,
whatever the office's size, so that it renders (and travels over a slow line) in the same
time at a district's scale as in the demo."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import request, url_for

SIZE = 100
_Row = TypeVar("_Row")


@dataclass
class Page(Generic[_Row]):
    rows: Sequence[_Row]
    number: int       # 1 for the first page
    pages: int        # at least 1
    total: int        # rows on every page together
    arg: str          # the query argument that names the page

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first row; 0 when there are none."""
        return (self.number - 1) * SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    def link(self, number: int) -> str:
        """This page's address with page ``number`` of the list, the other arguments kept."""
        args = {**(request.view_args or {}), **request.args.to_dict(), self.arg: number}
        return url_for(request.endpoint or "", **args)


def page_of(rows: Sequence[_Row], arg: str = "page") -> Page[_Row]:
    """The page of ``rows`` the request asks for in ``arg``."""
    number = asked(len(rows), arg)
    start = (number - 1) * SIZE
    return Page(rows[start:start + SIZE], number, pages(len(rows)), len(rows), arg)


def asked(total: int, arg: str = "page") -> int:
    """The number of the page of ``total`` rows the request asks for in ``arg``: the first,
    when it names none or no number; the last, when it names one beyond it.  Rows
    ``(number - 1) * SIZE`` on are that page's, for a caller that reads only those."""
    value = request.args.get(arg, "")
    return min(max(int(value), 1), pages(total)) if value.isdigit() else 1


def pages(total: int) -> int:
    return max(1, -(-total // SIZE))
