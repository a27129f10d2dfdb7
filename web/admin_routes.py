"""Administration of routes: the BPMN editor, check and publish, versions, upload and
download, and moving files in flight to a newer version."""

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from workflows.routes import new_route, publishing
from workflows.errors import InvalidInput, SanchikaError

from .i18n import num as digits, say
from .security import administered_office, transaction

bp = Blueprint("admin_routes", __name__, url_prefix="/admin")

#: bpmn-js writes style attributes on the canvas; the editor page alone allows them.
EDITOR_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")


def _route(db, route_id):
    try:
        return publishing.route_of(db, route_id, current_user)
    except SanchikaError:
        abort(403)


@bp.route("/offices/<int:office_id>/routes")
@login_required
def routes(office_id):
    with transaction() as db:
        office = administered_office(db, office_id)
        rows = [(r, publishing.latest(db, r)) for r in publishing.routes_of(db, office)]
        return render_template("admin/routes.html", office=office, rows=rows)


@bp.route("/routes/<int:route_id>")
@login_required
def route(route_id):
    with transaction() as db:
        route = _route(db, route_id)
        history = publishing.history(db, route)
        return render_template("admin/route.html", route=route, history=history)


@bp.route("/routes/<int:route_id>/versions/<int:number>.bpmn")
@login_required
def download(route_id, number):
    with transaction() as db:
        route = _route(db, route_id)
        version = publishing.version_of(db, route, number)
        return Response(bytes(version.xml), mimetype="application/xml", headers={
            "Content-Disposition": f'attachment; filename="{route.key}-v{number}.bpmn"'})


@bp.route("/offices/<int:office_id>/routes/editor")
@login_required
def editor(office_id):
    """The editor on the latest version of ``route``, or, given ``key`` and ``name``, on the
    first drawing of a new route."""
    route_id = request.args.get("route", type=int)
    key, name = request.args.get("key", ""), request.args.get("name", "")
    with transaction() as db:
        office = administered_office(db, office_id)
        route = _route(db, route_id) if route_id else None
        latest = publishing.latest(db, route) if route else None
        drawing_url = None
        if route is None:
            try:
                new_route.first_drawing(db, office, key, name)
            except InvalidInput as exc:
                rows = [(r, publishing.latest(db, r)) for r in publishing.routes_of(db, office)]
                return render_template("admin/routes.html", office=office, rows=rows,
                                       new_problem=say(exc), key=key, name=name), 400
            drawing_url = url_for("admin_routes.first_drawing", office_id=office.id, key=key,
                                  name=name)
        page = render_template("admin/editor.html", office=office, route=route, latest=latest,
                               drawing_url=drawing_url, new_name=" ".join(name.split()))
    response = Response(page)
    response.headers["Content-Security-Policy"] = EDITOR_CSP
    return response


@bp.route("/offices/<int:office_id>/routes/new.bpmn")
@login_required
def first_drawing(office_id):
    with transaction() as db:
        office = administered_office(db, office_id)
        try:
            xml = new_route.first_drawing(db, office, request.args.get("key", ""),
                                          request.args.get("name", ""))
        except InvalidInput as exc:
            return Response(say(exc), status=400, mimetype="text/plain")
    return Response(xml, mimetype="application/xml")


def _problems(problems):
    return [{"message": say(p), "element_id": p.element_id, "element_name": p.element_name,
             "line": p.line} for p in problems]


@bp.route("/offices/<int:office_id>/routes/check", methods=["POST"])
@login_required
def check(office_id):
    with transaction() as db:
        office = administered_office(db, office_id)
        problems = publishing.check(db, office, request.get_data())
    return jsonify(problems=_problems(problems))


@bp.route("/offices/<int:office_id>/routes/publish", methods=["POST"])
@login_required
def publish(office_id):
    xml = request.get_data()
    with transaction() as db:
        office = administered_office(db, office_id)
        problems = publishing.check(db, office, xml)
        if problems:
            return jsonify(problems=_problems(problems)), 422
        version = publishing.publish(db, office, xml, current_user)
        url = url_for("admin_routes.route", route_id=version.route_id)
        return jsonify(problems=[], version=version.version, url=url)


@bp.route("/offices/<int:office_id>/routes/upload", methods=["POST"])
@login_required
def upload(office_id):
    upload = request.files.get("bpmn")
    xml = upload.read() if upload else b""
    with transaction() as db:
        office = administered_office(db, office_id)
        problems = publishing.check(db, office, xml)
        if not problems:
            version = publishing.publish(db, office, xml, current_user)
            flash(_("Version %(version)s of %(route)s is published.", version=version.version,
                    route=version.route.name), "ok")
            return redirect(url_for("admin_routes.route", route_id=version.route_id))
        rows = [(r, publishing.latest(db, r)) for r in publishing.routes_of(db, office)]
        return render_template("admin/routes.html", office=office, rows=rows,
                               problems=problems), 422


@bp.route("/routes/<int:route_id>/move", methods=["GET", "POST"])
@login_required
def move(route_id):
    source_no = request.values.get("source", type=int)
    with transaction() as db:
        route = _route(db, route_id)
        target = publishing.latest(db, route)
        source = publishing.version_of(db, route, source_no) if source_no else None
        if source is None or source.version >= target.version:
            flash(_("Choose an older version to move files from."), "error")
            return redirect(url_for("admin_routes.route", route_id=route_id))
        if request.method == "POST":
            try:
                plan = publishing.move_files(db, source, target, current_user)
            except SanchikaError as exc:
                flash(say(exc), "error")
                return redirect(url_for("admin_routes.route", route_id=route_id))
            moved = sum(1 for p in plan if p.can_move)
            flash(ngettext("%(count)s file moved to version %(version)s.",
                           "%(count)s files moved to version %(version)s.", moved,
                           count=digits(moved), version=digits(target.version)), "ok")
            return redirect(url_for("admin_routes.route", route_id=route_id))
        plan = publishing.plan_move(db, source, target)
        return render_template("admin/move.html", route=route, source=source, target=target,
                               plan=plan)
