"""Mark to for information: a copy of a file to other posts, which read it (and only read it)
until they mark it seen; the copy is on the track and part of the record."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_file_pages import mutation  # noqa: F401  (fixture: a land mutation file with manoj)
from test_hindi_pages import speak
from test_inbox_posts import post_of
from test_record_verify import BOTH, _a_day, _behind_the_back, _verify
from workflows import org
from workflows.db import make_engine
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.files import copies, filing, inbox, workspace
from workflows.models import File
from workflows.org import access

from webtools import flashes, post, text


def test_a_copy_lets_the_post_read_the_file_until_seen_and_moves_nothing(
        session, sadar, people, mutation):
    da = post_of(session, sadar, "DA-GEN")
    with pytest.raises(NotAllowed):
        access.check_can_view(session, people.pooja, mutation)
    [copy] = copies.mark_copy(session, number=mutation.number, user=people.manoj,
                              post_ids=[str(da.id)], remark="For your records.")
    assert (copy.by_post.code, copy.to_post.code, copy.seen_at) == ("RK-1", "DA-GEN", None)
    access.check_can_view(session, people.pooja, mutation)  # reads it now
    [row] = inbox.information(session, people.pooja)
    assert row.file.id == mutation.id and row.copy.remark == "For your records."
    assert mutation.id not in {r.file.id for r in inbox.inbox(session, people.pooja)}
    assert workspace.file_view(session, people.pooja, mutation).actions == []
    assert [t.post.code for t in filing.open_tasks(session, mutation)] == ["RK-1"]
    with pytest.raises(InvalidInput, match="already"):  # one unseen copy a post
        copies.mark_copy(session, number=mutation.number, user=people.manoj, post_ids=[da.id])
    with pytest.raises(NotFound):  # not Shabnam's copy
        copies.mark_seen(session, copy_id=copy.id, user=people.shabnam)
    copies.mark_seen(session, copy_id=copy.id, user=people.pooja)
    assert copy.seen_by_id == people.pooja.id and mutation.id not in {
        r.file.id for r in inbox.information(session, people.pooja)}
    with pytest.raises(NotAllowed, match="seen already"):
        copies.mark_seen(session, copy_id=copy.id, user=people.pooja)


def test_only_the_holder_marks_a_copy_and_to_posts_that_exist(session, sadar, people,
                                                             mutation):
    da = post_of(session, sadar, "DA-GEN")
    with pytest.raises(NotAllowed, match="only an official holding"):
        copies.mark_copy(session, number=mutation.number, user=people.rajesh, post_ids=[da.id])
    with pytest.raises(InvalidInput, match="choose the posts"):
        copies.mark_copy(session, number=mutation.number, user=people.manoj, post_ids=[])
    with pytest.raises(NotFound):
        copies.mark_copy(session, number=mutation.number, user=people.manoj, post_ids=[99999])


@pytest.mark.parametrize("language, tab, line", [
    ("en", "For information", "Copy marked to Dealing Assistant, General for information by "
                              "Manoj Kumar Yadav"),
    ("hi", "सूचनार्थ", "मनोज कुमार यादव द्वारा सहायक, सामान्य को सूचनार्थ प्रति चिह्नित की गई")])
def test_marking_and_seeing_a_copy_on_the_pages(client, app, session, sadar, mutation,
                                                language, tab, line):
    da = post_of(session, sadar, "DA-GEN")
    speak(client, language, "manoj.yadav")
    done = post(client, f"/files/{mutation.id}/copies", {"post": str(da.id), "copy_remark": "FYI"},
                follow_redirects=True)
    assert line in text(done)
    refused = post(client, f"/files/{mutation.id}/copies", {})
    assert refused.status_code == 400 and len(flashes(refused)) == 1
    assert post(client, f"/files/{mutation.id}/copies", {"post": "99999"}).status_code == 404
    other = app.test_client()
    speak(other, language, "pooja.kumari")
    listed = text(other.get("/?tab=information"))
    assert tab in listed and mutation.number in listed and "FYI" in listed
    assert other.get(f"/files/{mutation.id}").status_code == 200
    [copy] = copies.copies_of(session, mutation)
    seen = post(other, f"/files/{mutation.id}/copies/{copy.id}/seen", follow_redirects=True)
    assert mutation.number not in text(seen).split(tab, 1)[1]
    assert post(other, f"/files/{mutation.id}/copies/99999/seen").status_code == 404


@BOTH
def test_a_copy_changed_behind_the_back_is_named(demo_db, tmp_path):
    number = _a_day(demo_db, tmp_path)
    eng = make_engine(demo_db)
    with Session(eng) as session, session.begin():
        file = session.scalar(select(File).where(File.number == number))
        holder = org.holders_of(session, filing.open_tasks(session, file)[0].post)[0]
        da = post_of(session, file.office, "DA-GEN")
        copies.mark_copy(session, number=number, user=holder, post_ids=[da.id])
    eng.dispose()
    assert _verify(demo_db, tmp_path).exit_code == 0
    _behind_the_back(demo_db, "UPDATE copies SET to_post_id = to_post_id + 1")
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1 and f"record differs: file {number}: copy " in result.stderr
