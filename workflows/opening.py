"""An official opens a file: it is numbered in its section, its track is laid on the latest
version of its route, and its first step is placed at the post the step's lane means.

Opening is written as acting is (``acting``), with plain statements instead of the session's
unit of work:

- one statement reads what the opening needs: the office (its limits, calendar and posts),
  the latest version of the route, the posts the opener holds there today, the office's
  sections;
- the section's counter is moved on and the file row written in one statement on PostgreSQL
  (a data-modifying CTE), the file's number made by the server from the counter, which stays
  locked until the transaction ends, so that two files opened at once get consecutive
  numbers; on SQLite, where the whole database is locked for the write, in two;
- the first task, the first note and the track's first movement are written with the
  COMMIT on PostgreSQL (deferred, see ``plain``), at once on SQLite; the audit event is
  chained at commit like every other (``models.audit``).

On PostgreSQL an opening takes three round trips (the read with the BEGIN, the file, the rest
with the COMMIT), where the session's unit of work took one for each of its statements, and
much less of Python's time (``benchmarks/movements.py`` measures it: ``sanchika_open``).
The file is returned as the ORM object, in the session, as if just loaded; its relationships
load when first read.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta

import engine
from sqlalchemy import Text, and_, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from . import audit, org
from .acting import (MOVES, NOTES, F, H, O, P, V, holidays_of, office_posts_of,
                     place_tasks, post_title, posts_json, posts_listed, priority_limit_of)
from .db import utcnow
from .errors import InvalidInput, NotFound, named
from .models import PRIORITIES, File, FileCounter, Route, Section
from .models.textguard import check_text
from .plain import Plain
from .routing import route_by_key, route_of_version

MAX_SUBJECT = 500
MAX_CATEGORY = File.__table__.c.category.type.length
COUNTERS, ROUTES, SECTIONS = FileCounter.__table__, Route.__table__, Section.__table__


def open_file(session, *, office, user, route_key, subject, priority="Normal", category="",
              section=None, first_note="", now=None):
    """Open a file on ``route_key`` in ``office``: number it, lay its track, place its first step.

    The opener acts through their post in the office (the one holding the first step's role,
    if they hold it); the file belongs to that post's section unless ``section`` (one of the
    office's) is given.
    """
    now = now or utcnow()
    subject = " ".join((subject or "").split())
    category = (category or "").strip()
    first_note = (first_note or "").strip()
    if not subject:
        raise InvalidInput("the subject is empty: say what the file is about")
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput("the subject is longer than %(limit)s characters", limit=MAX_SUBJECT)
    if len(category) > MAX_CATEGORY:
        raise InvalidInput("the category is longer than %(limit)s characters",
                           limit=MAX_CATEGORY)
    if priority not in PRIORITIES:
        raise InvalidInput("priority '%(priority)s' is not one of: %(choices)s",
                           priority=priority, choices=", ".join(PRIORITIES))
    for text in (subject, category, first_note):
        check_text(text)

    postgresql = session.get_bind().dialect.name == "postgresql"
    session.flush()  # what the caller changed is written before these plain statements
    connection = session.connection()
    found = _READ[postgresql].first(connection, {
        "office_id": office.id, "route_key": route_key, "priority": priority,
        "user_id": user.id, "today": date.today(),
        "since": now.date() - timedelta(days=1)})  # holidays from the office's today on
    if found is None:
        raise NotFound("no office with the code '%(code)s'", code=office.code)
    if found.version_id is None:
        route_by_key(session, office, route_key)  # names the routes the office has
        raise NotFound("route '%(key)s' of %(office)s has no published version",
                       key=route_key, office=named(office))
    instance = engine.start(route_of_version(session, found.version_id, found.sha256),
                            {"priority": priority})
    arrivals = engine.ready_steps(instance)
    held = sorted(set(posts_listed(found.user_posts or "[]")), key=lambda p: p.id)
    post = org.choose_acting_post(held, user, office, arrivals[0].role if arrivals else None)
    section_id = section.id if section is not None else post.section_id
    sections = dict(json.loads(found.sections or "[]"))
    if section_id is None:
        raise InvalidInput("%(post)s belongs to no section: choose the section of the file",
                           post=post_title(session, post.id))
    if section_id not in sections:
        raise InvalidInput("section %(section)s is not a section of %(office)s",
                           section=section.code if section is not None else section_id,
                           office=named(office))

    values = {f"o_{name}": value for name, value in dict(
        office_id=office.id, section_id=section_id, subject=subject, category=category,
        priority=priority, status="open", outcome="", route_version_id=found.version_id,
        created_by_id=user.id, created_by_post_id=post.id, created_at=now, closed_at=None,
        retention=None, review_on=None, workflow_state=engine.dump(instance),
        previous_state="", engine_version=engine.SPIFF_VERSION, row_version=1).items()}
    counter = {"c_office": office.id, "c_section": section_id, "c_year": now.year}
    prefix = f"{found.office_code}/{sections[section_id]}/{now.year}/"
    if postgresql:
        file_id, number = _NUMBERED_FILE.first(connection, {**counter, **values,
                                                            "o_prefix": prefix})
    else:
        number = prefix + f"{_NEXT_SERIAL[False].first(connection, counter)[0]:04d}"
        file_id = _FILE.first(connection, {**values, "o_number": number})[0]
    later = _Later(connection)
    if first_note:
        later.add(_NOTE, n_file=file_id, n_author=user.id, n_post=post.id, n_body=first_note,
                  n_at=now)
    placed = _Placing(found, file_id, section_id)
    to_posts = place_tasks(session, later, placed, instance, arrivals, now, prefer=(post.id,))
    later.add(_MOVEMENT, m_file=file_id, m_post=post.id, m_user=user.id,
              m_to_post=to_posts[0] if to_posts else None,
              m_step=arrivals[0].name if arrivals else "", m_at=now)
    # into the session only now, so that a refusal above leaves no object of the file there
    file = _loaded(session, file_id, number, values, office, user)
    audit.record(session, "file.opened", user, file, number=number, route=route_key,
                 version=found.version)
    return file


@dataclass(frozen=True)
class _Placing:
    """What ``acting.place_tasks`` reads of a file (see ``acting._read_statement``), for the
    file being opened: its office's limits, calendar and posts from the read."""

    found: object
    id: int
    section_id: int

    def __getattr__(self, name):
        return getattr(self.found, name)


class _Later:
    """The opening's writes after the file's row (``acting.place_tasks`` adds to it): they go
    to PostgreSQL with the COMMIT, and run at once on SQLite (``Plain.write_soon``)."""

    def __init__(self, connection):
        self.connection = connection

    def add(self, statement, **params):
        statement.write_soon(self.connection, params)


def _loaded(session, file_id, number, values, office, user):
    """The file just written, as the ORM object, in the session as if loaded from its row."""
    file = File(id=file_id, number=number,
                **{name.removeprefix("o_"): value for name, value in values.items()})
    make_transient_to_detached(file)
    session.add(file)
    set_committed_value(file, "office", office)
    set_committed_value(file, "created_by", user)
    return file


def _read_statement(postgresql):
    """The office ``office_id`` with what an opening needs of it: the latest version of its
    route ``route_key`` (empty when it has none), its limit for ``priority`` and its coming
    holidays, its posts and sections, and the posts ``user_id`` holds in it on ``today``
    (JSON lists)."""
    user_posts = posts_json(postgresql, P.c.office_id == O.c.id,
                            H.c.user_id == bindparam("user_id"), org.held_on(bindparam("today")),
                            joined=P.join(H, H.c.post_id == P.c.id))
    sections = (SECTIONS.c.id, SECTIONS.c.code)
    section_list = (cast(func.json_agg(func.json_build_array(*sections)), Text) if postgresql
                    else func.json_group_array(func.json_array(*sections)))
    return (select(O.c.id.label("office_id"), O.c.code.label("office_code"),
                   O.c.name.label("office_name"), O.c.name_hi.label("office_name_hi"),
                   O.c.timezone,
                   O.c.limit_days.label("office_limit"), O.c.weekly_offs,
                   priority_limit_of(O.c.id, bindparam("priority")).label("priority_limit"),
                   holidays_of(O.c.id, postgresql).label("holidays"),
                   office_posts_of(O.c.id, postgresql).label("office_posts"),
                   user_posts.label("user_posts"),
                   select(section_list).where(SECTIONS.c.office_id == O.c.id)
                   .scalar_subquery().label("sections"),
                   V.c.id.label("version_id"), V.c.version, V.c.sha256)
            .select_from(O.outerjoin(ROUTES, and_(ROUTES.c.office_id == O.c.id,
                                                  ROUTES.c.key == bindparam("route_key")))
                         .outerjoin(V, V.c.route_id == ROUTES.c.id))
            .where(O.c.id == bindparam("office_id"))
            .order_by(V.c.version.desc()).limit(1))


_READ = {False: Plain(_read_statement(False)), True: Plain(_read_statement(True))}


def _next_serial(dialect_insert):
    """Move the section's counter for the year on by one (making it at one); its new value."""
    stmt = dialect_insert(COUNTERS).values(office_id=bindparam("c_office"),
                                           section_id=bindparam("c_section"),
                                           year=bindparam("c_year"), last=1)
    return stmt.on_conflict_do_update(
        index_elements=[COUNTERS.c.office_id, COUNTERS.c.section_id, COUNTERS.c.year],
        set_={"last": COUNTERS.c.last + 1}).returning(COUNTERS.c.last)


_NEXT_SERIAL = {False: Plain(_next_serial(sqlite_insert)), True: Plain(_next_serial(pg_insert))}
_FILE_COLUMNS = ("office_id", "section_id", "subject", "category", "priority", "status",
                 "outcome", "route_version_id", "created_by_id", "created_by_post_id",
                 "created_at", "closed_at", "retention", "review_on", "workflow_state",
                 "previous_state", "engine_version", "row_version")


def _numbered_file():
    """PostgreSQL: the counter moved on and the file written with the number it gives (the
    prefix, then the serial, at least four digits), in one statement; the file's id and
    number."""
    counter = _NEXT_SERIAL[True].statement.cte("counter")
    serial = cast(counter.c.last, Text)
    number = func.concat(bindparam("o_prefix", type_=Text),
                         func.lpad(serial, func.greatest(4, func.length(serial)), "0"))
    given = [bindparam(f"o_{name}", type_=F.c[name].type) for name in _FILE_COLUMNS]
    return (insert(F).from_select(["number", *_FILE_COLUMNS],
                                  select(number, *given).select_from(counter))
            .returning(F.c.id, F.c.number).add_cte(counter))


_NUMBERED_FILE = Plain(_numbered_file())
_FILE = Plain(insert(F).values(number=bindparam("o_number"),
                               **{name: bindparam(f"o_{name}") for name in _FILE_COLUMNS})
              .returning(F.c.id))
_NOTE = Plain(insert(NOTES).values(
    file_id=bindparam("n_file"), number=1, author_id=bindparam("n_author"),
    author_post_id=bindparam("n_post"), body=bindparam("n_body"), created_at=bindparam("n_at"),
    updated_at=bindparam("n_at"), frozen_at=None))
_MOVEMENT = Plain(insert(MOVES).values(
    file_id=bindparam("m_file"), kind="open", from_post_id=bindparam("m_post"),
    from_user_id=bindparam("m_user"), to_post_id=bindparam("m_to_post"),
    step_name=bindparam("m_step"), choice="", remark="", at=bindparam("m_at")))
