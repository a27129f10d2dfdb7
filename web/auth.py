"""Signing in and off, the password, the language, and today's attendance."""

import time
from urllib.parse import urlsplit
from datetime import datetime, timedelta

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user

from workflows import org
from workflows.org import password_links, people
from workflows.clock import IST
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import User

from .i18n import LANGUAGES, say
from .security import limiter, transaction

bp = Blueprint("auth", __name__)


def local_path(target):
    """``target`` if it is a path of this application, else None: a browser drops tabs and
    newlines from an address and reads a backslash as a slash, so a slash, a tab and a host,
    or a slash, a backslash and a host, lead to another site as two slashes do."""
    if not target.startswith("/") or any(c <= " " or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


def _refused(response):
    """Only a refused sign-in counts against the throttle; signing in does not."""
    return response.status_code == 401


def _login_key():
    return "login:" + request.form.get("login", "").strip().lower()


def _until():
    """When the throttle that was hit lets this login or address try again, in Indian time."""
    reset_at = limiter.current_limit.reset_at
    return datetime.fromtimestamp(reset_at, IST).strftime("%H:%M")


def _too_many_for_login():
    return _("Too many wrong sign-ins for this login; try again after %(time)s IST.",
             time=_until())


def _too_many_from_here():
    return _("Too many wrong sign-ins from this computer; try again after %(time)s IST.",
             time=_until())


# Each refused sign-in counts, per login and per client address; past the limit the answer is
# 429 at once: no worker waits.  The lock after wrong passwords (workflows.people) stays.
@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_refused, error_message=_too_many_from_here)
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_LOGIN"], methods=["POST"],
               key_func=_login_key, deduct_when=_refused, error_message=_too_many_for_login)
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
            _start_session(user)
    if refusal is not None:
        flash(say(refusal), "error")
        return render_template("auth/sign_in.html", login=login), 401
    target = local_path(request.args.get("next", "")) or url_for("inbox.index")
    if user.must_change_password:
        flash(_("Please choose a new password before you start."), "info")
        target = url_for("auth.password")
    return redirect(target)


@bp.errorhandler(RateLimitExceeded)
def _throttled(exc):
    flash(exc.description, "error")
    login = request.form.get("login", "").strip().lower()
    wait = max(1, limiter.current_limit.reset_at - int(time.time()))
    return render_template("auth/sign_in.html", login=login), 429, {"Retry-After": str(wait)}


def _start_session(user):
    """A fresh session for ``user`` at every sign-in (nothing of an earlier one survives, not
    even its CSRF token); the language chosen before signing in is kept."""
    lang = session.get("lang")
    session.clear()
    login_user(user)
    if lang:
        session["lang"] = lang
    session.permanent = True


@bp.route("/sign-off", methods=["POST"])
def sign_off():
    language = session.get("lang")
    if current_user.is_authenticated:
        with transaction() as db:
            people.sign_off(db, db.get(User, current_user.id),
                            everywhere=request.form.get("everywhere") == "1")
        language = current_user.language
        logout_user()
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
            user = db.get(User, current_user.id)
            try:
                people.change_password(db, user, request.form.get("current", ""),
                                       request.form.get("new", ""), request.form.get("repeat", ""))
            except InvalidInput as exc:
                flash(say(exc), "error")
                return render_template("auth/password.html"), 400
            _start_session(user)  # the new password made a new session token
        flash(_("Your password is changed."), "info")
        return redirect(url_for("inbox.index"))
    return render_template("auth/password.html")


@bp.route("/set-password/<token>")
def password_link(token):
    """The link of an onboarding mail: its token is kept in this browser's session and leaves
    the address, so that it is in no later address, history entry or Referer."""
    session["password_link"] = token[:100]
    return redirect(url_for("auth.set_password"))


@bp.route("/set-password", methods=["GET", "POST"])
def set_password():
    """Choose a password from a mailed link; checked as the password page checks one."""
    token = session.get("password_link", "")
    valid_for = timedelta(days=current_app.config["PASSWORD_LINK_DAYS"])
    with transaction() as db:  # a refusal below has changed nothing
        try:
            login = password_links.user_for(db, token, valid_for).login
        except NotAllowed as exc:
            flash(say(exc), "error")
            return render_template("auth/set_password.html", login=None), 400
        if request.method == "POST":
            try:
                password_links.set_password(db, token, request.form.get("new", ""),
                                            request.form.get("repeat", ""), valid_for)
            except (InvalidInput, NotAllowed) as exc:
                flash(say(exc), "error")
                return render_template("auth/set_password.html", login=login), 400
    if request.method == "GET":
        return render_template("auth/set_password.html", login=login)
    session.pop("password_link", None)
    flash(_("Your password is set: sign in as %(login)s with it.", login=login), "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/language", methods=["POST"])
def language():
    choice = request.form.get("language", "en")
    if choice in LANGUAGES:
        session["lang"] = choice
        if current_user.is_authenticated:
            with transaction() as db:
                db.get(User, current_user.id).language = choice
    return redirect(local_path(request.form.get("next", "")) or url_for("inbox.index"))


@bp.route("/attendance")
@login_required
def attendance():
    with transaction() as db:
        posts = org.posts_of(db, current_user)
        offices = sorted({p.office for p in posts if p.is_head or p.is_admin},
                         key=lambda o: o.code)
        code = request.args.get("office") or (offices[0].code if offices else "")
        if not code:
            abort(403, _("only the head of office or its administrator sees attendance"))
        try:
            office = org.office_by_code(db, code)
            rows = people.attendance_today(db, office, current_user)
        except NotFound:
            abort(404)
        except NotAllowed as exc:
            abort(403, say(exc))
        page = render_template("auth/attendance.html", office=office, offices=offices, rows=rows)
    return page
