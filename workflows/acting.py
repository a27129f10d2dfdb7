"""An official acts on a file: the step they hold is completed with one of its choices and the
file goes on to the next post.  This is what an office does all day, so it is written to cost
little:

- one statement reads everything the action needs and locks the file: the file, its office
  and route version, its open tasks (and whether the official holds each task's post today),
  the office's limit for the file's priority and its coming holidays;
- the engine works on the instance it keeps in memory (see ``engine.runtime``);
- the writes are plain statements on the tables, with no unit of work to build; on PostgreSQL
  they are one statement (a data-modifying CTE each), deferred to go to the server with the
  COMMIT, so that an act takes two round trips (see ``plain``);
- the read and the writes are compiled once and run on the driver (``plain``).

ORM objects of the file that the caller already holds in the session are expired, so that
reading them afterwards gives the new state.  The audit event is chained at commit like every
other (``models.audit``).
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import engine
from sqlalchemy import (Integer, String, Text, and_, bindparam, cast, exists, func, insert,
                        literal, literal_column, select, update)

from . import audit, limits, org
from .calendar import OfficeCalendar, parse_weekly_offs
from .db import utcnow
from .errors import (FileMoved, InvalidInput, Moment, Named, NotAllowed, NotFound, listed,
                     named)
from .models import (File, FileTimer, Holiday, Movement, Note, Office, Post, PostHolding,
                     PriorityLimit, RouteVersion, Task)
from .models.textguard import check_text
from .plain import Plain
from .routing import route_of_version

F, O, V = File.__table__, Office.__table__, RouteVersion.__table__
T, H, P = Task.__table__, PostHolding.__table__, Post.__table__
NOTES, MOVES, TIMERS = Note.__table__, Movement.__table__, FileTimer.__table__
DAYS, LIMITS = Holiday.__table__, PriorityLimit.__table__


@dataclass(frozen=True)
class Acted:
    """What an act did: the file (id, number, status after the act) and where it went."""
    file_id: int
    number: str
    status: str
    step_name: str
    choice: str
    to_post_ids: tuple


def posts_json(postgresql, *where, joined=P):
    """The posts that ``where`` picks (from ``joined``, the posts and what they are joined to)
    as JSON text, a list of [id, section_id, role, is_head] (see ``posts_listed``); NULL on
    PostgreSQL when there are none."""
    columns = (P.c.id, P.c.section_id, P.c.role, P.c.is_head)
    listed = (cast(func.json_agg(func.json_build_array(*columns)), Text) if postgresql
              else func.json_group_array(func.json_array(*columns)))
    return select(listed).select_from(joined).where(*where).scalar_subquery()


def office_posts_of(office_id, postgresql):
    """The posts of the office ``office_id`` (a column) as JSON text (``posts_json``)."""
    return posts_json(postgresql, P.c.office_id == office_id)


def holidays_of(office_id, postgresql):
    """The holidays of the office ``office_id`` (a column) from the parameter ``since`` on,
    as ISO dates joined by commas (see ``_calendar``)."""
    day = cast(DAYS.c.day, String)
    return (select(func.string_agg(day, literal_column("','")) if postgresql
                   else func.group_concat(day, literal_column("','")))
            .where(DAYS.c.office_id == office_id, DAYS.c.day >= bindparam("since"))
            .scalar_subquery())


def priority_limit_of(office_id, priority):
    """The limit, in working days, that the office ``office_id`` sets for ``priority``."""
    return (select(LIMITS.c.limit_days)
            .where(LIMITS.c.office_id == office_id, LIMITS.c.priority == priority)
            .scalar_subquery())


def _read_statement(postgresql):
    """The one statement that reads (and, on PostgreSQL, locks) what an act needs: a row per
    open task of the file (one row with empty task columns when it has none).  The office's
    posts come along (a JSON list), for the lanes of the steps the file goes on to, and
    whether the official has draft notes on the file to freeze."""
    held = exists().where(H.c.post_id == T.c.post_id, H.c.user_id == bindparam("user_id"),
                          org.held_on(bindparam("today")))
    priority_limit = priority_limit_of(F.c.office_id, F.c.priority)
    office_posts = office_posts_of(F.c.office_id, postgresql)
    holidays = holidays_of(F.c.office_id, postgresql)
    drafts = exists().where(NOTES.c.file_id == F.c.id, NOTES.c.author_id == bindparam("user_id"),
                            NOTES.c.frozen_at.is_(None))
    stmt = (select(F.c.id, F.c.number, F.c.office_id, F.c.section_id, F.c.priority,
                   F.c.status, F.c.workflow_state, F.c.row_version,
                   V.c.id.label("version_id"), V.c.sha256,
                   O.c.code.label("office_code"), O.c.name.label("office_name"),
                   O.c.name_hi.label("office_name_hi"),
                   O.c.timezone, O.c.limit_days.label("office_limit"), O.c.weekly_offs,
                   priority_limit.label("priority_limit"), holidays.label("holidays"),
                   office_posts.label("office_posts"), drafts.label("drafts"),
                   T.c.id.label("task_id"), T.c.engine_task_id, T.c.step_id, T.c.step_name,
                   T.c.post_id, T.c.due_at, T.c.limit_days.label("task_limit"),
                   held.label("held"))
            .select_from(F.join(O, O.c.id == F.c.office_id)
                         .join(V, V.c.id == F.c.route_version_id)
                         .outerjoin(T, and_(T.c.file_id == F.c.id, T.c.done_at.is_(None))))
            .where(F.c.number == bindparam("number")).order_by(T.c.id))
    if not postgresql:
        return stmt
    # The version of the file row that the statement's snapshot saw.  When the lock was
    # waited for, PostgreSQL returns the file row as it is now and the rest as it was then,
    # which this tells.
    seen = F.alias("seen")
    seen_version = select(seen.c.row_version).where(seen.c.id == F.c.id).scalar_subquery()
    return stmt.add_columns(seen_version.label("seen_row_version")).with_for_update(of=F)


_READ = {False: Plain(_read_statement(False)), True: Plain(_read_statement(True))}


def act(session, *, number, user, choice, remark="", task_id=None, to_post_id=None,
        reason="", now=None):
    """Complete the step of file ``number`` that ``user`` holds, with one of its choices.

    ``task_id`` names the step the official saw (a stale page gets FileMoved); ``to_post_id``
    picks the receiving post when several posts hold the next role.  A file more than its
    limit late needs a ``reason``, which goes on the track with the remark.
    """
    now = now or utcnow()
    postgresql = session.get_bind().dialect.name == "postgresql"
    session.flush()  # what the caller changed is written before these plain statements
    connection = session.connection()  # plain statements: no need of the session's layer
    file, tasks = _read(connection, postgresql, number, user, now)
    require_open(file)
    task = pick_task(session, file, user, tasks, task_id)
    if task.due_at is not None and task.due_at < now and not reason.strip():
        raise InvalidInput("this file is past its limit of %(days)s working days; give a "
                           "reason for the delay", days=task.task_limit or "?")
    remark = remark.strip()
    if reason.strip():
        remark = (remark + "\n" if remark else "") + "Reason for delay: " + reason.strip()
    check_text(remark)

    route = route_of_version(session, file.version_id, file.sha256)
    instance = engine.load(route, file.workflow_state)
    try:
        engine.complete(instance, task.engine_task_id, choice, {"priority": file.priority})
    except engine.RouteError as exc:
        raise InvalidInput(exc.template, **exc.params) from None

    writes = _Writes(connection, postgresql)
    to_posts = _move_tasks(session, writes, file, tasks, task, instance, user, choice, now,
                           prefer=(to_post_id,) if to_post_id else ())
    state = dict(w_file_id=file.id, w_file_row_version=file.row_version,
                 w_file_state=engine.dump(instance), w_file_engine=engine.SPIFF_VERSION)
    if instance.finished:
        writes.add(_FILE_FINISHED, **state, w_file_outcome=instance.end_name, w_file_closed=now)
    else:
        writes.add(_FILE_MOVED, **state)
    writes.add(_MOVEMENT, w_move_file=file.id, w_move_from_post=task.post_id, w_move_by=user.id,
               w_move_to_post=to_posts[0] if to_posts else None, w_move_step=task.step_name,
               w_move_choice=choice, w_move_remark=remark, w_move_at=now)
    writes.run()
    audit.record(session, "file.moved", user, file, step=task.step_name, choice=choice,
                 to_posts=list(to_posts), outcome=instance.end_name if instance.finished else None)
    _forget(session, file.id)
    return Acted(file.id, file.number, "closed" if instance.finished else file.status,
                 task.step_name, choice, tuple(to_posts))


def _read(connection, postgresql, number, user, now):
    """The file numbered ``number``, locked, with its open tasks."""
    params = {"number": (number or "").strip(), "user_id": user.id, "today": date.today(),
              "since": now.date() - timedelta(days=1)}  # holidays from the office's today on
    rows = _READ[postgresql].rows(connection, params)
    if rows and postgresql and rows[0].row_version != rows[0].seen_row_version:
        # The file moved while this act waited for its lock: the locked file row is the new
        # one, the rows joined to it are from before.  The lock is held now; read again.
        rows = _READ[postgresql].rows(connection, params)
    if not rows:
        raise NotFound("no file numbered '%(number)s'", number=number)
    return rows[0], [row for row in rows if row.task_id is not None]


def _move_tasks(session, writes, file, tasks, task, instance, user, choice, now, prefer):
    """Close ``task`` (the step done) and freeze the official's draft notes; cancel the open
    tasks whose steps the route has left, open tasks for the steps it has reached; return
    the posts the file went to."""
    writes.add(_TASK_DONE, w_done_id=task.task_id, w_done_at=now, w_done_by=user.id,
               w_done_choice=choice)
    if file.drafts:
        writes.add(_NOTES_FROZEN, w_notes_file=file.id, w_notes_author=user.id, w_notes_at=now)
    ready = engine.ready_steps(instance)
    ready_ids = {s.task_id for s in ready}
    others = [t for t in tasks if t is not task]
    gone = [t.task_id for t in others if t.engine_task_id not in ready_ids]
    if gone:
        writes.add(_TASKS_CANCELLED, w_gone_ids=gone, w_gone_at=now)
    waiting = {t.engine_task_id for t in others}
    arrivals = [s for s in ready if s.task_id not in waiting]
    return place_tasks(session, writes, file, instance, arrivals, now, prefer)


def require_open(file):
    if file.status == "closed":
        raise NotAllowed("file %(number)s is closed; reopen it first", number=file.number)
    if file.status == "parked":
        raise NotAllowed("file %(number)s is parked; unpark it first", number=file.number)


def pick_task(session, file, user, tasks, task_id):
    """The open task of ``file`` that ``user`` may act on (the one named by ``task_id``, if
    given).  ``tasks`` are the file's open tasks, each with ``task_id``, ``post_id`` and
    ``held`` (whether the user holds its post today).  Refuses with what the official needs
    to know: the file moved, or where it lies."""
    if task_id is not None:
        task = next((t for t in tasks if str(t.task_id) == str(task_id).strip()), None)
        if task is None:
            raise FileMoved()
        if not task.held:
            raise NotAllowed("this step of file %(number)s is with %(post)s, not with you",
                             number=file.number, post=post_title(session, task.post_id))
        return task
    mine = [t for t in tasks if t.held]
    if mine:
        return mine[0]
    if not tasks:
        raise NotAllowed("file %(number)s is waiting with no one", number=file.number)
    last = session.execute(select(MOVES.c.from_post_id).where(MOVES.c.file_id == file.id)
                           .order_by(MOVES.c.id.desc()).limit(1)).first()
    if last is not None and last.from_post_id and org.holds(session, user, last.from_post_id):
        raise FileMoved("the file has moved: it was just sent on from your post to %(post)s",
                        post=post_title(session, tasks[0].post_id))
    since = session.scalar(select(func.min(T.c.since)).where(
        T.c.id.in_([t.task_id for t in tasks])))
    raise NotAllowed("file %(number)s is with %(where)s since %(since)s, not with %(user)s",
                     number=file.number,
                     where=listed(post_title(session, t.post_id) for t in tasks),
                     since=Moment(since), user=named(user))


def place_tasks(session, writes, file, instance, arrivals, now, prefer):
    """Open a task for each step that has just become ready, at the post its lane means, with
    its limit, due time and timers; return the posts, in order.  ``file`` is what an act reads
    of a file (see ``_read_statement``): its id and section, its office's code, names,
    limits, calendar and posts; ``writes`` takes the new tasks (``add``), but for tasks
    whose ids are needed at once (for their timers), which are written here."""
    if not arrivals:
        return []
    calendar = _calendar(file.timezone, file.weekly_offs, file.holidays or "")
    posts = []
    for step in arrivals:
        post_id = _resolve(session, file, step.role, prefer)
        limit = limits.strictest(file.office_limit, instance.route.steps[step.step_id].limit_days,
                                 file.priority_limit)
        due = calendar.add(now, limit)
        values = dict(w_new_file=file.id, w_new_engine_task=step.task_id,
                      w_new_step=step.step_id, w_new_step_name=step.name, w_new_role=step.role,
                      w_new_post=post_id, w_new_since=now, w_new_due=due, w_new_limit=limit)
        timers = (limits.armed_timers(instance, step.step_id, calendar, now)
                  if instance.route.timers else ())
        if timers or len(arrivals) > 1:  # the timers need the task's id: write it now
            new_id = session.execute(_NEW_TASK.statement, values).inserted_primary_key[0]
            for timer in timers:
                session.execute(insert(TIMERS).values(task_id=new_id, file_id=file.id, **timer))
        else:
            writes.add(_NEW_TASK, **values)
        posts.append(post_id)
    return posts


def _resolve(session, file, role, prefer):
    """The post a lane means for this file (see ``org.pick_post``), from the office's posts
    read with the file."""
    return org.pick_post(_office_posts(file), file.section_id, role,
                         Named(file.office_name, file.office_name_hi), file.office_code, prefer,
                         earlier=lambda role: earlier_posts(session, file.id, role)).id


def earlier_posts(session, file_id, role):
    """Posts that held ``role`` on this file before, latest first: a returned file goes back
    to the official who had it, not to any holder of the role."""
    return session.scalars(select(T.c.post_id).where(T.c.file_id == file_id, T.c.role == role)
                           .group_by(T.c.post_id).order_by(func.max(T.c.id).desc()))


@dataclass(frozen=True)
class _Post:
    id: int
    section_id: int | None
    role: str
    is_head: bool


def _office_posts(file):
    """The office's posts read with the file (as JSON text; none at all is NULL on
    PostgreSQL)."""
    return posts_listed(file.office_posts or "[]")


@lru_cache(maxsize=256)
def posts_listed(text):
    """Posts from their JSON text (see ``office_posts_of``), read once for each text: an
    office's acts read the same text until its posts change."""
    return tuple(_Post(id_, section_id, role, bool(is_head))
                 for id_, section_id, role, is_head in json.loads(text))


@lru_cache(maxsize=256)
def _calendar(timezone, weekly_offs, holidays):
    """An office's calendar from its time zone, weekly offs and coming holidays (the text read
    with the file), built once for each."""
    return OfficeCalendar(timezone, parse_weekly_offs(weekly_offs),
                          frozenset(date.fromisoformat(d) for d in holidays.split(",") if d))


def _writes():
    """The statements an act writes with (task done, notes frozen, tasks cancelled, new task,
    file moved, file finished, movement), built once, every column given (in a CTE the
    columns' Python defaults are not applied).  Their parameters are named apart from
    one another (so that on PostgreSQL any of them can go into one statement) and from every
    column (a parameter named as a column would be written to it)."""
    p = bindparam
    file_moved = (update(F).where(F.c.id == p("w_file_id"),
                                  F.c.row_version == p("w_file_row_version"))
                  .values(previous_state=F.c.workflow_state, workflow_state=p("w_file_state"),
                          engine_version=p("w_file_engine"), row_version=F.c.row_version + 1))
    return tuple(Plain(statement) for statement in (
        update(T).where(T.c.id == p("w_done_id")).values(
            done_at=p("w_done_at"), done_by_id=p("w_done_by"), choice=p("w_done_choice"),
            outcome="acted"),
        update(NOTES).where(
            NOTES.c.file_id == p("w_notes_file"), NOTES.c.author_id == p("w_notes_author"),
            NOTES.c.frozen_at.is_(None)).values(frozen_at=p("w_notes_at")),
        update(T).where(T.c.id.in_(p("w_gone_ids", expanding=True))).values(
            done_at=p("w_gone_at"), outcome="cancelled"),
        insert(T).values(
            file_id=p("w_new_file"), engine_task_id=p("w_new_engine_task"), step_id=p("w_new_step"),
            step_name=p("w_new_step_name"), role=p("w_new_role"), post_id=p("w_new_post"),
            since=p("w_new_since"), due_at=p("w_new_due"), limit_days=p("w_new_limit"),
            escalation_level=0, escalate_at=p("w_new_due"), outcome="", choice=""),
        file_moved,
        file_moved.values(status="closed", outcome=p("w_file_outcome"),
                          closed_at=p("w_file_closed")),
        insert(MOVES).values(
            file_id=p("w_move_file"), kind="act", from_post_id=p("w_move_from_post"),
            from_user_id=p("w_move_by"), to_post_id=p("w_move_to_post"),
            step_name=p("w_move_step"), choice=p("w_move_choice"), remark=p("w_move_remark"),
            at=p("w_move_at")),
    ))


(_TASK_DONE, _NOTES_FROZEN, _TASKS_CANCELLED, _NEW_TASK, _FILE_MOVED, _FILE_FINISHED,
 _MOVEMENT) = _writes()
_FILE_WRITES = (_FILE_MOVED, _FILE_FINISHED)


class _Writes:
    """The writes of one act, run together: one by one on SQLite (no round trips there), as
    one statement of data-modifying CTEs on PostgreSQL, deferred to go with what the
    transaction sends next, its COMMIT most often (``Plain.defer``).  The file's own update
    must touch exactly one row (the file under the row version read), or the file has moved;
    deferred, the statement itself fails when it does not (see ``_one_statement``)."""

    _combined = {}  # PostgreSQL: the statements for each sequence of writes, built once

    def __init__(self, connection, postgresql):
        self.connection, self.postgresql = connection, postgresql
        self.statements, self.params = [], []

    def add(self, statement, **params):
        self.statements.append(statement)
        self.params.append(params)

    def run(self):
        if self.postgresql:
            params = {k: v for each in self.params for k, v in each.items()}
            checked, guarded = self._one_statement()
            if guarded.defer(self.connection, params):
                return
            touched = checked.first(self.connection, params)[0]
        else:
            touched = None
            for statement, params in zip(self.statements, self.params):
                count = statement.rowcount(self.connection, params)
                if any(statement is w for w in _FILE_WRITES):
                    touched = count
        if touched != 1:
            raise FileMoved()

    def _one_statement(self):
        """The writes as one statement, in two forms: one that returns how many file rows it
        wrote, for a caller that checks, and one to defer, which fails when it wrote none (it
        divides by that count): no one reads a deferred write's result, and the COMMIT it goes
        with must then not run.  The file's lock, held since the act's read, rules that case
        out; the guard keeps a transaction that broke it from being committed half done."""
        key = tuple(self.statements)
        combined = self._combined.get(key)
        if combined is None:
            [file_write] = [s.statement for s in key if any(s is w for w in _FILE_WRITES)]
            checked = file_write.returning(F.c.id).cte("file_write")
            ctes = [s.statement.cte(f"write_{i}") for i, s in enumerate(key)
                    if s.statement is not file_write]
            combined = self._combined[key] = tuple(
                Plain(select(column).select_from(checked).add_cte(*ctes))
                for column in (func.count(), literal(1, Integer) // func.count()))
        return combined


def post_title(session, post_id):
    """The title of post ``post_id`` (with its Hindi), for a refusal."""
    row = session.execute(select(P.c.title, P.c.title_hi).where(P.c.id == post_id)).first()
    return Named(row.title, row.title_hi) if row else Named(f"post {post_id}")


def _forget(session, file_id):
    """Expire the ORM objects of this file that the session holds: the plain statements have
    changed their rows underneath."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, File) and obj.id == file_id) or (
                isinstance(obj, (Task, Note)) and obj.__dict__.get("file_id") == file_id):
            session.expire(obj)
