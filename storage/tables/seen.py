"""Slack requests already accepted, so a replayed or retried one is answered but not run again."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.tables.base import timestamp


class SeenRequest(SQLModel, table=True):
    """One row per key of an accepted request (``storage.repositories.seen``): the SHA-256 of its
    signature, or of its Events API ``event_id``, kept until ``expires_at``. Shared by every
    replica of one database, so a request replayed to another replica is recognised too."""

    __tablename__ = "seen_requests"

    key_hash: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = timestamp(index=True)
