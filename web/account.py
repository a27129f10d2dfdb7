"""What an official manages of their own signing in, from the password page: the sessions
open in their name (each can be ended), and the second factor (enrol, recovery codes, turn off).

Heads of office and administrators without a second factor are sent to enrol after the
password step and can do nothing else (but sign off or change the language) until they have.
"""

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
import segno

from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import User
from workflows.org import second_factor, sessions

from .i18n import say
from .security import is_api, limiter, transaction

bp = Blueprint("account", __name__, url_prefix="/password")

# What an official who must enrol may still do
WHILE_ENROLLING = {"account.second_factor_page", "auth.sign_off", "auth.language", "static",
                   "vendor.asset"}


def init_app(app):
    app.register_blueprint(bp)
    app.before_request(_enrol_first)


def _enrol_first():
    """Send a head of office or an administrator with no second factor to enrol one (the
    user loader found out, in its own transaction)."""
    if g.get("enrol_first") and request.endpoint not in WHILE_ENROLLING and not is_api():
        return redirect(url_for("account.second_factor_page"))
    return None


@bp.route("/sessions")
@login_required
def sessions_page():
    idle = current_app.config["PERMANENT_SESSION_LIFETIME"]
    with transaction() as db:
        rows = sessions.live(db, current_user, idle=idle)
        page = render_template("auth/sessions.html", rows=rows,
                               current=lambda row: sessions.is_current(
                                   row, current_user.session_key))
    return page


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id):
    with transaction() as db:
        try:
            sessions.end_other(db, db.get(User, current_user.id), session_id,
                               current_user.session_key)
        except NotFound:
            abort(404)
    flash(_("That session has ended."), "info")
    return redirect(url_for("account.sessions_page"))


@bp.route("/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    with transaction() as db:
        count = sessions.end_others(db, db.get(User, current_user.id), current_user.session_key)
    flash(_("Other sessions ended: %(count)s.", count=count), "info")
    return redirect(url_for("account.sessions_page"))


def _user_key():
    return f"user:{current_user.id}" if current_user.is_authenticated else ""


def _refused(response):
    return response.status_code == 400


# Codes given here (to confirm, to renew the recovery codes) are throttled as at sign-in.
@bp.route("/second-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_DEVICE"], methods=["POST"],
               key_func=_user_key, deduct_when=_refused)
def second_factor_page():
    exempt = current_app.config["SECOND_FACTOR_EXEMPT"]
    codes, status = None, 200
    with transaction() as db:
        user = db.get(User, current_user.id)
        if request.method == "POST":
            try:
                with db.begin_nested():
                    codes = _change(db, user, exempt)
            except (InvalidInput, NotAllowed) as exc:
                flash(say(exc), "error")
                status = 400
        page = _render(db, user, exempt, codes)
    if request.method == "POST" and status == 200 and codes is None:
        return redirect(url_for("account.second_factor_page"))
    return page, status, {"Cache-Control": "no-store"}  # a secret or codes may be on it


def _change(db, user, exempt):
    """Do what the form asks; the recovery codes made, if any, to be shown once."""
    action, code = request.form.get("do", ""), request.form.get("code", "")
    if action == "confirm":
        codes = second_factor.confirm(db, user, code)
        flash(_("The second factor is on: each sign-in now asks for a code of your app."), "ok")
        return codes
    if action == "renew":
        codes = second_factor.renew_recovery_codes(db, user, code)
        flash(_("New recovery codes are made; the old ones no longer work."), "ok")
        return codes
    if action == "off":
        second_factor.turn_off(db, user, request.form.get("password", ""), exempt)
        flash(_("The second factor is off."), "ok")
        return None
    abort(400)


def _render(db, user, exempt, codes):
    factor = second_factor.enrolled(db, user)
    enrolling = qr = None
    if factor is None:
        enrolling = second_factor.begin(db, user)
        # The QR code is drawn here, from the otpauth address, as an SVG in a data: URL
        qr = segno.make(second_factor.provisioning_uri(enrolling, user),
                        error="m").svg_data_uri(scale=5, border=2)
    return render_template(
        "auth/second_factor.html", factor=factor, codes=codes, qr=qr,
        secret=" ".join(enrolling.secret[i:i + 4] for i in range(0, len(enrolling.secret), 4))
        if enrolling else None,
        required=second_factor.required(db, user, exempt),
        left=second_factor.recovery_left(db, user) if factor else 0)
