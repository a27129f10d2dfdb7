"""An official opens a file: it is numbered in its section by the office's year, its track is
laid on the latest version of its route, and its first step is placed at the post the step's
lane means (``acting.place_tasks``), all in the caller's transaction.  A refusal (bad input,
a step no post can take) leaves nothing: not the file, not its number.
"""

from datetime import datetime

import engine
from sqlalchemy.orm import Session

from .. import audit, clock, org
from .acting import place_tasks, post_title, save_state
from ..clock import utcnow
from ..errors import InvalidInput, NotFound, named
from ..models import PRIORITIES, File, Movement, Note, Office, Post, Section, User
from ..models.textguard import check_text
from . import circulation
from .numbering import next_file_number
from ..routes.calling import called_routes
from ..routes.routing import engine_refusals, engine_route, latest_version, route_by_key

MAX_SUBJECT = 500
MAX_CATEGORY: int = File.__table__.c.category.type.length  # type: ignore[attr-defined]


def open_file(session: Session, *, office: Office, user: User, route_key: str,
              subject: str | None, priority: str = "Normal", category: str | None = "",
              section: Section | None = None, first_note: str | None = "",
              now: datetime | None = None) -> File:
    """Open a file on ``route_key`` in ``office``: number it, lay its track, place its first step.

    The opener acts through their post in the office (the one holding the first step's role,
    if they hold it); the file belongs to that post's section unless ``section`` (one of the
    office's) is given.
    """
    now = now or utcnow()
    subject, category, first_note = _cleaned(subject, category, first_note, priority)
    today = clock.office_today(office, now)
    version = latest_version(session, route_by_key(session, office, route_key))
    if version is None:
        raise NotFound("route '%(key)s' of %(office)s has no published version",
                       key=route_key, office=named(office))
    route = engine_route(session, version)
    with engine_refusals():
        instance = engine.start(route, circulation.variables(session, office, priority, route),
                                called_routes(session, office.id))
    arrivals = engine.ready_steps(instance)
    posts = [p for p in org.posts_of(session, user, today) if p.office_id == office.id]
    post = org.choose_acting_post(posts, user, office, arrivals[0].role if arrivals else None)
    section = _section(session, office, post, section)

    file = File(number=next_file_number(session, office, section, today), office=office,
                office_id=office.id, section_id=section.id, subject=subject, category=category,
                priority=priority, route_version=version, created_by=user,
                created_by_post_id=post.id, created_at=now)
    save_state(file, instance)
    placed = place_tasks(session, file, instance, now, prefer=(post.id,))  # the file joins here
    if first_note:  # written on the first step, when the opener's post holds it
        on = next((p.id for p in placed if p.post_id == post.id), None)
        session.add(Note(file_id=file.id, number=1, author_id=user.id, author_post_id=post.id,
                         task_id=on, body=first_note, created_at=now, updated_at=now))
    session.add(Movement(file_id=file.id, kind="open", from_post_id=post.id,
                         from_user_id=user.id, to_post_id=placed[0].post_id if placed else None,
                         step_name=arrivals[0].name if arrivals else "", at=now))
    audit.record(session, "file.opened", user, file, number=file.number, route=route_key,
                 version=version.version)
    session.flush()
    return file


def _cleaned(subject: str | None, category: str | None, first_note: str | None,
             priority: str) -> tuple[str, str, str]:
    """The subject (spaces folded), category and first note as they are kept; refuses what
    cannot be."""
    subject = " ".join((subject or "").split())
    category, first_note = (category or "").strip(), (first_note or "").strip()
    if not subject:
        raise InvalidInput("the subject is empty: say what the file is about")
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput("the subject is longer than %(limit)s characters", limit=MAX_SUBJECT)
    if len(category) > MAX_CATEGORY:
        raise InvalidInput("the category is longer than %(limit)s characters",
                           limit=MAX_CATEGORY)
    if priority not in PRIORITIES:
        raise InvalidInput("priority '%(priority)s' is not one of: %(choices)s",
                           priority=priority, choices=", ".join(PRIORITIES))
    for text in (subject, category, first_note):
        check_text(text)
    return subject, category, first_note


def _section(session: Session, office: Office, post: Post,
             section: Section | None) -> Section:
    """The section the file belongs to: ``section`` (one of the office's), else the opener's
    post's."""
    if section is None:
        if post.section_id is None:
            raise InvalidInput("%(post)s belongs to no section: choose the section of the file",
                               post=post_title(session, post.id))
        return session.get_one(Section, post.section_id)  # the post's own (a foreign key)
    if section.office_id != office.id:
        raise InvalidInput("section %(section)s is not a section of %(office)s",
                           section=section.code, office=named(office))
    return section
