"""Every page and API endpoint that takes a file, walked as three outsiders: a signed-out
visitor, an official of another office, and an official of the same office whose post the file
has not passed through.  Each is refused, and nothing changes.  The rules are read from the
app's URL map, so a new page is walked without anyone remembering to add it here."""

import io

import pytest
from sqlalchemy import func, select

from workflows.files import attachments, copies, drafts, filing, receipts
from workflows.org import tokens
from workflows.models import Attachment, AuditEvent, DraftVersion, Movement, Note, Post

from webtools import csrf, sign_in

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
FILE_ARGS = {"file_id", "ref"}
FORM = {"choice": "Submit report", "remark": "x", "note": "x", "reason": "x", "kind": "Letter",
        "title": "x", "body": "x", "version": "1", "to_post": "1", "paragraph": "1"}


@pytest.fixture
def the_file(session, sadar, people, app):
    """Manoj's file with a note, a document, a draft and a receipt in it."""
    store = app.config["ATTACHMENTS"]
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 21", first_note="Petition received.")
    attachments.attach(session, number=file.number, user=people.manoj, filename="deed.pdf",
                       data=PDF, store=store)
    draft = drafts.create_draft(session, number=file.number, user=people.manoj, kind="Letter",
                                title="Notice to the seller", body="Appear on Monday.")
    receipt = receipts.diarise_receipt(session, office=sadar, user=people.manoj,
                                       subject="Objection", sender="Ram Lal",
                                       document=("objection.pdf", PDF), store=store)
    receipts.put_in_file(session, receipt_id=receipt.id, number=file.number, user=people.manoj)
    head_clerk = session.scalar(select(Post.id).where(Post.office_id == sadar.id, Post.code == "HC"))
    [copy] = copies.mark_copy(session, number=file.number, user=people.manoj,
                              post_ids=[head_clerk])
    session.flush()
    ids = {"file_id": file.id, "ref": str(file.id), "draft_id": draft.id,
           "receipt_id": receipt.id, "copy_id": copy.id,
           "attachment_id": session.scalar(select(func.min(Attachment.id))
                                           .where(Attachment.file_id == file.id))}
    return file, ids


def file_rules(app):
    """(method, url, is_api) for every rule that takes a file, built for ``ids``."""
    for rule in app.url_map.iter_rules():
        if FILE_ARGS & set(rule.arguments):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def build(rule, ids):
    return rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]


def state(session, file):
    """What a refused request must not change."""
    def count(model):
        return session.scalar(select(func.count()).select_from(model)
                              .where(model.file_id == file.id))
    return (count(Movement), count(Note), count(Attachment), count(AuditEvent),
            session.scalar(select(func.count()).select_from(DraftVersion)),
            tuple((t.id, t.done_at, t.opened_at) for t in filing.open_tasks(session, file)))


def call(client, method, url, headers=None):
    if method == "GET":
        return client.get(url, headers=headers)
    if url.startswith("/api/"):
        return client.post(url, json=FORM, headers=headers)
    token = csrf(client, "/sign-in")  # a valid form token: the refusal must be the permission
    data = dict(FORM, csrf_token=token, documents=(io.BytesIO(PDF), "x.pdf"))
    return client.post(url, data=data, headers=headers)


def test_the_walk_covers_every_file_page(app):
    endpoints = {rule.endpoint for rule, _m in file_rules(app)}
    assert {"files.show", "files.act", "files.document", "files.receipt_letter", "files.draft",
            "api.show_file", "api.act", "api.track"} <= endpoints


def test_signed_out_visitors_are_sent_to_sign_in(app, session, the_file):
    file, ids = the_file
    before = state(session, file)
    client = app.test_client()
    for rule, method in file_rules(app):
        url = build(rule, ids)
        response = call(client, method, url)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url)
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/sign-in"), (method, url)
    assert state(session, file) == before


@pytest.mark.parametrize("who, expected", [("anil.sinha", {404}),
                                           ("shabnam.parveen", {403, 404})])
def test_officials_with_no_business_are_refused(app, session, people, the_file, who, expected):
    """Another office gets 404 (it may not learn the file exists); the same office, off the
    track, 403 (or 404 where the answer would reveal nothing more)."""
    file, ids = the_file
    before = state(session, file)
    page = app.test_client()
    sign_in(page, who)
    _row, token = tokens.create_token(session, getattr(people, who.split(".")[0]))
    api = app.test_client()
    walked = 0
    for rule, method in file_rules(app):
        url = build(rule, ids)
        if url.startswith("/api/"):
            response = call(api, method, url, headers={"Authorization": f"Bearer {token}"})
            assert response.mimetype == "application/json", (method, url)
        else:
            response = call(page, method, url)
        assert response.status_code in expected, (who, method, url, response.status_code)
        walked += 1
    assert walked >= 20
    assert state(session, file) == before
