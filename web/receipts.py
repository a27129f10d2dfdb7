"""Receipts (आवती): diarise an incoming letter, then put it into a file, open a new file on it,
or send it to another post."""

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from workflows.files import attachments, receipts
from workflows import org
from workflows.routes import routing
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import MODES, PRIORITIES, Post

from .i18n import say
from .security import transaction

bp = Blueprint("receipts", __name__, url_prefix="/receipts")


def _store():
    return current_app.config.get("ATTACHMENTS") or attachments.default_store()


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = request.form if request.method == "POST" else {}
    status = 200
    with transaction() as db:
        offices = sorted({p.office for p in org.posts_of(db, current_user)}, key=lambda o: o.code)
        if not offices:
            abort(403, _("You hold no post in any office."))
        office = next((o for o in offices if o.code == request.values.get("office")), offices[0])
        if request.method == "POST":
            upload = request.files.get("letter")
            try:
                with db.begin_nested():
                    receipt = receipts.diarise_receipt(
                        db, office=office, user=current_user, subject=form.get("subject", ""),
                        sender=form.get("sender", ""), sender_address=form.get("address", ""),
                        letter_number=form.get("letter_number", ""),
                        letter_date=form.get("letter_date") or None,
                        received_on=form.get("received_on") or None,
                        mode=form.get("mode", "By post"), store=_store(),
                        document=(upload.filename, upload.read()) if upload and upload.filename else None)
                flash(_("Receipt %(number)s diarised.", number=receipt.number), "info")
                return redirect(url_for("receipts.index", office=office.code))
            except (InvalidInput, NotAllowed, NotFound) as exc:
                flash(say(exc), "error")
                status = 400
        pending = receipts.receipts_pending(db, current_user)
        routes = [r for r, _c, _l in routing.list_routes(db, office)]
        posts = list(db.scalars(select(Post).where(Post.office_id == office.id).order_by(Post.id)))
        page = render_template("receipts/index.html", offices=offices, office=office,
                               pending=pending, routes=routes, posts=posts, modes=MODES,
                               priorities=PRIORITIES, form=form)
    return page, status


def _receipt_action(verb, run):
    """A POST on one receipt: ``run(db, receipt_id)`` returns (message, where to go next)."""
    def view(receipt_id):
        with transaction() as db:
            try:
                with db.begin_nested():
                    message, target = run(db, receipt_id)
            except NotFound:
                abort(404)
            except (InvalidInput, NotAllowed) as exc:
                flash(say(exc), "error")
                return redirect(url_for("receipts.index"))
        flash(message, "info")
        return redirect(target)
    view.__name__ = verb
    bp.add_url_rule(f"/<int:receipt_id>/{verb}", verb, login_required(view), methods=["POST"])


def _put_in_file(db, receipt_id):
    receipts.put_in_file(db, receipt_id=receipt_id, number=request.form.get("number", "").strip(),
                         user=current_user)
    file = receipts.get_receipt(db, receipt_id).file
    return (_("Receipt put into file %(number)s.", number=file.number),
            url_for("files.show", file_id=file.id))


def _open_file(db, receipt_id):
    file = receipts.open_file_from_receipt(db, receipt_id=receipt_id, user=current_user,
                                           route_key=request.form.get("route", ""),
                                           priority=request.form.get("priority", "Normal"))
    return (_("File %(number)s opened on the receipt.", number=file.number),
            url_for("files.show", file_id=file.id))


def _send(db, receipt_id):
    to_post = request.form.get("to_post", "")
    receipt = receipts.send_receipt(db, receipt_id=receipt_id, user=current_user,
                                    to_post_id=int(to_post) if to_post.isdigit() else 0)
    return (_("Receipt %(number)s sent to %(post)s.", number=receipt.number,
              post=receipt.holder_post.title), url_for("receipts.index"))


_receipt_action("file", _put_in_file)
_receipt_action("open", _open_file)
_receipt_action("send", _send)
