"""Signing in and off, the password and the language."""

import time
from urllib.parse import urlsplit
from datetime import timedelta

from flask import (Blueprint, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user

from workflows import audit
from workflows.org import password_links, people, second_factor
from workflows.errors import InvalidInput, NotAllowed
from workflows.models import User

from .i18n import LANGUAGES, say
from . import throttle
from .security import transaction

bp = Blueprint("auth", __name__)
PENDING = "sign_in_pending"   # the password was right; the second factor's code is awaited
PENDING_FOR = 5 * 60          # seconds


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


def _typed_login():
    return request.form.get("login", "").strip().lower()


def _pending():
    """The sign-in waiting for its second factor in this browser (login and password given
    within the last few minutes), or None."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_FOR:
        return None
    return pending


def _pending_login():
    return (_pending() or {}).get("login", "")


# Each refused step counts (web.throttle); past a limit the answer is 429 at once: no worker
# waits, and nothing locks the login.
@bp.route("/sign-in", methods=["GET", "POST"])
@throttle.guard(_typed_login)
def sign_in():
    if request.method == "GET":
        return render_template("auth/sign_in.html", login="")
    login = _typed_login()
    target = local_path(request.args.get("next", "")) or url_for("inbox.index")
    with transaction() as db:
        try:
            user = people.check_password(db, login, request.form.get("password", ""))
        except people.SignInRefused as exc:
            refusal = exc  # the audit of the failure must be committed: leave the block normally
        else:
            refusal, needs_code = None, second_factor.enrolled(db, user) is not None
            if not needs_code:
                _begin(db, user)
                if second_factor.must_enrol(db, user, current_app.config["SECOND_FACTOR_EXEMPT"]):
                    target = url_for("account.second_factor_page")
    if refusal is not None:
        flash(say(refusal), "error")
        return render_template("auth/sign_in.html", login=login), 401
    if needs_code:
        session[PENDING] = {"user": user.id, "login": user.login, "at": int(time.time()),
                            "next": target}
        return redirect(url_for("auth.code"))
    return _signed_in(user, target)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@throttle.guard(_pending_login)
def code():
    """The second step for an official with a second factor: a code of their authenticator,
    or one of their recovery codes."""
    pending = _pending()
    if pending is None:
        flash(_("Sign in again: the sign-in waited too long for its code."), "info")
        return redirect(url_for("auth.sign_in"))
    if request.method == "GET":
        return render_template("auth/code.html")
    with transaction() as db:
        user = db.get(User, pending["user"])
        taken = (user is not None and user.active
                 and second_factor.check(db, user, request.form.get("code", "")))
        if taken:
            _begin(db, user)
        elif user is not None:
            audit.record(db, "user.second_factor_failed", user)
    if not taken:
        flash(_("The code is wrong or has been used; give the one your app shows now."), "error")
        return render_template("auth/code.html"), 401
    return _signed_in(user, pending["next"])


@bp.errorhandler(RateLimitExceeded)
def _throttled(exc):
    flash(exc.description, "error")
    wait, _time = throttle.retry_after(time.time())
    if request.endpoint == "auth.code":
        page = render_template("auth/code.html")
    else:
        page = render_template("auth/sign_in.html", login=_typed_login())
    return page, 429, {"Retry-After": str(wait)}


def _begin(db, user):
    """``user`` is signed in: a session of their own on the server, named by this browser's
    fresh cookie (nothing of an earlier one survives, not even its CSRF token); the language
    chosen before signing in is kept."""
    lang = session.get("lang")
    if lang in LANGUAGES:  # chosen on the sign-in page: keep it
        user.language = lang
    people.sign_in(db, user, user_agent=request.user_agent.string,
                   address=request.remote_addr or "")
    session.clear()
    login_user(user)
    if lang:
        session["lang"] = lang
    session.permanent = True


def _signed_in(user, target):
    if user.must_change_password:
        flash(_("Please choose a new password before you start."), "info")
        target = url_for("auth.password")
    return throttle.remember_device(redirect(local_path(target) or url_for("inbox.index")),
                                    user.login)


@bp.route("/sign-off", methods=["POST"])
def sign_off():
    language = session.get("lang")
    if current_user.is_authenticated:
        with transaction() as db:
            people.sign_off(db, db.get(User, current_user.id), current_user.session_key,
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
                                       request.form.get("new", ""), request.form.get("repeat", ""),
                                       token=current_user.session_key)
            except InvalidInput as exc:
                flash(say(exc), "error")
                return render_template("auth/password.html"), 400
        flash(_("Your password is changed; your other sessions have ended."), "info")
        return redirect(url_for("inbox.index"))
    with transaction() as db:
        factor = second_factor.enrolled(db, current_user)
        page = render_template("auth/password.html", factor=factor)
    return page


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
