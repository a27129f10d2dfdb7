"""Drafts (प्रारूप): letters, orders, office memoranda and notices written on a file.

A draft's text lives in numbered versions that never change.  The official holding the file
writes and revises it; the competent authority for its kind (the office's delegation of
powers, ``org.powers``), or an officer above it, approves a specific version while holding the
file, and issues it.  Revising after approval returns the draft for approval again (the
earlier approval stays in ``draft_approvals``).  An approved draft is issued with a number per
office, kind and year (SADAR/ORDER/2026/0007), after which it is frozen.  Nothing here is ever
deleted.
"""

import difflib
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, org
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed, NotFound
from .filing import lock_file, open_tasks
from ..models import DRAFT_KINDS, Draft, DraftApproval, DraftVersion, File, User
from ..org import powers
from ..clock import office_today
from .numbering import next_number
from .attachments import default_store
from ..signing import orders

MAX_TITLE = 300
MAX_BODY = 100_000


def create_draft(session: Session, *, number: str, user: User, kind: str, title: str | None,
                 body: str | None, now: datetime | None = None) -> Draft:
    """Start a draft on file ``number`` with its first version; only its holder may."""
    now = now or utcnow()
    file = lock_file(session, number)
    if kind not in DRAFT_KINDS:
        raise InvalidInput("a draft is one of: %(kinds)s; not '%(kind)s'",
                           kinds=", ".join(DRAFT_KINDS), kind=kind)
    title, body = _clean_title(title), _clean_body(body)
    post_id = _holding_post(session, file, user, NotAllowed(
        "only the official holding file %(number)s may write a draft on it", number=file.number))
    draft = Draft(file_id=file.id, kind=kind, title=title, status="draft",
                  created_by_id=user.id, created_at=now)
    session.add(draft)
    session.flush()
    session.add(DraftVersion(draft_id=draft.id, number=1, body=body, author_id=user.id,
                             author_post_id=post_id, created_at=now))
    audit.record(session, "draft.created", user, file, draft=draft.id, kind=kind, title=title,
                 version=1)
    session.flush()
    return draft


def revise_draft(session: Session, *, draft_id: int, user: User, body: str | None,
                 title: str | None = None, now: datetime | None = None) -> DraftVersion:
    """Add a new version of the draft's text (earlier versions stay as they were); an
    approved draft goes back to draft status.  Returns the new version."""
    now = now or utcnow()
    draft, file = _lock_draft(session, draft_id)
    _require_not_issued(draft, NotAllowed(
        "'%(title)s' was issued as %(issue_number)s and cannot be revised",
        title=draft.title, issue_number=draft.issue_number))
    post_id = _holding_post(session, file, user, NotAllowed(
        "only the official holding file %(number)s may revise its drafts", number=file.number))
    body = _clean_body(body)
    title = draft.title if title is None else _clean_title(title)
    latest = _latest(session, draft)
    if body == latest.body and title == draft.title:
        raise InvalidInput("nothing changed: the text is the same as version %(version)s",
                           version=latest.number)
    version = DraftVersion(draft_id=draft.id, number=latest.number + 1, body=body,
                           author_id=user.id, author_post_id=post_id, created_at=now)
    session.add(version)
    was_approved = draft.status == "approved"
    draft.title = title
    if was_approved:
        draft.status = "draft"
        draft.approved_version = draft.approved_by_id = None
        draft.approved_by_post_id = draft.approved_at = None
    audit.record(session, "draft.revised", user, file, draft=draft.id, version=version.number,
                 approval_withdrawn=was_approved)
    session.flush()
    return version


def approve_draft(session: Session, *, draft_id: int, version: int | str, user: User,
                  now: datetime | None = None) -> Draft:
    """Approve one version of the draft; that text is the one issued."""
    now = now or utcnow()
    draft, file = _lock_draft(session, draft_id)
    _require_not_issued(draft, NotAllowed(
        "'%(title)s' was issued as %(issue_number)s and cannot be approved again",
        title=draft.title, issue_number=draft.issue_number))
    post_id = _holding_post(session, file, user, NotAllowed(
        "only the official holding file %(number)s may approve its drafts", number=file.number))
    powers.require_competent(session, user, file.office, file.section_id, draft.kind,
                             draft.title, "approve")
    chosen = _version(session, draft, version)
    if draft.status == "approved" and draft.approved_version == chosen.number:
        raise NotAllowed("version %(version)s of '%(title)s' is already approved",
                         version=chosen.number, title=draft.title)
    draft.status, draft.approved_version = "approved", chosen.number
    draft.approved_by_id, draft.approved_by_post_id, draft.approved_at = user.id, post_id, now
    session.add(DraftApproval(draft_id=draft.id, version=chosen.number, approved_by_id=user.id,
                              approved_by_post_id=post_id, approved_at=now))
    audit.record(session, "draft.approved", user, file, draft=draft.id, version=chosen.number)
    session.flush()
    return draft


def issue_draft(session: Session, *, draft_id: int, user: User, pin: str | None = None,
                site_url: str = "", store: Path | str | None = None,
                supersedes: str | None = None, now: datetime | None = None) -> Draft:
    """Issue an approved draft: give it the next number of its kind in the office for the
    year (SADAR/LETTER/2026/0012) and freeze it.  In an office that signs, the issuer signs
    its PDF with ``pin`` (kept in ``store``; its QR code leads to ``site_url``'s
    verification page; ``supersedes`` names an earlier order it replaces); a failure there
    leaves the draft approved and the number untaken."""
    now = now or utcnow()
    draft, file, post_id = issuable(session, draft_id, user)
    signing = orders.prepare(session, file=file, user=user, post_id=post_id, pin=pin,
                             supersedes=supersedes, now=now)
    mark_issued(session, draft, file, user, post_id, next_issue_number(session, draft, file, now),
                now)
    if signing is not None:
        orders.sign_order(session, signing, draft=draft, file=file, user=user, now=now,
                          body=approved_text(session, draft) or "", site_url=site_url,
                          store=store or default_store())
    session.flush()
    return draft


def issuable(session: Session, draft_id: int, user: User) -> tuple[Draft, File, int]:
    """The approved draft ``user`` may issue now, its file (locked) and the post they issue
    it from; refused otherwise."""
    draft, file = _lock_draft(session, draft_id)
    _require_not_issued(draft, NotAllowed(
        "'%(title)s' was issued as %(issue_number)s and cannot be issued again",
        title=draft.title, issue_number=draft.issue_number))
    if draft.status != "approved":
        raise NotAllowed("'%(title)s' is not approved; approve a version before issuing it",
                         title=draft.title)
    post_id = _holding_post(session, file, user, NotAllowed(
        "only the official holding file %(number)s may issue its drafts", number=file.number))
    powers.require_competent(session, user, file.office, file.section_id, draft.kind,
                             draft.title, "issue")
    return draft, file, post_id


def next_issue_number(session: Session, draft: Draft, file: File, now: datetime) -> str:
    """The next number of the draft's kind in its office for the year."""
    return next_number(session, file.office, DRAFT_KINDS[draft.kind],
                       office_today(file.office, now))


def mark_issued(session: Session, draft: Draft, file: File, user: User, post_id: int,
                number: str, now: datetime) -> None:
    """``draft`` is issued as ``number`` by ``user`` from ``post_id``, and frozen."""
    draft.issue_number = number
    draft.status, draft.issued_by_id, draft.issued_by_post_id = "issued", user.id, post_id
    draft.issued_at = now
    audit.record(session, "draft.issued", user, file, draft=draft.id,
                 issue_number=draft.issue_number, version=draft.approved_version)

def compare_versions(session: Session, draft_id: int, a: int | str,
                     b: int | str) -> list[tuple[str, str]]:
    """The line differences from version ``a`` to version ``b`` of a draft, as a list of
    ``(op, line)``: ``' '`` unchanged, ``'-'`` only in ``a``, ``'+'`` only in ``b``."""
    draft = get_draft(session, draft_id)
    old = _version(session, draft, a).body.splitlines()
    new = _version(session, draft, b).body.splitlines()
    diff: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            diff.extend((" ", line) for line in old[i1:i2])
            continue
        diff.extend(("-", line) for line in old[i1:i2])
        diff.extend(("+", line) for line in new[j1:j2])
    return diff


def drafts_of(session: Session, file: File) -> list[Draft]:
    """The drafts on ``file``, oldest first."""
    return list(session.scalars(select(Draft).where(Draft.file_id == file.id)
                                .order_by(Draft.id)))


def versions_of(session: Session, draft_id: int) -> list[DraftVersion]:
    """All versions of a draft, first to latest."""
    return list(session.scalars(select(DraftVersion).where(DraftVersion.draft_id == draft_id)
                                .order_by(DraftVersion.number)))


def approvals_of(session: Session, draft_id: int) -> list[DraftApproval]:
    """Every approval the draft was given, first to last (a revision withdraws the last)."""
    return list(session.scalars(select(DraftApproval).where(DraftApproval.draft_id == draft_id)
                                .order_by(DraftApproval.id)))


def get_draft(session: Session, draft_id: int) -> Draft:
    """The draft with this id, or NotFound."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound("no draft with the id %(id)s", id=draft_id)
    return draft


def approved_text(session: Session, draft: Draft) -> str | None:
    """The text of the approved (or issued) version, or None while the draft is unapproved."""
    if draft.approved_version is None:
        return None
    return _version(session, draft, draft.approved_version).body


def _lock_draft(session: Session, draft_id: int) -> tuple[Draft, File]:
    """The draft and its file, the file row locked: every change to a file's drafts queues
    behind that lock, and the draft is read again after it."""
    number = session.scalar(select(File.number).join(Draft, Draft.file_id == File.id)
                            .where(Draft.id == draft_id))
    if number is None:
        raise NotFound("no draft with the id %(id)s", id=draft_id)
    file = lock_file(session, number)
    draft = session.execute(select(Draft).where(Draft.id == draft_id)  # found just above
                            .execution_options(populate_existing=True)).scalar_one()
    return draft, file


def _holding_post(session: Session, file: File, user: User, refusal: NotAllowed) -> int:
    """The post through which ``user`` holds ``file``; ``refusal`` (a NotAllowed naming what
    they wanted to do) when they do not hold it."""
    if file.status == "closed":
        raise NotAllowed("file %(number)s is closed; its drafts are final", number=file.number)
    task = next((t for t in open_tasks(session, file) if org.holds(session, user, t.post_id)),
                None)
    if task is None:
        raise refusal
    return task.post_id


def _require_not_issued(draft: Draft, refusal: NotAllowed) -> None:
    if draft.status == "issued":
        raise refusal


def _latest(session: Session, draft: Draft) -> DraftVersion:
    # a draft is made with its version 1
    return session.execute(select(DraftVersion).where(DraftVersion.draft_id == draft.id)
                           .order_by(DraftVersion.number.desc()).limit(1)).scalar_one()


def _version(session: Session, draft: Draft, number: int | str) -> DraftVersion:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise InvalidInput("'%(number)s' is not a version number", number=number) from None
    version = session.scalar(select(DraftVersion).where(DraftVersion.draft_id == draft.id,
                                                        DraftVersion.number == number))
    if version is None:
        raise NotFound("'%(title)s' has no version %(number)s", title=draft.title, number=number)
    return version


def _clean_title(title: str | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("the draft has no title: say what the letter or order is about")
    if len(title) > MAX_TITLE:
        raise InvalidInput("the title is longer than %(limit)s characters", limit=MAX_TITLE)
    return title


def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput("the draft is empty: write its text")
    if len(body) > MAX_BODY:
        raise InvalidInput("the draft is longer than %(limit)s characters", limit=MAX_BODY)
    return body
