"""Slack deliveries already handled, so a retried event or double click does its work once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.tables.base import timestamp


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_events"

    event_id: str = Field(primary_key=True, max_length=200)
    received_at: datetime = timestamp(default_now=True, index=True)
