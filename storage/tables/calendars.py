"""Calendar feeds (issue 14): each feed's sync state and lease, and which appointment each of
its events became."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables.base import timestamp, uuid_key


class CalendarFeedState(SQLModel, table=True):
    """One row per feed name: who holds its lease, what was last fetched, how it went.

    Nothing here is client data: validators of the last response (ETag, Last-Modified), the
    digest of the last content applied, counts, times and a problem text that never holds the
    feed's URL.
    """

    __tablename__ = "calendar_feeds"

    name: str = Field(primary_key=True, max_length=64)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = timestamp(nullable=True)
    etag: str | None = Field(default=None, max_length=200)
    last_modified: str | None = Field(default=None, max_length=64)
    content_hash: str | None = Field(default=None, max_length=64)  # of the last content applied
    window_day: str | None = Field(default=None, max_length=10)  # the window it was applied to
    future_events: int | None = None  # appointments ahead in the last content applied
    next_attempt_at: datetime | None = timestamp(nullable=True)
    last_attempt_at: datetime | None = timestamp(nullable=True)
    last_success_at: datetime | None = timestamp(nullable=True)
    last_error: str | None = Field(default=None, max_length=200)
    last_error_at: datetime | None = timestamp(nullable=True)
    failing_since: datetime | None = timestamp(nullable=True)  # the outage's start; None: fine
    failures: int = 0  # in a row, for the back-off


class CalendarEventLink(SQLModel, table=True):
    """An event of a feed (its UID and RECURRENCE-ID, hashed) and the appointment it became."""

    __tablename__ = "calendar_events"
    __table_args__ = (UniqueConstraint("feed", "event_key"),)

    id: uuid.UUID = uuid_key()
    feed: str = Field(max_length=64, index=True)
    event_key: str = Field(max_length=64)
    appointment_id: uuid.UUID = Field(foreign_key="appointments.id", index=True,
                                      ondelete="CASCADE")
    start_at: datetime = timestamp()
