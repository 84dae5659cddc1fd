"""The append-only, keyed, hash-chained audit trail (ids and codes only, never client details),
and its signed head."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, func
from sqlmodel import Field, SQLModel, col

from storage.tables.base import timestamp, uuid_key


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: uuid.UUID = uuid_key()
    seq: int = Field(unique=True, index=True)
    at: datetime = timestamp()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    client_code: str | None = Field(default=None, max_length=32, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    key_id: str | None = Field(default=None, max_length=16)  # whose chain key signed ``mac``
    mac: str | None = Field(default=None, max_length=64)  # HMAC of ``hash`` under that key


# The access report (``storage.repositories.reports``): one client's events by code in any case,
# newest first; events of one action (exports) since a date.
Index("ix_audit_events_code_seq", func.lower(col(AuditEvent.client_code)), col(AuditEvent.seq))
Index("ix_audit_events_action_at", col(AuditEvent.action), col(AuditEvent.at))


class AuditHead(SQLModel, table=True):
    """One row (``id`` 1): how many events the trail holds and the last one's hash, signed.

    Every append advances it in the same transaction, under its row lock."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    events: int
    hash: str = Field(max_length=64)
    key_id: str | None = Field(default=None, max_length=16)
    mac: str | None = Field(default=None, max_length=64)
