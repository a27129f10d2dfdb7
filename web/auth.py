"""Signing in and signing off."""

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from workflows import org
from workflows.errors import NotFound

from .security import transaction

bp = Blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "POST":
        login = request.form.get("login", "").strip().lower()
        password = request.form.get("password", "")
        with transaction() as db:
            try:
                user = org.user_by_login(db, login)
            except NotFound:
                user = None
            if user is not None and org.check_password(user, password):
                session.clear()
                session["user_id"] = user.id
                session["pw"] = user.password_hash[-16:]
                session.permanent = True
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/") and not target.startswith("//")
                                else url_for("inbox.index"))
        flash("The login or password is wrong.", "error")
        return render_template("auth/sign_in.html", login=login), 401
    return render_template("auth/sign_in.html", login="")


@bp.route("/sign-off", methods=["POST"])
def sign_off():
    session.clear()
    flash("You have signed off.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.app_context_processor
def _user():
    return {"current_user": g.get("user")}
