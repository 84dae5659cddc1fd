"""The append-only, hash-chained audit trail (ids and codes only, never client details)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

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
