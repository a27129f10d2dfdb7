"""Who may decide, on SQLite and PostgreSQL: drafts are approved and issued by the competent
authority of the office's delegation of powers (or an officer above it), never by the dealing
assistant on his own; a revision after approval needs approval again; a file is closed by its
holder at a step where the route may end, or by the head with a reason; a choice that ends a
file is asked again before it is taken."""

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from workflows import org
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.files import drafts, filing, records
from workflows.models import AuditEvent, File, Post
from workflows.org import powers

from test_drafts import at_ci, at_co
from test_signing import relief_file_at_adm
from webtools import post, sign_in, text

T0 = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)  # a Monday, 10:30 IST


@pytest.fixture
def file(session, sadar, people):
    return filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 9, Khesra 10", now=T0)


def draft_on(session, file, user, kind, title="An order on the mutation"):
    return drafts.create_draft(session, number=file.number, user=user, kind=kind, title=title,
                               body="Mutation is allowed.", now=T0)


def test_the_assistant_is_refused_and_the_authority_or_an_officer_above_decides(
        session, file, people):
    order = draft_on(session, file, people.manoj, "Order")
    with pytest.raises(NotAllowed, match=r"'An order on the mutation' \(Order\) is approved by "
                       r"the competent authority \(Circle Officer, Sadar\) or an officer above; "
                       "you are neither"):
        drafts.approve_draft(session, draft_id=order.id, version=1, user=people.manoj)
    notice = draft_on(session, file, people.manoj, "Notice", title="Notice to the objector")
    at_ci(session, file, people)
    drafts.approve_draft(session, draft_id=notice.id, version=1, user=people.rajesh)
    drafts.issue_draft(session, draft_id=notice.id, user=people.rajesh)  # the CI: notices
    with pytest.raises(NotAllowed, match=r"\(Circle Officer, Sadar\) or an officer above"):
        drafts.approve_draft(session, draft_id=order.id, version=1, user=people.rajesh)
    filing.act(session, number=file.number, user=people.rajesh, choice="Forward", now=T0)
    # the Circle Officer is the authority for orders, and above the CI for notices
    second = draft_on(session, file, people.sunita, "Notice", title="A second notice")
    for draft in (order, second):
        drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.sunita)
        drafts.issue_draft(session, draft_id=draft.id, user=people.sunita)
    assert [(d.status, d.approved_by_post.code, d.issued_by_post.code) for d in
            (notice, order, second)] == [("issued", "CI", "CI"), ("issued", "CO", "CO"),
                                         ("issued", "CO", "CO")]


def test_an_approved_draft_revised_needs_approving_again(session, file, people):
    at_co(session, file, people)
    order = draft_on(session, file, people.sunita, "Order")
    drafts.approve_draft(session, draft_id=order.id, version=1, user=people.sunita, now=T0)
    filing.act(session, number=file.number, user=people.sunita, choice="Return", now=T0)
    # back with the Circle Inspector: he may revise the text, not approve or issue it
    drafts.revise_draft(session, draft_id=order.id, user=people.rajesh, body="Mutation refused.")
    assert order.status == "draft" and order.approved_version is None
    with pytest.raises(NotAllowed, match="is not approved; approve a version"):
        drafts.issue_draft(session, draft_id=order.id, user=people.rajesh)
    with pytest.raises(NotAllowed, match="or an officer above; you are neither"):
        drafts.approve_draft(session, draft_id=order.id, version=2, user=people.rajesh)
    [kept] = drafts.approvals_of(session, order.id)  # the head's approval stays on record
    assert (kept.version, kept.approved_by.login, kept.approved_at) == (1, "sunita.kumari", T0)


def test_the_defaults_and_what_an_office_names(session, sadar, people):
    revenue, general = (org.section_by_code(session, sadar, code).id for code in ("REV", "GEN"))
    letter = powers.competent(session, sadar, general, "Letter")  # Sadar names none for letters
    assert ([p.code for p in letter.posts], letter.by_default) == (["HC"], True)
    letter = powers.competent(session, sadar, revenue, "Letter")  # no section officer there
    assert ([p.code for p in letter.posts], letter.fell_back) == (["CO"], True)
    notice = powers.competent(session, sadar, revenue, "Notice")  # the demo names the CI
    assert ([p.code for p in notice.posts], notice.by_default) == (["CI"], False)
    powers.set_power(session, people.sunita, sadar, "Letter", role="Circle Inspector")
    assert [p.code for p in powers.competent(session, sadar, general, "Letter").posts] == ["CI"]
    powers.set_power(session, people.sunita, sadar, "Letter")  # back to the default
    assert powers.competent(session, sadar, general, "Letter").by_default


def test_bad_delegations_are_refused_naming_what_is_wrong(session, sadar, ddmo, people):
    adm = session.scalar(select(Post).where(Post.office_id == ddmo.id, Post.code == "ADM"))
    ci = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "CI"))
    for given, error, words in (
            (dict(post_id=10**9), NotFound, "no post with the id 1000000000"),
            (dict(post_id=adm.id), InvalidInput, "Additional District Magistrate \\(Disaster "
             "Management\\) is a post of District Disaster Management Office, Saran, not of "
             "Circle Office, Sadar"),
            (dict(role="Tahsildar"), InvalidInput, "no post of Circle Office, Sadar .* holds "
             "the role 'Tahsildar'"),
            (dict(post_id=ci.id, role="Circle Inspector"), InvalidInput, "not both")):
        with pytest.raises(error, match=words):
            powers.set_power(session, people.sunita, sadar, "Order", **given)
    with pytest.raises(InvalidInput, match="a draft is one of: .*not 'Circular'"):
        powers.set_power(session, people.sunita, sadar, "Circular", role="Circle Inspector")
    powers.set_power(session, people.sunita, sadar, "Order", post_id=ci.id)
    session.commit()  # audit events are written at commit
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "powers.set",
                                                       AuditEvent.office_id == sadar.id,
                                                       AuditEvent.user_id == people.sunita.id))
    assert {k: v for k, v in json.loads(event.detail).items() if k != "records"} == {
        "kind": "Order", "post_id": ci.id, "role": None}
    assert any(r[0] == "power" for r in json.loads(event.detail)["records"])  # in the chain


def test_who_closed_a_file_or_the_head_records_it(session, file, people):
    at_co(session, file, people)
    filing.act(session, number=file.number, user=people.sunita, choice="Reject", now=T0)
    assert file.status == "closed" and file.retention is None  # its route ended: to record
    with pytest.raises(NotAllowed, match="only the official who closed file .* or the head"):
        records.record_file(session, number=file.number, user=people.manoj, retention="C")
    records.record_file(session, number=file.number, user=people.sunita, retention="B")
    assert file.retention == "B"


def test_a_choice_that_ends_the_file_is_asked_again_on_the_page(client, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 9, Khesra 10")
    at_co(session, file, people, now=None)
    session.flush()
    sign_in(client, "sunita.kumari")
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert 'value="Reject" class="danger ending"' in page
    assert 'value="Allow mutation" class="primary"' in page
    asked = post(client, f"/files/{file.id}/act", {"choice": "Reject",
                                                   "remark": "No sale deed on record."})
    said = text(asked)
    assert asked.status_code == 200 and '"Reject" ends the file' in said
    assert "No sale deed on record." in said and "Yes: Reject" in said
    assert 'name="confirmed" value="1"' in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(File, file.id).status == "open"  # not yet
    done = post(client, f"/files/{file.id}/act", {"choice": "Reject", "confirmed": "1",
                                                  "remark": "No sale deed on record."})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(File, file.id).outcome == "Mutation rejected"
    hindi = client.application.test_client()
    sign_in(hindi, "sunita.kumari")
    post(hindi, "/language", {"language": "hi"})
    other = filing.open_file(session, office=file.office, user=people.manoj,
                             route_key="land_mutation", subject="Mutation of Khata 10")
    at_co(session, other, people, now=None)
    session.flush()
    asked = text(post(hindi, f"/files/{other.id}/act", {"choice": "Reject"}))
    assert "संचिका समाप्त करता है" in asked


def test_a_rejection_the_route_marks_is_asked_again_though_the_file_goes_on(client, session,
                                                                          ddmo, people):
    """The relief route's Reject goes to a step (the applicant is told) before its end; its
    author marked the flow ``confirm``, so the page asks again, without saying it ends."""
    file = relief_file_at_adm(session, ddmo, people)
    session.flush()
    sign_in(client, "anil.sinha")
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert 'value="Reject" class="danger ending"' in page
    assert 'value="Sanction" class="primary"' in page
    asked = text(post(client, f"/files/{file.id}/act", {"choice": "Reject"}))
    assert "the route asks you to confirm \"Reject\"" in asked and "ends the route" not in asked
    post(client, f"/files/{file.id}/act", {"choice": "Reject", "confirmed": "1"})
    session.expire_all()
    [task] = filing.open_tasks(session, session.get(File, file.id))
    assert task.step_name == "Inform applicant"
