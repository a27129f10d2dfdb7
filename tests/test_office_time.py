"""The office's day, not the host's: the main flows with the clock frozen at 01:30 IST on
1 January (still 31 December on a host that runs in UTC) and at 01:30 IST on 29 February
(still the 28th in UTC).  Every service here reads the one clock; none is given a time."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from workflows.deadlines import calendar
from workflows.reports import dashboard
from workflows.files import drafts, filing, inbox, receipts
from workflows.org import people as staff
from workflows import reports
from workflows.clock import IST, utcnow
from workflows.models import Attendance

from test_drafts import at_co

NEW_YEAR = datetime(2027, 1, 1, 1, 30, tzinfo=IST)   # 20:00 UTC on Thursday 31 December 2026
LEAP_DAY = datetime(2028, 2, 29, 1, 30, tzinfo=IST)  # 20:00 UTC on Monday 28 February 2028


@pytest.fixture(params=[NEW_YEAR, LEAP_DAY], ids=["1-january-0130-IST", "29-february-0130-IST"])
def day(request, time_machine):
    """The office's date, with the clock frozen at 01:30 on it (ticking on from there), on a
    host in UTC (an aware destination in another zone would move the host's zone there)."""
    time_machine.move_to(request.param.astimezone(timezone.utc))
    assert utcnow().date() == request.param.date() - timedelta(days=1)  # the host's date
    return request.param.date()


def working_days_after(day, count, holidays):
    """The date ``count`` working days after ``day``: Sundays and ``holidays`` are off."""
    while count:
        day += timedelta(days=1)
        if day.weekday() != 6 and day not in holidays:
            count -= 1
    return day


def test_a_file_is_numbered_timed_and_moved_by_the_offices_date(session, sadar, people, day):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 7, Khesra 31")
    assert file.number.startswith(f"SADAR/REV/{day.year}/")
    [task] = filing.open_tasks(session, file)
    holidays = {h.day for h in calendar.holidays_of(session, sadar)}
    due = task.due_at.astimezone(IST)
    assert (due.date(), due.strftime("%H:%M")) == (working_days_after(day, 7, holidays), "01:30")
    [row] = [r for r in inbox.inbox(session, people.manoj) if r.file.id == file.id]
    assert row.pending_days == 0  # arrived today, the office's today

    acted = filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    assert acted.to_post_ids  # the file went on: Manoj held his post on the office's date
    [with_rajesh] = filing.open_tasks(session, file)
    assert with_rajesh.post.code == "CI"

    filing.act(session, number=file.number, user=people.rajesh, choice="Return")
    closed = filing.close(session, number=file.number, user=people.sunita, retention="C",
                          keep_years=10, remark="Withdrawn by the applicant")
    review = date(day.year + 10, day.month, 28 if day == date(2028, 2, 29) else day.day)
    assert (closed.retention, closed.review_on) == ("C", review)


def test_receipts_orders_and_attendance_take_the_offices_date(session, sadar, people, day):
    receipt = receipts.diarise_receipt(
        session, office=sadar, user=people.pooja, subject="Encroachment near the ghat",
        sender="Ram Prasad Rai", letter_number="Nil", mode="By hand")
    assert receipt.number.startswith(f"SADAR/R/{day.year}/") and receipt.received_on == day

    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 8, Khesra 2")
    at_co(session, file, people, now=None)  # the head of office issues orders
    draft = drafts.create_draft(session, number=file.number, user=people.sunita, kind="Order",
                                title="Order of mutation", body="Mutation is allowed.")
    drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.sunita)
    drafts.issue_draft(session, draft_id=draft.id, user=people.sunita)
    assert draft.issue_number.startswith(f"SADAR/ORDER/{day.year}/")

    staff.sign_in(session, staff.check_password(session, "manoj.yadav", "sanchika-demo"))
    attended = session.scalar(select(Attendance.day).where(
        Attendance.user_id == people.manoj.id).order_by(Attendance.id.desc()))
    assert attended == day


def test_the_dashboard_counts_today_as_the_office_lives_it(session, sadar, people, day):
    scope = reports.scope_for(session, people.sunita, sadar.id)
    before = dashboard.dashboard(session, scope).counts["opened"]
    filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                     subject="Mutation of Khata 5, Khesra 9")
    after = dashboard.dashboard(session, scope).counts["opened"]
    # opened at 01:30 on the office's date: today, this week and this month there
    assert {p: after[p] - before[p] for p in after} == {"today": 1, "week": 1, "month": 1}
