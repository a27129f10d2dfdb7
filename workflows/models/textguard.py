"""Text that a database cannot keep is refused before it reaches one.

PostgreSQL refuses a NUL character in any text column and UTF-8 cannot carry a lone surrogate;
SQLite keeps both.  So that a file, a note or a receipt behaves the same on both (and a page
says what is wrong instead of failing), every string written is checked at flush time.
"""

from collections.abc import Sequence

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from ..errors import InvalidInput


def check_text(value: str) -> None:
    """Refuse ``value`` (a string) if a database could not keep it."""
    if "\x00" in value:
        raise InvalidInput("the text contains a NUL character (\\0); remove it and try again")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("the text is not valid Unicode; retype it and try again") from None


@event.listens_for(Session, "before_flush")
def _refuse_unkeepable_text(session: Session, _context: UOWTransaction,
                            _instances: Sequence[object] | None) -> None:
    for obj in list(session.new) + list(session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = state.attrs[attr.key].loaded_value
            if isinstance(value, str):
                check_text(value)
