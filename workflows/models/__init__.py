"""Sanchika's tables. Import from here so that every model is registered with the metadata."""

from .attendance import Attendance
from .audit import AuditChain, AuditEvent
from .calendar import Holiday
from .checkpoint import Checkpoint
from .escalation import Escalation, FileTimer, PriorityLimit
from .copy import Copy
from .counter import NumberCounter
from .dispatch import DISPATCH_MODES, Dispatch
from .draft import DRAFT_KINDS, DRAFT_STATUSES, Draft, DraftVersion
from .file import PRIORITIES, RETENTION, STATUSES, Attachment, File, Note
from .office import Office, Post, Section
from .outbox import MAIL_STATUSES, OutboxMail
from .password_link import PasswordLink
from .people import PostHolding, User
from .power import DraftApproval, Power
from .receipt import MODES, RECEIPT_STATUSES, Receipt
from .route import Route, RouteVersion
from .signing import (PROVIDERS, Certificate, EsignRequest, NoteSignature, RevokedOrder,
                      SignedOrder, SigningAuthority, SigningKey)
from .signin import RecoveryCode, SecondFactor, SignInSession
from .task import Movement, Task
from .token import ApiToken

from . import guards  # noqa: F401  (append-only and immutable rows)
from . import textguard  # noqa: F401  (no NUL or lone surrogate reaches a database)

__all__ = [
    "Escalation", "FileTimer", "Holiday", "MAIL_STATUSES", "OutboxMail", "PriorityLimit",
    "PRIORITIES", "RETENTION", "STATUSES", "Attachment", "AuditChain", "Attendance", "AuditEvent", "File", "Movement",
    "Note", "Office", "Post", "PostHolding", "Route", "RouteVersion", "Section", "Task", "User",
    "DRAFT_KINDS", "DRAFT_STATUSES", "MODES", "RECEIPT_STATUSES", "Draft", "DraftVersion",
    "NumberCounter", "Receipt", "ApiToken", "Checkpoint", "PasswordLink", "RecoveryCode",
    "SecondFactor", "SignInSession", "PROVIDERS", "Certificate", "NoteSignature", "SignedOrder",
    "SigningAuthority", "SigningKey", "RevokedOrder", "EsignRequest", "DISPATCH_MODES",
    "Dispatch", "Copy", "DraftApproval", "Power",
]
