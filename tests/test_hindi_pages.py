"""What a Hindi reader sees on the pages that still spoke English: the outbox, the track's
system remarks and escalation lines, route names and the diagram's labels, the holder line's
word order, and numbers in Devanagari digits."""

from datetime import timedelta

import pytest
from lxml import etree
from sqlalchemy import select

from test_file_pages import mutation  # noqa: F401  (fixture: a land mutation file with manoj)
from workflows import clock
from workflows.deadlines import escalation
from workflows.models import OutboxMail, Post, Task, User
from workflows.org import orgchart

from webtools import csrf, sign_in, text

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def speak(client, language, login):
    client.post("/language", data={"language": language, "next": "/sign-in",
                                   "csrf_token": csrf(client)})
    sign_in(client, login)


def test_the_holder_line_reads_in_hindi_word_order(client, mutation):
    speak(client, "hi", "manoj.yadav")
    page = text(client.get(f"/files/{mutation.id}"))
    assert "राजस्व कर्मचारी, हल्का १ (मनोज कुमार यादव) के पास," in page
    assert "मार्ग: भूमि नामांतरण (दाखिल-खारिज)" in page


def test_a_transfer_on_the_track_is_said_in_hindi(client, session, people, sadar, mutation):
    post = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "RK-1"))
    successor = User(login="neha.verma", name="Neha Verma", password_hash="x")
    session.add(successor)
    session.flush()
    orgchart.transfer(session, people.sunita, post, successor, clock.today())
    session.flush()
    speak(client, "en", "sunita.kumari")
    assert "Manoj Kumar Yadav transferred; Neha Verma holds the post" in text(
        client.get(f"/files/{mutation.id}"))
    client.post("/language", data={"language": "hi", "next": "/", "csrf_token": csrf(client)})
    page = text(client.get(f"/files/{mutation.id}"))
    assert "राजस्व कर्मचारी, हल्का १: मनोज कुमार यादव स्थानांतरित;" in page
    assert "transferred" not in page


def test_escalation_lines_and_the_outbox_speak_hindi(client, session, mutation):
    task = session.scalar(select(Task).where(Task.file_id == mutation.id))
    assert escalation.escalate_due(session, task.due_at + timedelta(days=60)).fired
    session.flush()
    speak(client, "hi", "sunita.kumari")
    page = text(client.get(f"/files/{mutation.id}"))
    assert "स्तर १, धारक को स्मरण: राजस्व कर्मचारी, हल्का १ को सूचित किया गया कि संचिका" in page
    assert "reminder to the holder" not in page
    assert session.scalar(select(OutboxMail.id))  # its mail is queued
    outbox = text(client.get("/admin/outbox/"))
    assert "मेल प्रेषण पेटी" in outbox and "कतार में" in outbox and "Retry now" not in outbox


@pytest.mark.parametrize("language, step", [("en", "Enquire and submit report"),
                                            ("hi", "जाँच कर प्रतिवेदन दें")])
def test_the_diagram_is_labelled_in_the_readers_language(client, mutation, language, step):
    speak(client, language, "manoj.yadav")
    answer = client.get(f"/files/{mutation.id}/route.bpmn?lang={language}")
    root = etree.fromstring(answer.data)
    steps = {el.get("name") for el in root.iter(f"{{{BPMN}}}userTask")}
    assert step in steps
    # the drawing itself is untouched: every shape still has its element
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert all(shape.get("bpmnElement") in ids for shape in root.iter()
               if shape.get("bpmnElement"))
