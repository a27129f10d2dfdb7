"""The file pages: opening a file, the workspace, actions, documents, the route diagram, who may
see what, bad input, and the transfer budget for a slow line."""

import json
import re
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart
from sqlalchemy import select

from workflows.files import filing
from workflows.models import File, Note

from webtools import csrf, flashes, post, sign_in, text

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def mutation(session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 44", first_note="Petition received.")
    session.flush()
    return file


def open_form(client, **fields):
    """Post the new-file form as a browser does, the multipart body built in memory (the test
    client would spool a large one to a temporary file that it never closes)."""
    data = {"office": "SADAR", "route": "land_mutation", "subject": "Mutation of Khata 7",
            "priority": "Priority", "category": "Mutation", "note": "Sale deed enclosed.",
            "csrf_token": csrf(client, "/")}
    for key, value in fields.items():
        if isinstance(value, tuple):  # (bytes, filename): an uploaded document
            value = FileStorage(stream=BytesIO(value[0]), filename=value[1])
        data[key] = value
    boundary, body = encode_multipart(data)
    return client.post("/files/new", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_open_a_file_with_a_note_and_a_document(client, session):
    sign_in(client, "manoj.yadav")
    form = text(client.get("/files/new"))
    assert "Land mutation (dakhil-kharij)" in form and "General noting" in form
    response = open_form(client, documents=(PDF, "sale deed.pdf"))
    assert response.status_code == 302
    file = session.scalar(select(File).where(File.subject == "Mutation of Khata 7"))
    page = text(client.get(response.headers["Location"]))
    assert file.number in page and "Sale deed enclosed." in page and "sale deed.pdf" in page
    assert "Priority" in page and "Submit report" in page


@pytest.mark.parametrize("fields, message", [
    ({"subject": "  "}, "the subject is empty"),
    ({"priority": "Urgent"}, "priority 'Urgent' is not one of"),
    ({"route": "passport"}, "no route 'passport'"),
])
def test_bad_input_on_open_is_explained_and_what_was_typed_is_kept(client, session, fields, message):
    sign_in(client, "manoj.yadav")
    response = open_form(client, **fields)
    assert response.status_code == 400
    assert any(message in m for m in flashes(response)), flashes(response)
    assert "Sale deed enclosed." in response.get_data(as_text=True)  # the note typed is still there
    assert session.scalar(select(File).where(File.subject == "Mutation of Khata 7")) is None


@pytest.mark.parametrize("name, data, message", [
    ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 100, "'setup.pdf' is not a PDF"),
    ("big.pdf", b"%PDF-" + b"0" * (50 * 1024 * 1024), "the limit is 20 MB"),
])
def test_bad_documents_keep_the_form_and_open_nothing(client, session, name, data, message):
    sign_in(client, "manoj.yadav")
    response = open_form(client, documents=(data, name))
    assert response.status_code == 400
    assert any(message in m for m in flashes(response)), flashes(response)
    assert "Mutation of Khata 7" in response.get_data(as_text=True)
    assert session.scalar(select(File).where(File.subject == "Mutation of Khata 7")) is None


def test_workspace_shows_notes_track_holder_and_the_choices(client, mutation):
    sign_in(client, "manoj.yadav")
    page = text(client.get(f"/files/{mutation.id}"))
    for words in (mutation.number, "Mutation of Khata 44", "Petition received.",
                  "With Revenue Karmachari, Halka 1 (Manoj Kumar Yadav)", "Your step",
                  "Submit report → Circle Inspector", "Opened", "Park"):
        assert words in page, words
    assert "Close file" not in page  # his step goes on: the head closes it, with a reason


def test_act_moves_the_file_and_freezes_the_authors_draft(client, session, mutation, people):
    sign_in(client, "manoj.yadav")
    post(client, f"/files/{mutation.id}/notes", {"note": "Spot enquiry done."})
    note = session.scalar(select(Note).where(Note.file_id == mutation.id, Note.number == 2))
    post(client, f"/files/{mutation.id}/notes", {"paragraph": "2", "note": "Spot enquiry done; no dispute."})
    session.expire_all()
    assert note.body == "Spot enquiry done; no dispute."
    page = client.get(f"/files/{mutation.id}").get_data(as_text=True)
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    response = post(client, f"/files/{mutation.id}/act",
                    {"task_id": task_id, "choice": "Submit report", "remark": "Report attached"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    session.expire_all()
    assert note.frozen_at is not None
    page = text(client.get(f"/files/{mutation.id}"))
    assert "Sent: Submit report" in page and "Report attached" in page
    assert "Your step" not in page  # it is with the Circle Inspector now
    # a stale form (sent again from the old page) is told the file has moved; the remark is kept
    response = post(client, f"/files/{mutation.id}/act",
                    {"task_id": task_id, "choice": "Submit report", "remark": "twice"})
    assert response.status_code == 409 and "Location" not in response.headers
    assert any("the file has moved" in m for m in flashes(response))


def test_a_refused_act_keeps_what_was_typed_in_the_page_not_in_the_address(client, mutation):
    sign_in(client, "manoj.yadav")
    page = client.get(f"/files/{mutation.id}").get_data(as_text=True)
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    remark = "Boundary verified with the neighbours. " * 1800  # about 70 KB
    response = post(client, f"/files/{mutation.id}/act",
                    {"task_id": task_id, "choice": "Allow mutation", "remark": remark})
    assert response.status_code == 400 and "Location" not in response.headers
    assert any("'Allow mutation' is not a choice" in m for m in flashes(response))
    assert remark.strip() in text(response)


def test_a_choice_not_offered_is_refused_on_the_page(client, mutation):
    sign_in(client, "manoj.yadav")
    page = client.get(f"/files/{mutation.id}").get_data(as_text=True)
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    response = post(client, f"/files/{mutation.id}/act",
                    {"task_id": task_id, "choice": "Allow mutation"}, follow_redirects=True)
    assert any("'Allow mutation' is not a choice" in m for m in flashes(response))


def test_documents_open_on_request_and_are_refused_by_content(client, mutation):
    sign_in(client, "manoj.yadav")
    scan = b"\x89PNG\r\n\x1a\n" + bytes(2300 * 1024)
    response = post(client, f"/files/{mutation.id}/documents",
                    {"documents": [(BytesIO(PDF), "khatiyan.pdf"), (BytesIO(scan), "map.png")]},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "2 documents attached." in flashes(response)
    page = response.get_data(as_text=True)
    link = re.search(r'href="(/files/\d+/documents/\d+)"', page).group(1)
    # each is a line with its size and links: nothing of it comes with the page on a slow line
    assert not re.search(r'<(img|iframe)[^>]*/documents/', page)
    lines = text(response).partition("Correspondence")[2]
    assert "khatiyan.pdf · 1 KB · Show here · Download" in lines, lines
    assert "map.png · 2.2 MB · Show here · Download" in lines and "preview.js" in page
    with client.get(link) as doc:
        assert doc.data == PDF and doc.mimetype == "application/pdf"
        assert doc.headers["X-Frame-Options"] == "SAMEORIGIN"
    response = post(client, f"/files/{mutation.id}/documents",
                    {"documents": (BytesIO(b"#!/bin/sh\nrm -rf /"), "notes.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert any("'notes.pdf' is not a PDF" in m for m in flashes(response))


def test_park_close_and_reopen_from_the_page(client, mutation):
    sign_in(client, "manoj.yadav")
    post(client, f"/files/{mutation.id}/park")
    assert "Take up again" in text(client.get(f"/files/{mutation.id}"))
    post(client, f"/files/{mutation.id}/unpark")
    assert "Close file" not in text(client.get(f"/files/{mutation.id}"))  # a step that goes on
    refused = post(client, f"/files/{mutation.id}/close", {"retention": "B"})
    assert refused.status_code == 400 and "by the head of office giving the reason" in text(
        refused)
    head = client.application.test_client()
    sign_in(head, "sunita.kumari")
    page = head.get(f"/files/{mutation.id}").get_data(as_text=True)
    assert 'id="close-reason"' in page and "as the head of office? (kept on the track)" in page
    refused = post(head, f"/files/{mutation.id}/close", {"remark": "Withdrawn"})
    assert refused.status_code == 400 and "retention category of the file" in text(refused)
    refused = post(head, f"/files/{mutation.id}/close", {"remark": " ", "retention": "B"})
    assert refused.status_code == 400 and "give the reason for closing file" in text(refused)
    post(head, f"/files/{mutation.id}/close", {"remark": "Withdrawn", "retention": "B"})
    page = text(head.get(f"/files/{mutation.id}"))
    assert "closed" in page and "Reopen file" in page and "Category B" in page
    assert "Withdrawn" in page.split("Track", 1)[1]  # the head's reason, on the track
    assert "Reopen file" not in text(client.get(f"/files/{mutation.id}"))  # he did not close it
    post(head, f"/files/{mutation.id}/reopen")
    assert "Your step" in text(client.get(f"/files/{mutation.id}"))


def test_who_may_see_a_file(client, session, mutation, people, ddmo):
    relief = filing.open_file(session, office=ddmo, user=people.ramesh, route_key="relief_grant",
                              subject="Flood relief for Panapur")
    session.flush()
    sign_in(client, "shabnam.parveen")  # same office, not on the track: refused
    assert client.get(f"/files/{mutation.id}").status_code == 403
    assert client.get(f"/files/{relief.id}").status_code == 404  # another office: not found
    assert post(client, f"/files/{mutation.id}/park").status_code == 403
    assert client.get(f"/files/{mutation.id}/route.bpmn").status_code == 403
    post(client, "/sign-off")
    sign_in(client, "sunita.kumari")  # head of office sees every file of her office
    assert client.get(f"/files/{mutation.id}").status_code == 200
    post(client, "/sign-off")
    sign_in(client, "rajesh.prasad")  # the Circle Inspector is the karmachari's superior
    assert client.get(f"/files/{mutation.id}").status_code == 200


def test_route_diagram_page_and_its_data(client, session, mutation, people):
    filing.act(session, number=mutation.number, user=people.manoj, choice="Submit report")
    session.flush()
    sign_in(client, "manoj.yadav")
    page = client.get(f"/files/{mutation.id}/route").get_data(as_text=True)
    assert "/vendor/bpmn-viewer.js" in page and "route-diagram.js" in page
    assert b"land_mutation" in client.get(f"/files/{mutation.id}/route.bpmn").data
    state = client.get(f"/files/{mutation.id}/route-state.json").get_json()
    assert state["current"] == ["Task_CheckEnquiryReport"]
    assert state["done"] == {"Task_EnquireAndReport": 1}
    with client.get("/vendor/bpmn-viewer.js") as script:
        assert script.status_code == 200 and len(script.data) > 100_000
    # returned, the file is back at a step it has passed: the diagram marks it where it is now
    filing.act(session, number=mutation.number, user=people.rajesh, choice="Return")
    session.flush()
    state = client.get(f"/files/{mutation.id}/route-state.json").get_json()
    assert state["current"] == ["Task_EnquireAndReport"]
    assert state["done"] == {"Task_EnquireAndReport": 1, "Task_CheckEnquiryReport": 1}
    assert _markers(state) == {"Task_EnquireAndReport": ["step-current"],
                               "Task_CheckEnquiryReport": ["step-done"]}


def _markers(state):
    """The markers web/static/route-diagram.js puts on a track's diagram, run under node with
    a stand-in for the bpmn-js viewer that knows every element."""
    script = ROOT / "web" / "static" / "route-diagram.js"
    program = f"""
      global.window = {{}};
      require({json.dumps(str(script))});
      const marks = {{}};
      const viewer = {{ get: (name) => ({{
        canvas: {{ addMarker: (id, m) => (marks[id] = marks[id] || []).push(m) }},
        elementRegistry: {{ get: (id) => ({{ id }}) }} }})[name] }};
      window.SanchikaDiagram.track(viewer, {json.dumps(state)});
      console.log(JSON.stringify(marks));"""
    out = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _page_weight(client, path):
    """Bytes and requests a browser needs for ``path`` without a cache: the page and every
    stylesheet, script and image it references (documents inside frames excluded)."""
    page = client.get(path)
    body = page.get_data(as_text=True)
    assets = set(re.findall(r'<link[^>]+href="(/[^"]+)"', body))
    assets |= set(re.findall(r'<script[^>]+src="(/[^"]+)"', body))
    assets |= set(re.findall(r'<img[^>]+src="(/[^"]+)"', body))
    total, requests = len(page.data), 1
    for asset in assets:
        with client.get(asset) as response:
            assert response.status_code == 200, asset
            assert "max-age" in response.headers.get("Cache-Control", ""), asset
            total += len(response.data)
        requests += 1
    assert "fonts.googleapis" not in body and "@font-face" not in body
    return total, requests


def test_inbox_and_workspace_fit_a_slow_line(client, session, sadar, people, mutation):
    for i in range(40):  # a busy official's inbox
        filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                         subject=f"खाता {i}: mutation petition with a long descriptive subject line")
    for _ in range(20):  # a file with a long note sheet
        filing.act(session, number=mutation.number, user=people.manoj, choice="Submit report",
                   remark="Enquiry report submitted after spot verification. " * 3)
        filing.act(session, number=mutation.number, user=people.rajesh, choice="Return",
                   remark="Please verify the boundary with the neighbours. " * 3)
    session.flush()
    sign_in(client, "manoj.yadav")
    for path in ("/", f"/files/{mutation.id}"):
        total, requests = _page_weight(client, path)
        assert total < 100 * 1024, (path, total)
        assert requests <= 10, (path, requests)
