"""Requests that need a named person's decision: closure warnings, DBT phone coaching."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from storage.tables.base import sealed, timestamp, uuid_key


class Approval(SQLModel, table=True):
    __tablename__ = "approvals"
    # The team report reads the requests made in a period.
    __table_args__ = (Index("ix_approvals_created_at", "created_at"),)

    id: uuid.UUID = uuid_key()
    kind: str = Field(max_length=32)  # closure_warning, phone_coaching
    client_id: uuid.UUID = Field(foreign_key="clients.id", index=True, ondelete="CASCADE")
    requester: str = Field(max_length=32)
    approver: str = Field(max_length=32, index=True)
    backup: str | None = Field(default=None, max_length=32)
    status: str = Field(default="pending", max_length=16, index=True)  # pending, approved, denied
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # dates and codes only
    reason_enc: bytes | None = sealed()  # the decider's free-text reason
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = timestamp(nullable=True)
    nudged_at: datetime | None = timestamp(nullable=True)
    handed_over_at: datetime | None = timestamp(nullable=True)
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = timestamp(default_now=True)
