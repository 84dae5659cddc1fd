"""Which keys have sealed data here, each with a sealed canary proving the configured key is
right."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.tables.base import sealed, timestamp, uuid_key


class KeyRecord(SQLModel, table=True):
    __tablename__ = "encryption_keys"

    id: uuid.UUID = uuid_key()
    key_id: str = Field(max_length=16, unique=True)
    canary_enc: bytes | None = sealed()
    created_at: datetime = timestamp(default_now=True)
