"""Mark to for information: an official holding a file sends a copy of it to other posts.

The file does not move and its steps stay with whoever holds them; the posts marked can read
the file (``org.access``) and find it in their inbox under "For information" until one of
their holders marks it seen.  Each copy is a row of the record (``models.records``) and shows
on the file's track."""

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, clock, org
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed, NotFound
from ..models import Copy, File, Post, User
from .acting import lock_file, open_tasks

def mark_copy(session: Session, *, number: str, user: User, post_ids: Iterable[int | str],
              remark: str | None = "", now: datetime | None = None) -> list[Copy]:
    """Copies of file ``number``, which ``user`` holds, to the posts ``post_ids`` for
    information.  A post that already has an unseen copy, or holds the file, gets none."""
    now = now or utcnow()
    file = lock_file(session, number)
    if file.status == "closed":
        raise NotAllowed("file %(number)s is closed; reopen it first", number=file.number)
    by_post = _holding_post(session, file, user, clock.office_today(file.office, now))
    wanted = _posts(session, post_ids)
    remark = (remark or "").strip()
    skip = {t.post_id for t in open_tasks(session, file)} | {
        c.to_post_id for c in session.scalars(select(Copy).where(
            Copy.file_id == file.id, Copy.seen_at.is_(None)))}
    made = [Copy(file_id=file.id, to_post_id=p.id, by_user_id=user.id, by_post_id=by_post.id,
                 remark=remark, at=now) for p in wanted if p.id not in skip]
    if not made:
        raise InvalidInput("each post chosen has the file or a copy of it already")
    session.add_all(made)
    session.flush()
    audit.record(session, "file.copy_marked", user, file, posts=[p.code for p in wanted
                                                                  if p.id not in skip],
                 by_post=by_post.code)
    return made


def _holding_post(session: Session, file: File, user: User, day: date) -> Post:
    held = {t.post_id for t in open_tasks(session, file)}
    for post in org.posts_of(session, user, day):
        if post.id in held:
            return post
    raise NotAllowed("only an official holding file %(number)s marks a copy of it",
                     number=file.number)


def _posts(session: Session, post_ids: Iterable[int | str]) -> list[Post]:
    ids = []
    for given in post_ids:
        if not str(given).strip().isdigit():
            raise InvalidInput("choose the posts to mark a copy to")
        ids.append(int(str(given).strip()))
    if not ids:
        raise InvalidInput("choose the posts to mark a copy to")
    posts = list(session.scalars(select(Post).where(Post.id.in_(ids)).order_by(Post.id)))
    if len(posts) != len(set(ids)):
        raise NotFound("no such post")
    return posts


def mark_seen(session: Session, *, copy_id: int, user: User,
              now: datetime | None = None) -> Copy:
    """``user``, holding the post a copy was marked to, has seen it: it leaves their inbox."""
    now = now or utcnow()
    copy = session.get(Copy, copy_id)
    if copy is None or not org.holds(session, user, copy.to_post_id):
        raise NotFound("no such copy")
    if copy.seen_at is not None:
        raise NotAllowed("the copy of file %(number)s was marked seen already",
                         number=copy.file.number)
    copy.seen_at, copy.seen_by_id = now, user.id
    session.flush()
    audit.record(session, "file.copy_seen", user, copy.file, post=copy.to_post.code)
    return copy


def copies_of(session: Session, file: File) -> list[Copy]:
    """The copies of ``file`` marked for information, in the order they were marked."""
    return list(session.scalars(select(Copy).where(Copy.file_id == file.id).order_by(Copy.id)))


def candidates(session: Session, file: File, user: User) -> list[Post]:
    """Posts of the file's office a copy can be marked to: all but the viewer's own."""
    mine = {p.id for p in org.posts_of(session, user)}
    return [p for p in session.scalars(select(Post).where(Post.office_id == file.office_id)
                                       .order_by(Post.id)) if p.id not in mine]

