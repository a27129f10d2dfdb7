"""An official acts on a file: the step they hold is completed with one of its choices and the
file goes on to the post (or posts) the route names next.

One act is one transaction through the session: the file row is locked first (``lock_file``),
so two officials acting at once queue and the second is told the file has moved; the route is
run on the state the file keeps (``engine``, with the route's spec parsed once per version);
the task rows, the file, the movement and the audit event are written together at the flush,
or not at all.  ``place_tasks`` is the one place where a step that the route reaches gets its
post, its limit and its due time, for every way a file moves.
"""

from dataclasses import dataclass

import engine
from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.orm import joinedload

from .. import audit, clock, org
from ..deadlines import limits
from ..clock import utcnow
from ..errors import FileMoved, InvalidInput, Moment, Named, NotAllowed, NotFound, listed, named
from ..models import File, Movement, Note, Post, PostHolding, Task
from ..models.textguard import check_text
from ..routes.routing import engine_route


@dataclass(frozen=True)
class Acted:
    """What an act did: the file (id, number, status after the act) and where it went."""
    file_id: int
    number: str
    status: str
    step_name: str
    choice: str
    to_post_ids: tuple


@dataclass(frozen=True)
class OpenTask:
    """An open task of a file, and whether the official holds its post today."""
    task: Task
    held: bool

    @property
    def task_id(self):
        return self.task.id

    @property
    def post_id(self):
        return self.task.post_id


def act(session, *, number, user, choice, remark="", task_id=None, to_post_id=None,
        reason="", now=None):
    """Complete the step of file ``number`` that ``user`` holds, with one of its choices.

    ``task_id`` names the step the official saw (a stale page gets FileMoved); ``to_post_id``
    picks the receiving post when several posts hold the next role.  A file more than its
    limit late needs a ``reason``, which goes on the track with the remark.
    """
    now = now or utcnow()
    file = lock_file(session, number)
    require_open(file)
    tasks = open_tasks_of(session, file, user, clock.office_today(file.office, now))
    task = pick_task(session, file, user, tasks, task_id).task
    remark = _remark(task, now, remark, reason)
    instance = engine.load(engine_route(session, file.route_version), file.workflow_state)
    try:
        engine.complete(instance, task.engine_task_id, choice, {"priority": file.priority})
    except engine.RouteError as exc:
        raise InvalidInput(exc.template, **exc.params) from None

    with session.no_autoflush:  # the act's writes go together, at its one flush below
        task.done_at, task.done_by_id, task.choice, task.outcome = now, user.id, choice, "acted"
        session.execute(update(Note).where(Note.file_id == file.id, Note.author_id == user.id,
                                           Note.frozen_at.is_(None)).values(frozen_at=now))
        placed = place_tasks(session, file, instance, now,
                             prefer=(to_post_id,) if to_post_id else (),
                             waiting=[t.task for t in tasks if t.task is not task])
    file.previous_state = file.workflow_state
    save_state(file, instance)
    if instance.finished:
        file.status, file.outcome, file.closed_at = "closed", instance.end_name, now
    to_posts = tuple(t.post_id for t in placed)
    session.add(Movement(file_id=file.id, kind="act", from_post_id=task.post_id,
                         from_user_id=user.id, to_post_id=to_posts[0] if to_posts else None,
                         step_name=task.step_name, choice=choice, remark=remark, at=now))
    audit.record(session, "file.moved", user, file, step=task.step_name, choice=choice,
                 to_posts=list(to_posts), outcome=instance.end_name if instance.finished else None)
    session.flush()
    return Acted(file.id, file.number, file.status, task.step_name, choice, to_posts)


def _remark(task, now, remark, reason):
    """The remark for the track; a task past its due time needs the reason for the delay."""
    remark, reason = (remark or "").strip(), (reason or "").strip()
    if task.due_at is not None and task.due_at < now and not reason:
        raise InvalidInput("this file is past its limit of %(days)s working days; give a "
                           "reason for the delay", days=task.limit_days or "?")
    if reason:
        remark = (remark + "\n" if remark else "") + "Reason for delay: " + reason
    check_text(remark)  # refused before the route is run, not at the flush
    return remark


def lock_file(session, number):
    """The file numbered ``number``, its row locked (its office and route version loaded with
    it) for this action."""
    stmt = (select(File).options(joinedload(File.office, innerjoin=True),
                                 joinedload(File.route_version, innerjoin=True))
            .where(File.number == (number or "").strip())
            .execution_options(populate_existing=True))  # as the lock found it
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=File)
    file = session.scalar(stmt)
    if file is None:
        raise NotFound("no file numbered '%(number)s'", number=number)
    return file


def open_tasks(session, file):
    """The file's open tasks (the posts it lies with), in the order they arrived."""
    if file.id is None:
        return []
    return list(session.scalars(select(Task).where(Task.file_id == file.id,
                                                   Task.done_at.is_(None)).order_by(Task.id)))


_OPEN_TASKS_HELD = (
    select(Task, exists().where(PostHolding.post_id == Task.post_id,
                                PostHolding.user_id == bindparam("user_id"),
                                org.held_on(bindparam("day"))))
    .where(Task.file_id == bindparam("file_id"), Task.done_at.is_(None)).order_by(Task.id))


def open_tasks_of(session, file, user, day):
    """The file's open tasks, each with whether ``user`` holds its post on ``day``."""
    rows = session.execute(_OPEN_TASKS_HELD, {"file_id": file.id, "user_id": user.id, "day": day})
    return [OpenTask(task, bool(mine)) for task, mine in rows]


def require_open(file):
    if file.status == "closed":
        raise NotAllowed("file %(number)s is closed; reopen it first", number=file.number)
    if file.status == "parked":
        raise NotAllowed("file %(number)s is parked; unpark it first", number=file.number)


def pick_task(session, file, user, tasks, task_id):
    """The open task of ``file`` that ``user`` may act on (the one named by ``task_id``, if
    given), of ``tasks`` (see ``open_tasks_of``).  Refuses with what the official needs to
    know: the file moved, or where it lies."""
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
    last = session.scalar(select(Movement.from_post_id).where(Movement.file_id == file.id)
                          .order_by(Movement.id.desc()).limit(1))
    if last and org.holds(session, user, last):
        raise FileMoved("the file has moved: it was just sent on from your post to %(post)s",
                        post=post_title(session, tasks[0].post_id))
    since = min(t.task.since for t in tasks)
    raise NotAllowed("file %(number)s is with %(where)s since %(since)s, not with %(user)s",
                     number=file.number,
                     where=listed(post_title(session, t.post_id) for t in tasks),
                     since=Moment(since), user=named(user))


def place_tasks(session, file, instance, now, prefer=(), waiting=None):
    """Make the file's open tasks (``waiting``, when the caller has them) match the steps its
    route has ready: a task whose step the route has left is cancelled, and each step just
    reached gets a task at the post its lane means, with its limit, due time and timers.
    Every post is found before anything is written, so a step no post can take refuses the
    whole move.  A file being opened (no id yet) joins the session here.  Returns the new
    tasks, in the route's order."""
    ready = engine.ready_steps(instance)
    if waiting is None:
        waiting = open_tasks(session, file)
    waiting = {t.engine_task_id: t for t in waiting}
    arrivals = [step for step in ready if step.task_id not in waiting]
    posts = [_post_for(session, file, step.role, prefer) for step in arrivals]
    if file.id is None:
        session.add(file)
        session.flush()
    ready_ids = {step.task_id for step in ready}
    for task in waiting.values():
        if task.engine_task_id not in ready_ids:
            task.done_at, task.outcome = now, "cancelled"
    placed = [Task(file_id=file.id, engine_task_id=step.task_id, step_id=step.step_id,
                   step_name=step.name, role=step.role, post_id=post.id, since=now)
              for step, post in zip(arrivals, posts, strict=True)]
    limits.start_clocks(session, file, instance, placed, now)
    session.add_all(placed)
    return placed


def _post_for(session, file, role, prefer):
    """The post a lane of ``role`` means for this file (see ``org.pick_post``): a returned
    file goes back to the official who had it, not to any holder of the role."""
    earlier = (lambda role: earlier_posts(session, file.id, role)) if file.id else None
    return org.resolve_role(session, file.office, file.section_id, role, prefer=prefer,
                            earlier=earlier)


def earlier_posts(session, file_id, role):
    """Posts that held ``role`` on this file before, latest first."""
    return session.scalars(select(Task.post_id).where(Task.file_id == file_id, Task.role == role)
                           .group_by(Task.post_id).order_by(func.max(Task.id).desc()))


def save_state(file, instance):
    """Keep the route's state on the file, with the engine version that wrote it."""
    file.workflow_state = engine.dump(instance)
    file.engine_version = engine.SPIFF_VERSION


def post_title(session, post_id):
    """The title of post ``post_id`` (with its Hindi), for a refusal."""
    row = session.execute(select(Post.title, Post.title_hi).where(Post.id == post_id)).first()
    return Named(row.title, row.title_hi) if row else Named(f"post {post_id}")
