"""The note sheet as it is read: the paragraphs written while the file was in one piece in one
sequence, and those written on a part of a file that lies with several posts at once under
that part's step and post.  Every paragraph keeps its number on the file (1, 2, 3 ... in the
order of writing) wherever it is shown; a part's paragraphs stand where its first one falls.

Which steps are parts is the route's to say (``engine.Route.part_steps``, the steps between
a parallel split and its join), not the count of posts the file lies with: once the other
parts have answered and wait at the join, the last one may lie alone with a post, and is a
part still.  A file consulted again (its split reached anew) has its parts anew: its tasks
are read in the order they were placed, and a step of the file in one piece ends a round.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import notes
from ..models import File, Note, Post, Task
from ..routes import routing


@dataclass(frozen=True)
class Part:
    """A part of the file that paragraphs were written on: its step, and the post it lay
    with."""
    step_name: str
    post: Post


@dataclass
class Block:
    """Paragraphs shown together: written on ``part``, or (None) on the file in one piece."""
    part: Part | None
    paragraphs: list[Note] = field(default_factory=list)


_Key = tuple[int, str, int]  # round, step id, post id


def note_sheet(session: Session, file: File,
               paragraphs: Sequence[Note] | None = None) -> list[Block]:
    """The note sheet of ``file`` in blocks, in the order of their first paragraphs (the
    file's ``paragraphs``, as ``notes.notes_of`` reads them, when the caller has them).  A
    file never in parts is one block of the file in one piece."""
    if paragraphs is None:
        paragraphs = notes.notes_of(session, file)
    parts = (_parts_of(session, file) if any(n.task_id is not None for n in paragraphs)
             else {})
    blocks: list[Block] = []
    shown: dict[_Key, Block] = {}
    for note in paragraphs:
        on = parts.get(note.task_id) if note.task_id is not None else None
        if on is None:
            if not blocks or blocks[-1].part is not None:
                blocks.append(Block(None))
            blocks[-1].paragraphs.append(note)
            continue
        key, part = on
        if key not in shown:
            shown[key] = Block(part)
            blocks.append(shown[key])
        shown[key].paragraphs.append(note)
    return blocks


def _parts_of(session: Session, file: File) -> dict[int, tuple[_Key, Part]]:
    """For each task of ``file`` on a step in a part: the part it belongs to (its round, step
    and post) and how the part is headed."""
    in_parts = routing.engine_route(session, file.route_version).part_steps
    if not in_parts:
        return {}
    tasks = session.execute(select(Task.id, Task.step_id, Task.step_name, Task.post_id)
                            .where(Task.file_id == file.id).order_by(Task.id)).all()
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(
        {t.post_id for t in tasks if t.step_id in in_parts})))}
    found: dict[int, tuple[_Key, Part]] = {}
    round_ = 0
    for task in tasks:
        if task.step_id not in in_parts:
            round_ += 1
            continue
        found[task.id] = ((round_, task.step_id, task.post_id),
                          Part(task.step_name, posts[task.post_id]))
    return found
