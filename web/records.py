"""The record room: closed files waiting for their retention category, and files due for
review, for the heads and administrators of their offices."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows import clock
from workflows.files import records
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import File

from .i18n import say
from .security import transaction

bp = Blueprint("records", __name__, url_prefix="/records")


@bp.route("/")
@login_required
def index():
    try:
        on = date.fromisoformat(request.args.get("on") or clock.today().isoformat())
    except ValueError:
        on = clock.today()
    with transaction() as db:
        offices = records.record_room_offices(db, current_user)
        if not offices:
            abort(403)
        page = render_template("records/index.html", on=on,
                               waiting=records.awaiting_record(db, offices),
                               due=records.due_for_review(db, offices, on))
    return page


@bp.route("/<int:file_id>", methods=["POST"])
@login_required
def record(file_id):
    with transaction() as db:
        file = db.get(File, file_id)
        if file is None or file.office_id not in records.record_room_offices(db, current_user):
            abort(404)
        try:
            with db.begin_nested():
                records.record_file(db, number=file.number, user=current_user,
                                    retention=request.form.get("retention", ""),
                                    keep_years=request.form.get("keep_years") or None)
            flash(_("File %(number)s recorded in category %(category)s.", number=file.number,
                    category=file.retention), "info")
        except (InvalidInput, NotAllowed, NotFound) as exc:
            flash(say(exc), "error")
    return redirect(url_for("records.index"))
