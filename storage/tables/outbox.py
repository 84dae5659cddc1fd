"""Messages waiting to be sent to Slack, written in the same transaction as their cause."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from storage.tables.base import timestamp, uuid_key


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "priority", "due_at"),)

    id: uuid.UUID = uuid_key()
    kind: str = Field(max_length=32)
    priority: int = 5  # lower goes first: no-show chases before bulk reminders
    recipient: str = Field(max_length=32)
    due_at: datetime = timestamp()
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # codes and times only
    subject_kind: str | None = Field(default=None, max_length=32)
    subject_id: uuid.UUID | None = None
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    status: str = Field(default="pending", max_length=16)  # pending, sent, cancelled, failed
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = timestamp(nullable=True)
    sent_at: datetime | None = timestamp(nullable=True)
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp(default_now=True)
