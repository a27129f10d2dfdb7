"""Circulation: a file sent to many posts at once (every Circle Officer of the district, or the
posts an official marks), one part per post.

The route says who (``engine.circulation``); this module finds the posts, in the file's office
and the other offices of its district, and gives the engine their list before the step is
reached.  The posts an official may mark are those that hold the step's role in either.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from datetime import date

import engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import org
from ..errors import InvalidInput
from ..models import Office, Post, User


@dataclass(frozen=True)
class Candidate:
    """A post a circulation may go to: its id, title (English and Hindi), office and the
    officials who hold it today."""
    id: int
    code: str
    title: str
    title_hi: str
    office: Office
    holders: tuple[User, ...]


def _offices(session: Session, office: Office, recipients: str) -> list[int]:
    """The ids of the offices whose posts ``recipients`` means for a file of ``office``: its
    own ("office"), the other offices of its district ("district"), or both ("marked")."""
    if recipients == "office":
        return [office.id]
    district = office.parent_id if office.parent_id is not None else office.id
    others = list(session.scalars(select(Office.id).where(Office.parent_id == district,
                                                          Office.id != office.id)))
    return others + [office.id] if recipients == "marked" else others


def _of_role(session: Session, office: Office, role: str, recipients: str,
             column: Any = Post) -> list[Any]:
    """``column`` of the posts holding ``role`` that a circulation of ``recipients`` means."""
    return list(session.scalars(select(column).where(
        Post.office_id.in_(_offices(session, office, recipients)), Post.role == role)
        .order_by(Post.office_id, Post.id)))


def post_ids(session: Session, office: Office, role: str, recipients: str) -> list[int]:
    """The posts holding ``role`` that a circulation of ``recipients`` goes to, by id."""
    return _of_role(session, office, role, recipients, Post.id)


def candidates(session: Session, office: Office, role: str, day: date) -> list[Candidate]:
    """The posts an official may mark for a step of ``role`` of a file of ``office``, each
    with who holds it on ``day``."""
    posts = _of_role(session, office, role, "marked")
    holders = org.holders_by_post(session, [p.id for p in posts], day)
    offices = {o.id: o for o in session.scalars(
        select(Office).where(Office.id.in_({p.office_id for p in posts})))}
    return [Candidate(p.id, p.code, p.title, p.title_hi or "", offices[p.office_id],
                      tuple(holders[p.id])) for p in posts]


def marking(route: engine.Route, step: engine.Step) -> list[str]:
    """The choices of ``step`` that send the file to posts the official marks."""
    marked = []
    for choice in step.choices:
        target = route.steps.get(step.next_step(choice))
        if target is not None and target.circulation is not None \
                and target.circulation.recipients == "marked":
            marked.append(choice)
    return marked


def variables(session: Session, office: Office, priority: str, route: engine.Route,
              mark_to: Sequence[int | str] = (), step: engine.Step | None = None,
              choice: str = "") -> dict[str, object]:
    """The routing variables an action on a file of ``office`` gives its route: the file's
    priority and, on a route that circulates, its lists of posts (see ``lists``) unless the
    action is ``choice`` at ``step`` and leads straight to a step held by one post (an
    answer to a circulation does not read the lists again)."""
    found: dict[str, object] = {"priority": priority}
    if route.circulations:
        target = route.steps.get(step.next_step(choice)) if step is not None else None
        if target is None or target.circulation is not None:
            found.update(lists(session, office, route, mark_to))
    return found


def lists(session: Session, office: Office, route: engine.Route,
          mark_to: Sequence[int | str] = ()) -> dict[str, list[int]]:
    """The lists of posts the route's circulations read, by the names the route gives them:
    for a circulation of marked posts, ``mark_to`` (each checked to be a post it may go to),
    for the others every post they mean.  A list may be empty: the engine refuses the act
    that reaches its step, not every act on the route."""
    found: dict[str, list[int]] = {}
    for step in route.steps.values():
        circulation = step.circulation
        if circulation is None:
            continue
        if circulation.recipients == "marked":
            found[circulation.collection] = _marked(session, office, step, mark_to)
            continue
        found[circulation.collection] = post_ids(session, office, step.role,
                                                 circulation.recipients)
    return found


def _marked(session: Session, office: Office, step: engine.Step,
            mark_to: Iterable[int | str]) -> list[int]:
    allowed = set(post_ids(session, office, step.role, "marked"))
    marked: list[int] = []
    for value in mark_to:
        text = str(value).strip()
        if not text.isdigit() or int(text) not in allowed:
            raise InvalidInput("'%(value)s' is not a post that '%(step)s' can go to: mark "
                               "posts holding the role '%(role)s'", value=text, step=step.name,
                               role=step.role)
        if int(text) not in marked:
            marked.append(int(text))
    return marked

