"""The official's own API tokens: make one (shown once), see when each was used, revoke."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows.org import tokens
from workflows.errors import InvalidInput, NotFound

from .i18n import say
from .security import transaction

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    made, status = None, 200
    with transaction() as db:
        if request.method == "POST":
            try:
                with db.begin_nested():
                    row, made = tokens.create_token(db, current_user, request.form.get("name", ""))
                flash(_("Token %(name)s made. Copy it now: it will not be shown again.",
                        name=row.name), "info")
            except InvalidInput as exc:
                flash(say(exc), "error")
                status = 400
        rows = tokens.tokens_of(db, current_user)
        page = render_template("tokens/index.html", rows=rows, made=made)
    response = page, status, {"Cache-Control": "no-store"}  # the new token is in this page
    return response


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    with transaction() as db:
        try:
            row = tokens.revoke_token(db, current_user, token_id)
        except NotFound:
            abort(404)
        name = row.name
    flash(_("Token %(name)s revoked.", name=name), "info")
    return redirect(url_for("tokens.index"))
