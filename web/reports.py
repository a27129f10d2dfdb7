"""Monitoring pages: the dashboard, the pendency report, the route heat map, CSV and PDF exports,
and search.  The figures come from workflows/reports.py and workflows/dashboard.py."""

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from workflows.reports import dashboard as boards, pdf_export
from workflows import reports
from workflows.files import mentions, search as finder
from workflows.errors import SanchikaError
from workflows.models import PRIORITIES, Route, RouteVersion, Section

from .charts import bars
from .i18n import drawn_in_language, loc, tr
from . import paging
from .security import refuse, transaction, visible_file

bp = Blueprint("reports", __name__, url_prefix="/reports")
search_bp = Blueprint("search", __name__)


def _int(name):
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _date(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _scope(db):
    try:
        return reports.scope_for(db, current_user, _int("office"), _int("section"))
    except SanchikaError as exc:
        refuse(exc)


def _filters():
    priority = request.args.get("priority")
    return reports.Filters(post_id=_int("post"), route_id=_int("route"),
                           priority=priority if priority in PRIORITIES else None,
                           start=_date("start"), end=_date("end"))


def _choices(db, scope):
    """What the filter form offers: offices, sections, posts and routes in view."""
    return {"offices": reports.report_offices(db, current_user),
            "sections": list(db.scalars(select(Section).where(
                Section.office_id == scope.office.id).order_by(Section.id))),
            "routes": list(db.scalars(select(Route).where(
                Route.office_id == scope.office.id).order_by(Route.id))),
            "priorities": PRIORITIES}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """Text that a spreadsheet would run as a formula (a subject that begins with "=", say)
    is kept as text, with a leading apostrophe, as OWASP advises for CSV exports."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(name, header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(c) for c in header])
    writer.writerows([_cell(c) for c in row] for row in rows)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.route("/")
@login_required
def index():
    with transaction() as db:
        scope = _scope(db)
        board = boards.dashboard(db, scope)
        if request.args.get("format") == "csv":
            rows = [[m, p, board.counts[m][p]] for m in board.counts for p in boards.PERIODS]
            rows += [["pending " + label, r.post.title, r.buckets[label]]
                     for r in board.officials for label, *_x in reports.BUCKETS]
            rows += [["escalations", p, n] for p, n in board.escalations.items()]
            rows += [["step median hours", f"{s.route}: {s.step}", round(s.median_hours, 1)]
                     for s in board.slowest]
            return _csv("dashboard", ["measure", "period or who", "count"], rows)
        q = {"office": scope.office.id, "section": scope.section.id if scope.section else ""}
        labels = {"opened": _("Opened"), "received": _("Received"), "disposed": _("Disposed"),
                  "closed": _("Closed")}
        charts = {
            "counts": bars([(labels[m], board.counts[m]["month"],
                             url_for("reports.files", measure=m, period="month", **q))
                            for m in board.counts], _("files this month")),
            "officials": bars([(loc(r.post, "title"), r.buckets) for r in board.officials],
                              _("files pending, by working days held"),
                              stacks=[b for b, *_x in reports.BUCKETS]),
            "steps": bars([(f"{tr(s.route)}: {tr(s.step)}", s.median_hours,
                            url_for("reports.heat_map", route_id=s.route_id, **q))
                           for s in board.slowest], _("median hours held"))}
        return render_template("reports/dashboard.html", board=board, scope=scope, charts=charts,
                               buckets=reports.BUCKETS, periods=boards.PERIODS,
                               **_choices(db, scope))


@bp.route("/files")
@login_required
def files():
    measure, period = request.args.get("measure", ""), request.args.get("period", "")
    if period not in boards.PERIODS:
        abort(404)
    with transaction() as db:
        scope = _scope(db)
        found = boards.drill(db, scope, measure, period)
        if request.args.get("format") == "csv":
            return _csv("files", ["number", "subject", "priority", "status"],
                        [[f.number, f.subject, f.priority, f.status] for f in found])
        return render_template("reports/files.html", files=found, scope=scope,
                               measure=measure, period=period)


def _pendency_rows(now_stays, done_stays):
    rows = []
    for kind, stays in (("now", now_stays), ("done", done_stays)):
        for s in stays:
            rows.append([kind, s.post.title, s.user.name if s.user else "", s.file.number,
                         s.file.subject, s.file.priority, s.task.step_name,
                         s.task.since.isoformat(), s.task.done_at.isoformat() if s.task.done_at
                         else "", s.working_days, round(s.hours, 2), round(s.parked_hours, 2)])
    return rows


@bp.route("/pendency")
@login_required
def pendency():
    filters = _filters()
    bucket = request.args.get("bucket")
    with transaction() as db:
        scope = _scope(db)
        days = reports.WorkingDays(db, scope.office)
        now_stays = reports.pending_now(db, scope, filters, days=days)
        if bucket:
            now_stays = [s for s in now_stays if s.bucket == bucket]
        if request.args.get("format") == "csv":
            done = reports.stays_done(db, scope, filters, days=days)
            return _csv("pendency", ["stay", "post", "acted by", "file", "subject", "priority",
                                     "step", "since", "until", "working days", "hours",
                                     "parked hours"], _pendency_rows(now_stays, done))
        held = reports.hours_held(db, scope, filters)
        number = paging.asked(len(held), "done_page")
        done = reports.stays_done(db, scope, filters, days=days,
                                  latest=((number - 1) * paging.SIZE, paging.SIZE))
        start, end = reports.default_period(filters)
        return render_template(
            "reports/pendency.html", scope=scope, filters=filters, start=start, end=end,
            officials=reports.by_official(db, scope, now_stays, held), bucket=bucket or "",
            steps=reports.step_table(db, scope, filters, held=held), buckets=reports.BUCKETS,
            now_page=paging.page_of(now_stays, "now_page"),
            done_page=paging.Page(done, number, paging.pages(len(held)), len(held),
                                  "done_page"), **_choices(db, scope))


def _route(db, scope, route_id):
    route = db.get(Route, route_id)
    if route is None or route.office_id != scope.office.id:
        abort(404)
    return route


@bp.route("/routes/<int:route_id>")
@login_required
def heat_map(route_id):
    with transaction() as db:
        scope = _scope(db)
        route = _route(db, scope, route_id)
        return render_template("reports/heat_map.html", route=route, scope=scope)


@bp.route("/routes/<int:route_id>/route.xml")
@login_required
def heat_xml(route_id):
    with transaction() as db:
        route = _route(db, _scope(db), route_id)
        version = db.scalar(select(RouteVersion).where(RouteVersion.route_id == route.id)
                            .order_by(RouteVersion.version.desc()).limit(1))
        return Response(drawn_in_language(version.xml), mimetype="application/xml")


@bp.route("/routes/<int:route_id>/heat.json")
@login_required
def heat_json(route_id):
    with transaction() as db:
        scope = _scope(db)
        _route(db, scope, route_id)
        filters = reports.Filters(route_id=route_id)
        steps = reports.step_table(db, scope, filters, diagram=True)
        return jsonify({s.step_id: {"now": s.now, "median_hours": s.median_hours,
                                    "label": _("%(n)s here · median %(h)s h", n=s.now,
                                               h="—" if s.median_hours is None
                                               else f"{s.median_hours:.1f}")}
                        for s in steps})


@bp.route("/file/<int:file_id>.pdf")
@login_required
def file_pdf(file_id):
    with transaction() as db:
        file = visible_file(db, file_id)
        body = pdf_export.file_pdf(db, file)
        name = file.number.replace("/", "-")
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


@search_bp.route("/search")
@login_required
def search():
    query = request.args.get("q", "")[:200]
    with transaction() as db:
        found = finder.search(db, current_user, query)
        also = mentions.mentions(db, current_user, query)
        return render_template("reports/search.html", q=query, files=found, mentions=also)
