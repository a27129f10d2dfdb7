"""Attachments: checked by content, stored once on disk under their sha256."""

import hashlib
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, org
from ..db import DEFAULT_INSTANCE
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed, NotFound
from .filing import lock_file, open_tasks
from ..models import Attachment, File, User

MAX_BYTES = 20 * 1024 * 1024


def default_store() -> Path:
    """Where documents are kept: SANCHIKA_ATTACHMENTS, else instance/attachments."""
    return Path(os.environ.get("SANCHIKA_ATTACHMENTS") or DEFAULT_INSTANCE / "attachments")

# (content type, file endings allowed, test on the first bytes)
_KINDS: list[tuple[str, tuple[str, ...], Callable[[bytes], bool]]] = [
    ("application/pdf", (".pdf",), lambda b: b.startswith(b"%PDF-")),
    ("image/png", (".png",), lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", (".jpg", ".jpeg"), lambda b: b.startswith(b"\xff\xd8\xff")),
    ("image/tiff", (".tif", ".tiff"), lambda b: b[:4] in (b"II*\x00", b"MM\x00*")),
]


def sniff(filename: str | None, data: bytes) -> str:
    """The content type of ``data``, if it is a kind Sanchika keeps and matches its name."""
    ending = os.path.splitext(filename or "")[1].lower()
    for content_type, endings, test in _KINDS:
        if test(data[:16]):
            if ending not in endings:
                if ending:
                    raise InvalidInput("'%(filename)s' holds %(type)s but is named %(ending)s",
                                       filename=filename, type=content_type, ending=ending)
                raise InvalidInput("'%(filename)s' holds %(type)s but is named without an "
                                   "ending", filename=filename, type=content_type)
            return content_type
    raise InvalidInput("'%(filename)s' is not a PDF, PNG, JPEG or TIFF document; "
                       "scan or save it as one of these", filename=filename)


def attach(session: Session, *, number: str, user: User, filename: str | None, data: bytes,
           store: Path | str, now: datetime | None = None) -> Attachment:
    """Attach a document to a file held by ``user``; the bytes go to ``store`` by sha256."""
    file = lock_file(session, number)
    filename, content_type = _checked_document(filename, data)
    task = next((t for t in open_tasks(session, file) if org.holds(session, user, t.post_id)),
                None)
    if task is None or file.status == "closed":
        raise NotAllowed("only the official holding file %(number)s may attach documents",
                         number=file.number)
    sha = keep(store, data)
    attachment = Attachment(file_id=file.id, filename=filename, content_type=content_type,
                            size=len(data), sha256=sha, uploaded_by_id=user.id,
                            uploaded_by_post_id=task.post_id, uploaded_at=now or utcnow())
    session.add(attachment)
    session.flush()
    audit.record(session, "file.attached", user, file, filename=filename, sha256=sha)
    return attachment


def blob_path(store: Path | str, sha: str) -> Path:
    """Where the bytes with the sha256 ``sha`` are kept in ``store``."""
    return Path(store) / sha[:2] / sha[2:4] / sha


def read_attachment(session: Session, attachment_id: int,
                    store: Path | str) -> tuple[Attachment, bytes]:
    """The attachment ``attachment_id`` and its bytes (NotFound if there is none)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("no such attachment")
    return attachment, blob_path(store, attachment.sha256).read_bytes()


def attachments_of(session: Session, file: File) -> list[Attachment]:
    """The documents on ``file``, in the order they were attached."""
    return list(session.scalars(select(Attachment).where(Attachment.file_id == file.id)
                                .order_by(Attachment.id)))


def _checked_document(filename: str | None, data: bytes) -> tuple[str, str]:
    """The document's clean name and content type; refuses a nameless, empty, oversized or
    unknown document with the reason.  Shared with receipts (the scanned letter)."""
    filename = os.path.basename((filename or "").replace("\\", "/")).strip()[:255]
    if not filename:
        raise InvalidInput("the document has no name")
    if not data:
        raise InvalidInput("'%(filename)s' is empty", filename=filename)
    if len(data) > MAX_BYTES:
        raise InvalidInput("'%(filename)s' is %(size)s MB; the limit is %(limit)s MB",
                           filename=filename, size=len(data) // (1024 * 1024),
                           limit=MAX_BYTES // (1024 * 1024))
    return filename, sniff(filename, data)


def keep(store: Path | str, data: bytes) -> str:
    """Put ``data`` in the content store (once) and return its sha256."""
    sha = hashlib.sha256(data).hexdigest()
    _store(Path(store), sha, data)
    return sha


def _store(store: Path, sha: str, data: bytes) -> None:
    path = blob_path(store, sha)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)
