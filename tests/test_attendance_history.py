"""Attendance history: a head's any day and month per official, late arrivals against the
office's hours, the month as CSV, and staff kept to their own month."""

from datetime import datetime, timedelta

from workflows import clock
from workflows.org import attendance, people as staff

from webtools import flashes, post, sign_in, text


def _month_ago():
    return (clock.today().replace(day=1) - timedelta(days=20)).replace(day=1)


def _arrive(session, user, day, hour, minute):
    at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.IST)
    staff.sign_in(session, user, now=at)


def test_a_month_marks_late_arrivals_against_the_office_hours(session, sadar, people):
    first = _month_ago()
    _arrive(session, people.manoj, first + timedelta(days=2), 10, 20)
    _arrive(session, people.manoj, first + timedelta(days=3), 9, 50)
    session.flush()
    month = attendance.month_of(session, people.sunita, people.manoj, first)
    assert (month.present, month.late, month.day_starts) == (2, 1, "10:00")
    sadar.day_starts = "10:30"
    assert attendance.month_of(session, people.sunita, people.manoj, first).late == 0


def test_pages_csv_and_refusals(client, session, sadar, people):
    first = _month_ago()
    late_day = first + timedelta(days=2)
    _arrive(session, people.manoj, late_day, 10, 20)
    session.flush()
    sign_in(client, "sunita.kumari")
    q = {"user": "manoj.yadav", "month": f"{first:%Y-%m}"}
    assert "1 late arrival" in text(client.get("/attendance/month", query_string=q))
    day_page = text(client.get("/attendance", query_string={"day": late_day.isoformat()}))
    assert "Manoj Kumar Yadav" in day_page and "late" in day_page
    sheet = client.get("/attendance/month.csv", query_string=q)
    assert sheet.mimetype == "text/csv"
    assert f"manoj.yadav,Manoj Kumar Yadav,{late_day.isoformat()},yes,10:20,,yes" in \
        sheet.get_data(as_text=True)
    post(client, "/language", {"language": "hi", "next": "/"})
    assert "१ बार विलंब से आगमन" in text(client.get("/attendance/month", query_string=q))
    post(client, "/sign-off")
    sign_in(client, "manoj.yadav")
    assert client.get("/attendance/month", query_string=q).status_code == 200
    other = client.get("/attendance/month", query_string={"user": "rajesh.prasad"})
    assert other.status_code == 403
    bad = client.get("/attendance/month", query_string={"month": "2026-13"})
    assert bad.status_code == 400 and "जैसे 2026-04" in text(bad)  # his language
    assert client.get("/attendance").status_code == 302


def test_the_administrator_sets_when_the_day_begins(client, session, sadar):
    sign_in(client, "sunita.kumari")
    post(client, f"/admin/offices/{sadar.id}/settings", {"what": "hours", "day_starts": "09:45"})
    session.refresh(sadar)
    assert sadar.day_starts == "09:45"
    answer = post(client, f"/admin/offices/{sadar.id}/settings",
                  {"what": "hours", "day_starts": "25:99"}, follow_redirects=True)
    session.refresh(sadar)
    assert any("10:00" in m for m in flashes(answer)) and sadar.day_starts == "09:45"
