"""The shapes of /api/v1: what a request may carry and what an answer holds, as Pydantic models.

The same models validate the API's input (web/openapi.py hands them to spectree) and make the
OpenAPI document served at /api/v1/openapi.json, so the document and the checks cannot drift.
Unknown fields are ignored, as the API always did (a multipart form may carry a csrf_token);
every text is bounded by the column that keeps it and refused if a database could not keep it.
"""

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      PlainValidator, WithJsonSchema, model_validator)
from pydantic_core import PydanticCustomError
from werkzeug.datastructures import FileStorage

from workflows.files import attachments, notes, opening, receipts
from workflows import models as tables
from workflows.models import MODES, PRIORITIES
from workflows.signing import officials

MAX_ID = 2**31 - 1


def _refusal(message: str) -> PydanticCustomError:
    """What is wrong with a field, said as it is (a ValueError would be "Value error, ...")."""
    return PydanticCustomError("sanchika", message)


def _length(model: Any, column: str) -> int:
    """The length of ``model``'s column: the longest text the database keeps there."""
    return model.__table__.c[column].type.length


def keepable(value: str) -> str:
    """Text the database can keep: no NUL, no lone surrogates."""
    if "\x00" in value:
        raise _refusal("contains a NUL character (\\0)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _refusal("is not valid Unicode text") from None
    return value


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


def _blank_is(default: str) -> BeforeValidator:
    """Absent, null and "" all mean the default, as they always have."""
    return BeforeValidator(lambda value: default if value is None or value == "" else value)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise _refusal("must be a whole number, not true or false")
    return value


def Text(limit: int, description: str = "") -> Any:
    """A string of at most ``limit`` characters that a database can keep."""
    return Annotated[str, Field(max_length=limit, description=description or None),
                     AfterValidator(keepable)]


def Maybe(kind: Any, description: str = "") -> Any:
    """``kind`` or nothing: absent, null and "" all mean "not given", as they always have."""
    return Annotated[kind | None, BeforeValidator(_blank_is_none),
                     Field(default=None, description=description or None)]


Id = Annotated[int, BeforeValidator(_no_bool), Field(ge=1, le=MAX_ID)]
#: The most posts one act may mark for a circulation (a state's district has fewer).
MAX_MARKED = 2000
Priority = Literal[PRIORITIES]
Mode = Literal[MODES]


def _upload(value: Any) -> FileStorage:
    if not isinstance(value, FileStorage):
        raise _refusal("must be a file (a multipart part with a filename)")
    return value


Upload = Annotated[FileStorage, PlainValidator(_upload),
                   WithJsonSchema({"type": "string", "format": "binary"})]


# base64 of the largest document the attachments store keeps
MAX_BASE64 = 4 * ((attachments.MAX_BYTES + 2) // 3)


def _base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _refusal("must be a string of base64")
    if len(value) > MAX_BASE64:
        raise _refusal(f"is longer than {MAX_BASE64} characters of base64")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _refusal("is not base64") from None


Base64 = Annotated[bytes, PlainValidator(_base64),
                   WithJsonSchema({"type": "string", "format": "byte", "maxLength": MAX_BASE64})]


class Input(BaseModel):
    model_config = ConfigDict(extra="ignore")


OfficeCode = Maybe(Text(_length(tables.Office, "code")),
                      "office code (default: your first office)")


class NewFile(Input):
    """A file to open on a route."""
    office: OfficeCode
    route: Text(_length(tables.Route, "key"), "route key, e.g. land_mutation")
    subject: Text(opening.MAX_SUBJECT)
    priority: Annotated[Priority, _blank_is("Normal")] = "Normal"
    category: Maybe(Text(opening.MAX_CATEGORY))
    note: Maybe(Text(notes.MAX_NOTE), "the first note on the note sheet")


class Act(Input):
    """The step the caller holds, completed with one of its choices."""
    choice: Text(_length(tables.Task, "choice"), "one of the choices the file offers you")
    remark: Maybe(Text(notes.MAX_NOTE))
    reason: Maybe(Text(notes.MAX_NOTE), "why the file was kept past its limit")
    task_id: Maybe(Id, "the step you saw (a stale one gets 409)")
    to_post_id: Maybe(Id, "the receiving post, when several could")
    mark_to: Annotated[list[Id], Field(
        default_factory=list, max_length=MAX_MARKED,
        description="the posts a circulation of marked posts goes to")]
    pin: Maybe(Text(officials.PIN_MAX), "your signing PIN, where the office signs")


class Document(Input):
    """The scanned letter (PDF, PNG, JPEG or TIFF), its bytes in base64."""
    filename: Text(_length(tables.Receipt, "document_filename"))
    content_base64: Base64


class _Receipt(Input):
    office: OfficeCode
    subject: Text(receipts.MAX_SUBJECT)
    sender: Text(receipts.MAX_SENDER)
    sender_address: Maybe(Text(receipts.MAX_ADDRESS))
    letter_number: Maybe(Text(receipts.MAX_LETTER_NUMBER))
    letter_date: Maybe(date)
    received_on: Maybe(date, "default: today in the office")
    mode: Annotated[Mode, _blank_is("Portal")] = "Portal"


class NewReceipt(_Receipt):
    """An incoming letter to diarise, sent as JSON."""
    document: Maybe(Document)


class NewReceiptForm(_Receipt):
    """An incoming letter to diarise, sent as multipart/form-data."""
    document: Maybe(Upload, "the scanned letter (PDF, PNG, JPEG or TIFF)")

    @model_validator(mode="before")
    @classmethod
    def _files_only_as_document(cls, fields: Any) -> Any:
        """A file anywhere but as the one document is refused, named by its filename: the
        refusal quotes what was sent, and is JSON, which a file is not."""
        if not isinstance(fields, dict):
            return fields
        return {name: value if name == "document" and isinstance(value, FileStorage)
                else _named(value) for name, value in fields.items()}


def _named(value: Any) -> Any:
    if isinstance(value, FileStorage):
        return {"file": value.filename}
    return [_named(v) for v in value] if isinstance(value, list) else value


class InboxQuery(Input):
    priority: Maybe(Priority)
    q: Annotated[Text(200, "words in the number or the subject"),
                 _blank_is("")] = ""


# The answers.  Only the document and the check of what goes out use these.

Moment = datetime | None


class Post(BaseModel):
    id: int
    title: str


class Movement(BaseModel):
    id: int
    kind: str
    at: Moment
    from_post: Post | None
    from_user: str | None
    to_post: Post | None
    step: str
    choice: str | None
    remark: str | None


class Holder(BaseModel):
    task_id: int
    step: str
    post: Post | None
    since: Moment
    due_at: Moment
    users: list[str]


class Choice(BaseModel):
    choice: str
    next_role: str | None
    posts: list[Post | None]


class Action(BaseModel):
    task_id: int
    step: str
    post: Post | None
    choices: list[Choice]


class File(BaseModel):
    """A file: who holds it, the choices open to the caller now, and its track."""
    id: int
    number: str
    subject: str
    priority: str
    category: str
    status: str
    outcome: str | None
    office: str
    created_at: Moment
    holders: list[Holder]
    choices: list[Action]
    track: list[Movement]


class Track(BaseModel):
    number: str
    track: list[Movement]


class Waiting(BaseModel):
    file_id: int
    number: str
    subject: str
    priority: str
    task_id: int
    step: str
    post: str
    since: Moment
    due_at: Moment
    overdue: bool
    pending_days: int
    sender: str


class Inbox(BaseModel):
    files: list[Waiting]


class Receipt(BaseModel):
    id: int
    number: str
    subject: str
    sender: str
    received_on: date
    mode: str
    status: str
    holder_post: str
    document: str | None


class Problem(BaseModel):
    field: str = Field(description="where: the field, e.g. subject or document.filename")
    message: str


class Error(BaseModel):
    """A refusal: one sentence, and for input that does not fit, what is wrong where."""
    error: str
    problems: list[Problem] = Field(default_factory=list)

