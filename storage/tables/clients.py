"""Clients, their contact consent, per-number permissions and authorised third parties.

Columns ending in ``_enc`` are sealed; ``_index`` columns are keyed blind indexes.

A client code is kept as the clinic wrote it and matched without regard to case: the unique
index on ``lower(code)`` (``lowered_code``) makes ``C-1004`` and ``c-1004`` one client, on SQLite
and PostgreSQL alike (codes are ASCII, which both lower-case the same way).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import Index, UniqueConstraint, func
from sqlmodel import Field, SQLModel

from storage.tables.base import sealed, timestamp, uuid_key


class Client(SQLModel, table=True):
    __tablename__ = "clients"

    id: uuid.UUID = uuid_key()
    code: str = Field(max_length=32, unique=True, index=True)
    clinician: str | None = Field(default=None, max_length=32, index=True)
    status: str = Field(default="active", max_length=16)  # bot.policy.model.CLIENT_STATUSES
    preferred_name_enc: bytes | None = sealed()
    coaching_approved_by: str | None = Field(default=None, max_length=32)
    coaching_approved_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)


lowered_code = func.lower(Client.code)
Index("ix_clients_code_key", lowered_code, unique=True)


class ConsentRow(SQLModel, table=True):
    """The client's contact consent with its provenance; one per client."""

    __tablename__ = "consents"

    id: uuid.UUID = uuid_key()
    client_id: uuid.UUID = Field(foreign_key="clients.id", unique=True, ondelete="CASCADE")
    may_call: bool | None = None
    preferred_kind: str | None = Field(default=None, max_length=8)
    clinic_name_ok: bool | None = None
    earliest: time | None = None
    latest: time | None = None
    safety_note_enc: bytes | None = sealed()
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = timestamp(default_now=True)
    method: str = Field(max_length=16)
    last_verified_at: datetime | None = timestamp(nullable=True)


class ConsentNumber(SQLModel, table=True):
    """What the client allowed for one of their phone numbers."""

    __tablename__ = "consent_numbers"
    __table_args__ = (UniqueConstraint("client_id", "kind"),)

    id: uuid.UUID = uuid_key()
    client_id: uuid.UUID = Field(foreign_key="clients.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=8)
    number_enc: bytes | None = sealed()
    number_index: str | None = Field(default=None, max_length=40, index=True)
    may_call: bool = True
    do_not_call: bool = False
    do_not_call_reason_enc: bytes | None = sealed()
    voicemail_ok: bool = False
    clinic_name_ok: bool | None = None
    earliest: time | None = None
    latest: time | None = None


class ThirdPartyRow(SQLModel, table=True):
    __tablename__ = "third_parties"

    id: uuid.UUID = uuid_key()
    client_id: uuid.UUID = Field(foreign_key="clients.id", index=True, ondelete="CASCADE")
    name_enc: bytes | None = sealed()
    written_permission: bool = False
