"""Appointments and whether the client came."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables.base import timestamp, uuid_key


class Appointment(SQLModel, table=True):
    __tablename__ = "appointments"
    __table_args__ = (UniqueConstraint("client_id", "start_at"),)

    id: uuid.UUID = uuid_key()
    client_id: uuid.UUID = Field(foreign_key="clients.id", index=True, ondelete="CASCADE")
    clinician: str | None = Field(default=None, max_length=32, index=True)
    start_at: datetime = timestamp(index=True)
    minutes: int = 50
    # scheduled, arrived, no_show, cancelled
    status: str = Field(default="scheduled", max_length=16)
    marked_by: str | None = Field(default=None, max_length=32)
    marked_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp(default_now=True)
