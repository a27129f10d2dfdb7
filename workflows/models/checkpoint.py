"""Signed checkpoints of the audit chain: the chain's head (seq and hash) at a moment, signed
with a key kept outside the database (``workflows.audit.checkpoints``).

A checkpoint is written once and never changed (a trigger refuses it, migration 0019): one
that someone deleted is still in the copies exported to a second place.
"""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime


class Checkpoint(Base):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)  # the chain's last event then
    hash: Mapped[str] = mapped_column(String(64))          # and its hash
    at: Mapped[datetime] = mapped_column(UTCDateTime())    # when it was signed (signed too)
    key_id: Mapped[str] = mapped_column(String(16))        # which key signed it
    signature: Mapped[str] = mapped_column(String(88))     # Ed25519, base64
