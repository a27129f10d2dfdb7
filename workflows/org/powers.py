"""The delegation of powers: who is the competent authority to approve and issue each kind of
draft in an office.  The administrator names a post (one seat) or a role (the post holding it
in the file's section, else in the office) per kind; an office that has named nothing for a
kind uses the defaults of office procedure: letters by the section officer of the file's
section (else the head of office), orders, office memoranda and notices by the head.  An
official above the competent authority (by reports-to, all the way up) may decide too."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, org
from ..clock import utcnow
from ..errors import InvalidInput, Named, NotAllowed, NotFound, Sentence, listed, named
from ..models import DRAFT_KINDS, Office, Post, Power, User
from .access import superiors

SECTION_OFFICER = "Section Officer"
#: kind -> the role that decides it when the office has named nobody
DEFAULTS = {kind: org.HEAD_OF_OFFICE for kind in DRAFT_KINDS} | {"Letter": SECTION_OFFICER}


@dataclass(frozen=True)
class Authority:
    """The competent authority for one kind of draft on one file."""
    kind: str
    posts: list[Post]       # the posts that decide (several when several hold the role)
    role: str | None        # the role named, when the authority is a role
    by_default: bool        # the office has named nobody: the defaults apply
    fell_back: bool = False  # no post holds the role named: the head of office decides

    @property
    def post_ids(self) -> set[int]:
        return {p.id for p in self.posts}

    @property
    def titles(self) -> Named:
        """The posts' titles, for a refusal or a page."""
        return listed(named(p, "title") for p in self.posts)


@dataclass(frozen=True)
class Delegation:
    """What an office has set for one kind of draft, for the administration page."""
    kind: str
    power: Power | None     # None, or a row naming neither post nor role: the default
    default_role: str

    @property
    def is_default(self) -> bool:
        return self.power is None or (self.power.post_id is None and not self.power.role)


def delegations(session: Session, office: Office) -> list[Delegation]:
    """The office's delegation of powers, one entry per kind of draft."""
    rows = {p.kind: p for p in session.scalars(select(Power).where(Power.office_id == office.id))}
    return [Delegation(kind, rows.get(kind), DEFAULTS[kind]) for kind in DRAFT_KINDS]


def competent(session: Session, office: Office, section_id: int | None,
              kind: str) -> Authority:
    """The competent authority for a ``kind`` draft on a file of ``office`` and section."""
    power = session.scalar(select(Power).where(Power.office_id == office.id, Power.kind == kind))
    posts = list(session.scalars(select(Post).where(Post.office_id == office.id)))
    if power is not None and power.post_id is not None:
        return Authority(kind, [p for p in posts if p.id == power.post_id], None, False)
    if power is not None and power.role:
        able = org.for_role(posts, section_id, power.role)
        if able:
            return Authority(kind, able, power.role, False)
        return Authority(kind, _heads(posts), power.role, False, fell_back=True)
    role = DEFAULTS.get(kind, org.HEAD_OF_OFFICE)
    if role == org.HEAD_OF_OFFICE:
        return Authority(kind, _heads(posts), role, True)
    in_section = [p for p in posts if p.role == role and section_id is not None
                  and p.section_id == section_id]
    if in_section:
        return Authority(kind, sorted(in_section, key=lambda p: p.id), role, True)
    return Authority(kind, _heads(posts), role, True, fell_back=True)


def _heads(posts: list[Post]) -> list[Post]:
    return sorted((p for p in posts if p.is_head), key=lambda p: p.id)


def deciding_post(session: Session, user: User, office: Office, authority: Authority) -> int | None:
    """The post through which ``user`` is the competent authority, or above it; None when
    they are neither."""
    mine = [p.id for p in org.posts_of(session, user) if p.office_id == office.id]
    able = authority.post_ids
    for post_id in mine:
        if post_id in able:
            return post_id
    above = superiors(session, able)
    return next((post_id for post_id in mine if post_id in above), None)


def require_competent(session: Session, user: User, office: Office, section_id: int | None,
                      kind: str, title: str, verb: str) -> Authority:
    """Refuse ``user`` unless they are the competent authority for a ``kind`` draft (or above
    it); ``verb`` is "approve" or "issue"."""
    authority = competent(session, office, section_id, kind)
    if not authority.posts:
        raise NotAllowed("no post of %(office)s is the competent authority for drafts of the "
                         "kind %(kind)s; the administrator must name one in the delegation of "
                         "powers",
                         office=named(office), kind=Sentence(kind))
    if deciding_post(session, user, office, authority) is None:
        said = dict(title=title, kind=Sentence(kind), authority=authority.titles)
        if verb == "approve":
            raise NotAllowed("'%(title)s' (%(kind)s) is approved by the competent authority "
                             "(%(authority)s) or an officer above; you are neither", **said)
        raise NotAllowed("'%(title)s' (%(kind)s) is issued by the competent authority "
                         "(%(authority)s) or an officer above; you are neither", **said)
    return authority


def set_power(session: Session, user: User | None, office: Office, kind: str, *,
              post_id: int | None = None, role: str | None = None,
              now: datetime | None = None) -> Power:
    """Name the competent authority for ``kind`` drafts in ``office``: a post of the office,
    or a role some post of the office holds (neither: back to the default)."""
    if kind not in DRAFT_KINDS:
        raise InvalidInput("a draft is one of: %(kinds)s; not '%(kind)s'",
                           kinds=", ".join(DRAFT_KINDS), kind=kind)
    role = " ".join((role or "").split()) or None
    if post_id is not None and role:
        raise InvalidInput("name a post or a role as the competent authority, not both")
    if post_id is not None:
        post = session.get(Post, post_id)
        if post is None:
            raise NotFound("no post with the id %(id)s", id=post_id)
        if post.office_id != office.id:
            raise InvalidInput("%(post)s is a post of %(other)s, not of %(office)s",
                               post=named(post, "title"), other=named(post.office),
                               office=named(office))
    if role and role != org.HEAD_OF_OFFICE and session.scalar(select(Post.id).where(
            Post.office_id == office.id, Post.role == role).limit(1)) is None:
        raise InvalidInput("no post of %(office)s holds the role '%(role)s'",
                           office=named(office), role=role)
    power = session.scalar(select(Power).where(Power.office_id == office.id, Power.kind == kind))
    if power is None:
        power = Power(office_id=office.id, kind=kind)
        session.add(power)
    power.post_id, power.role = post_id, role
    power.set_by_id, power.set_at = (user.id if user else None), now or utcnow()
    session.flush()
    audit.record(session, "powers.set", user, None, office_id=office.id, kind=kind,
                 post_id=post_id, role=role)
    return power
