"""Clients, their contact consent, per-number permissions and authorised third parties.

Columns ending in ``_enc`` are sealed; ``_index`` columns are keyed blind indexes.

A client code is kept as the clinic wrote it and matched without regard to case: the unique
index on ``lower(code)`` (``lowered_code``) makes ``C-1004`` and ``c-1004`` one client, on SQLite
and PostgreSQL alike (codes are ASCII, which both lower-case the same way).

A client an import is still writing is on file but hidden: its ``import_batch`` names the
import (``ImportBatch``) until the import's last transaction clears it for all its clients at
once. Every read of clients keeps to ``visible`` (the repositories' business), and the unique
index on codes holds among visible clients only, so a half-written import neither shows nor
blocks anyone; clearing the mark is where a code taken meanwhile is found.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import Index, UniqueConstraint, func
from sqlmodel import Field, SQLModel, col

from storage.tables.base import sealed, timestamp, uuid_key


class Client(SQLModel, table=True):
    __tablename__ = "clients"

    id: uuid.UUID = uuid_key()
    code: str = Field(max_length=32, index=True)
    clinician: str | None = Field(default=None, max_length=32, index=True)
    status: str = Field(default="active", max_length=16)  # bot.policy.model.CLIENT_STATUSES
    preferred_name_enc: bytes | None = sealed()
    coaching_approved_by: str | None = Field(default=None, max_length=32)
    coaching_approved_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)
    import_batch: uuid.UUID | None = None  # hidden while an import writes it (ImportBatch.id)


lowered_code = func.lower(Client.code)
visible = col(Client.import_batch).is_(None)
"""The condition every read of clients keeps to: not hidden by an import still writing."""
Index("ix_clients_code_key", lowered_code, unique=True,
      sqlite_where=visible, postgresql_where=visible)
Index("ix_clients_import_batch", col(Client.import_batch),
      sqlite_where=col(Client.import_batch).is_not(None),
      postgresql_where=col(Client.import_batch).is_not(None))


class ImportBatch(SQLModel, table=True):
    """An import writing its new clients hidden, over several short transactions. Its row lives
    from its first transaction to its last; one left behind (a process that stopped, or gave
    up) whose ``heartbeat_at`` is old is abandoned, and its hidden clients are deleted."""

    __tablename__ = "import_batches"

    id: uuid.UUID = uuid_key()
    actor: str = Field(max_length=200)
    source: str = Field(max_length=255)  # the file's name
    started_at: datetime = timestamp(default_now=True)
    heartbeat_at: datetime = timestamp(default_now=True)


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
