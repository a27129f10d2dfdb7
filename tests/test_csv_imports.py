"""Every CSV import (staff onboarding on its page, holidays on the command line) refuses a
sheet it cannot read whole, naming the line and the column, and saves nothing from it: a field
over the csv module's 131,072 characters, bytes that are not UTF-8, UTF-16, a NUL, a quote left
open, a missing or repeated column, a row wider than the sheet.  SQLite and PostgreSQL."""

import io
import re
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from workflows.deadlines import calendar
from workflows.errors import InvalidInput
from workflows.models import Holiday, OutboxMail, User
from workflows.org import onboarding

from webtools import flashes, post, sign_in

HEADER = "name,email,mobile,office,section,post,role\n"
GOOD = "Neha Verma,neha@saran.example,,SADAR,REV,Revenue Karmachari Halka 3,Revenue Karmachari\n"
SECOND = "Ravi Kumar,ravi@saran.example,,SADAR,REV,Revenue Karmachari Halka 4,Revenue Karmachari\n"
HUGE = "x" * 140_000

SHEETS = [
    (HEADER + GOOD + f'"{HUGE}",ravi@saran.example,,SADAR,REV,RK-8,Revenue Karmachari\n',
     "line 3, column 1: the field is longer than 131,072 characters"),
    (HEADER + GOOD + f"Ravi Kumar,ravi@saran.example,,SADAR,REV,RK-8,{HUGE}\n",
     "line 3, column 7: the field is longer than 131,072 characters"),
    (HEADER + GOOD + "Ravi Kumar," + "r" * 5000 + "@saran.example,,SADAR,REV,RK-8,X\n",
     "line 3, column 2: the field is longer than 1,000 characters"),
    ((HEADER + GOOD).encode() + "Andr\xe9 Ekka,andre@saran.example,,SADAR,REV,RK-8,X\n"
     .encode("latin-1"), "line 3, column 1: the text is not UTF-8"),
    ((HEADER + GOOD).encode("utf-16"),
     "the sheet is UTF-16 text; save it as CSV UTF-8"),
    (HEADER + GOOD + "Ravi Kumar,ravi@saran.example,\x00,SADAR,REV,RK-8,X\n",
     "line 3, column 3: the field holds a NUL character"),
    (HEADER + GOOD + 'Ravi Kumar,"ravi@saran.example,,SADAR,REV,RK-8,X\n' + SECOND,
     "line 3: a quote is left open or out of place"),
    (GOOD + SECOND, "line 1: the first line must name the columns name, email, mobile, "
                    "office, section, post, role; missing: name, email"),
    ("name,email,mobile,office,section,post,role,email\n" + GOOD,
     "line 1, column 8: the column 'email' is named twice"),
    (HEADER + GOOD + SECOND.rstrip("\n") + ",Patna, Bihar\n",
     "line 3, column 8: a row of this sheet has 7 columns"),
    (HEADER + "Andr\ufffd Ekka,andre@saran.example,,SADAR,REV,RK-8,X\n",
     "line 2, column 1: the text is not UTF-8"),
    ("\ufeff\n\n", "the sheet is empty"),
]


def people_and_mail(session):
    return (session.scalar(select(func.count()).select_from(User)),
            session.scalar(select(func.count()).select_from(OutboxMail)))


@pytest.mark.parametrize("sheet, message", SHEETS)
def test_onboarding_refuses_a_sheet_by_line_and_column(session, people, sheet, message):
    before = people_and_mail(session)
    with pytest.raises(InvalidInput, match="^" + re.escape(message)):
        onboarding.check_csv(session, people.sunita, sheet)
    with pytest.raises(InvalidInput, match="^" + re.escape(message)):
        onboarding.import_staff(session, people.sunita, sheet)
    assert people_and_mail(session) == before


@pytest.mark.parametrize("sheet, message", [SHEETS[0], SHEETS[3], SHEETS[5], SHEETS[9]])
def test_the_onboarding_page_names_the_line_of_an_upload_and_saves_nothing(
        client, session, sadar, sheet, message):
    sign_in(client, "sunita.kumari")
    before = people_and_mail(session)
    data = sheet if isinstance(sheet, bytes) else sheet.encode()
    for do in ("check", "import"):
        page = post(client, f"/admin/offices/{sadar.id}/onboarding",
                    {"sheet": (io.BytesIO(data), "staff.csv"), "do": do},
                    content_type="multipart/form-data")
        assert page.status_code == 200
        assert any(f.startswith(message) for f in flashes(page)), flashes(page)
    assert people_and_mail(session) == before


def test_the_onboarding_page_names_the_line_of_pasted_text(client, session, sadar):
    sign_in(client, "sunita.kumari")
    page = post(client, f"/admin/offices/{sadar.id}/onboarding",
                {"csv": SHEETS[0][0], "do": "import"})
    assert page.status_code == 200 and flashes(page)[0].startswith(SHEETS[0][1])


def test_a_value_longer_than_its_column_keeps_is_a_problem_of_its_row(session, people):
    sheet = HEADER + GOOD + "R" * 201 + ",ravi@saran.example,,SADAR,REV,RK-8,Revenue Karmachari\n"
    rows = onboarding.check_csv(session, people.sunita, sheet)
    assert [(r.line, r.problems) for r in rows] == [
        (2, []), (3, ["the name is longer than 200 characters"])]


def test_a_sheet_from_a_spreadsheet_still_imports(session, people):
    """A byte-order mark, CRLF line ends, a quoted comma, a trailing empty column."""
    sheet = ("\ufeff" + HEADER.replace("\n", ",\r\n") + GOOD.replace("\n", ",\r\n")
             + '"Kumar, Ravi",ravi@saran.example,,SADAR,REV,"Revenue Karmachari Halka 4",'
               'Revenue Karmachari,\r\n').encode()
    created = onboarding.import_staff(session, people.sunita, sheet)
    assert [(row.line, user.name) for row, user in created] == [
        (2, "Neha Verma"), (3, "Kumar, Ravi")]


HOLIDAYS = [
    ("date,name\n2026-11-15,Chhath Puja\n2026-11-16," + HUGE + "\n",
     "line 3, column 2: the field is longer than 131,072 characters"),
    ("date,name\n2026-11-15,Chhath Puja\n2026-11-16," + "n" * 300 + "\n",
     "line 3, column 2: the field is longer than 200 characters"),
    (b"date,name\n2026-11-15,Chhath Puja\n2026-11-16,Chhath \xe0\xa4\n",
     "line 3, column 2: the text is not UTF-8"),
    ("date,name\n2026-11-15,Chhath Puja\n2026-11-16,Chhath\x00\n",
     "line 3, column 2: the field holds a NUL character"),
    ("date,name\n2026-11-15,Chhath Puja\n2026-11-16,Chhath Puja, morning arghya\n",
     "line 3, column 3: a row of this sheet has 2 columns"),
    ('date,name\n2026-11-15,"Chhath Puja\n2026-11-16,Chhath\n',
     "line 2: a quote is left open or out of place"),
]


@pytest.mark.parametrize("sheet, message", HOLIDAYS)
def test_holiday_import_refuses_a_sheet_by_line_and_column(session, sadar, sheet, message):
    with pytest.raises(InvalidInput, match="^" + re.escape(message)):
        calendar.import_holidays(session, sadar, sheet)
    assert calendar.holidays_of(session, sadar) == []


@pytest.fixture
def cli(demo_db):
    from web.cli import main
    runner = CliRunner(env={"SANCHIKA_DATABASE_URL": demo_db})
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_the_holiday_command_names_the_file_line_and_column(cli, demo_db, tmp_path):
    sheet = tmp_path / "holidays.csv"
    sheet.write_bytes(b"date,name\n2026-11-15,Chhath Puja\n2026-11-16,\xe9t\xe9\n")
    result = cli("holiday", "import", str(sheet), "--office", "SADAR")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == (f"error: {sheet}: line 3, column 2: the text is not UTF-8; "
                                     "save the sheet as CSV UTF-8 and try again; "
                                     "nothing was imported")
    from sqlalchemy import create_engine
    engine = create_engine(demo_db)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Holiday)
                           .where(Holiday.day == date(2026, 11, 15))) == 0
    engine.dispose()


def test_a_refused_sheet_is_told_in_hindi(client, session, sadar):
    sign_in(client, "sunita.kumari")
    post(client, "/language", {"language": "hi", "next": "/"})
    page = post(client, f"/admin/offices/{sadar.id}/onboarding",
                {"sheet": (io.BytesIO(SHEETS[3][0]), "staff.csv"), "do": "check"},
                content_type="multipart/form-data")
    assert flashes(page) == ["पंक्ति ३, स्तंभ १: पाठ UTF-8 में नहीं है; शीट को CSV UTF-8 के रूप "
                             "में सहेजकर फिर से प्रयास करें"]
