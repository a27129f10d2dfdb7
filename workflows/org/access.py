"""Who may see a file: the posts on its track (in any office: a circulation goes to other
offices), their superiors in its office, the posts a copy was marked to (to read, not to
act), its creator, and the heads and administrators of its office.  Checked on every request
that shows or changes a file.  Only its creator or a head of office closes, reopens or
records it."""

from collections.abc import Iterable

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from .. import org
from ..errors import NotAllowed, NotFound
from ..models import Copy, File, Movement, Post, Task, User


def track_post_ids(session: Session, file: File) -> set[int]:
    """Every post the file has been with or come from."""
    rows = session.scalars(union(
        select(Task.post_id).where(Task.file_id == file.id),
        select(Movement.from_post_id).where(Movement.file_id == file.id),
        select(Movement.to_post_id).where(Movement.file_id == file.id)))
    return {r for r in rows if r is not None}


def _copy_post_ids(session: Session, file: File) -> set[int]:
    """Posts a copy of the file was marked to for information: they read it, no more."""
    return set(session.scalars(select(Copy.to_post_id).where(Copy.file_id == file.id)))


def _superiors(session: Session, post_ids: Iterable[int]) -> set[int]:
    """The posts above ``post_ids`` by reports-to, all the way up."""
    found: set[int] = set()
    frontier = set(post_ids)
    while frontier:
        above = {r for r in session.scalars(select(Post.reports_to_id).where(
            Post.id.in_(frontier), Post.reports_to_id.is_not(None))) if r is not None}
        frontier = above - found
        found |= above
    return found


def superiors_in_order(session: Session, post_id: int) -> list[Post]:
    """The posts above ``post_id`` by reports-to, the nearest first (a chain that loops back
    on itself stops where it would)."""
    chain: list[Post] = []
    post = session.get(Post, post_id)
    seen = {post_id}
    while post is not None and post.reports_to_id is not None and post.reports_to_id not in seen:
        seen.add(post.reports_to_id)
        post = session.get(Post, post.reports_to_id)
        if post is not None:
            chain.append(post)
    return chain


def check_can_view(session: Session, user: User, file: File) -> list[Post]:
    """Raise NotFound for a file of an office where the user holds no post (unless the file
    has been with one of their posts, as a circulation sends it to other offices), NotAllowed
    for a file of their office that they have no business with; return the user's posts."""
    posts = org.posts_of(session, user)
    in_office = [p for p in posts if p.office_id == file.office_id]
    if not in_office:
        if {p.id for p in posts} & (track_post_ids(session, file) | _copy_post_ids(session, file)):
            return posts
        raise NotFound("no such file")
    if file.created_by_id == user.id or any(p.is_head or p.is_admin for p in in_office):
        return posts
    mine = {p.id for p in posts}
    on_track = track_post_ids(session, file)
    if mine & on_track or mine & _superiors(session, on_track) or mine & _copy_post_ids(
            session, file):
        return posts
    raise NotAllowed("file %(number)s has not passed through your post", number=file.number)


def file_for(session: Session, user: User, file_id: int) -> File:
    """The file ``file_id`` if ``user`` may see it (NotFound / NotAllowed otherwise)."""
    file = session.get(File, file_id)
    if file is None:
        raise NotFound("no such file")
    check_can_view(session, user, file)
    return file


def creator_or_head(session: Session, file: File, user: User, refusal: NotAllowed) -> Post:
    """The post through which ``user`` may close, reopen or record ``file`` (its creator's
    post, or a head of office's); ``refusal`` (a NotAllowed) when they may not."""
    posts = [p for p in org.posts_of(session, user) if p.office_id == file.office_id]
    if file.created_by_id == user.id and posts:
        return next((p for p in posts if p.id == file.created_by_post_id), posts[0])
    heads = [p for p in posts if p.is_head]
    if heads:
        return heads[0]
    raise refusal
