"""Reports from a small crafted history, checked against figures worked out by hand; CSV and PDF
exports read back; search limited to what each official may see.  SQLite and PostgreSQL."""

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from workflows.org import access
from workflows.reports import dashboard
from workflows.files import filing, notes, search
from workflows import org, reports
from workflows.errors import SanchikaError
from workflows.models import Post, PostHolding

from webtools import make_app, sign_in

# Monday 3 March 2025, 10:00 in Sadar (IST); Sunday is the weekly off; no holidays in March.
T0 = datetime(2025, 3, 3, 4, 30, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=14)      # Monday 17 March
MARCH = reports.Filters(start=date(2025, 3, 1), end=date(2025, 3, 31))
SUBJECT = "Repair of the record room roof: छत की मरम्मत"


def day(n):
    return T0 + timedelta(days=n)


@pytest.fixture
def history(session, sadar, people):
    """Pooja puts up (Mon-Tue), Arvind returns (Tue-Thu), Pooja parks it Fri-Tue and submits
    on Wed 12th, and Arvind has it since."""
    file = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject=SUBJECT, first_note="तत्काल कार्रवाई आवश्यक है।", now=T0)
    filing.act(session, number=file.number, user=people.pooja, choice="Submit", now=day(1),
               reason="test")
    filing.act(session, number=file.number, user=people.arvind, choice="Return", now=day(3),
               reason="test")
    filing.park(session, number=file.number, user=people.pooja, now=day(4))
    filing.unpark(session, number=file.number, user=people.pooja, now=day(8))
    filing.act(session, number=file.number, user=people.pooja, choice="Submit", now=day(9),
               reason="test")
    return file


def test_every_stay_counts_and_parked_time_is_not_holding_time(session, history):
    stays = reports.file_stays(session, history, now=NOW)
    assert [(s.post.code, s.working_days, round(s.hours, 1), round(s.parked_hours, 1))
            for s in stays] == [
        ("DA-GEN", 1, 24.0, 0.0),    # Mon -> Tue
        ("HC", 2, 48.0, 0.0),        # Tue -> Thu
        ("DA-GEN", 2, 48.0, 96.0),   # Thu -> Wed 12th: 5 working days, 3 of them parked
        ("HC", 4, 120.0, 0.0),       # since Wed 12th, still there on Mon 17th
    ]
    assert [s.user.login if s.user else None for s in stays] == [
        "pooja.kumari", "arvind.mishra", "pooja.kumari", None]


def test_step_medians_and_percentiles(session, sadar, people, history):
    scope = reports.scope_for(session, people.sunita, sadar.id)
    assert scope.whole_office
    done = reports.stays_done(session, scope, MARCH, now=NOW)
    now = [s for s in reports.pending_now(session, scope, now=NOW) if s.file.id == history.id]
    steps = {s.step: s for s in reports.step_table(session, scope, MARCH)
             if s.route == "General noting"}
    assert (steps["Put up note"].stays, steps["Put up note"].median_hours,
            round(steps["Put up note"].p90_hours, 1)) == (2, 36.0, 45.6)
    assert (steps["Examine and comment"].median_hours, steps["Examine and comment"].now) == (48.0, 1)
    held = reports.hours_held(session, scope, MARCH)
    assert [round(h.hours, 1) for h in held] == [round(s.hours, 1) for s in done]
    [arvind] = [r for r in reports.by_official(session, scope, now, held) if r.post.code == "HC"]
    assert arvind.buckets == {"0–7": 1, "8–15": 0, "16–30": 0, "over 30": 0}
    assert len(arvind.done_hours) == 1 and arvind.median_hours == 48.0
    latest = reports.stays_done(session, scope, MARCH, now=NOW, latest=(1, 2))
    assert [s.task.id for s in latest] == [s.task.id for s in done[::-1][1:3]]


def test_chart_axes_step_1_2_or_5_times_a_power_of_ten():
    from web.charts import bars, ticks
    assert ticks(7) == [0, 2, 4, 6, 8] and ticks(1) == [0, 1] and ticks(0) == [0, 1]
    assert ticks(48.0) == [0, 20, 40, 60] and ticks(0.3) == [0, 0.1, 0.2, 0.3]
    chart = bars([("a", 3, None), ("b", 6, None)], "files")
    assert [r["end"] for r in chart["rows"]] == [150.0, 300.0]  # 6 of an axis that ends at 6
    assert [t["value"] for t in chart["ticks"]] == [0, 2, 4, 6]


def test_ageing_buckets_in_working_days():
    assert [reports.bucket_of(n) for n in (0, 7, 8, 15, 16, 30, 31, 90)] == [
        "0–7", "0–7", "8–15", "8–15", "16–30", "16–30", "over 30", "over 30"]
    assert reports.percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)


def test_dashboard_counts_by_period(session, sadar, people, history):
    scope = reports.scope_for(session, people.sunita, sadar.id)
    board = dashboard.dashboard(session, scope, now=day(9) + timedelta(hours=1),
                                today=date(2025, 3, 12))
    assert board.counts["opened"] == {"today": 0, "week": 0, "month": 1}
    assert board.counts["received"] == {"today": 1, "week": 1, "month": 4}
    assert board.counts["disposed"] == {"today": 1, "week": 1, "month": 3}
    behind = dashboard.drill(session, scope, "received", "month", today=date(2025, 3, 12))
    assert [f.number for f in behind] == [history.number]


def test_who_sees_which_posts_additional_charge_included(session, sadar, people, history):
    pooja = reports.scope_for(session, people.pooja, sadar.id)
    arvind = reports.scope_for(session, people.arvind, sadar.id)
    codes = lambda scope: {session.get(Post, i).code for i in scope.post_ids}  # noqa: E731
    assert codes(pooja) == {"DA-GEN"}
    assert codes(arvind) == {"HC", "DA-GEN"}          # his own and the post reporting to him
    da = org.posts_of(session, people.pooja)[0]
    session.add(PostHolding(post_id=da.id, user_id=people.manoj.id, kind="charge",
                            from_date=date(2025, 1, 1)))
    session.flush()
    manoj = reports.scope_for(session, people.manoj, sadar.id)
    assert codes(manoj) == {"RK-1", "DA-GEN"}
    holders = reports.holders_by_post(session, [da.id])[da.id]
    assert [(u.login, kind) for u, kind in holders] == [("pooja.kumari", "regular"),
                                                       ("manoj.yadav", "charge")]
    with pytest.raises(SanchikaError):
        reports.scope_for(session, people.ramesh, sadar.id)   # no post in Sadar


def test_search_finds_hindi_and_english_and_respects_permissions(session, people, history):
    for query in ("मरम्मत", "roof record", "कार्रवाई", history.number, history.number[-9:]):
        assert history.id in [f.id for f in search.search(session, people.pooja, query)], query
    assert history.id in [f.id for f in search.search(session, people.sunita, "roof")]
    assert search.search(session, people.manoj, "roof") == []     # not on his track
    assert search.search(session, people.ramesh, "मरम्मत") == []   # another office
    for login in ("pooja", "arvind", "sunita", "manoj", "rajesh", "anil"):
        user = getattr(people, login)
        for file in search.search(session, user, "a"):
            access.check_can_view(session, user, file)            # raises if not allowed


def test_search_after_a_note_is_added(session, people, history):
    assert search.search(session, people.arvind, "tarpaulin") == []
    notes.add_note(session, number=history.number, user=people.arvind,
                   body="Get tarpaulin rates too.", now=NOW)
    assert [f.id for f in search.search(session, people.arvind, "tarpaulin")] == [history.id]


def test_pendency_csv_and_file_pdf_read_back(session, tmp_path, sadar, history):
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "sunita.kumari")
    reply = client.get(f"/reports/pendency?format=csv&office={sadar.id}"
                       "&start=2025-03-01&end=2025-03-31")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff"))))
    mine = [(r["stay"], r["post"], r["working days"], r["hours"]) for r in rows
            if r["file"] == history.number]
    assert ("done", "Dealing Assistant, General", "2", "48.0") in mine
    assert ("done", "Head Clerk", "2", "48.0") in mine
    assert sum(1 for m in mine if m[0] == "now") == 1
    pdf = client.get(f"/reports/file/{history.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert history.number in text and "Repair of the record room roof" in text
    assert "Note sheet" in text and "Track with holding times" in text
    assert "Head Clerk" in text and "48.0 h" in text
    sign_in(client, "manoj.yadav")
    assert client.get(f"/reports/file/{history.id}.pdf").status_code == 403


def test_report_pages(session, tmp_path, sadar, history):
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "sunita.kumari")
    page = client.get(f"/reports/?office={sadar.id}").get_data(as_text=True)
    assert "<svg" in page and "Pendency per official" in page
    # each chart reads without its table: labels on the bars, values at their ends, an axis
    # with round ticks from 0 and its name
    charts = re.findall(r"<svg class=\"chart\".*?</svg>", page, flags=re.S)
    assert len(charts) == 3
    for chart, axis in zip(charts, ("files this month", "files pending, by working days held",
                                    "median hours held"), strict=True):
        texts = dict(re.findall(r'<text class="([a-z-]+)"[^>]*>([^<]*)</text>', chart))
        assert re.search(rf'class="axis-name"[^>]*>{axis}<', chart), axis
        ticks = re.findall(r'<text class="tick"[^>]*>([^<]*)</text>', chart)
        assert ticks[0] == "0" and len(ticks) >= 2 and texts["bar-label"] and texts["bar-value"]
    labels = re.findall(r'<text class="bar-label"[^>]*>([^<]*)</text>', charts[0])
    values = re.findall(r'<text class="bar-value"[^>]*>([^<]*)</text>', charts[0])
    assert labels == ["Opened", "Received", "Disposed", "Closed"] and len(values) == 4
    officials, steps = (re.findall(r'<text class="bar-label"[^>]*>([^<]*)<', c) for c in charts[1:])
    assert "Head Clerk" in officials and all(": " in step for step in steps)  # route: step
    assert client.get(f"/reports/pendency?office={sadar.id}&start=2025-03-01"
                      "&end=2025-03-31").status_code == 200
    found = client.get("/search?q=मरम्मत").get_data(as_text=True)
    assert history.number in found
    route_id = history.route_version.route_id
    heat = client.get(f"/reports/routes/{route_id}/heat.json?office={sadar.id}").get_json()
    assert heat["Task_ExamineAndComment"]["now"] >= 1
    assert client.get(f"/reports/routes/{route_id}?office={sadar.id}").status_code == 200
    assert client.get(f"/reports/?office={sadar.id}&format=csv").mimetype == "text/csv"


@pytest.mark.parametrize("subject", ['=HYPERLINK("http://evil.example","x")', "+1", "-1+2",
                                     "@SUM(A1)", "\t=1", "\r=1"])
def test_a_subject_that_would_run_as_a_formula_comes_out_of_the_export_as_text(
        session, tmp_path, sadar, people, subject):
    file = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject=subject, now=T0)
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "sunita.kumari")
    for path in ("/reports/pendency",):  # every export goes through web.reports._csv
        reply = client.get(f"{path}?format=csv&office={sadar.id}&start=2025-03-01&end=2025-03-31")
        assert reply.status_code == 200 and reply.mimetype == "text/csv", path
        rows = list(csv.reader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff"))))
        cells = [cell for row in rows if file.number in row for cell in row]
        assert cells and "'" + subject.strip() in [c.strip() for c in cells], (path, cells)
        assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), path
