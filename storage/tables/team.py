"""The clinic's team as last loaded from the policy file."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.tables.base import timestamp, uuid_key


class TeamMemberRow(SQLModel, table=True):
    __tablename__ = "team_members"

    id: uuid.UUID = uuid_key()
    slack_id: str = Field(max_length=32, unique=True, index=True)
    role: str = Field(max_length=16)
    first_name: str = Field(max_length=80)
    supervisor: str | None = Field(default=None, max_length=32)
    active: bool = True
    updated_at: datetime = timestamp(default_now=True)
