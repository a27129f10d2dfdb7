"""Rows that must never change once written: the track, audit events, published route versions.

The ORM refuses to update or delete them, so no service can do it by mistake.
"""

from sqlalchemy import event

from .audit import AuditEvent
from .route import RouteVersion
from .task import Movement


class ImmutableRow(RuntimeError):
    pass


def _refuse(kind, verb):
    def listener(_mapper, _connection, target):
        raise ImmutableRow(f"{kind} {target.id} cannot be {verb}: it is part of the record")
    return listener


for model, kind in ((Movement, "movement"), (AuditEvent, "audit event"),
                    (RouteVersion, "route version")):
    event.listen(model, "before_update", _refuse(kind, "changed"))
    event.listen(model, "before_delete", _refuse(kind, "deleted"))
