"""Attendance: any day of an office for its head or administrator, a month of one official
(their own, or any of the office's for its head), and that month as a sheet."""

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows import clock, org
from workflows.errors import InvalidInput
from workflows.org import attendance

from .reports import _csv
from .security import transaction

bp = Blueprint("attendance", __name__, url_prefix="/attendance")


def _day(office):
    given = request.args.get("day", "").strip()
    if not given:
        return clock.office_today(office)
    try:
        return date.fromisoformat(given)
    except ValueError:
        raise InvalidInput("the day must be written as year, month and day, like "
                           "2026-04-01, not '%(given)s'", given=given[:20]) from None


@bp.route("")
@login_required
def day():
    """The office's attendance on a day (today by default): its head's and administrator's."""
    with transaction() as db:
        offices = attendance.offices_seen(db, current_user)
        code = request.args.get("office") or (offices[0].code if offices else "")
        if not offices and not code:
            return redirect(url_for("attendance.month"))
        if not offices:
            abort(403, _("only the head of office or its administrator sees attendance"))
        office = org.office_by_code(db, code)  # NotFound: 404; NotAllowed below: 403
        on = _day(office)
        rows = attendance.office_day(db, office, current_user, on)
        page = render_template("auth/attendance.html", office=office, offices=offices,
                               rows=rows, on=on, today=clock.office_today(office),
                               late={u.id: attendance.is_late(a, office.day_starts,
                                                              office.timezone)
                                     for u, _p, a in rows})
    return page


def _month(db):
    first = attendance.parse_month(request.args.get("month"))
    login = request.args.get("user", "").strip()
    user = org.user_by_login(db, login) if login else current_user
    return attendance.month_of(db, current_user, user, first)


@bp.route("/month")
@login_required
def month():
    """One official's month: the official's own, or (for a head) anyone's of the office."""
    with transaction() as db:
        month = _month(db)
        offices = attendance.offices_seen(db, current_user)
        staff = ({u.id: u for o in offices for u in attendance.staff_of(db, o, current_user)}
                 if offices else {})
        page = render_template("auth/attendance_month.html", month=month,
                               staff=sorted(staff.values(), key=lambda u: u.name))
    return page


@bp.route("/month.csv")
@login_required
def month_csv():
    with transaction() as db:
        month = _month(db)
        rows = attendance.month_rows(month)
    return _csv(f"attendance-{month.user.login}-{month.first:%Y-%m}", attendance.CSV_HEADER,
                rows)
