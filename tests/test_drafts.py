"""Drafts (letters and orders on a file), on SQLite and PostgreSQL: versions that never change,
a diff between them, approval of one version, and issue with a number per office, kind and year."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from workflows.files import drafts, filing
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import AuditEvent
from workflows.models.guards import ImmutableRow

from test_signing import relief_file_at_adm

T0 = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)  # a Monday, 10:30 IST
NOTICE = "Notice under Section 6\nShri Ram Prasad Rai is asked to appear\non 10 November 2026."


@pytest.fixture
def file(session, sadar, people):
    return filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 9, Khesra 10", now=T0)


def at_ci(session, file, people, now=T0):
    """A land mutation file sent up to the Circle Inspector, Sadar's competent authority for
    notices."""
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report", now=now)
    return file


def at_co(session, file, people, now=T0):
    """A land mutation file up with the Circle Officer, the head of office (orders, memoranda,
    and letters of a section without a section officer)."""
    at_ci(session, file, people, now)
    filing.act(session, number=file.number, user=people.rajesh, choice="Forward", now=now)
    return file


def new_draft(session, file, user, kind="Notice", title="Notice to the objector", body=NOTICE,
              now=T0):
    return drafts.create_draft(session, number=file.number, user=user, kind=kind, title=title,
                               body=body, now=now)


def approved(session, file, user, kind, now=T0, title="An order"):
    draft = new_draft(session, file, user, kind=kind, title=title, now=now)
    return drafts.approve_draft(session, draft_id=draft.id, version=1, user=user, now=now)


def draft_actions(session, file):
    session.commit()  # audit events are written at commit
    rows = session.scalars(select(AuditEvent).where(AuditEvent.file_id == file.id,
                                                    AuditEvent.action.like("draft.%"))
                           .order_by(AuditEvent.id))
    return [(e.action, {k: v for k, v in json.loads(e.detail).items() if k != "records"})
            for e in rows]  # what the event says of the action, without its rows' digests


def test_versions_are_kept_and_compared_line_by_line(session, file, people):
    draft = new_draft(session, file, people.manoj)
    assert (draft.status, draft.kind, draft.created_by_id) == ("draft", "Notice", people.manoj.id)
    later = T0 + timedelta(hours=1)
    second = drafts.revise_draft(session, draft_id=draft.id, user=people.manoj, now=later,
                                 body=NOTICE.replace("10 November", "12 November")
                                 + "\nFailing which the case will be decided ex parte.")
    assert second.number == 2 and second.created_at == later
    versions = drafts.versions_of(session, draft.id)
    assert [(v.number, v.author_post.code) for v in versions] == [(1, "RK-1"), (2, "RK-1")]
    assert versions[0].body == NOTICE  # the first version is untouched
    assert drafts.compare_versions(session, draft.id, 1, 2) == [
        (" ", "Notice under Section 6"),
        (" ", "Shri Ram Prasad Rai is asked to appear"),
        ("-", "on 10 November 2026."),
        ("+", "on 12 November 2026."),
        ("+", "Failing which the case will be decided ex parte."),
    ]
    assert drafts.compare_versions(session, draft.id, 2, 2)[-1] == (
        " ", "Failing which the case will be decided ex parte.")
    with pytest.raises(NotFound, match="'Notice to the objector' has no version 3"):
        drafts.compare_versions(session, draft.id, 1, 3)
    with pytest.raises(ImmutableRow, match="draft version .* cannot be changed"):
        with session.begin_nested():
            versions[0].body = "rewritten history"
            session.flush()
    with pytest.raises(ImmutableRow, match="cannot be deleted"):
        with session.begin_nested():
            session.delete(versions[1])
            session.flush()


def test_approval_then_revision_returns_the_draft_to_draft(session, file, people):
    at_ci(session, file, people)
    draft = new_draft(session, file, people.rajesh)
    drafts.revise_draft(session, draft_id=draft.id, user=people.rajesh, body=NOTICE + "\nSd/-")
    drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.rajesh, now=T0)
    assert (draft.status, draft.approved_version, draft.approved_by_id, draft.approved_at) == (
        "approved", 1, people.rajesh.id, T0)
    assert drafts.approved_text(session, draft) == NOTICE
    with pytest.raises(NotAllowed, match="version 1 of 'Notice to the objector' is already"):
        drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.rajesh)
    drafts.revise_draft(session, draft_id=draft.id, user=people.rajesh, body="Fresh text",
                        title="Final notice")
    assert (draft.status, draft.approved_version, draft.approved_at, draft.title) == (
        "draft", None, None, "Final notice")
    assert drafts.approved_text(session, draft) is None
    with pytest.raises(NotAllowed, match="'Final notice' is not approved; approve a version"):
        drafts.issue_draft(session, draft_id=draft.id, user=people.rajesh)
    # the approval of version 1 stays in the record, withdrawn by the revision
    assert [(a.version, a.approved_by_post.code) for a in drafts.approvals_of(session, draft.id)
            ] == [(1, "CI")]
    assert [(a, d.get("version")) for a, d in draft_actions(session, file)] == [
        ("draft.created", 1), ("draft.revised", 2), ("draft.approved", 1), ("draft.revised", 3)]
    assert draft_actions(session, file)[-1][1]["approval_withdrawn"] is True


def test_issue_numbers_run_per_office_kind_and_local_year(session, file, sadar, ddmo, people):
    at_co(session, file, people)
    order = approved(session, file, people.sunita, "Order")
    drafts.issue_draft(session, draft_id=order.id, user=people.sunita, now=T0)
    assert order.issue_number.startswith("SADAR/ORDER/2026/")
    assert (order.status, order.issued_by_id, order.issued_at) == ("issued", people.sunita.id, T0)
    assert order.issued_by_post.code == "CO"
    second = approved(session, file, people.sunita, "Order", title="Second order")
    letter = approved(session, file, people.sunita, "Letter", title="Letter to the Tahsildar")
    memo = approved(session, file, people.sunita, "Office memorandum", title="A memo")
    for draft in (second, letter, memo):
        drafts.issue_draft(session, draft_id=draft.id, user=people.sunita, now=T0)
    assert int(second.issue_number[-4:]) == int(order.issue_number[-4:]) + 1
    assert letter.issue_number.startswith("SADAR/LETTER/2026/")
    assert memo.issue_number.startswith("SADAR/OM/2026/")
    # 31 December, 19:00 UTC is 1 January in Chhapra: a new year, numbers begin again
    new_year = datetime(2026, 12, 31, 19, 0, tzinfo=timezone.utc)
    january = approved(session, file, people.sunita, "Order", title="January order")
    drafts.issue_draft(session, draft_id=january.id, user=people.sunita, now=new_year)
    assert january.issue_number == "SADAR/ORDER/2027/0001"
    relief = relief_file_at_adm(session, ddmo, people)
    ddmo_order = approved(session, relief, people.anil, "Order")
    drafts.issue_draft(session, draft_id=ddmo_order.id, user=people.anil, now=T0)
    assert ddmo_order.issue_number.startswith("DDMO/ORDER/2026/")
    assert [d.id for d in drafts.drafts_of(session, file)] == [
        order.id, second.id, letter.id, memo.id, january.id]


def test_an_issued_draft_is_frozen(session, file, people):
    at_ci(session, file, people)
    draft = new_draft(session, file, people.rajesh)
    drafts.revise_draft(session, draft_id=draft.id, user=people.rajesh, body="Version two")
    drafts.approve_draft(session, draft_id=draft.id, version="2", user=people.rajesh)
    drafts.issue_draft(session, draft_id=draft.id, user=people.rajesh, now=T0)
    number = draft.issue_number
    assert drafts.approved_text(session, draft) == "Version two"
    frozen = f"'Notice to the objector' was issued as {number} and cannot be"
    with pytest.raises(NotAllowed, match=frozen + " revised"):
        drafts.revise_draft(session, draft_id=draft.id, user=people.rajesh, body="Changed")
    with pytest.raises(NotAllowed, match=frozen + " approved again"):
        drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.rajesh)
    with pytest.raises(NotAllowed, match=frozen + " issued again"):
        drafts.issue_draft(session, draft_id=draft.id, user=people.rajesh)
    with pytest.raises(ImmutableRow, match="is issued and cannot be changed"):
        with session.begin_nested():
            draft.title = "Quietly renamed"
            session.flush()
    with pytest.raises(ImmutableRow, match="cannot be deleted"):
        with session.begin_nested():
            session.delete(draft)
            session.flush()
    assert len(drafts.versions_of(session, draft.id)) == 2
    [issued] = [d for a, d in draft_actions(session, file) if a == "draft.issued"]
    assert issued == {"draft": draft.id, "issue_number": number, "version": 2}


def test_only_the_holder_of_the_file_drafts_approves_and_issues(session, file, people):
    with pytest.raises(NotAllowed, match=f"only the official holding file {file.number} may "
                                         "write a draft on it"):
        new_draft(session, file, people.rajesh)
    draft = new_draft(session, file, people.manoj)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report",
               now=T0 + timedelta(hours=1))
    with pytest.raises(NotAllowed, match="may revise its drafts"):
        drafts.revise_draft(session, draft_id=draft.id, user=people.manoj, body="Too late")
    with pytest.raises(NotAllowed, match="may approve its drafts"):
        drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.manoj)
    # the Circle Inspector now holds the file: he revises, approves and issues
    drafts.revise_draft(session, draft_id=draft.id, user=people.rajesh, body=NOTICE + "\nCI")
    drafts.approve_draft(session, draft_id=draft.id, version=2, user=people.rajesh)
    assert draft.approved_by_post.code == "CI"
    filing.close(session, number=file.number, user=people.sunita, retention="C",
                 remark="Withdrawn by the applicant", now=T0 + timedelta(hours=2))
    with pytest.raises(NotAllowed, match=f"file {file.number} is closed; its drafts are final"):
        drafts.issue_draft(session, draft_id=draft.id, user=people.rajesh)
    with pytest.raises(NotFound, match="no draft with the id 999999"):
        drafts.issue_draft(session, draft_id=999999, user=people.rajesh)


@pytest.mark.parametrize("changes, words", [
    (dict(kind="Circular"), "a draft is one of: Letter, Order, Office memorandum, Notice"),
    (dict(title="  "), "the draft has no title"),
    (dict(body=" \n "), "the draft is empty"),
    (dict(title="t" * 301), "title is longer than 300"),
])
def test_bad_drafts_are_refused(session, file, people, changes, words):
    with pytest.raises(InvalidInput, match=words):
        new_draft(session, file, people.manoj, **changes)
    assert drafts.drafts_of(session, file) == []


def test_a_revision_that_changes_nothing_and_an_unknown_version_are_refused(
        session, file, people):
    at_ci(session, file, people)
    draft = new_draft(session, file, people.rajesh)
    with pytest.raises(InvalidInput, match="nothing changed: the text is the same as version 1"):
        drafts.revise_draft(session, draft_id=draft.id, user=people.rajesh, body=NOTICE + "\n")
    with pytest.raises(NotFound, match="has no version 4"):
        drafts.approve_draft(session, draft_id=draft.id, version=4, user=people.rajesh)
    with pytest.raises(InvalidInput, match="'two' is not a version number"):
        drafts.approve_draft(session, draft_id=draft.id, version="two", user=people.rajesh)
    assert draft.status == "draft"
