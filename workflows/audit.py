"""Writing audit events, in the same transaction as the change they record."""

import json

from .models import AuditEvent


def record(session, action, user=None, file=None, office_id=None, **detail):
    """Add an audit event for ``action`` by ``user`` on ``file``; flushed with the change."""
    event = AuditEvent(
        action=action,
        user_id=user.id if user is not None else None,
        file_id=file.id if file is not None else None,
        office_id=office_id if office_id is not None else (file.office_id if file else None),
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
    )
    session.add(event)
    return event
