"""The JSON API: a portal opens a file, diarises a letter, officials act and read the track,
all with tokens and under the same rights as the pages; refusals are JSON with their status."""

import base64
import json

from sqlalchemy import select

from workflows import filing, tokens
from workflows.models import ApiToken, Movement, Receipt

from webtools import post, sign_in, text

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def bearer(session, user):
    _row, token = tokens.create_token(session, user, "test")
    return {"Authorization": f"Bearer {token}"}


def test_a_portal_opens_a_file_and_officials_move_it(client, session, people):
    manoj, rajesh = bearer(session, people.manoj), bearer(session, people.rajesh)
    response = client.post("/api/v1/files", headers=manoj, json={
        "office": "SADAR", "route": "land_mutation", "subject": "Mutation of Khata 9 (RTPS)",
        "priority": "Priority", "note": "Application 77/2026 from the RTPS portal."})
    assert response.status_code == 201, response.get_json()
    file = response.get_json()
    assert file["number"].startswith("SADAR/REV/") and file["status"] == "open"
    [step] = file["choices"]
    assert "Submit report" in [c["choice"] for c in step["choices"]]
    # by number as well as by id
    assert client.get(f"/api/v1/files/{file['number']}", headers=manoj).get_json()["id"] == file["id"]
    acted = client.post(f"/api/v1/files/{file['id']}/act", headers=manoj,
                        json={"choice": "Submit report", "remark": "Verified on the spot.",
                              "task_id": step["task_id"]})
    assert acted.status_code == 200, acted.get_json()
    assert acted.get_json()["choices"] == []  # it has left Manoj
    inbox = client.get("/api/v1/inbox", headers=rajesh).get_json()["files"]
    assert file["number"] in [row["number"] for row in inbox]
    stale = client.post(f"/api/v1/files/{file['id']}/act", headers=manoj,
                        json={"choice": "Submit report", "task_id": step["task_id"]})
    assert stale.status_code == 409 and "moved" in stale.get_json()["error"]
    track = client.get(f"/api/v1/files/{file['id']}/track", headers=rajesh).get_json()["track"]
    assert [(m["kind"], m["choice"]) for m in track] == [("open", ""), ("act", "Submit report")]
    assert track[1]["remark"] == "Verified on the spot."


def test_refusals_are_json_with_their_status(client, session, people, sadar):
    manoj, anil = bearer(session, people.manoj), bearer(session, people.anil)
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 3")
    cases = [
        (client.get(f"/api/v1/files/{file.id}"), 401),                         # no token
        (client.get(f"/api/v1/files/{file.id}", headers={"Authorization": "Bearer snk_nope"}), 401),
        (client.get(f"/api/v1/files/{file.id}", headers=anil), 404),           # another office
        (client.get("/api/v1/files/999999", headers=manoj), 404),
        (client.post(f"/api/v1/files/{file.id}/act", headers=manoj, json={"choice": "Fly"}), 400),
        (client.post(f"/api/v1/files/{file.id}/act", headers=manoj, json=["x"]), 400),
        (client.post(f"/api/v1/files/{file.id}/act", headers=manoj, json={"choice": 7}), 400),
        (client.post("/api/v1/files", headers=manoj, json={"route": "land_mutation",
                                                            "subject": "a\x00b"}), 400),
        (client.post("/api/v1/files", headers=manoj, json={"office": "DDMO", "route": "x",
                                                            "subject": "s"}), 404),
        (client.get("/api/v1/nothing-here", headers=manoj), 404),
        (client.delete(f"/api/v1/files/{file.id}/act", headers=manoj), 405),
    ]
    for response, status in cases:
        assert (response.status_code, response.mimetype) == (status, "application/json")
        assert response.get_json()["error"]
    shabnam = bearer(session, people.shabnam)  # same office, not on the track
    refused = client.get(f"/api/v1/files/{file.id}", headers=shabnam)
    assert refused.status_code == 403 and "not passed through your post" in refused.get_json()["error"]
    assert session.scalar(select(Movement).where(Movement.file_id == file.id,
                                                 Movement.kind == "act")) is None


def test_receipts_json_with_base64_and_multipart(client, session, people):
    pooja = bearer(session, people.pooja)
    response = client.post("/api/v1/receipts", headers=pooja, json={
        "subject": "Application for caste certificate", "sender": "RTPS portal",
        "letter_number": "RTPS/2026/771", "mode": "Portal",
        "document": {"filename": "application.pdf",
                     "content_base64": base64.b64encode(PDF).decode()}})
    assert response.status_code == 201, response.get_json()
    receipt = session.get(Receipt, response.get_json()["id"])
    assert (receipt.number.startswith("SADAR/R/"), receipt.document_type) == (True, "application/pdf")
    # checked by content: a program named .pdf is refused
    fake = client.post("/api/v1/receipts", headers=pooja, json={
        "subject": "x", "sender": "y", "document": {
            "filename": "letter.pdf", "content_base64": base64.b64encode(b"MZ\x90\x00").decode()}})
    assert fake.status_code == 400
    multipart = client.post("/api/v1/receipts", headers=pooja, data={
        "subject": "Complaint about ration card", "sender": "Smt. Kamla Devi",
        "document": (__import__("io").BytesIO(PDF), "complaint.pdf")})
    assert multipart.status_code == 201, multipart.get_json()
    assert multipart.get_json()["document"] == "complaint.pdf"


def test_a_token_with_a_session_cookie_needs_the_csrf_token(client, session, people, sadar):
    """A browser signed in and carrying a token is not exempt from the CSRF check."""
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 5")
    headers = bearer(session, people.manoj)
    sign_in(client, "manoj.yadav")
    response = client.post(f"/api/v1/files/{file.id}/act", headers=headers,
                           json={"choice": "Submit report"})
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert filing.open_tasks(session, file)[0].done_at is None


def test_a_signed_in_browsers_cookie_lends_no_rights_to_the_api(client, session, people, sadar):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 6")
    sign_in(client, "manoj.yadav")
    assert client.get("/").status_code == 200
    response = client.get("/api/v1/inbox")  # the cookie alone, no token
    assert response.status_code == 401 and response.mimetype == "application/json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    headers = bearer(session, people.rajesh)  # with a token: the token's user, not the cookie's
    with_cookie = client.get("/api/v1/inbox", headers=headers)
    script = client.application.test_client().get("/api/v1/inbox", headers=headers)
    assert with_cookie.status_code == 200 and with_cookie.get_json() == script.get_json()
    assert file.id not in [row["file_id"] for row in with_cookie.get_json()["files"]]  # not his
    assert file.id in [row["file_id"] for row in client.application.test_client().get(
        "/api/v1/inbox", headers=bearer(session, people.manoj)).get_json()["files"]]


def test_tokens_page_make_use_and_revoke(client, session, people):
    sign_in(client, "manoj.yadav")
    page = post(client, "/tokens/", {"name": "RTPS portal"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    token = text(page).split("(shown only once):")[1].split()[0]
    assert token.startswith("snk_")
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == people.manoj.id))
    assert row.token_sha256 == tokens.digest(token) and token not in row.token_sha256
    api = client.application.test_client()  # no cookie: a script
    assert api.get("/api/v1/inbox", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    session.refresh(row)
    assert row.last_used_at is not None
    assert "RTPS portal" in text(client.get("/tokens/"))
    post(client, f"/tokens/{row.id}/revoke")
    session.refresh(row)
    assert row.revoked_at is not None
    assert api.get("/api/v1/inbox", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # someone else's token cannot be revoked by id
    other, _t = tokens.create_token(session, people.rajesh, "x")
    assert post(client, f"/tokens/{other.id}/revoke").status_code == 404


def test_openapi_document_is_served_and_lists_the_endpoints(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/files", "/api/v1/files/{file_id}/act", "/api/v1/receipts",
            "/api/v1/inbox", "/api/v1/files/{file_id}/track"} <= set(document["paths"])
    json.dumps(document)
