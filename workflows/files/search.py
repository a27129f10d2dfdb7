"""Search over file numbers, subjects and note text, in Hindi and English, limited to the files
the user may see (the rules of workflows/access.py, put in SQL).

SQLite: the FTS5 tables of migration 0006 (prefix match on every word).  PostgreSQL: the GIN
indexes on to_tsvector('simple', ...) of migration 0006, prefix match on every word.  A file
number typed whole, or a part of one, also matches within the offices the user works in.
"""

import re
from datetime import date
from typing import Any

from sqlalchemy import (ColumnElement, CompoundSelect, Function, Select, exists, func,
                        literal_column, or_, select, text, union)
from sqlalchemy.orm import Session

from .. import clock, org
from ..db import one_of, remembered
from ..models import File, Note, Post, PostHolding, Task, User

LIMIT = 50
_WORD = re.compile(r"[\w\u0900-\u097F]+", re.UNICODE)


def words(query: str | None) -> list[str]:
    """The words of a query: letters (Devanagari signs included) and digits, at most 8."""
    return [w.lower() for w in _WORD.findall(query or "")][:8]


def _files_vector() -> Function[Any]:  # a tsvector: no Python type
    return func.to_tsvector(literal_column("'simple'"),
                            func.replace(File.number, "/", " ") + " " + File.subject)


def _ts_query(found: list[str]) -> Function[Any]:  # a tsquery
    # each word quoted as a lexeme with a prefix mark: 'word':* & 'other':*
    return func.to_tsquery(literal_column("'simple'"), " & ".join(
        "'" + w.replace("'", "''").replace("\\", "") + "':*" for w in found))


def _match_ids(session: Session, found: list[str]) -> list[Select[int]]:
    """Selects of ids of files whose number, subject or a note matches every word."""
    if session.get_bind().dialect.name == "postgresql":
        query = _ts_query(found)
        return [select(File.id).where(_files_vector().op("@@")(query)),
                select(Note.file_id).where(
                    func.to_tsvector(literal_column("'simple'"), Note.body).op("@@")(query))]
    match = " ".join('"' + w.replace('"', '""') + '"*' for w in found)
    return [select(literal_column("rowid")).select_from(text("search_files"))
            .where(text("search_files MATCH :q").bindparams(q=match)),
            select(Note.file_id).where(Note.id.in_(
                select(literal_column("rowid")).select_from(text("search_notes"))
                .where(text("search_notes MATCH :q2").bindparams(q2=match))))]


def visible_ids(session: Session, user: User, day: date | None = None) -> CompoundSelect[int]:
    """The ids of the files the user may see, as one select: files of offices where the user
    is head or administrator; files they opened; files that stopped at their posts or at posts
    reporting to them (any depth).  Superiors see what passed below them, as
    access.check_can_view.  A set of ids (not a condition tested file by file) lets the
    database meet a common word's many matches with an official's few files quickly."""
    day = day or clock.today()
    held = select(PostHolding.post_id).where(PostHolding.user_id == user.id,
                                                 org.held_on(day))
    heads = select(Post.office_id).where(Post.id.in_(held), or_(Post.is_head, Post.is_admin))
    return union(select(File.id).where(File.office_id.in_(heads)),
                 select(File.id).where(File.created_by_id == user.id),
                 select(Task.file_id).where(Task.post_id.in_(posts_below(session, user, day))))


def posts_below(session: Session, user: User, day: date) -> list[int]:
    """The posts ``user`` holds on ``day`` and those reporting to them at any depth.  Read
    first, as a list: as a subquery the planner guessed thousands of posts where a head has a
    hundred, and read all the tasks of the state rather than those posts' (index)."""
    def find() -> list[int]:
        held = select(PostHolding.post_id).where(PostHolding.user_id == user.id,
                                                 org.held_on(day))
        below = select(Post.id).where(Post.id.in_(held)).cte("below", recursive=True)
        below = below.union(select(Post.id).where(Post.reports_to_id == below.c.id))
        return list(session.scalars(select(below.c.id)))
    return remembered(session, ("posts_below", user.id, day), find)


NARROW = 20_000  # up to this many visible files, test them one by one (PostgreSQL)


def visible_list(session: Session, user: User, day: date | None = None) -> list[int] | None:
    """On PostgreSQL, the ids of the files ``user`` may see when they are at most ``NARROW``
    (an official's, a head's of an office); None for wider views, and on SQLite.  Read once
    per transaction: the search page's files and its mentions both ask."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    day = day or clock.today()

    def find() -> list[int] | None:
        allowed = visible_ids(session, user, day).subquery()
        ids = list(session.scalars(select(allowed.c[0]).limit(NARROW + 1)))
        return ids if len(ids) <= NARROW else None
    return remembered(session, ("visible", user.id, day), find)


def search(session: Session, user: User, query: str | None, limit: int = LIMIT,
           day: date | None = None) -> list[File]:
    """Files matching ``query`` that ``user`` may see, newest first.

    On PostgreSQL an official who sees a few thousand files has those files tested against the
    words one by one; a common word's index matches (a third of a state's files, say) would cost
    far more to gather and then meet (a section officer's search at a million files: 790 ms).
    Wider views (heads of many offices) and SQLite go from the full-text index and meet the
    visible set there."""
    found = words(query)
    if not found:
        return []
    typed = (query or "").strip()
    number_like = func.lower(File.number).like("%" + _escape(typed.lower()) + "%", escape="\\")
    ids = visible_list(session, user, day)
    if ids is not None:
        stmt = (select(File).where(one_of(session, File.id, ids),
                                   or_(_pg_matches(found), number_like))
                .order_by(File.id.desc()).limit(limit))
        return list(session.scalars(stmt))
    allowed = visible_ids(session, user, day).subquery()
    offices = select(Post.office_id).where(Post.id.in_(
        select(PostHolding.post_id).where(PostHolding.user_id == user.id,
                                              org.held_on(day or clock.today()))))
    by_number = select(File.id).where(File.office_id.in_(offices), number_like)
    matched = union(*_match_ids(session, found), by_number).subquery()
    stmt = (select(File).where(File.id.in_(select(matched.c[0])),
                               File.id.in_(select(allowed.c[0])))
            .order_by(File.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def _pg_matches(found: list[str]) -> ColumnElement[bool]:
    """A condition on File: its number, subject or one of its notes holds every word."""
    query = _ts_query(found)
    in_note = exists(select(Note.id).where(
        Note.file_id == File.id,
        func.to_tsvector(literal_column("'simple'"), Note.body).op("@@")(query)))
    return or_(_files_vector().op("@@")(query), in_note)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
