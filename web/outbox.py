"""The mail outbox for an office's administrators: what went out, what waits, what failed."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from workflows import clock
from workflows.mail import outbox
from workflows.clock import utcnow
from workflows.errors import SanchikaError
from workflows.models import MAIL_STATUSES, Post, PostHolding
from workflows.org import held_on

from .i18n import say
from .security import transaction

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


def _admin_offices(db, user):
    """Offices where ``user`` holds today a post marked administrator or head of office."""
    return set(db.scalars(
        select(Post.office_id).join(PostHolding, PostHolding.post_id == Post.id)
        .where(PostHolding.user_id == user.id, held_on(clock.today()),
               Post.is_admin.is_(True) | Post.is_head.is_(True))))


@bp.route("/")
@login_required
def index():
    status = request.args.get("status", "")
    with transaction() as db:
        offices = _admin_offices(db, current_user)
        if not offices:
            abort(403)
        rows = [{
            "id": m.id, "status": m.status, "to": m.to_addrs, "cc": m.cc_addrs,
            "subject": m.subject, "body": m.body, "attempts": m.attempts,
            "error": m.last_error, "where": m.delivered_to,
            "created": m.created_at, "next": m.next_attempt_at, "sent": m.sent_at,
        } for m in outbox.mails(db, offices, status if status in MAIL_STATUSES else None)]
    return render_template("outbox/index.html", rows=rows, status=status,
                           statuses=MAIL_STATUSES)


@bp.route("/<int:mail_id>/retry", methods=["POST"])
@login_required
def retry(mail_id):
    with transaction() as db:
        offices = _admin_offices(db, current_user)
        if not offices:
            abort(403)
        try:
            outbox.retry(db, mail_id, current_user, utcnow(), office_ids=offices)
            flash(_("Mail %(id)s queued again; it goes out with the next sending.", id=mail_id),
                  "ok")
        except SanchikaError as exc:
            flash(say(exc), "error")
    return redirect(url_for("outbox.index"))
