"""The note sheet: numbered paragraphs, editable by their author only until the file moves."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit, clock
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed, NotFound
from .acting import lock_file, open_tasks_of, pick_task
from ..models import File, Note, User

MAX_NOTE = 20000


def add_note(session: Session, *, number: str, user: User, body: str | None,
             task_id: int | str | None = None, now: datetime | None = None) -> Note:
    """Add a paragraph to the note sheet; only an official holding the file may write.

    The paragraph is written on the part of the file (open task) the author holds: the one
    named by ``task_id`` when they hold several (a stale page gets FileMoved), else the
    first.  Its number is the file's next, whichever part it is written on."""
    now = now or utcnow()
    file = lock_file(session, number)
    body = _clean(body)
    if file.status == "closed":
        raise NotAllowed("file %(number)s is closed; its note sheet is final", number=file.number)
    tasks = open_tasks_of(session, file, user, clock.office_today(file.office, now))
    named = task_id is not None and str(task_id).strip()
    task = (pick_task(session, file, user, tasks, task_id) if named
            else next((t for t in tasks if t.held), None))
    if task is None:
        raise NotAllowed("only the official holding file %(number)s may add a note",
                         number=file.number)
    last = session.scalar(select(func.max(Note.number)).where(Note.file_id == file.id)) or 0
    note = Note(file_id=file.id, number=last + 1, author_id=user.id,
                author_post_id=task.post_id, task_id=task.task_id, body=body, created_at=now,
                updated_at=now)
    session.add(note)
    session.flush()
    audit.record(session, "note.added", user, file, paragraph=note.number)
    return note


def edit_note(session: Session, *, number: str, paragraph: int, user: User, body: str | None,
              now: datetime | None = None) -> Note:
    """Change a draft paragraph; a paragraph frozen by a movement can never change."""
    file = lock_file(session, number)
    note = session.scalar(select(Note).where(Note.file_id == file.id, Note.number == paragraph))
    if note is None:
        raise NotFound("file %(number)s has no note paragraph %(paragraph)s",
                       number=file.number, paragraph=paragraph)
    if note.author_id != user.id:
        raise NotAllowed("only the author may change a note paragraph")
    if note.frozen_at is not None:
        raise NotAllowed("paragraph %(paragraph)s was sent on with the file and cannot be changed",
                         paragraph=paragraph)
    note.body = _clean(body)
    note.updated_at = now or utcnow()
    audit.record(session, "note.edited", user, file, paragraph=paragraph)
    session.flush()
    return note


def notes_of(session: Session, file: File) -> list[Note]:
    """The paragraphs of the note sheet of ``file``, in order."""
    return list(session.scalars(select(Note).where(Note.file_id == file.id)
                                .order_by(Note.number)))


def _clean(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput("the note is empty")
    if len(body) > MAX_NOTE:
        raise InvalidInput("the note is longer than %(limit)s characters; attach a document",
                           limit=MAX_NOTE)
    return body
