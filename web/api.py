"""The JSON API (/api/v1): other systems open files, diarise receipts, act on steps and read
the track with a user's token, under exactly that user's rights.

Every answer is JSON; a refusal is ``{"error": "..."}`` with 400 (bad input), 401 (no valid
token), 403 (not allowed), 404 (no such thing, or not yours to see), 409 (the file moved) or
415 (a body of a type the operation does not take).  What each operation takes and returns is
declared once, in web/api_schemas.py; web/openapi.py checks requests and makes the document.
"""

from flask import Blueprint, current_app, jsonify
from flask_login import current_user
from sqlalchemy import select

from workflows.org import access
from workflows.files import attachments, filing, inbox, receipts, workspace
from workflows import org
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import File

from . import api_schemas as schemas
from . import throttle
from .openapi import document, operation
from .security import transaction

bp = Blueprint("api", __name__, url_prefix="/api/v1")
FILE_ID = {"file_id": "the file's id"}
ID = f"int(min=1, max={schemas.MAX_ID})"  # the converter's bounds go into the document


@bp.route("/openapi.json")
def openapi_document():
    """This document"""
    return jsonify(document())


@bp.route("/files", methods=["POST"])
@operation(schemas.File, status=201, json=schemas.NewFile, refusals=(403, 404))
def open_file(json: schemas.NewFile):
    """Open a file"""
    with transaction() as db:
        office = _office(db, json.office)
        file = filing.open_file(db, office=office, user=current_user, route_key=json.route,
                                subject=json.subject, priority=json.priority,
                                category=json.category or "", first_note=json.note or "")
        result = _file_json(db, file)
    return jsonify(result), 201


@bp.route("/files/<path:ref>")
@operation(schemas.File, refusals=(403, 404),
           path={"ref": "the file's id or its number (SADAR/REV/2026/0001)"})
def show_file(ref):
    """A file: who holds it, the choices open to you, its track"""
    with transaction() as db:
        file = _file(db, ref)
        result = _file_json(db, file)
    return jsonify(result)


@bp.route(f"/files/<{ID}:file_id>/track")
@operation(schemas.Track, refusals=(403, 404), path=FILE_ID)
def track(file_id):
    """The file's track: every movement in order"""
    with transaction() as db:
        file = _file(db, str(file_id))
        result = {"number": file.number, "track": _track(db, file)}
    return jsonify(result)


@bp.route(f"/files/<{ID}:file_id>/act", methods=["POST"])
@throttle.pin_guard
@operation(schemas.File, json=schemas.Act, refusals=(403, 404, 409), path=FILE_ID)
def act(file_id, json: schemas.Act):
    """Complete the step you hold with one of its choices"""
    with transaction() as db:
        file = _file(db, str(file_id))
        filing.act(db, number=file.number, user=current_user, choice=json.choice,
                   remark=json.remark or "", reason=json.reason or "",
                   task_id=json.task_id, to_post_id=json.to_post_id, mark_to=json.mark_to,
                   pin=json.pin)
        result = _file_json(db, file)
    return jsonify(result)


@bp.route("/inbox")
@operation(schemas.Inbox, query=schemas.InboxQuery)
def waiting(query: schemas.InboxQuery):
    """Files waiting at your posts"""
    with transaction() as db:
        rows = inbox.inbox(db, current_user, priority=query.priority, query=query.q)
        result = [{"file_id": r.file.id, "number": r.file.number, "subject": r.file.subject,
                   "priority": r.file.priority, "task_id": r.task.id, "step": r.task.step_name,
                   "post": r.post.title, "since": _iso(r.task.since), "due_at": _iso(r.task.due_at),
                   "overdue": r.overdue, "pending_days": r.pending_days, "sender": r.sender}
                  for r in rows]
    return jsonify(files=result)


@bp.route("/receipts", methods=["POST"])
@operation(schemas.Receipt, status=201, json=schemas.NewReceipt, form=schemas.NewReceiptForm,
           refusals=(403, 404))
def diarise(json: schemas.NewReceipt, form: schemas.NewReceiptForm):
    """Diarise an incoming letter (JSON with base64, or multipart)"""
    letter = json or form
    with transaction() as db:
        office = _office(db, letter.office)
        receipt = receipts.diarise_receipt(
            db, office=office, user=current_user, subject=letter.subject, sender=letter.sender,
            sender_address=letter.sender_address or "", letter_number=letter.letter_number or "",
            letter_date=letter.letter_date, received_on=letter.received_on, mode=letter.mode,
            document=_document(letter.document),
            store=current_app.config.get("ATTACHMENTS") or attachments.default_store())
        result = {"id": receipt.id, "number": receipt.number, "subject": receipt.subject,
                  "sender": receipt.sender_name, "received_on": receipt.received_on.isoformat(),
                  "mode": receipt.mode, "status": receipt.status,
                  "holder_post": receipt.holder_post.title,
                  "document": receipt.document_filename}
    return jsonify(result), 201


def _office(db, code):
    """The office named by ``code``, or the caller's first office when none is named."""
    offices = sorted({p.office for p in org.posts_of(db, current_user)}, key=lambda o: o.code)
    if not offices:
        raise NotAllowed("you hold no post in any office")
    if not code:
        return offices[0]
    office = next((o for o in offices if o.code == code.strip()), None)
    if office is None:
        raise NotFound("no office with the code '%(code)s' among yours", code=code)
    return office


def _file(db, ref):
    """The file by id or by number, if the caller may see it.  (The URL's part is checked here:
    spectree checks bodies and queries, and Flask's converters the ids.)"""
    if "\x00" in ref:
        raise InvalidInput("'%(name)s' contains a NUL character", name="file")
    try:
        ref = ref.encode("utf-8").decode().strip()
    except UnicodeEncodeError:
        raise InvalidInput("'%(name)s' is not valid Unicode text", name="file") from None
    if ref.isdigit() and len(ref) < 11:
        file = db.get(File, int(ref)) if int(ref) <= schemas.MAX_ID else None
    else:
        file = db.scalar(select(File).where(File.number == ref))
    if file is None:
        raise NotFound("no such file")
    access.check_can_view(db, current_user, file)
    return file


def _document(document):
    """The scanned letter as (filename, bytes): an uploaded part, or JSON with base64."""
    if document is None:
        return None
    if isinstance(document, schemas.Document):
        return document.filename, document.content_base64
    if not document.filename:
        return None
    return document.filename, document.read()


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def _post(post):
    return {"id": post.id, "title": post.title} if post is not None else None


def _track(db, file):
    return [{"id": m.id, "kind": m.kind, "at": _iso(m.at), "from_post": _post(m.from_post),
             "from_user": m.from_user.name if m.from_user else None, "to_post": _post(m.to_post),
             "step": m.step_name, "choice": m.choice, "remark": m.remark}
            for m in filing.track(db, file)]


def _file_json(db, file):
    """The file, who holds it, the choices open to the caller now, and its track."""
    view = workspace.file_view(db, current_user, file)
    return {
        "id": file.id, "number": file.number, "subject": file.subject,
        "priority": file.priority, "category": file.category, "status": file.status,
        "outcome": file.outcome or None, "office": file.office.code,
        "created_at": _iso(file.created_at),
        "holders": [{"task_id": t.id, "step": t.step_name, "post": _post(t.post),
                     "since": _iso(t.since), "due_at": _iso(t.due_at),
                     "users": [u.name for u in users]} for t, users in view.holders],
        "choices": [{"task_id": a.task_id, "step": a.step_name, "post": _post(a.post),
                     "choices": [{"choice": c, "next_role": role,
                                  "posts": [_post(p) for p in posts]}
                                 for c, role, posts in a.choices]} for a in view.actions],
        "track": _track(db, file),
    }
