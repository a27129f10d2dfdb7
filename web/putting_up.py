"""Putting a file up to an officer above, beyond its route, and sending it back down: from
the file page, on the file pages' blueprint (/files/<id>/put-up, /files/<id>/put-back)."""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows.files import putting_up
from workflows.models import Post

from . import throttle
from .files import act_on, back, bp
from .i18n import loc


@bp.route("/<int:file_id>/put-up", methods=["POST"])
@login_required
@throttle.pin_guard
def put_up(file_id):
    form = request.form

    def run(db, file):
        done = putting_up.put_up(db, number=file.number, user=current_user,
                                 to_post_id=form.get("to_post"),
                                 reason=form.get("put_up_reason", ""),
                                 task_id=form.get("task_id") or None, pin=form.get("pin"))
        return _("File %(number)s put up to %(post)s.", number=file.number,
                 post=_title(db, done.to_post_id))
    return act_on(file_id, run) or back(file_id)


@bp.route("/<int:file_id>/put-back", methods=["POST"])
@login_required
@throttle.pin_guard
def put_back(file_id):
    form = request.form

    def run(db, file):
        done = putting_up.put_back(db, number=file.number, user=current_user,
                                   remark=form.get("remark", ""),
                                   task_id=form.get("task_id") or None, pin=form.get("pin"))
        return _("File %(number)s sent back to %(post)s.", number=file.number,
                 post=_title(db, done.to_post_id))
    return act_on(file_id, run) or back(file_id)


def _title(db, post_id):
    return loc(db.get(Post, post_id), "title")
