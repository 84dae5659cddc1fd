"""Slack's send budget shared by every dispatcher of one database (PostgreSQL replicas)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.tables.base import timestamp


class SendPace(SQLModel, table=True):
    """One row per budget (``slack``): the next free send slot and a 429's Retry-After.

    Each dispatcher reserves its next slot by moving ``next_slot_at`` on by one send interval, so
    the slots of all replicas are disjoint and together never faster than the rate. A 429 moves
    ``next_slot_at`` and ``blocked_until`` past Retry-After, which every replica then honours.
    Times are the database's clock, so replicas on different hosts agree.
    """

    __tablename__ = "send_pace"

    name: str = Field(primary_key=True, max_length=32)
    next_slot_at: datetime = timestamp()
    blocked_until: datetime | None = timestamp(nullable=True)
    blocked_by: str | None = Field(default=None, max_length=64)  # the dispatcher that got the 429
    updated_at: datetime = timestamp()
