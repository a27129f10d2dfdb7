"""Working days, office calendars and limits: weekends, holidays, year ends, time zones."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workflows.deadlines import calendar, limits
from workflows.files import filing
from workflows.deadlines.calendar import add_working_days
from workflows.errors import InvalidInput

IST = ZoneInfo("Asia/Kolkata")


def ist(*args):
    return datetime(*args, tzinfo=IST)


def test_working_days_skip_the_weekly_offs():
    friday = ist(2026, 11, 6, 10, 30)
    assert add_working_days(friday, 1) == ist(2026, 11, 7, 10, 30)        # Sunday off only
    assert add_working_days(friday, 2) == ist(2026, 11, 9, 10, 30)        # skips Sunday
    assert add_working_days(friday, 1, weekly_offs={5, 6}) == ist(2026, 11, 9, 10, 30)
    assert add_working_days(friday, 5, weekly_offs={5, 6}) == ist(2026, 11, 13, 10, 30)
    with pytest.raises(InvalidInput, match="at least one working day"):
        add_working_days(friday, 1, weekly_offs=set(range(7)))


def test_working_days_skip_holidays_across_the_year_end():
    thursday = ist(2026, 12, 31, 17, 0)
    holidays = {date(2027, 1, 1)}  # New Year's Day, a Friday
    assert add_working_days(thursday, 1, weekly_offs={5, 6}, holidays=holidays) == \
        ist(2027, 1, 4, 17, 0)
    assert add_working_days(thursday, 2, weekly_offs={5, 6}, holidays=holidays) == \
        ist(2027, 1, 5, 17, 0)
    # Christmas on a Friday, then the weekend: the next working day is Monday the 28th
    assert add_working_days(ist(2026, 12, 24, 9, 0), 1, weekly_offs={5, 6},
                            holidays={date(2026, 12, 25)}) == ist(2026, 12, 28, 9, 0)


def test_working_days_are_counted_in_the_offices_time_zone():
    # Friday 20:00 UTC is already Saturday 01:30 in India: with Saturday and Sunday off, one
    # working day later is Monday 01:30 IST, whatever the server's own zone
    start = datetime(2026, 11, 6, 20, 0, tzinfo=timezone.utc)
    due = add_working_days(start, 1, "Asia/Kolkata", weekly_offs={5, 6})
    assert due == ist(2026, 11, 9, 1, 30) and due.tzinfo == timezone.utc
    assert add_working_days(start, 1, "UTC", weekly_offs={5, 6}) == \
        datetime(2026, 11, 9, 20, 0, tzinfo=timezone.utc)


def test_weekly_offs_are_read_as_numbers_or_names():
    assert calendar.parse_weekly_offs("5,6") == {5, 6}
    assert calendar.parse_weekly_offs("Sat, sun") == {5, 6}
    with pytest.raises(InvalidInput, match="'Funday' is not a weekday"):
        calendar.parse_weekly_offs("Funday")


def test_holiday_csv_import_reports_bad_lines_and_a_dry_run_writes_nothing(session, sadar):
    text = ("date,name\n2026-11-15,Chhath Puja\n16-11-2026,Chhath Puja (morning arghya)\n"
            "2026-13-01,Bad month\n2026-11-15,Again\nno comma here\n\n# a comment\n")
    report = calendar.import_holidays(session, sadar, text, dry_run=True)
    assert report.added == [(date(2026, 11, 15), "Chhath Puja"),
                            (date(2026, 11, 16), "Chhath Puja (morning arghya)")]
    assert [line for line, _ in report.problems] == [4, 5, 6]
    assert "not a date" in report.problems[0][1] and "twice" in report.problems[1][1]
    assert calendar.holidays_of(session, sadar) == []
    calendar.import_holidays(session, sadar, text)
    assert [h.day for h in calendar.holidays_of(session, sadar, 2026)] == [
        date(2026, 11, 15), date(2026, 11, 16)]


def test_the_strictest_limit_wins_and_the_due_time_is_stored_on_arrival(session, sadar,
                                                                        people):
    monday = ist(2026, 11, 9, 10, 30).astimezone(timezone.utc)
    limits.set_limits(session, sadar, priorities={"Immediate": 1, "Priority": 4,
                                                  "Top Priority": None}, weekly_offs="Sat,Sun")
    calendar.add_holiday(session, sadar, date(2026, 11, 10), "A local holiday")
    # land mutation's first step allows 7 days; the office 7; Immediate 1: one working day,
    # and Tuesday is a holiday, so Wednesday
    urgent = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                              subject="Urgent mutation", priority="Immediate", now=monday)
    [task] = filing.open_tasks(session, urgent)
    assert (task.limit_days, task.due_at) == (1, ist(2026, 11, 11, 10, 30))
    assert task.escalate_at == task.due_at and task.escalation_level == 0
    # Priority (4) against the step's 7: four working days, skipping the holiday
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Priority mutation", priority="Priority", now=monday)
    [task] = filing.open_tasks(session, file)
    assert (task.limit_days, task.due_at) == (4, ist(2026, 11, 16, 10, 30))
    # Top Priority's limit removed: the step (3 days at the Circle Inspector) is stricter than 7
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Top priority mutation", priority="Top Priority", now=monday)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report",
               now=monday + timedelta(hours=1))
    [task] = filing.open_tasks(session, file)
    assert (task.step_name, task.limit_days) == ("Check enquiry report", 3)
    assert task.due_at == ist(2026, 11, 13, 11, 30)


def test_limits_refuse_nonsense(session, sadar):
    with pytest.raises(InvalidInput, match="from 1 to 365"):
        limits.set_limits(session, sadar, default=0)
    with pytest.raises(InvalidInput, match="'Urgent' is not one of"):
        limits.set_limits(session, sadar, priorities={"Urgent": 1})


def test_timer_durations_count_working_days_and_clock_hours():
    cal = calendar.OfficeCalendar("Asia/Kolkata", frozenset({5, 6}), frozenset())
    friday = ist(2026, 11, 6, 16, 0)
    assert limits.timer_due(cal, friday, "P3D") == ist(2026, 11, 11, 16, 0)
    assert limits.timer_due(cal, friday, "PT4H") == ist(2026, 11, 6, 20, 0)
    assert limits.timer_due(cal, friday, "P1W") == ist(2026, 11, 13, 16, 0)
    assert limits.timer_due(cal, friday, "P1DT2H") == ist(2026, 11, 9, 18, 0)
    assert limits.timer_due(cal, friday, "2026-12-01T10:00") == ist(2026, 12, 1, 10, 0)
