"""Leave handover: an official going on leave hands their own posts to a colleague for dates
they choose, within what the office allows (``Office.handover_days``, ``Office.handover_to``).

A handover is an additional charge (``PostHolding`` of kind "charge") that names who handed
it (``handed_by_id``): for its dates the colleague holds the post, so its files are in their
inbox as additional charge and they act on them as its holder (``org.holds``); after its last
day it simply is not held.  Ended early, its last day becomes yesterday; cancelled before it
began, it ends the day before it begins and is never held.  No holding is deleted: holdings
are part of the record (``models.records``).  Every handover is audited and the colleague is
mailed through the outbox, in their language.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import audit, clock, org
from ..errors import InvalidInput, Named, NotAllowed, NotFound, devanagari_digits, named
from ..mail import outbox
from ..mail.notices import base_url
from ..models import Office, Post, PostHolding, User
from ..signing import authority
from .access import superiors_in_order
from .orgchart import require_admin

TO_OFFICE, TO_SENIOR = "office", "senior"
RULES = (TO_OFFICE, TO_SENIOR)
MOST_DAYS = 365  # what an administrator may allow at most


@dataclass(frozen=True)
class Handover:
    """A handover as the official's page lists it, with where it stands on ``today``."""

    holding: PostHolding
    state: str  # upcoming | in force | ended | cancelled


def set_rules(session: Session, admin: User, office: Office, days: int | str | None,
              to: str | None) -> None:
    """How many days at most an official of ``office`` may hand their posts over (0: not at
    all) and to whom ("office": anyone of the office; "senior": one holding a post of the
    same role or one above theirs)."""
    require_admin(session, admin, office)
    try:
        most = int(str(days).strip())
    except ValueError:
        raise InvalidInput("the days of a handover must be a whole number") from None
    if not 0 <= most <= MOST_DAYS:
        raise InvalidInput("the days of a handover must be from 0 (not allowed) to %(most)s",
                           most=MOST_DAYS)
    if to not in RULES:
        raise InvalidInput("a handover goes to anyone of the office or to a senior colleague")
    office.handover_days, office.handover_to = most, to
    session.flush()
    audit.record(session, "org.handover_rules", admin, office_id=office.id, days=most, to=to)


def own_posts(session: Session, user: User, day: date | None = None) -> list[Post]:
    """The posts ``user`` holds as their own (not on charge) on ``day``: those they may hand."""
    day = day or clock.today()
    return list(session.scalars(
        select(Post).join(PostHolding, PostHolding.post_id == Post.id)
        .where(PostHolding.user_id == user.id, PostHolding.kind == "regular",
               org.held_on(day)).order_by(Post.id)))


def colleagues(session: Session, user: User, posts: Sequence[Post],
               day: date | None = None) -> list[tuple[User, list[Post]]]:
    """The officials ``user`` may hand at least one of ``posts`` to, by name, each with the
    posts they hold in those offices."""
    day = day or clock.today()
    offices = {p.office_id for p in posts}
    rows = session.execute(
        select(User, Post).join(PostHolding, PostHolding.user_id == User.id)
        .join(Post, Post.id == PostHolding.post_id)
        .where(Post.office_id.in_(offices), org.held_on(day), User.active.is_(True),
               User.id != user.id).order_by(User.name, User.id, Post.id)).all()
    theirs: dict[int, tuple[User, list[Post]]] = {}
    for colleague, post in rows:
        theirs.setdefault(colleague.id, (colleague, []))[1].append(post)
    return [(c, held) for c, held in theirs.values()
            if any(_refusal(session, p, held) is None for p in posts)]


def hand_over(session: Session, *, user: User, post_ids: Iterable[int | str],
              to_user_id: int | str | None, from_date: date, to_date: date,
              today: date | None = None) -> list[PostHolding]:
    """``user`` hands the posts ``post_ids`` (their own) to the colleague ``to_user_id`` from
    ``from_date`` to ``to_date`` (office-local dates, today or later): one additional charge
    a post, audited, and a mail to the colleague."""
    posts = _own(session, user, post_ids, today)
    office = posts[0].office
    today = today or clock.office_today(office)
    colleague = _colleague(session, user, to_user_id)
    _check_dates(office, from_date, to_date, today)
    held = org.posts_of(session, colleague, today)
    _lock_posts(session, posts)
    made = []
    for post in posts:
        refusal = _refusal(session, post, held)
        if refusal is not None:
            raise refusal
        _no_overlap(session, post, from_date, to_date)
        holding = PostHolding(post_id=post.id, user_id=colleague.id, from_date=from_date,
                              to_date=to_date, kind="charge", handed_by_id=user.id)
        session.add(holding)
        made.append(holding)
    session.flush()
    audit.record(session, "org.handed_over", user, office_id=office.id,
                 posts=[p.code for p in posts], to=colleague.login, from_date=from_date,
                 to_date=to_date, holdings=[h.id for h in made])
    _mail(session, user, colleague, posts, from_date, to_date)
    return made


def handovers_of(session: Session, user: User, today: date | None = None,
                 limit: int = 50) -> list[Handover]:
    """The handovers ``user`` made, latest first, each with where it stands on ``today``."""
    today = today or clock.today()
    rows = session.scalars(select(PostHolding).where(PostHolding.handed_by_id == user.id)
                           .order_by(PostHolding.from_date.desc(), PostHolding.id.desc())
                           .limit(limit))
    return [Handover(h, _state(h, today)) for h in rows]


def end_handover(session: Session, *, user: User, holding_id: int,
                 today: date | None = None) -> Handover:
    """``user`` ends a handover of theirs early (the colleague holds the post until
    yesterday), or cancels one that has not begun."""
    holding = session.get(PostHolding, holding_id)
    if holding is None or holding.handed_by_id != user.id:
        raise NotFound("no such handover")
    today = today or clock.office_today(holding.post.office)
    state = _state(holding, today)
    if state in ("ended", "cancelled"):
        raise NotAllowed("this handover is over already")
    holding.to_date = (holding.from_date if state == "upcoming" else today) - timedelta(days=1)
    session.flush()
    authority.revoke_holding(session, holding, "the handover ended")
    audit.record(session, "org.handover_ended", user, office_id=holding.post.office_id,
                 post=holding.post.code, to=holding.user.login, holding=holding.id,
                 to_date=holding.to_date)
    return Handover(holding, _state(holding, today))


def _state(holding: PostHolding, today: date) -> str:
    end = holding.to_date or holding.from_date
    if end < holding.from_date:
        return "cancelled"
    if end < today:
        return "ended"
    return "upcoming" if holding.from_date > today else "in force"


def _own(session: Session, user: User, post_ids: Iterable[int | str],
         today: date | None) -> list[Post]:
    wanted = []
    for given in post_ids:
        if not str(given).strip().isdigit():
            raise InvalidInput("choose the posts to hand over")
        wanted.append(int(str(given).strip()))
    if not wanted:
        raise InvalidInput("choose the posts to hand over")
    mine = {p.id: p for p in own_posts(session, user, today)}
    for post_id in wanted:
        if post_id not in mine:
            raise NotAllowed("you can hand over only a post that is your own: %(post)s is "
                             "not", post=org.post_title(session, post_id))
    posts = [mine[i] for i in dict.fromkeys(wanted)]
    if len({p.office_id for p in posts}) > 1:
        raise InvalidInput("hand over the posts of one office at a time")
    office = posts[0].office
    if office.handover_days <= 0:
        raise NotAllowed("%(office)s does not let its officials hand their posts over "
                         "themselves; ask its administrator to give the charge",
                         office=named(office))
    return posts


def _colleague(session: Session, user: User, to_user_id: int | str | None) -> User:
    given = str(to_user_id or "").strip()
    if not given.isdigit():
        raise InvalidInput("choose the colleague who takes the charge")
    colleague = session.get(User, int(given))
    if colleague is None or not colleague.active:
        raise NotFound("no such colleague")
    if colleague.id == user.id:
        raise InvalidInput("hand your posts to a colleague, not to yourself")
    return colleague


def _check_dates(office: Office, from_date: date, to_date: date, today: date) -> None:
    if from_date < today:
        raise InvalidInput("a handover starts today or later, not on %(day)s", day=_day(from_date))
    if to_date < from_date:
        raise InvalidInput("the handover ends (%(end)s) before it starts (%(start)s)",
                           end=_day(to_date), start=_day(from_date))
    days = (to_date - from_date).days + 1
    if days > office.handover_days:
        raise InvalidInput("a handover is for %(most)s days at most in %(office)s; this one "
                           "is for %(days)s days", most=office.handover_days,
                           office=named(office), days=days)


def _refusal(session: Session, post: Post, held: Sequence[Post]) -> NotAllowed | None:
    """Why a colleague holding ``held`` may not take ``post`` (None if they may)."""
    theirs = [p for p in held if p.office_id == post.office_id]
    if not theirs:
        return NotAllowed("a handover goes to a colleague of %(office)s",
                          office=named(post.office))
    if post.office.handover_to == TO_SENIOR:
        above = {p.id for p in superiors_in_order(session, post.id)}
        if not any(p.role == post.role or p.id in above for p in theirs):
            return NotAllowed("%(office)s hands a post only to a colleague holding a post of "
                              "the same role as %(post)s or one above it",
                              office=named(post.office), post=named(post, "title"))
    return None


def _lock_posts(session: Session, posts: Sequence[Post]) -> None:
    """Two handovers of one post at once queue on its row (PostgreSQL; SQLite has one
    writer), so that the second sees the first when it looks for an overlap."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Post.id).where(Post.id.in_([p.id for p in posts]))
                        .with_for_update())


def _no_overlap(session: Session, post: Post, from_date: date, to_date: date) -> None:
    clash = session.scalar(select(PostHolding).where(
        PostHolding.post_id == post.id, PostHolding.handed_by_id.is_not(None),
        PostHolding.from_date <= to_date,
        or_(PostHolding.to_date.is_(None), PostHolding.to_date >= from_date),
        or_(PostHolding.to_date.is_(None), PostHolding.to_date >= PostHolding.from_date)))
    if clash is not None:
        raise InvalidInput("%(post)s is handed to %(user)s from %(start)s to %(end)s already; "
                           "end that handover first or choose other dates",
                           post=named(post, "title"), user=named(clash.user),
                           start=_day(clash.from_date), end=_day(clash.to_date or to_date))


def _day(value: date) -> Named:
    """A date for a refusal: dd-mm-yyyy, in Devanagari digits for a Hindi reader."""
    text = value.strftime("%d-%m-%Y")
    return Named(text, devanagari_digits(text))


def _mail(session: Session, user: User, colleague: User, posts: Sequence[Post],
          from_date: date, to_date: date) -> None:
    """Tell the colleague, in their language, what they hold and for which dates."""
    if not (colleague.email or "").strip():
        return
    hindi = colleague.language == "hi"
    start, end = from_date.strftime("%d-%m-%Y"), to_date.strftime("%d-%m-%Y")
    if hindi:
        titles = ", ".join(p.title_hi or p.title for p in posts)
        start, end = devanagari_digits(start), devanagari_digits(end)
        subject = f"[Sanchika] {titles} का प्रभार {start} से {end} तक"
        body = (f"प्रिय {colleague.name_hi or colleague.name},\n\n{user.name_hi or user.name} "
                f"ने अवकाश की अवधि के लिए {start} से {end} तक {titles} का प्रभार आपको सौंपा है। "
                "इन पदों पर लंबित संचिकाएँ इन तिथियों में आपके इनबॉक्स में अतिरिक्त प्रभार के "
                f"रूप में दिखेंगी और आप उन पर कार्रवाई कर सकते हैं।\n\nइनबॉक्स: {base_url()}\n")
    else:
        titles = ", ".join(p.title for p in posts)
        subject = f"[Sanchika] Charge of {titles} from {start} to {end}"
        body = (f"Dear {colleague.name},\n\n{user.name} has handed you the charge of {titles} "
                f"from {start} to {end}, while on leave. The files waiting at these posts are "
                "in your inbox as additional charge on those dates, and you can act on them."
                f"\n\nInbox: {base_url()}\n")
    outbox.enqueue(session, to=[colleague.email.strip()], subject=subject, body=body,
                   language="hi" if hindi else "en", office_id=posts[0].office_id)
