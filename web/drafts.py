"""The draft views of the file page: a draft's versions, revising, approving and issuing it,
the signed order, its revocation and the eSign hand-off.  They hang on the file pages'
blueprint, so their addresses stay under /files/<id>/drafts."""

from urllib.parse import urlsplit

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows import org
from workflows.org import powers
from workflows.errors import FileMoved, InvalidInput, NotAllowed, NotFound
from workflows.files import dispatching, drafts
from workflows.models import DISPATCH_MODES
from workflows.signing import esigning, orders

from . import throttle
from .files import act_on, back, bp, document_store, inline, stored
from .i18n import say
from .security import content_policy, site_url, transaction, visible_file


@bp.route("/<int:file_id>/drafts/<int:draft_id>/signed.pdf")
@login_required
def signed_order(file_id, draft_id):
    draft, data = stored(file_id, lambda db: orders.signed_pdf(db, draft_id, document_store()))
    name = (draft.issue_number or "order").replace("/", "-") + ".pdf"
    return inline(data, "application/pdf", name)


@bp.route("/<int:file_id>/drafts/<int:draft_id>/revoke", methods=["POST"])
@login_required
def revoke_order(file_id, draft_id):
    def run(db, file):
        draft = drafts.get_draft(db, draft_id)
        if draft.file_id != file.id:
            raise NotFound("no such draft")
        orders.revoke_order(db, draft_id=draft_id, user=current_user,
                            reason=request.form.get("reason"))
        return _("%(number)s is revoked; its verification page says so.",
                 number=draft.issue_number)
    try:
        return act_on(file_id, run) or back(file_id)
    except NotFound:
        abort(404)


@bp.route("/<int:file_id>/drafts/<int:draft_id>/esign", methods=["POST"])
@login_required
def esign_draft(file_id, draft_id):
    """Send the approved draft to the office's eSign provider, through this browser."""
    try:
        with transaction() as db:
            file = visible_file(db, file_id)
            draft = drafts.get_draft(db, draft_id)
            if draft.file_id != file.id:
                abort(404)
            sent = esigning.send_for_esign(db, draft_id=draft_id, user=current_user,
                                           site_url=site_url(),
                                           supersedes=request.form.get("supersedes") or None)
    except NotFound:
        abort(404)
    except (FileMoved, InvalidInput, NotAllowed) as exc:
        flash(say(exc), "error")
        return back(file_id)
    page = render_template("signing/esign_send.html", sent=sent,
                           request_xml=sent.request.decode())
    # the one form that leaves the site: to the office's eSign provider
    provider = urlsplit(sent.url)
    return page, 200, {"Cache-Control": "no-store", "Content-Security-Policy": content_policy(
        f"{provider.scheme}://{provider.netloc}")}


@bp.route("/<int:file_id>/drafts", methods=["POST"])
@login_required
def new_draft(file_id):
    def run(db, file):
        draft = drafts.create_draft(db, number=file.number, user=current_user,
                                    kind=request.form.get("kind", ""),
                                    title=request.form.get("title", ""),
                                    body=request.form.get("body", ""))
        return _("Draft %(title)s saved as version 1.", title=draft.title)
    return act_on(file_id, run) or back(file_id)


def _draft_action(verb, service, message):
    def view(file_id, draft_id):
        def run(db, file):
            draft = drafts.get_draft(db, draft_id)
            if draft.file_id != file.id:
                raise NotFound("no such draft")
            fields = {"revise": {"body": request.form.get("body", "")},
                      "approve": {"version": _int(request.form.get("version"))},
                      "issue": {"pin": request.form.get("pin"), "site_url": site_url(),
                                "store": document_store(),
                                "supersedes": request.form.get("supersedes") or None}}[verb]
            draft = service(db, draft_id=draft_id, user=current_user, **fields)
            return message(draft)
        try:
            return act_on(file_id, run) or back(file_id)
        except NotFound:
            abort(404)
    view.__name__ = f"{verb}_draft"
    bp.add_url_rule(f"/<int:file_id>/drafts/<int:draft_id>/{verb}", view.__name__,
                    login_required(throttle.pin_guard(view) if verb == "issue" else view),
                    methods=["POST"])


def _int(value):
    return int(value) if value and str(value).isdigit() else 0


_draft_action("revise", drafts.revise_draft, lambda v: _("Draft revised: version %(n)s.", n=v.number))
_draft_action("approve", drafts.approve_draft,
              lambda d: _("Version %(n)s approved.", n=d.approved_version))
_draft_action("issue", drafts.issue_draft,
              lambda d: _("Issued as %(number)s.", number=d.issue_number))


@bp.route("/<int:file_id>/drafts/<int:draft_id>")
@login_required
def draft(file_id, draft_id):
    """A draft's versions side by side: what changed from version a to version b."""
    with transaction() as db:
        file = visible_file(db, file_id)
        try:
            item = drafts.get_draft(db, draft_id)
            if item.file_id != file.id:
                raise NotFound("no such draft")
            versions = drafts.versions_of(db, draft_id)
            b = _int(request.args.get("b")) or versions[-1].number
            a = _int(request.args.get("a")) or max(b - 1, 1)
            diff = drafts.compare_versions(db, draft_id, a, b)
        except NotFound:
            abort(404)
        except (InvalidInput, NotAllowed) as exc:
            abort(400, say(exc))
        staff = any(p.office_id == file.office_id for p in org.posts_of(db, current_user))
        authority = (None if item.status == "issued" else
                     powers.competent(db, file.office, file.section_id, item.kind))
        page = render_template("files/draft.html", file=file, draft=item, versions=versions,
                               a=a, b=b, diff=diff, dispatch_modes=DISPATCH_MODES,
                               entry=dispatching.dispatch_of(db, draft_id), staff=staff,
                               authority=authority, approvals=drafts.approvals_of(db, draft_id))
    return page
