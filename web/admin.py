"""Administration of an office: the org chart (posts, holders, additional charge, transfer),
onboarding from a spreadsheet, and the office's calendar, limits and signing authority."""

from datetime import date

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from workflows.deadlines import calendar, limits
from workflows import clock, sheets
from workflows.org import attendance, handover, onboarding, orgchart
from workflows.errors import InvalidInput, SanchikaError
from workflows.models import PRIORITIES, PROVIDERS, PostHolding, Section, User
from workflows.signing import authority

from .i18n import num as digits, say
from .security import administered_office, site_url, transaction

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _day(name, required=True):
    text = request.form.get(name, "").strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("'%(text)s' is not a date (YYYY-MM-DD)", text=text) from None


@bp.route("/")
@login_required
def index():
    with transaction() as db:
        offices = orgchart.offices_for(db, current_user)
        if not offices:
            abort(403)
        return render_template("admin/index.html", offices=offices)


@bp.route("/offices/<int:office_id>")
@login_required
def office(office_id):
    with transaction() as db:
        office = administered_office(db, office_id)
        return render_template(
            "admin/office.html", office=office, chart=orgchart.chart(db, office),
            sections=list(db.scalars(select(Section).where(Section.office_id == office.id))),
            users=list(db.scalars(select(User).where(User.active.is_(True)).order_by(User.name))),
            holders=orgchart.holders_of_office(db, office), today=clock.office_today(office))


@bp.route("/offices/<int:office_id>/<action>", methods=["POST"])
@login_required
def change(office_id, action):
    if action not in _ACTIONS:
        abort(404)
    with transaction() as db:
        office = administered_office(db, office_id)
        try:
            with db.begin_nested():
                message = _ACTIONS[action](db, office)
            flash(message, "ok")
        except SanchikaError as exc:
            flash(say(exc), "error")
    return redirect(url_for("admin.office", office_id=office_id))


def _add_post(db, office):
    form = request.form
    section = db.get(Section, form.get("section", type=int) or 0)
    reports_to = (orgchart.post_by_id(db, form.get("reports_to", type=int))
                  if form.get("reports_to", type=int) else None)
    post = orgchart.add_post(db, current_user, office, code=form.get("code", ""),
                             title=form.get("title", ""), title_hi=form.get("title_hi", ""),
                             role=form.get("role", ""), section=section, reports_to=reports_to,
                             is_head=bool(form.get("is_head")), is_admin=bool(form.get("is_admin")))
    return _("Post %(title)s created.", title=post.title)


def _post_and_user(db, office):
    post = orgchart.post_by_id(db, request.form.get("post", type=int) or 0)
    if post.office_id != office.id:
        abort(404)
    return post, orgchart.user_by_id(db, request.form.get("user", type=int) or 0)


def _assign(db, office):
    post, user = _post_and_user(db, office)
    kind = request.form.get("kind", "regular")
    orgchart.assign(db, current_user, post, user, _day("from_date"), _day("to_date", False), kind)
    return _("%(user)s holds %(post)s.", user=user.name, post=post.title)


def _transfer(db, office):
    post, user = _post_and_user(db, office)
    pending = orgchart.transfer(db, current_user, post, user, _day("from_date"))
    return ngettext("%(user)s succeeds to %(post)s; %(count)s pending file passes to them.",
                    "%(user)s succeeds to %(post)s; %(count)s pending files pass to them.",
                    len(pending), count=digits(len(pending)), user=user.name, post=post.title)


def _add_section(db, office):
    form = request.form
    section = orgchart.add_section(db, current_user, office, code=form.get("code", ""),
                                   name=form.get("name", ""), name_hi=form.get("name_hi", ""))
    return _("Section %(name)s created.", name=section.name)


def _add_office(db, office):
    form = request.form
    added = orgchart.add_office(db, current_user, parent=office, code=form.get("code", ""),
                                name=form.get("name", ""), name_hi=form.get("name_hi", ""))
    return _("Office %(name)s created below %(parent)s.", name=added.name, parent=office.name)


def _end_holding(db, office):
    holding = db.get(PostHolding, request.form.get("holding", type=int) or 0)
    if holding is None or holding.post.office_id != office.id:
        abort(404)
    orgchart.end_holding(db, current_user, holding, _day("last_day"))
    return _("%(user)s no longer holds %(post)s after %(day)s.", user=holding.user.name,
             post=holding.post.title, day=holding.to_date.isoformat())


def _login(db, office):
    """Disable an official's login (their sessions end at once) or enable it again."""
    user = orgchart.user_by_id(db, request.form.get("user", type=int) or 0)
    active = request.form.get("state") == "on"
    orgchart.set_login_active(db, current_user, user, active)
    if active:
        return _("The login %(login)s is enabled.", login=user.login)
    return _("The login %(login)s is disabled; its sessions have ended.", login=user.login)


_ACTIONS = {"post": _add_post, "assign": _assign, "transfer": _transfer,
            "section": _add_section, "office": _add_office, "end": _end_holding,
            "login": _login}


@bp.route("/offices/<int:office_id>/onboarding", methods=["GET", "POST"])
@login_required
def onboard(office_id):
    sheet = request.form.get("csv", "")
    upload = request.files.get("sheet")
    if upload and upload.filename:
        sheet = upload.read()  # read as bytes: a sheet not in UTF-8 is refused by line
    text = (sheet if isinstance(sheet, str) else
            sheet[:sheets.MAX_BYTES].decode("utf-8-sig", errors="replace"))  # shown back
    rows, created = None, None
    with transaction() as db:
        office = administered_office(db, office_id)
        if request.method == "POST":
            try:
                if request.form.get("do") == "import":
                    with db.begin_nested():
                        created = onboarding.import_staff(
                            db, current_user, sheet, site_url=site_url(),
                            link_days=current_app.config["PASSWORD_LINK_DAYS"])
                    flash(ngettext("%(count)s person onboarded and mailed a link to choose "
                                   "a password.", "%(count)s people onboarded; each was mailed "
                                   "a link to choose their password.", len(created),
                                   count=digits(len(created))), "ok")
                else:
                    rows = onboarding.check_csv(db, current_user, sheet)
            except SanchikaError as exc:
                flash(say(exc), "error")
                rows = rows if rows is not None else _rows_or_none(db, sheet)
        return render_template("admin/onboard.html", office=office, rows=rows, text=text,
                               created=created, columns=onboarding.COLUMNS)


def _rows_or_none(db, sheet):
    try:
        return onboarding.check_csv(db, current_user, sheet)
    except SanchikaError:
        return None


@bp.route("/offices/<int:office_id>/settings", methods=["GET", "POST"])
@login_required
def settings(office_id):
    with transaction() as db:
        office = administered_office(db, office_id)
        if request.method == "POST":
            try:
                with db.begin_nested():
                    _save_settings(db, office)
                flash(_("Settings saved."), "ok")
            except SanchikaError as exc:
                flash(say(exc), "error")
            return redirect(url_for("admin.settings", office_id=office_id))
        return render_template("admin/settings.html", office=office, priorities=PRIORITIES,
                               limits=limits.priority_limits(db, office),
                               holidays=calendar.holidays_of(db, office, clock.office_today(office).year),
                               signing=authority.authority_of(db, office.id),
                               providers=PROVIDERS)


def _save_settings(db, office):
    form = request.form
    if form.get("what") == "hours":
        attendance.set_day_start(db, office, form.get("day_starts"), current_user)
        return
    if form.get("what") == "handover":
        handover.set_rules(db, current_user, office, form.get("handover_days", ""),
                           form.get("handover_to"))
        return
    if form.get("what") == "holiday":
        calendar.add_holiday(db, office, _day("day"), form.get("name", ""), user=current_user)
        return
    if form.get("what") == "signing":
        provider, module = form.get("provider", "builtin"), form.get("token_module") or None
        esign = authority.Esign(form.get("esign_url", "").strip(),
                                form.get("esign_asp_id", "").strip(),
                                form.get("esign_certificate", "").strip())
        if authority.authority_of(db, office.id) is None:
            authority.create_authority(db, current_user, office)
        authority.set_provider(db, current_user, office, provider, module,
                               esign if provider == "esign" else None)
        return
    by_priority = {p: (form.get(f"limit_{p}", "").strip() or None) for p in PRIORITIES}
    limits.set_limits(db, office, default=form.get("default", "").strip() or None,
                      weekly_offs=form.get("weekly_offs", "").strip() or None,
                      grace_days=form.get("grace_days", "").strip() or None,
                      priorities=by_priority, user=current_user)


def init_app(app):
    """Register the administration pages, and ``administers()`` for the navigation."""
    from . import admin_routes
    app.register_blueprint(bp)
    app.register_blueprint(admin_routes.bp)
    app.jinja_env.globals["administers"] = lambda: g.get("administers", False)
