"""Receipts and drafts from the pages: diarise a letter, put it in a file or open one on it,
and draft, revise, compare, approve and issue an order."""

import re

from sqlalchemy import select

from workflows.files import filing
from workflows.models import Draft, Receipt

from test_drafts import at_co
from webtools import flashes, post, sign_in, text

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def diarise(client, **fields):
    data = {"office": "SADAR", "subject": "Petition for mutation, Khata 19",
            "sender": "Shri Ram Pravesh Singh", "address": "Village Daulatganj, Chhapra",
            "letter_number": "Nil", "letter_date": "2026-11-20", "mode": "By hand"}
    data.update(fields)
    return post(client, "/receipts/", data, content_type="multipart/form-data")


def test_diarise_then_open_a_file_on_the_receipt(client, session):
    from io import BytesIO
    sign_in(client, "manoj.yadav")
    response = diarise(client, letter=(BytesIO(PDF), "petition.pdf"))
    assert response.status_code == 302
    receipt = session.scalar(select(Receipt).where(Receipt.sender_name == "Shri Ram Pravesh Singh"))
    page = text(client.get("/receipts/"))
    assert receipt.number in page and "Petition for mutation, Khata 19" in page
    response = post(client, f"/receipts/{receipt.id}/open", {"route": "land_mutation",
                                                              "priority": "Normal"})
    assert response.status_code == 302
    workspace = text(client.get(response.headers["Location"]))
    assert receipt.number in workspace and "petition.pdf" in workspace
    assert receipt.number not in text(client.get("/receipts/"))


def test_put_a_receipt_into_the_file_one_holds(client, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation, Khata 19")
    session.flush()
    sign_in(client, "manoj.yadav")
    diarise(client)
    receipt = session.scalar(select(Receipt).where(Receipt.sender_name == "Shri Ram Pravesh Singh"))
    response = post(client, f"/receipts/{receipt.id}/file", {"number": file.number})
    assert response.headers["Location"].endswith(f"/files/{file.id}")
    assert receipt.number in text(client.get(f"/files/{file.id}"))


def test_bad_receipts_are_explained_and_the_form_kept(client, session):
    sign_in(client, "manoj.yadav")
    response = diarise(client, sender="  ")
    assert response.status_code == 400 and flashes(response)
    assert "Petition for mutation, Khata 19" in response.get_data(as_text=True)
    response = diarise(client, letter_date="2099-01-01")
    assert response.status_code == 400 and any("future" in m for m in flashes(response))
    response = post(client, "/receipts/999999/file", {"number": "X"})
    assert response.status_code == 404


def test_draft_revise_compare_approve_and_issue_an_order(client, session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation, Khata 21")
    session.flush()
    sign_in(client, "manoj.yadav")
    post(client, f"/files/{file.id}/drafts", {"kind": "Order", "title": "Mutation order",
                                              "body": "Mutation allowed.\nRegister to be corrected."})
    draft = session.scalar(select(Draft).where(Draft.file_id == file.id))
    post(client, f"/files/{file.id}/drafts/{draft.id}/revise",
         {"body": "Mutation allowed in favour of the buyer.\nRegister to be corrected."})
    diff = client.get(f"/files/{file.id}/drafts/{draft.id}?a=1&b=2").get_data(as_text=True)
    assert re.search(r'class="del">- Mutation allowed\.', diff)
    assert re.search(r'class="add">\+ Mutation allowed in favour of the buyer\.', diff)
    response = post(client, f"/files/{file.id}/drafts/{draft.id}/issue", follow_redirects=True)
    assert any("approved" in m for m in flashes(response))  # not approved yet: refused
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert f"/drafts/{draft.id}/approve" not in page  # nothing offered that he may not do
    said = text(client.get(f"/files/{file.id}"))
    assert ("Competent authority to approve and issue: Circle Officer, Sadar, or an officer "
            "above") in said and "by the office's delegation of powers" in said
    response = post(client, f"/files/{file.id}/drafts/{draft.id}/approve", {"version": "2"})
    assert response.status_code == 400 and ("'Mutation order' (Order) is approved by the "
                                            "competent authority (Circle Officer, Sadar)"
                                            ) in text(response)
    at_co(session, file, people, now=None)  # up to the head, who decides orders
    client = client.application.test_client()
    sign_in(client, "sunita.kumari")
    assert f"/drafts/{draft.id}/approve" in client.get(f"/files/{file.id}").get_data(as_text=True)
    post(client, f"/files/{file.id}/drafts/{draft.id}/approve", {"version": "2"})
    response = post(client, f"/files/{file.id}/drafts/{draft.id}/issue", follow_redirects=True)
    session.expire_all()
    assert draft.issue_number.startswith("SADAR/ORDER/")
    assert f"Issued as {draft.issue_number}." in flashes(response)
    page = text(client.get(f"/files/{file.id}"))
    assert draft.issue_number in page and "Save new version" not in page
    history = text(client.get(f"/files/{file.id}/drafts/{draft.id}"))
    assert "Approvals Version 2 approved by Sunita Kumari (Circle Officer, Sadar)" in history
