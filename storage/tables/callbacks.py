"""Call-back duties: a missed call the clinic owes a return call for."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.tables.base import sealed, timestamp, uuid_key


class CallbackDuty(SQLModel, table=True):
    __tablename__ = "callback_duties"
    # The team report reads the calls missed in a period.
    __table_args__ = (Index("ix_callback_duties_called_at", "called_at"),)

    id: uuid.UUID = uuid_key()
    client_id: uuid.UUID | None = Field(
        default=None, foreign_key="clients.id", index=True, ondelete="CASCADE"
    )
    caller_phone_enc: bytes | None = sealed()  # potential clients: the number they called from
    caller_phone_index: str | None = Field(default=None, max_length=40, index=True)
    clinician: str = Field(max_length=32, index=True)
    logged_by: str = Field(max_length=32)
    called_at: datetime = timestamp()
    voicemail_left: bool = False
    owed: bool = True
    due_at: datetime | None = timestamp(nullable=True)
    status: str = Field(default="open", max_length=16, index=True)  # open, returned, not_owed
    closed_at: datetime | None = timestamp(nullable=True)
    closed_by: str | None = Field(default=None, max_length=32)
