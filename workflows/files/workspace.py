"""Everything the file page shows, gathered in one place so the page stays a template."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import (attachments, circulation, copies, dispatching, drafts, filing, notes, notesheet,
               putting_up, receipts)
from ..signing import notes as signed_notes, orders
from ..signing.authority import authority_of
from ..signing.officials import key_of
from ..deadlines import escalation
from .. import clock, org
from ..org import access, powers
from ..errors import Sentence
from ..routes import calling
from ..clock import utcnow
from ..models import (Attachment, Copy, Dispatch, Draft, DraftVersion, Escalation, File,
                      Movement, Note, Post, Receipt, Task, User)


@dataclass
class Action:
    """A step of the file the viewer can complete now, with the choices it offers."""
    task_id: int
    step_name: str
    post: Post
    #: [(choice, next role, [posts that could receive it])]
    choices: list[tuple[str, str, list[Post]]]
    overdue: bool
    #: the choices that go to the posts the official marks, and the posts they may mark
    marking: list[str] = field(default_factory=list)
    candidates: list[circulation.Candidate] = field(default_factory=list)
    #: the posts above the step's post it can be put up to, with their holders today
    put_up_to: list[tuple[Post, list[User]]] = field(default_factory=list)
    put_back_to: Post | None = None  # who put it up, when it was put up to the viewer
    #: the choices that end the file or reject it (the page asks before it takes one)
    ending: tuple[str, ...] = ()


@dataclass
class FileView:
    file: File
    paragraphs: list[Note]
    documents: list[Attachment]
    track: list[tuple[Movement, timedelta]]            # [(movement, held for)]
    holders: list[tuple[Task, list[User]]]             # [(task, [users])]
    actions: list[Action] = field(default_factory=list)
    can_pull_back: bool = False
    can_park: bool = False
    can_unpark: bool = False
    can_close: bool = False
    close_needs_reason: bool = False  # the viewer closes it as the head: with the reason
    can_reopen: bool = False
    my_drafts: set[int] = field(default_factory=set)  # note paragraphs the viewer may still edit
    receipts: list[Receipt] = field(default_factory=list)
    drafts: list[tuple[Draft, list[DraftVersion]]] = field(default_factory=list)
    escalations: list[tuple[Escalation, Sentence]] = field(default_factory=list)  # (it, line)
    #: the paragraphs as the note sheet shows them: of the file in one piece, and of each part
    sheet: list[notesheet.Block] = field(default_factory=list)
    signs: bool = False      # the file's office signs notes and orders
    has_pin: bool = False    # the viewer has chosen a signing PIN
    esign: bool = False      # orders are signed with Aadhaar eSign
    marks: dict[int, signed_notes.Mark] = field(default_factory=dict)  # by note id
    signed: dict[int, orders.Issued] = field(default_factory=dict)  # signed orders by draft id
    dispatches: dict[int, Dispatch] = field(default_factory=dict)  # by draft id
    works_dispatch: bool = False  # the viewer is of the file's office's staff

    copies: list[Copy] = field(default_factory=list)  # marked to posts for information
    copy_to: list[Post] = field(default_factory=list)  # posts the viewer may mark a copy to
    #: the competent authority to approve and issue each draft, by draft id
    authorities: dict[int, powers.Authority] = field(default_factory=dict)
    #: the drafts the viewer may approve or issue (the competent authority, or above it)
    decides: set[int] = field(default_factory=set)


def file_view(session: Session, user: User, file: File, now: datetime | None = None) -> FileView:
    """What ``user`` sees of ``file`` (assumes access.check_can_view passed)."""
    now = now or utcnow()
    posts = org.posts_of(session, user)
    mine = {p.id for p in posts}
    tasks = filing.open_tasks(session, file)
    movements = filing.track(session, file)
    # one query for every holder's post and one for who holds it, however many parts
    list(session.scalars(select(Post).where(Post.id.in_({t.post_id for t in tasks}))))
    holding = org.holders_by_post(session, {t.post_id for t in tasks})
    view = FileView(
        file=file, paragraphs=notes.notes_of(session, file),
        documents=attachments.attachments_of(session, file),
        track=list(zip(movements, filing.stays(movements, now), strict=True)),
        holders=[(t, holding[t.post_id]) for t in tasks])
    held = [t for t in tasks if t.post_id in mine]
    movable = [t for t in held if t.parked_at is None]  # a part parked waits, the others go
    if file.status == "open" and movable:
        view.actions = _actions(session, file, movable, now)
    view.can_park = file.status == "open" and bool(movable)
    view.can_unpark = file.status != "closed" and any(t.parked_at is not None for t in held)
    in_office = [p for p in posts if p.office_id == file.office_id]
    if file.status != "closed":
        closing = filing.closing_post(session, file, user, tasks)
        view.can_close = closing is not None
        view.close_needs_reason = closing is not None and closing[1]
    else:
        view.can_reopen = access.closer_or_head(session, file, user) is not None
    view.can_pull_back = filing.pullable(file, movements, tasks, mine) is not None
    view.my_drafts = {n.number for n in view.paragraphs
                      if n.author_id == user.id and n.frozen_at is None}
    view.sheet = notesheet.note_sheet(session, file, view.paragraphs)
    _signing(session, file, user, view)
    view.receipts = receipts.receipts_of(session, file)
    view.copies = copies.copies_of(session, file)
    if file.status != "closed" and held:
        view.copy_to = copies.candidates(session, file, user)
    _drafts(session, file, user, view)
    view.works_dispatch = bool(in_office)
    fired = escalation.escalations_of(session, file)
    if fired:
        ids = {e.holder_post_id for e in fired} | {e.to_post_id for e in fired}
        posts_by_id = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(ids)))}
        view.escalations = [(e, escalation.describe(e, posts_by_id)) for e in fired]
    return view


def _drafts(session: Session, file: File, user: User, view: FileView) -> None:
    """The file's drafts with their versions, who decides each, and their dispatches."""
    view.drafts = [(d, drafts.versions_of(session, d.id)) for d in drafts.drafts_of(session, file)]
    view.authorities = {d.id: powers.competent(session, file.office, file.section_id, d.kind)
                        for d, _versions in view.drafts if d.status != "issued"}
    view.decides = {draft_id for draft_id, authority in view.authorities.items()
                    if powers.deciding_post(session, user, file.office, authority) is not None}
    if any(d.status == "issued" for d, _versions in view.drafts):
        view.dispatches = dispatching.dispatches_on(session, file)


def _signing(session: Session, file: File, user: User, view: FileView) -> None:
    """Whether the file's office signs, and what the page says of signatures."""
    signing = authority_of(session, file.office_id)
    view.signs = signing is not None
    if signing is not None:  # with a token, the PIN is the token's
        view.has_pin = signing.provider == "pkcs11" or key_of(session, user) is not None
        view.esign = signing.provider == "esign"
        view.marks = signed_notes.marks(session, file)
        view.signed = orders.signed_on_file(session, file)


def _actions(session: Session, file: File, held: Iterable[Task], now: datetime) -> list[Action]:
    """The viewer's steps and their choices, from the open-task rows and the route version's
    steps: a page never deserializes the workflow state."""
    actions: list[Action] = []
    for task in held:
        route = calling.route_of_task(session, file.route_version, task)
        spec = calling.step_of_task(session, file.route_version, task)
        if route is None or spec is None:
            continue
        choices: list[tuple[str, str, list[Post]]] = []
        for choice in spec.choices:
            role = spec.next_role(choice)
            target = route.steps.get(spec.next_step(choice))
            options = (org.posts_for_role(session, file.office_id, file.section_id, role)
                       if role and not (target and target.circulation) else [])
            choices.append((choice, role, options))
        action = Action(task.id, task.step_name, task.post, choices,
                        task.due_at is not None and task.due_at < now,
                        circulation.marking(route, spec),
                        ending=filing.confirmed_choices(session, file, task))
        if action.marking:
            role = route.steps[spec.next_step(action.marking[0])].role
            action.candidates = circulation.candidates(session, file.office, role,
                                                       clock.office_today(file.office, now))
        action.put_up_to = putting_up.superiors(session, task.post_id)
        action.put_back_to = putting_up.put_back_to(session, task)
        actions.append(action)
    return actions


def ending_step(session: Session, file: File, task_id: int | str | None,
                choice: str) -> tuple[str, bool] | None:
    """The name of the step at which ``choice`` is asked again before it is taken, and whether
    it ends ``file`` (its flow goes to an end of the route) rather than being marked by the
    route's author to be confirmed; None for any other choice."""
    tasks = filing.open_tasks(session, file)
    task = next((t for t in tasks if str(t.id) == str(task_id)), None)
    for each in [task] if task is not None else tasks:
        if choice in filing.confirmed_choices(session, file, each):
            return each.step_name, choice in filing.ending_choices(session, file, each)
    return None
