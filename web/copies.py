"""Copies of a file marked for information: marking them from the file page, and marking one
seen from the inbox.  They hang on the file pages' blueprint (/files/<id>/copies)."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from workflows.errors import NotAllowed, NotFound
from workflows.files import copies

from .files import act_on, back, bp
from .i18n import num, say
from .security import transaction, visible_file


@bp.route("/<int:file_id>/copies", methods=["POST"])
@login_required
def mark_copy(file_id):
    def run(db, file):
        try:
            made = copies.mark_copy(db, number=file.number, user=current_user,
                                    post_ids=request.form.getlist("post"),
                                    remark=request.form.get("copy_remark", ""))
        except NotFound:
            abort(404)
        return ngettext("%(count)s copy marked for information.", "%(count)s copies marked for "
                        "information.", len(made), count=num(len(made)))
    return act_on(file_id, run) or back(file_id)


@bp.route("/<int:file_id>/copies/<int:copy_id>/seen", methods=["POST"])
@login_required
def copy_seen(file_id, copy_id):
    try:
        with transaction() as db:
            file = visible_file(db, file_id)
            copy = copies.mark_seen(db, copy_id=copy_id, user=current_user)
            if copy.file_id != file.id:
                abort(404)
            flash(_("File %(number)s marked seen.", number=file.number), "info")
    except NotFound:
        abort(404)
    except NotAllowed as exc:
        flash(say(exc), "error")
    return redirect(url_for("inbox.index", tab="information"))
