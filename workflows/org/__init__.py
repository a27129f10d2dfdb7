"""The org chart: logins, who holds which post today, and which post a role means (here);
running the chart (``orgchart``), signing in and attendance (``people``), staff from a sheet
(``onboarding``), API tokens (``tokens``), and who may see or close a file (``access``)."""

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Protocol, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, bindparam, or_, select
from sqlalchemy.orm import Session

from .. import clock
from ..db import remembered
from ..errors import InvalidInput, Named, NotAllowed, NotFound, named
from ..models import Office, Post, PostHolding, Section, User

# argon2id at OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): about 40 ms of
# one core, against 250 ms for argon2-cffi's default (64 MiB, 3 passes, 4 lanes), so that an
# office arriving at ten o'clock is not kept waiting.  A hash made with other parameters is
# made again at its owner's next sign-in (``rehash``).  Signing PINs are derived with the same.
ARGON2 = dict(time_cost=2, memory_cost=19456, parallelism=1)
_hasher = PasswordHasher(time_cost=ARGON2["time_cost"], memory_cost=ARGON2["memory_cost"],
                         parallelism=ARGON2["parallelism"])


class PostLike(Protocol):
    """What placing a step needs of a post: a Post, or a row of its columns."""

    @property
    def id(self) -> int: ...
    @property
    def section_id(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def is_head(self) -> bool: ...


_PostT = TypeVar("_PostT", bound=PostLike)


class HasPassword(Protocol):
    """What checking a password needs: a User, or a stand-in holding only a hash."""

    @property
    def password_hash(self) -> str: ...


def hash_password(password: str | None) -> str:
    """The argon2 hash of ``password`` (refused under 8 characters)."""
    if not password or len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters")
    return _hasher.hash(password)


def check_password(user: HasPassword, password: str | None) -> bool:
    """Whether ``password`` is ``user``'s."""
    try:
        return _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def rehash(user: User, password: str) -> None:
    """Hash ``user``'s password (just checked) again if it was hashed with other parameters."""
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)


def user_by_login(session: Session, login: str | None) -> User:
    """The active user with ``login`` (NotFound otherwise)."""
    user = session.scalar(select(User).where(User.login == (login or "").strip().lower()))
    if user is None or not user.active:
        raise NotFound("no active user with the login '%(login)s'", login=login)
    return user


def office_by_code(session: Session, code: str | None) -> Office:
    """The office with ``code`` (NotFound otherwise)."""
    office = session.scalar(select(Office).where(Office.code == (code or "").strip().upper()))
    if office is None:
        raise NotFound("no office with the code '%(code)s'", code=code)
    return office


def held_on(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """The condition that a PostHolding is held on ``day`` (a date or a bound parameter)."""
    return (PostHolding.from_date <= day) & or_(PostHolding.to_date.is_(None),
                                                PostHolding.to_date >= day)


def posts_of(session: Session, user: User, day: date | None = None) -> list[Post]:
    """The posts a user holds on ``day`` (today by default), additional charge included.
    Asked for again in the same transaction, before anything is written, they are not read
    again: a page's header, its permissions and its view all ask."""
    day = day or clock.today()
    return list(remembered(session, ("posts_of", user.id, day), lambda: list(session.scalars(
        select(Post).join(PostHolding, PostHolding.post_id == Post.id)
        .where(PostHolding.user_id == user.id, held_on(day)).order_by(Post.id)))))


def holds(session: Session, user: User, post_id: int, day: date | None = None) -> bool:
    """Whether ``user`` holds post ``post_id`` on ``day`` (today by default): among the posts
    ``posts_of`` found, which a page has read already."""
    return any(post.id == post_id for post in posts_of(session, user, day))


def holders_of(session: Session, post: Post, day: date | None = None) -> list[User]:
    """Users holding ``post`` on ``day``: the regular holder first, then any in charge."""
    day = day or clock.today()
    rows = session.execute(
        select(User, PostHolding.kind).join(PostHolding, PostHolding.user_id == User.id)
        .where(PostHolding.post_id == post.id, held_on(day))
        .order_by(PostHolding.kind.desc(), PostHolding.id)).all()
    return [user for user, _kind in rows]


def holders_by_post(session: Session, post_ids: Iterable[int],
                    day: date | None = None) -> dict[int, list[User]]:
    """``holders_of`` for many posts in one query (a file circulated to 500 posts): the users
    holding each on ``day``, by post id; a vacant post has an empty list."""
    day = day or clock.today()
    found: dict[int, list[User]] = {post_id: [] for post_id in post_ids}
    rows = session.execute(
        select(PostHolding.post_id, User).join(PostHolding, PostHolding.user_id == User.id)
        .where(PostHolding.post_id.in_(list(found)), held_on(day))
        .order_by(PostHolding.kind.desc(), PostHolding.id)).all()
    for post_id, user in rows:
        found[post_id].append(user)
    return found


HEAD_OF_OFFICE = "Head of Office"


def posts_for_role(session: Session, office_id: int, section_id: int | None,
                   role: str) -> list[Post]:
    """Posts that can take a step of ``role`` (see ``for_role``), in order."""
    posts = list(session.scalars(select(Post).where(Post.office_id == office_id)))
    return for_role(posts, section_id, role)


def for_role(posts: Iterable[_PostT], section_id: int | None, role: str) -> list[_PostT]:
    """Of an office's ``posts`` (anything with ``id``, ``section_id``, ``role``, ``is_head``),
    those that can take a step of ``role``: the file's section's, else the office's, by id.

    "Head of Office" is a function, not a designation: it means the post marked as head
    (the ADM heads a disaster management office, the Circle Officer a circle office).
    """
    if role == HEAD_OF_OFFICE:
        able = [p for p in posts if p.is_head]
    else:
        able = [p for p in posts if p.role == role]
    able.sort(key=lambda p: p.id)
    in_section = [p for p in able if section_id is not None and p.section_id == section_id]
    return in_section or able


_P = Post.__table__  # the columns alone: rows, not Post objects, for a step's placing
_POSTS_FOR_ROLE = select(_P.c.id, _P.c.section_id, _P.c.role, _P.c.is_head).where(
    _P.c.office_id == bindparam("office_id"),
    or_(_P.c.role == bindparam("role"), _P.c.is_head & (bindparam("role") == HEAD_OF_OFFICE)))


def posts_by_id(session: Session, ids: Iterable[int]) -> dict[int, PostLike]:
    """The posts ``ids`` as a step's placing reads them (see ``resolve_role``), by id."""
    ids = list(ids)
    if not ids:
        return {}
    return {row.id: row for row in session.execute(
        select(_P.c.id, _P.c.section_id, _P.c.role, _P.c.is_head).where(_P.c.id.in_(ids)))}


def resolve_role(session: Session, office: Office, section_id: int | None, role: str,
                 prefer: Iterable[int] = (),
                 earlier: Callable[[str], Iterable[int]] | None = None) -> PostLike:
    """The post a lane means for a file of ``office`` (see ``pick_post``): its id, section,
    role and whether it is the head's."""
    posts = session.execute(_POSTS_FOR_ROLE, {"office_id": office.id, "role": role}).all()
    return pick_post(posts, section_id, role, named(office), office.code, prefer, earlier)


def pick_post(posts: Iterable[_PostT], section_id: int | None, role: str, office_name: Named,
              office_code: str, prefer: Iterable[int] = (),
              earlier: Callable[[str], Iterable[int]] | None = None) -> _PostT:
    """Of an office's ``posts``, the one a lane of ``role`` means for a file: one of
    ``prefer`` if it has the role, else (when several posts could take it) the latest of
    ``earlier(role)`` that had it on this file, else the first post with the role in the
    section, then in the office.  Fails naming the role and the office when no post holds
    the role."""
    candidates = for_role(posts, section_id, role)
    if not candidates:
        raise NotAllowed("no post holds the role '%(role)s' in %(office)s (%(code)s); "
                         "an administrator must create or fill that post",
                         role=role, office=office_name, code=office_code)
    by_id = {post.id: post for post in candidates}
    for post_id in prefer:
        if post_id in by_id:
            return by_id[post_id]
    if len(candidates) > 1 and earlier is not None:
        for post_id in earlier(role):
            if post_id in by_id:
                return by_id[post_id]
    return candidates[0]


def acting_post(session: Session, user: User, office: Office, role: str | None = None) -> Post:
    """The post through which ``user`` acts in ``office``, preferring one with ``role``."""
    return choose_acting_post([p for p in posts_of(session, user) if p.office_id == office.id],
                              user, office, role)


def choose_acting_post(posts: Sequence[_PostT], user: User, office: Office,
                       role: str | None = None) -> _PostT:
    """Of the ``posts`` ``user`` holds in ``office`` today, by id (anything with ``role`` and
    ``is_head``), the one they act through: the first with ``role``, else the first."""
    if not posts:
        raise NotAllowed("%(user)s (%(login)s) holds no post in %(office)s",
                         user=named(user), login=user.login, office=named(office))
    for post in posts:
        if role and (post.role == role or (role == HEAD_OF_OFFICE and post.is_head)):
            return post
    return posts[0]


def section_by_code(session: Session, office: Office, code: str | None) -> Section:
    """The section of ``office`` with ``code`` (NotFound otherwise)."""
    section = session.scalar(select(Section).where(Section.office_id == office.id,
                                                   Section.code == (code or "").upper()))
    if section is None:
        raise NotFound("no section '%(code)s' in %(office)s", code=code, office=named(office))
    return section


def post_title(session: Session, post_id: int) -> Named:
    """The title of post ``post_id`` (with its Hindi), for a refusal."""
    row = session.execute(select(Post.title, Post.title_hi).where(Post.id == post_id)).first()
    return Named(row.title, row.title_hi) if row else Named(f"post {post_id}")
