"""Putting a file up beyond its route: the holder of a part puts it up to any post above
theirs (by reports-to), with a reason on the track; the officer above acts on the step's
choices as its holder would, puts it up higher, or sends it back down to who put it up.

The part stays at its step of the route: the engine is not told, since who holds a step is
ours to say (the task rows are the truth, DESIGN.md).  The task of the one who put it up is
done ("put up": their stay ends, and reports count it as theirs) and a task of the same step
is opened at the post above, its limit's clock started anew, the step's armed timers moved
to it; sending it back does the same the other way ("put back").  Each is one movement of
its own kind on the track, in the caller's one transaction, with the file row locked.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import audit, clock, org
from ..clock import utcnow
from ..deadlines.calendar import office_calendar
from ..errors import FileMoved, InvalidInput, NotAllowed, NotFound, named
from ..models import File, FileTimer, Movement, Post, Task, User
from ..models.textguard import check_text
from ..org.access import superiors_in_order
from ..signing import notes as signed_notes
from .acting import (_FILE_MOVED, _FREEZE_NOTES, OpenTask, _Locked, _lock_for_act, _movable,
                     open_tasks_of, pick_task)
from .rows import frozen_in_session, updated

PUT_UP, PUT_BACK = "put-up", "put-back"
#: a task's outcome when the file was put up from it, or sent back down from it
OUTCOMES = ("put up", "put back")


@dataclass(frozen=True)
class PutUp:
    """What a put-up (or a sending back) did: the file, its step, and where the part is now."""

    file_id: int
    number: str
    step_name: str
    to_post_id: int
    task_id: int


def put_up(session: Session, *, number: str, user: User, to_post_id: int | str | None,
           reason: str | None, task_id: int | str | None = None, pin: str | None = None,
           now: datetime | None = None) -> PutUp:
    """``user``, holding a part of file ``number`` (the one ``task_id`` names, if given), puts
    it up to ``to_post_id``, a post above the part's post, for ``reason``.  Their paragraphs
    not yet sent go with it, as with an act (signed with ``pin`` in an office that signs)."""
    now = now or utcnow()
    file = _lock_for_act(session, number)
    tasks = open_tasks_of(session, file, user, clock.office_today(file.office, now))
    task = _movable(file, pick_task(session, file, user, tasks, task_id))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why you put the file up; the reason goes on the track")
    check_text(reason)
    given = str(to_post_id or "").strip()
    if not given.isdigit():
        raise InvalidInput("choose the officer above you to put the file up to")
    above = {p.id: p for p in superiors_in_order(session, task.post_id)}
    to_post = above.get(int(given))
    if to_post is None:
        if session.get(Post, int(given)) is None:
            raise NotFound("no such post")
        raise NotAllowed("%(post)s is not above %(own)s; a file is put up only to a post "
                         "above the one that holds it", post=org.post_title(session, int(given)),
                         own=org.post_title(session, task.post_id))
    _send_notes(session, file, task, user, pin, now)
    return _pass(session, file, task.task_id, to_post, user, PUT_UP, reason, now)


def put_back(session: Session, *, number: str, user: User, remark: str | None = "",
             task_id: int | str | None = None, pin: str | None = None,
             now: datetime | None = None) -> PutUp:
    """``user``, holding a part of file ``number`` that was put up to them, sends it back down
    to the post that put it up (their paragraphs not yet sent go with it)."""
    now = now or utcnow()
    file = _lock_for_act(session, number)
    tasks = open_tasks_of(session, file, user, clock.office_today(file.office, now))
    task = _movable(file, pick_task(session, file, user, tasks, task_id))
    below = put_back_to(session, session.get_one(Task, task.task_id))
    if below is None:
        raise NotAllowed("file %(number)s was not put up to you; send it on with one of its "
                         "step's choices", number=file.number)
    remark = (remark or "").strip()
    check_text(remark)
    _send_notes(session, file, task, user, pin, now)
    return _pass(session, file, task.task_id, below, user, PUT_BACK, remark, now)


def put_back_to(session: Session, task: Task) -> Post | None:
    """The post that put the part ``task`` up to where it is, if it was put up: the one it
    goes back to."""
    chain: list[Task] = [task]
    while True:  # the stays of this step before this one, linked by put-ups and put-backs
        before = session.scalar(select(Task).where(
            Task.file_id == task.file_id, Task.step_id == task.step_id,
            Task.done_at == chain[-1].since, Task.outcome.in_(OUTCOMES)).limit(1))
        if before is None or before in chain:
            break
        chain.append(before)
    stack: list[int] = []
    for stay in reversed(chain[1:]):
        if stay.outcome == "put up":
            stack.append(stay.post_id)
        elif stack:
            stack.pop()
    return session.get(Post, stack[-1]) if stack else None


def superiors(session: Session, post_id: int) -> list[tuple[Post, list[User]]]:
    """The posts a file at ``post_id`` can be put up to, the nearest first, with who holds
    each today."""
    chain = superiors_in_order(session, post_id)
    holders = org.holders_by_post(session, [p.id for p in chain])
    return [(p, holders[p.id]) for p in chain]


def _send_notes(session: Session, file: _Locked, task: OpenTask, user: User, pin: str | None,
                now: datetime) -> None:
    """The official's draft paragraphs are sent with the file, as an act sends them: signed
    first in an office that signs (a wrong PIN stops the move), then frozen."""
    if not task.drafts:
        return
    signed_notes.sign_notes(session, file_id=file.id, office_id=file.office_id, user=user,
                            post_id=task.post_id, pin=pin, now=now)
    session.execute(_FREEZE_NOTES, {"file_key": file.id, "author": user.id, "frozen_at": now})
    frozen_in_session(session, file.id, user.id, now)


def _pass(session: Session, file: _Locked, task_id: int, to_post: Post, user: User, kind: str,
          remark: str, now: datetime) -> PutUp:
    """Move the open task ``task_id`` of the locked ``file`` to ``to_post``: its stay ends,
    one of the same step starts there with its limit's clock anew, the step's armed timers
    go with it, the file's version moves on, and the track gets a ``kind`` movement."""
    if not org.holders_of(session, to_post):
        raise NotAllowed("no one holds %(post)s today; choose another officer",
                         post=named(to_post, "title"))
    old = session.get_one(Task, task_id)
    old.done_at, old.done_by_id, old.outcome = now, user.id, kind.replace("-", " ")
    calendar = office_calendar(session, file.office, since=clock.office_today(file.office, now))
    limit = old.limit_days or file.office.limit_days
    due = calendar.add(now, limit)
    new = Task(file_id=old.file_id, engine_task_id=old.engine_task_id, step_id=old.step_id,
               step_name=old.step_name, role=old.role, post_id=to_post.id, since=now,
               due_at=due, limit_days=limit, escalation_level=0, escalate_at=due,
               route_version_id=old.route_version_id)
    session.add(new)
    session.add(Movement(file_id=old.file_id, kind=kind, from_post_id=old.post_id,
                         from_user_id=user.id, to_post_id=to_post.id, step_name=old.step_name,
                         remark=remark, at=now))
    session.flush()
    session.execute(update(FileTimer).where(FileTimer.task_id == old.id,
                                            FileTimer.state == "armed").values(task_id=new.id))
    if not updated(session, File, file.id, _FILE_MOVED,
                   {"file_key": file.id, "seen_version": file.row_version},
                   {"row_version": file.row_version + 1}):
        raise FileMoved()
    audit.record(session, "file.put_up" if kind == PUT_UP else "file.put_back", user, file,
                 step=old.step_name, from_post=old.post.code, to_post=to_post.code,
                 reason=remark or None)
    return PutUp(file.id, file.number, old.step_name, to_post.id, new.id)
