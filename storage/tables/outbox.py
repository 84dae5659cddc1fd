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
    # The claim walks (status, priority, available_at) one priority at a time, so it reads only
    # the rows it takes however many are pending; cancel finds a subject's rows by (subject_kind,
    # subject_id).
    __table_args__ = (
        Index("ix_outbox_claim", "status", "priority", "available_at"),
        Index("ix_outbox_subject", "subject_kind", "subject_id"),
        Index("ix_outbox_kind_sent", "kind", "sent_at"),  # the team report: chases sent
    )

    id: uuid.UUID = uuid_key()
    kind: str = Field(max_length=32)
    priority: int = 5  # lower goes first: no-show chases before bulk reminders
    recipient: str = Field(max_length=32)
    due_at: datetime = timestamp()  # when the message is meant to go out (lateness counts from it)
    available_at: datetime = timestamp()  # when it may next be claimed: due_at, or a retry time
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # codes and times only
    subject_kind: str | None = Field(default=None, max_length=32)
    subject_id: uuid.UUID | None = None
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    # pending, sending, sent, cancelled, failed
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = timestamp(nullable=True)
    # Set when a send was attempted whose outcome is unknown (a crash, a timeout, a 5xx): the next
    # attempt first looks in the channel's history for a message tagged with this row's id.
    attempted_at: datetime | None = timestamp(nullable=True)
    sent_at: datetime | None = timestamp(nullable=True)
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp(default_now=True)
