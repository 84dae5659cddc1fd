"""Encounters with a client outside the office, documented by the clinician."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.tables.base import sealed, timestamp, uuid_key


class RunIn(SQLModel, table=True):
    __tablename__ = "run_ins"
    # The team report reads the run-ins documented in a period.
    __table_args__ = (Index("ix_run_ins_created_at", "created_at"),)

    id: uuid.UUID = uuid_key()
    client_id: uuid.UUID = Field(foreign_key="clients.id", index=True, ondelete="CASCADE")
    clinician: str = Field(max_length=32)
    occurred_at: datetime = timestamp()
    place_enc: bytes | None = sealed()
    initiated_by: str = Field(max_length=16)  # client, clinician
    summary_enc: bytes | None = sealed()
    revisit_enc: bytes | None = sealed()
    created_by: str = Field(max_length=32)
    created_at: datetime = timestamp(default_now=True)
    followed_up_at: datetime | None = timestamp(nullable=True)
