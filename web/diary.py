"""The diary register: every receipt of an office, filtered and paged, with today's dak, and
its CSV export.  The views hang on the receipts blueprint (/receipts/diary)."""

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows import org
from workflows.clock import IST
from workflows.errors import InvalidInput, SanchikaError
from workflows.files import diary
from workflows.models import MODES

from .i18n import loc, say
from .receipts import bp
from .reports import _csv
from .security import refuse, transaction

FILTERS = ("start", "end", "mode", "sender")
CSV_HEADER = ["diary number", "received on", "sender", "sender's address", "letter number",
              "letter date", "mode", "subject", "status", "where now", "diarised at"]


@bp.route("/diary")
@login_required
def diary_register():
    args = {k: request.args.get(k, "").strip() for k in ("office", *FILTERS) if request.args.get(k)}
    with transaction() as db:
        offices = diary.diary_offices(db, current_user)
        if not offices:
            abort(403, _("You hold no post in any office."))
        office = _office(db, offices)
        args["office"] = office.code
        page = dict(offices=offices, office=office, args=args, modes=MODES)
        try:
            filters = diary.diary_filters(*(request.args.get(k) for k in FILTERS))
            number = diary.page_number(request.args.get("page"))
        except InvalidInput as exc:
            return render_template("receipts/diary.html", error=say(exc), register=None,
                                   **page), 400
        if request.args.get("format") == "csv":
            return _csv(f"diary-{office.code}", CSV_HEADER,
                        [_csv_row(r) for r in diary.diary_rows(db, office, filters)])
        register = diary.diary(db, office, current_user, filters, number)
        return render_template("receipts/diary.html", error=None, register=register, **page)


def _office(db, offices):
    """The office asked for (one where the user holds a post), else their first."""
    code = request.args.get("office", "").strip()
    if not code:
        return offices[0]
    try:
        office = org.office_by_code(db, code)
        diary.check_can_read(db, current_user, office)
    except SanchikaError as exc:
        refuse(exc)  # 404 for an office that is not there, 403 for one not theirs
    return office


def _csv_row(receipt):
    where = (receipt.file.number if receipt.file is not None
             else loc(receipt.holder_post, "title"))
    return [receipt.number, receipt.received_on.isoformat(), receipt.sender_name,
            receipt.sender_address, receipt.letter_number,
            receipt.letter_date.isoformat() if receipt.letter_date else "", receipt.mode,
            receipt.subject, receipt.status, where,
            receipt.diarised_at.astimezone(IST).isoformat(timespec="minutes")]
