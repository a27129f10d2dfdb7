"""Writes made with Core statements that keep the session's objects of the written rows in
step: an act updates a task and a file by their keys, and an object of that row the session
already holds takes the values written, as an ORM update would give them, without the ORM's
cost of evaluating every object of the class the session holds."""

from datetime import datetime
from typing import Any, Unpack, cast

from sqlalchemy import CursorResult, Update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..db import Base
from ..models import Note


def updated(session: Session, model: type[Base], key: int, statement: Update,
            where: dict[str, object], values: dict[str, object]) -> bool:
    """Run ``statement`` (an UPDATE of ``model``'s row ``key``, by the ``where`` parameters)
    setting ``values``; True if it changed the row.  An object of that row the session holds
    takes the new values, as SQLAlchemy's ORM updates do, without the cost of their
    evaluating every such object in the session on each of an office's acts."""
    # an UPDATE's result is a CursorResult, which has the row count; Session.execute is typed
    # for every statement (SQLAlchemy's documentation casts it the same way)
    result = cast("CursorResult[Unpack[tuple[Any, ...]]]",
                  session.execute(statement, {**where, **values}))
    if result.rowcount != 1:
        return False
    set_held(session, model, key, values)
    return True


def set_held(session: Session, model: type[Base], key: int,
              values: dict[str, object]) -> None:
    held = session.identity_map.get(session.identity_key(model, key))
    if held is not None:
        for name, value in values.items():
            set_committed_value(held, name, value)


def frozen_in_session(session: Session, file_id: int, author_id: int, now: datetime) -> None:
    """Draft notes of the file by ``author_id`` that the session holds are frozen as well."""
    for held in list(session.identity_map.values()):
        if (isinstance(held, Note) and held.file_id == file_id and held.author_id == author_id
                and held.frozen_at is None):
            set_committed_value(held, "frozen_at", now)
