"""Pieces every table shares: a UUID key, UTC timestamps, sealed (encrypted) columns."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import LargeBinary, Table, inspect
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def uuid_key() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def timestamp(*, nullable: bool = False, default_now: bool = False, index: bool = False) -> Any:
    if default_now:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=nullable, index=index)
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def sealed() -> Any:
    """A column holding a value sealed by ``storage.sealing.Sealer`` (never plaintext)."""
    return Field(default=None, sa_type=LargeBinary, nullable=True)



def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements that read or write without the ORM."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
