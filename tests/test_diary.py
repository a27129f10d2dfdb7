"""The diary register, on SQLite and PostgreSQL: every receipt of an office with where it is
now, filtered, paged 50 a page, with the dak received today (an office date, in IST), read by
the office's staff only, exported as CSV; a bad filter is a clear 400."""

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from workflows.files import diary, receipts
from workflows.errors import InvalidInput, NotAllowed
from workflows.models import Post, Receipt

from webtools import make_app, post, sign_in, text

# Wednesday 5 March 2025, 10:30 in Chhapra
NOW = datetime(2025, 3, 5, 5, 0, tzinfo=timezone.utc)
TODAY = date(2025, 3, 5)


def diarise(session, office, user, now, **kw):
    fields = dict(subject="Encroachment near Daulatganj ghat", sender="Ram Prasad Rai",
                  sender_address="Chhapra", mode="By post")
    fields.update(kw)
    return receipts.diarise_receipt(session, office=office, user=user, now=now, **fields)


@pytest.fixture
def dak(session, sadar, people):
    """Sadar's dak: 50 letters by post today, one by hand from Panapur just after midnight in
    Chhapra (still the 4th in UTC), one by email on Monday and one by post a week ago; the
    Monday letter sent to Halka 1 and the old one opened into a file by Pooja."""
    pooja = people.pooja
    first = diarise(session, sadar, pooja, NOW, subject="Mutation petition 0",
                    sender="Applicant 0")
    # 49 more like it, written at once (diarising each costs ~10 ms, too much 50 times over)
    columns = {c.key: getattr(first, c.key) for c in Receipt.__table__.columns
               if c.key not in ("id", "number", "subject", "sender_name")}
    session.add_all(Receipt(number=f"{first.number}-{i}", subject=f"Mutation petition {i}",
                            sender_name=f"Applicant {i}", **columns) for i in range(1, 50))
    hindi = diarise(session, sadar, pooja, datetime(2025, 3, 4, 19, 0, tzinfo=timezone.utc),
                    subject="पनापुर में जलजमाव", sender="मुखिया, ग्राम पंचायत पनापुर",
                    mode="By hand")
    monday = diarise(session, sadar, pooja, NOW - timedelta(days=2), sender="PFMS Cell",
                     mode="Email", letter_number="45/2025")
    old = diarise(session, sadar, pooja, NOW - timedelta(days=7), subject="Roof leaking")
    halka = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "RK-1"))
    receipts.send_receipt(session, receipt_id=monday.id, user=pooja, to_post_id=halka.id)
    file = receipts.open_file_from_receipt(session, receipt_id=old.id, user=pooja,
                                           route_key="general_noting", now=NOW)
    return dict(hindi=hindi, monday=monday, old=old, file=file)


def test_the_register_pages_every_receipt_with_where_it_is_now(session, sadar, people, dak):
    first = diary.diary(session, sadar, people.pooja, diary.DiaryFilters(), now=NOW)
    assert (first.total, first.pages, first.page, len(first.rows)) == (53, 2, 1, 50)
    assert first.today == TODAY and first.today_by_mode == {"By post": 50, "By hand": 1}
    assert first.today_total == 51
    assert first.rows[0].received_on == TODAY
    last = diary.diary(session, sadar, people.pooja, diary.DiaryFilters(), page=9, now=NOW)
    assert last.page == 2
    assert [r.number for r in last.rows][1:] == [dak["monday"].number, dak["old"].number]
    _first, monday, old = last.rows
    assert (monday.file, monday.holder_post.code) == (None, "RK-1")
    assert old.file.number == dak["file"].number and last.open_files == {dak["file"].id}
    # Manoj reads the register, but the file is not on his track: no link to it
    assert diary.diary(session, sadar, people.manoj, diary.DiaryFilters(), page=2,
                       now=NOW).open_files == set()


def test_the_register_filters_by_dates_mode_and_sender(session, sadar, people, dak):
    for filters, expected in [
            (dict(start="2025-02-26", end="2025-03-04"), ["monday", "old"]),
            (dict(start="2025-03-03", end="2025-03-03"), ["monday"]),
            (dict(mode="By hand"), ["hindi"]),
            (dict(sender="पनापुर"), ["hindi"]),
            (dict(sender="  pfms   CELL ", end="2025-03-04"), ["monday"]),
            (dict(sender="100%_"), [])]:
        found = diary.diary(session, sadar, people.pooja, diary.diary_filters(**filters),
                            now=NOW)
        assert [r.number for r in found.rows] == [dak[k].number for k in expected], filters
        assert found.total == len(expected) and found.today_total == 51  # all of today's dak


@pytest.mark.parametrize("filters, words", [
    (dict(start="5/3/2025"), "the first date '5/3/2025' is not a date like"),
    (dict(end="2025-02-30"), "the last date '2025-02-30' is not a date like"),
    (dict(start="2025-03-05", end="2025-03-01"), "the first date comes after the last"),
    (dict(mode="Pigeon"), "mode 'Pigeon' is not one of: By post, By hand"),
])
def test_a_bad_filter_is_refused_naming_what_is_wrong(filters, words):
    with pytest.raises(InvalidInput, match=words):
        diary.diary_filters(**filters)


def test_only_the_office_staff_read_its_register(session, sadar, people):
    diary.check_can_read(session, people.manoj, sadar)
    with pytest.raises(NotAllowed, match="only the staff of Circle Office, Sadar"):
        diary.check_can_read(session, people.ramesh, sadar)
    with pytest.raises(InvalidInput, match="page 'x' is not a page number"):
        diary.page_number("x")


def test_the_register_page_its_csv_and_its_refusals(session, tmp_path, people, dak,
                                                    time_machine):
    time_machine.move_to(NOW)
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "pooja.kumari")
    page = text(client.get("/receipts/diary?office=SADAR"))
    assert "51 letters received today (5 Mar 2025)" in page and "By post: 50" in page
    assert "53 receipts · page 1 of 2" in page
    older = client.get("/receipts/diary?office=SADAR&page=2").get_data(as_text=True)
    assert f'href="/files/{dak["file"].id}"' in older and "With Revenue Karmachari" in older
    hand = text(client.get("/receipts/diary?mode=By+hand&sender=मुखिया"))
    assert "1 receipt · page 1 of 1" in hand and "पनापुर में जलजमाव" in hand
    reply = client.get("/receipts/diary?office=SADAR&start=2025-03-03&format=csv")
    assert reply.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 52
    hindi = next(r for r in rows if r["diary number"] == dak["hindi"].number)
    assert (hindi["received on"], hindi["mode"], hindi["diarised at"]) == (
        "2025-03-05", "By hand", "2025-03-05T00:30+05:30")
    assert [r["where now"] for r in rows[-1:]] == ["Revenue Karmachari, Halka 1"]
    bad = client.get("/receipts/diary?start=2025-13-01")
    assert bad.status_code == 400
    assert "the first date '2025-13-01' is not a date like" in text(bad)
    assert client.get("/receipts/diary?page=0").status_code == 400
    post(client, "/language", {"language": "hi", "next": "/"})
    hindi_page = text(client.get("/receipts/diary?start=2025-03-05"))
    assert "आवती पंजी" in hindi_page and "आज (५ मार्च २०२५) ५१ डाक प्राप्त हुईं" in hindi_page
    sign_in(client, "ramesh.singh")
    assert client.get("/receipts/diary?office=SADAR").status_code == 403
    assert client.get("/receipts/diary?office=NOWHERE").status_code == 404
