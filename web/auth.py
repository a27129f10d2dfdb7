"""Signing in and off, the password, the language, and today's attendance."""

import time

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _

from workflows import org
from workflows.org import people
from workflows.errors import InvalidInput, NotAllowed, NotFound

from .i18n import LANGUAGES, say
from .security import login_required, start_session, transaction

bp = Blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        return render_template("auth/sign_in.html", login="")
    login = request.form.get("login", "").strip().lower()
    with transaction() as db:
        try:
            user = people.sign_in(db, login, request.form.get("password", ""))
        except people.SignInRefused as exc:
            refusal = exc  # the failed count must be committed, so leave the block normally
        else:
            refusal = None
            if session.get("lang") in LANGUAGES:  # chosen on the sign-in page: keep it
                user.language = session["lang"]
            start_session(user)
    if refusal is not None:
        time.sleep(refusal.delay * current_app.config.get("SIGN_IN_DELAY", 1.0))
        flash(say(refusal), "error")
        return render_template("auth/sign_in.html", login=login), 401
    target = request.args.get("next", "")
    if not (target.startswith("/") and not target.startswith("//")):
        target = url_for("inbox.index")
    if user.must_change_password:
        flash(_("Please choose a new password before you start."), "info")
        target = url_for("auth.password")
    return redirect(target)


@bp.route("/sign-off", methods=["POST"])
def sign_off():
    language = session.get("lang")
    if g.user is not None:
        with transaction() as db:
            people.sign_off(db, db.merge(g.user))
        language = g.user.language
    session.clear()
    if language in LANGUAGES:  # the sign-in page stays in the language the official uses
        session["lang"] = language
    flash(_("You have signed off."), "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    if request.method == "POST":
        with transaction() as db:
            user = db.merge(g.user)
            try:
                people.change_password(db, user, request.form.get("current", ""),
                                       request.form.get("new", ""), request.form.get("repeat", ""))
            except InvalidInput as exc:
                flash(say(exc), "error")
                return render_template("auth/password.html"), 400
            start_session(user)
        flash(_("Your password is changed."), "info")
        return redirect(url_for("inbox.index"))
    return render_template("auth/password.html")


@bp.route("/language", methods=["POST"])
def language():
    choice = request.form.get("language", "en")
    if choice in LANGUAGES:
        session["lang"] = choice
        if g.user is not None:
            with transaction() as db:
                db.merge(g.user).language = choice
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else url_for("inbox.index"))


@bp.route("/attendance")
@login_required
def attendance():
    with transaction() as db:
        posts = org.posts_of(db, g.user)
        offices = sorted({p.office for p in posts if p.is_head or p.is_admin},
                         key=lambda o: o.code)
        code = request.args.get("office") or (offices[0].code if offices else "")
        if not code:
            abort(403, _("only the head of office or its administrator sees attendance"))
        try:
            office = org.office_by_code(db, code)
            rows = people.attendance_today(db, office, g.user)
        except NotFound:
            abort(404)
        except NotAllowed as exc:
            abort(403, say(exc))
        page = render_template("auth/attendance.html", office=office, offices=offices, rows=rows)
    return page
