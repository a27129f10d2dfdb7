"""Running the office's org chart: who administers which office, offices, sections, posts,
users, who holds which post, additional charge and transfers.

An office is changed only by its administrators (a post marked administrator or head of office
in it); the administrators of a district office may act for every office below it.  Every
change is written to the audit log in the caller's transaction.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, clock, org
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed, NotFound, named
from ..models import Movement, Office, Post, PostHolding, Section, Task, User
from ..signing import authority
from . import sessions


def administered_offices(session: Session, user: User, day: date | None = None) -> set[int]:
    """Ids of the offices ``user`` may administer on ``day``: those where they hold an
    administrator's or head's post, and every office below a district they administer."""
    own = {p.office_id for p in org.posts_of(session, user, day) if p.is_admin or p.is_head}
    if not own:
        return set()  # most officials: no office to read
    offices = session.execute(select(Office.id, Office.kind, Office.parent_id)).all()
    result = set(own)
    frontier = [o.id for o in offices if o.id in own and o.kind == "district"]
    while frontier:
        parent = frontier.pop()
        for office in offices:
            if office.parent_id == parent and office.id not in result:
                result.add(office.id)
                frontier.append(office.id)
    return result


def is_administrator(session: Session, user: User) -> bool:
    """Whether ``user`` administers any office today (the pages show Administration then)."""
    return bool(administered_offices(session, user))


def require_admin(session: Session, user: User | None, office: Office) -> None:
    """Refuse unless ``user`` administers ``office``."""
    if user is None or office.id not in administered_offices(session, user):
        raise NotAllowed("only an administrator of %(office)s may change it", office=named(office))


def offices_for(session: Session, user: User) -> list[Office]:
    """The offices ``user`` administers, districts first, by name."""
    ids = administered_offices(session, user)
    if not ids:
        return []
    return list(session.scalars(select(Office).where(Office.id.in_(ids))
                                .order_by(Office.kind, Office.name)))


def office_by_id(session: Session, office_id: int) -> Office:
    """The office ``office_id`` (NotFound otherwise)."""
    office = session.get(Office, office_id)
    if office is None:
        raise NotFound("no office with the id %(id)s", id=office_id)
    return office


def chart(session: Session, office: Office,
          day: date | None = None) -> list[tuple[Post, list[tuple[User, PostHolding]]]]:
    """The office's sections and posts, each post with its holders on ``day``:
    ``[(post, [(user, holding), ...]), ...]`` ordered by section and code."""
    day = day or clock.today()
    posts = list(session.scalars(select(Post).where(Post.office_id == office.id)
                                 .order_by(Post.section_id, Post.code)))
    rows = session.execute(
        select(PostHolding, User).join(User, User.id == PostHolding.user_id)
        .join(Post, Post.id == PostHolding.post_id)
        .where(Post.office_id == office.id, org.held_on(day))
        .order_by(PostHolding.kind.desc(), PostHolding.id)).all()
    held: dict[int, list[tuple[User, PostHolding]]] = {}
    for holding, user in rows:
        held.setdefault(holding.post_id, []).append((user, holding))
    return [(post, held.get(post.id, [])) for post in posts]


def add_office(session: Session, admin: User, *, parent: Office, code: str, name: str,
               name_hi: str = "") -> Office:
    """Create an office below ``parent`` (which ``admin`` must administer)."""
    require_admin(session, admin, parent)
    code = _code(code)
    if session.scalar(select(Office.id).where(Office.code == code)) is not None:
        raise InvalidInput("an office with the code %(code)s exists already", code=code)
    office = Office(code=code, name=_text(name, "the office needs a name"), name_hi=name_hi.strip(),
                    kind="office", parent_id=parent.id)
    session.add(office)
    session.flush()
    audit.record(session, "org.office_added", admin, office_id=office.id, code=code,
                 parent=parent.code)
    return office


def add_section(session: Session, admin: User, office: Office, *, code: str, name: str,
                name_hi: str = "") -> Section:
    """Create a section of ``office`` (which ``admin`` must administer)."""
    require_admin(session, admin, office)
    code = _code(code)
    if session.scalar(select(Section.id).where(Section.office_id == office.id,
                                               Section.code == code)) is not None:
        raise InvalidInput("the section %(code)s exists already in %(office)s", code=code,
                           office=named(office))
    section = Section(office_id=office.id, code=code, name=_text(name, "the section needs a name"),
                      name_hi=name_hi.strip())
    session.add(section)
    session.flush()
    audit.record(session, "org.section_added", admin, office_id=office.id, code=code)
    return section


def add_post(session: Session, admin: User, office: Office, *, code: str, title: str, role: str,
             section: Section | None = None, reports_to: Post | None = None,
             title_hi: str = "", is_head: bool = False, is_admin: bool = False) -> Post:
    """Create a post (a seat) in ``office`` holding ``role``."""
    require_admin(session, admin, office)
    code = _code(code)
    if session.scalar(select(Post.id).where(Post.office_id == office.id,
                                            Post.code == code)) is not None:
        raise InvalidInput("the post %(code)s exists already in %(office)s", code=code,
                           office=named(office))
    for other in (section, reports_to):
        if other is not None and other.office_id != office.id:
            raise InvalidInput("the section and the superior post must be of the same office")
    post = Post(office_id=office.id, code=code, title=_text(title, "the post needs a title"),
                title_hi=title_hi.strip(), role=_text(role, "the post needs a role"),
                section_id=section.id if section else None,
                reports_to_id=reports_to.id if reports_to else None,
                is_head=bool(is_head), is_admin=bool(is_admin))
    session.add(post)
    session.flush()
    audit.record(session, "org.post_added", admin, office_id=office.id, code=code, role=post.role)
    return post


def assign(session: Session, admin: User, post: Post, user: User, from_date: date,
           to_date: date | None = None, kind: str = "regular") -> PostHolding:
    """``user`` holds ``post`` from ``from_date`` (to ``to_date``, if given); ``kind`` is
    "regular" or "charge" (additional charge, for leave or a vacancy)."""
    require_admin(session, admin, post.office)
    if kind not in ("regular", "charge"):
        raise InvalidInput("a holding is regular or an additional charge")
    if to_date is not None and to_date < from_date:
        raise InvalidInput("the holding ends before it begins")
    if kind == "charge" and to_date is None:
        raise InvalidInput("an additional charge is for a period: give its last day")
    if kind == "regular":
        clash = session.scalar(select(User.name).join(PostHolding, PostHolding.user_id == User.id)
                               .where(PostHolding.post_id == post.id, PostHolding.kind == "regular",
                                      org.held_on(from_date)))
        if clash:
            raise InvalidInput("%(post)s is held by %(user)s on that day; transfer it instead",
                               post=named(post, "title"), user=clash)
    holding = PostHolding(post_id=post.id, user_id=user.id, from_date=from_date,
                          to_date=to_date, kind=kind)
    session.add(holding)
    session.flush()
    audit.record(session, "org.charge_given" if kind == "charge" else "org.post_assigned", admin,
                 office_id=post.office_id, post=post.code, holder=user.login,
                 from_date=from_date, to_date=to_date)
    return holding


def give_charge(session: Session, admin: User, post: Post, user: User, from_date: date,
                to_date: date) -> PostHolding:
    """Additional charge of ``post`` to ``user`` for a period: the post's inbox appears to
    them, and what they do is recorded under the post."""
    return assign(session, admin, post, user, from_date, to_date, kind="charge")


def end_holding(session: Session, admin: User, holding: PostHolding, last_day: date) -> None:
    """``holding`` ends on ``last_day``.  The holder's sessions end at once: whatever they
    still hold, they sign in again and see it."""
    require_admin(session, admin, holding.post.office)
    if last_day < holding.from_date:
        raise InvalidInput("the holding ends before it begins")
    holding.to_date = last_day
    sessions.end_all(session, holding.user, sessions.HOLDING)
    authority.revoke_holding(session, holding, "the holding of the post ended")
    audit.record(session, "org.holding_ended", admin, office_id=holding.post.office_id,
                 post=holding.post.code, holder=holding.user.login, to_date=last_day)
    session.flush()


def transfer(session: Session, admin: User, post: Post, successor: User, on_date: date,
             now: datetime | None = None) -> list[Task]:
    """The regular holder of ``post`` leaves it on the day before ``on_date`` and ``successor``
    takes it from ``on_date``.  Files pending at the post pass to the successor; each gets a
    "transfer" entry on its track.  Returns the pending files' task rows."""
    now = now or utcnow()
    require_admin(session, admin, post.office)
    current = session.scalar(select(PostHolding).where(
        PostHolding.post_id == post.id, PostHolding.kind == "regular", org.held_on(on_date)))
    if current is not None and current.user_id == successor.id:
        raise InvalidInput("%(user)s holds %(post)s already", user=named(successor),
                           post=named(post, "title"))
    departing = current.user if current is not None else None
    if current is not None:
        current.to_date = on_date - timedelta(days=1)
        if current.to_date < current.from_date:
            current.to_date = current.from_date
        sessions.end_all(session, current.user, sessions.HOLDING, now=now)
        authority.revoke_holding(session, current, "transferred from the post")
    session.add(PostHolding(post_id=post.id, user_id=successor.id, from_date=on_date,
                            kind="regular"))
    pending = list(session.scalars(select(Task).where(Task.post_id == post.id,
                                                      Task.done_at.is_(None)).order_by(Task.id)))
    remark = (f"{post.title}: {departing.name} transferred; {successor.name} holds the post "
              f"from {on_date:%d-%m-%Y}" if departing else
              f"{post.title}: {successor.name} holds the post from {on_date:%d-%m-%Y}")
    for task in pending:
        session.add(Movement(file_id=task.file_id, kind="transfer", from_post_id=post.id,
                             from_user_id=departing.id if departing else None,
                             to_post_id=post.id, step_name=task.step_name, remark=remark, at=now))
    audit.record(session, "org.transferred", admin, office_id=post.office_id, post=post.code,
                 departing=departing.login if departing else None, successor=successor.login,
                 on_date=on_date, pending_files=len(pending))
    session.flush()
    return pending


def holders_of_office(session: Session, office: Office) -> list[User]:
    """Everyone who holds or held a post in ``office``, disabled logins too, by name."""
    return list(session.scalars(
        select(User).join(PostHolding, PostHolding.user_id == User.id)
        .join(Post, Post.id == PostHolding.post_id).where(Post.office_id == office.id)
        .distinct().order_by(User.name, User.id)))


def set_login_active(session: Session, admin: User, user: User, active: bool) -> None:
    """Disable ``user``'s login (every session of theirs ends at once and no password signs
    them in) or enable it again.  Only an administrator of an office where they hold or held a
    post may; no one disables their own."""
    offices = administered_offices(session, admin)
    held = set(session.scalars(select(Post.office_id).join(PostHolding,
                                                           PostHolding.post_id == Post.id)
                               .where(PostHolding.user_id == user.id)))
    if not offices & held:
        raise NotAllowed("only an administrator of an office where %(user)s holds a post may "
                         "change their login", user=named(user))
    if user.id == admin.id and not active:
        raise InvalidInput("you cannot disable your own login")
    user.active = bool(active)
    if not user.active:
        sessions.end_all(session, user, sessions.DISABLED)
    audit.record(session, "org.login_enabled" if user.active else "org.login_disabled", admin,
                 login=user.login)
    session.flush()


def user_by_id(session: Session, user_id: int) -> User:
    """The user ``user_id`` (NotFound otherwise)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no user with the id %(id)s", id=user_id)
    return user


def post_by_id(session: Session, post_id: int) -> Post:
    """The post ``post_id`` (NotFound otherwise)."""
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("no post with the id %(id)s", id=post_id)
    return post


def _code(code: str | None) -> str:
    code = (code or "").strip().upper()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise InvalidInput("a code is 1 to 32 letters, digits, - or _")
    return code


def _text(value: str | None, refusal: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise InvalidInput(refusal)
    return value
