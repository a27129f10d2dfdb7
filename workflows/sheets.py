"""Spreadsheets saved as CSV, read for every import (staff onboarding, holidays).

A sheet is read whole before anything is written: bytes that are not UTF-8, a character lost
in decoding, a NUL, a field longer than the import allows (or than the csv module's own limit
of 131,072 characters), a quote left open, a row wider than the sheet and a first line that
does not name the columns are each refused with the line, and the column where there is one,
so that a refused sheet saves nothing and says where to look.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .errors import InvalidInput

MAX_BYTES = 4 * 1024 * 1024
MAX_FIELD = 1000
_UNREADABLE = re.compile("[\ud800-\udfff\ufffd\x00]")  # undecodable bytes, U+FFFD, NUL


@dataclass
class Record:
    line: int          # the line the record begins on, from 1
    cells: list[str]


def read(data: str | bytes, *, max_field: int = MAX_FIELD) -> list[Record]:
    """The records of a CSV sheet (bytes as uploaded, or text as pasted), blank ones left
    out; refused (``InvalidInput``) naming the line and column of the first thing wrong."""
    text = _decode(data)
    records = []
    for record in _parse(text):
        for column, cell in enumerate(record.cells, start=1):
            _check_cell(record.line, column, cell, max_field)
        if any(cell.strip() for cell in record.cells):
            records.append(record)
    return records


def with_header(records: Sequence[Record], columns: Sequence[str],
                optional: Sequence[str] = ()) -> list[tuple[int, dict[str, str]]]:
    """``records`` whose first one names ``columns`` (in any order, other columns allowed):
    (line, {column: value}) for each record after it, with the ``optional`` columns too ("" in
    a sheet without them); a missing or repeated column, or a row with values beyond the
    named columns, is refused."""
    if not records:
        raise InvalidInput("the sheet is empty")
    first = records[0]
    header = [cell.strip().lower() for cell in first.cells]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InvalidInput("line %(line)s: the first line must name the columns %(columns)s; "
                           "missing: %(missing)s", line=first.line,
                           columns=", ".join(columns), missing=", ".join(missing))
    for column, name in enumerate(header, start=1):
        if name and name in header[:column - 1]:
            raise InvalidInput("line %(line)s, column %(column)s: the column '%(name)s' is "
                               "named twice", line=first.line, column=column, name=name)
    rows = []
    for record in records[1:]:
        at_most(record, len(header))
        cells = record.cells + [""] * (len(header) - len(record.cells))
        values = {name: cells[header.index(name)] for name in columns}
        values.update({name: cells[header.index(name)] if name in header else ""
                       for name in optional})
        rows.append((record.line, values))
    return rows


def at_most(record: Record, width: int) -> None:
    """Refuse ``record`` if it has a value beyond its first ``width`` columns (a comma in a
    value that is not quoted, most often)."""
    for column, cell in enumerate(record.cells[width:], start=width + 1):
        if cell.strip():
            raise InvalidInput("line %(line)s, column %(column)s: a row of this sheet has "
                               "%(count)s columns; a value with a comma goes in quotes",
                               line=record.line, column=column, count=width)


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if len(data) > MAX_BYTES:
        raise InvalidInput("the sheet is larger than %(limit)s MB", limit=MAX_BYTES // 2**20)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput("the sheet is UTF-16 text; save it as CSV UTF-8 and try again")
    # undecodable bytes become lone surrogates, found with their line and column below
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")


def _parse(text: str) -> Iterator[Record]:
    if len(text) > MAX_BYTES:
        raise InvalidInput("the sheet is larger than %(limit)s MB", limit=MAX_BYTES // 2**20)
    lines: list[str] = []
    source = io.StringIO(text, newline="")
    reader = csv.reader(_kept(source, lines), strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _unreadable(start, "".join(lines[start - 1:]), exc) from None
        yield Record(start, cells)
        start = reader.line_num + 1


def _kept(source: Iterable[str], lines: list[str]) -> Iterator[str]:
    for line in source:
        lines.append(line)
        yield line


def _unreadable(line: int, raw: str, exc: csv.Error) -> InvalidInput:
    if "field limit" in str(exc):
        return InvalidInput("line %(line)s, column %(column)s: the field is longer than "
                            "%(limit)s characters", line=line,
                            column=_long_column(raw, csv.field_size_limit()),
                            limit=f"{csv.field_size_limit():,}")
    return InvalidInput("line %(line)s: a quote is left open or out of place; put a value "
                        "in quotes whole and double a quote inside it (\"\")", line=line)


def _long_column(raw: str, limit: int) -> int:
    """The column of the first field in ``raw`` (a record's text) longer than ``limit``,
    counting commas outside quotes as the csv module does."""
    column, length, quoted = 1, 0, False
    for char in raw:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            column, length = column + 1, 0
        else:
            length += 1
            if length > limit:
                break
    return column


def _check_cell(line: int, column: int, cell: str, max_field: int) -> None:
    found = _UNREADABLE.search(cell)
    if found and found.group() == "\x00":
        raise InvalidInput("line %(line)s, column %(column)s: the field holds a NUL character "
                           "(\\0); remove it and try again", line=line, column=column)
    if found:
        raise InvalidInput("line %(line)s, column %(column)s: the text is not UTF-8; save the "
                           "sheet as CSV UTF-8 and try again", line=line, column=column)
    if len(cell) > max_field:
        raise InvalidInput("line %(line)s, column %(column)s: the field is longer than "
                           "%(limit)s characters", line=line, column=column,
                           limit=f"{max_field:,}")
