"""The JSON API: a portal opens a file, diarises a letter, officials act and read the track,
all with tokens and under the same rights as the pages; refusals are JSON with their status."""

import base64
import io
import json

from sqlalchemy import select

from workflows.files import filing
from workflows.org import tokens
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
        (client.get("/api/v1/files/SADAR%00REV", headers=manoj), 400),  # NUL in the URL
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


def _refused(response, status, field, words):
    """A refusal with ``status`` whose sentence names ``field`` and says ``words``."""
    body = response.get_json()
    assert (response.status_code, response.mimetype) == (status, "application/json"), body
    assert f"'{field}'" in body["error"] and words in body["error"], body
    assert field in [problem["field"] for problem in body["problems"]], body


def test_input_that_does_not_fit_is_refused_naming_the_field(client, session, people, sadar):
    manoj = bearer(session, people.manoj)
    new = {"route": "land_mutation", "subject": "Mutation of Khata 14"}
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 15")
    act = f"/api/v1/files/{file.id}/act"
    cases = [
        (client.post("/api/v1/files", headers=manoj, json={"route": "land_mutation"}),
         "subject", "Field required"),
        (client.post("/api/v1/files", headers=manoj, json={**new, "subject": 7}),
         "subject", "valid string"),
        (client.post("/api/v1/files", headers=manoj, json={**new, "subject": "x" * 501}),
         "subject", "at most 500 characters"),
        (client.post("/api/v1/files", headers=manoj, json={**new, "category": "c" * 101}),
         "category", "at most 100 characters"),
        (client.post("/api/v1/files", headers=manoj, json={**new, "priority": "Urgent"}),
         "priority", "'Top Priority'"),
        (client.post("/api/v1/files", headers=manoj, json={**new, "note": "a\ud800b"}),
         "note", "unicode string"),
        (client.post(act, headers=manoj, json={"choice": "Submit report", "remark": "a\x00"}),
         "remark", "NUL character"),
        (client.post(act, headers=manoj, json={"choice": "Submit report", "task_id": True}),
         "task_id", "whole number"),
        (client.post(act, headers=manoj, json={"choice": "Submit report", "task_id": 0}),
         "task_id", "greater than or equal to 1"),
        (client.post(act, headers=manoj, json={"choice": "Submit report", "to_post_id": "x"}),
         "to_post_id", "valid integer"),
        (client.post(act, headers=manoj, json={"choice": "Submit report", "task_id": 2**31}),
         "task_id", "less than or equal to"),
        (client.post("/api/v1/receipts", headers=manoj, json={
            "subject": "s", "sender": "y", "document": {"filename": "a.pdf",
                                                        "content_base64": "not base64!"}}),
         "document.content_base64", "not base64"),
        (client.post("/api/v1/receipts", headers=manoj, json={"subject": "s", "sender": "y",
                                                              "letter_date": "2 Nov 2026"}),
         "letter_date", "valid date"),
        (client.post("/api/v1/receipts", headers=manoj, data={  # a file where a text goes
            "sender": "y", "subject": (io.BytesIO(PDF), "s.pdf")}),
         "subject", "valid string"),
        (client.post("/api/v1/receipts", headers=manoj, data={"subject": "s", "sender": "y",
                                                              "document": "not a file"}),
         "document", "must be a file"),
        (client.post("/api/v1/receipts", headers=manoj, data={  # two letters in one
            "subject": "s", "sender": "y",
            "document": [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF), "b.pdf")]}),
         "document", "must be a file"),
        (client.get("/api/v1/inbox?q=" + "q" * 201, headers=manoj), "q", "at most 200"),
        (client.get("/api/v1/inbox?priority=Urgent", headers=manoj), "priority", "'Normal'"),
    ]
    for response, field, words in cases:
        _refused(response, 400, field, words)
    assert session.scalar(select(Movement).where(Movement.file_id == file.id,
                                                 Movement.kind == "act")) is None
    assert session.scalar(select(Receipt).where(Receipt.subject == "s")) is None


def test_a_body_that_is_not_a_json_object_or_of_another_type_is_refused(client, session,
                                                                        people):
    manoj = bearer(session, people.manoj)
    as_json = {**manoj, "Content-Type": "application/json"}
    for data, status, words in [
            ('{"route": "land_mutation", "subject": ', 400, "not valid JSON"),
            ("", 400, "the body is empty"),
            ('["land_mutation"]', 400, "must be a JSON object"),
            ("null", 400, "must be a JSON object"),
            ("[" * 100_000, 400, "nested too deeply"),
            (b'{"subject": "\xff"}', 400, "not valid JSON")]:
        response = client.post("/api/v1/files", headers=as_json, data=data)
        assert (response.status_code, response.mimetype) == (status, "application/json")
        assert words in response.get_json()["error"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        response = client.post("/api/v1/files", headers=manoj, data="route=land_mutation",
                               content_type=content_type)
        assert (response.status_code, response.mimetype) == (415, "application/json")
        assert "application/json" in response.get_json()["error"]
    # a receipt takes JSON or a form, and says so
    response = client.post("/api/v1/receipts", headers=manoj, data="x", content_type="text/csv")
    assert response.status_code == 415
    assert "multipart/form-data" in response.get_json()["error"]


def test_fields_the_api_does_not_know_are_ignored(client, session, people):
    """As they always were: a portal that sends more than Sanchika keeps still gets its file."""
    response = client.post("/api/v1/files", headers=bearer(session, people.manoj), json={
        "route": "land_mutation", "subject": "Mutation of Khata 16", "portal_ref": "RTPS-77",
        "priority": None, "category": ""})
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["priority"], response.get_json()["category"]) == ("Normal", "")


def test_an_answer_outside_the_document_is_a_500_that_says_so(client, session, people, sadar,
                                                              monkeypatch):
    from web import api
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 17")
    monkeypatch.setattr(api, "_track", lambda db, file: [{"id": "not a number"}])
    response = client.get(f"/api/v1/files/{file.id}/track", headers=bearer(session, people.manoj))
    assert (response.status_code, response.mimetype) == (500, "application/json")
    assert "did not match the API's description" in response.get_json()["error"]


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


def test_openapi_document_is_served_and_lists_the_endpoints(client, session, people):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/files", "/api/v1/files/{file_id}/act", "/api/v1/receipts",
            "/api/v1/inbox", "/api/v1/files/{file_id}/track"} <= set(document["paths"])
    json.dumps(document)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    # the limit the document states is the one the API holds to
    schemas = document["components"]["schemas"]
    limit = schemas["NewFile"]["properties"]["subject"]["maxLength"]
    headers = bearer(session, people.manoj)
    for length, status in [(limit, 201), (limit + 1, 400)]:
        response = client.post("/api/v1/files", headers=headers, json={
            "route": "land_mutation", "subject": "k" * length})
        assert response.status_code == status, response.get_json()
    receipt = document["paths"]["/api/v1/receipts"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(receipt)
