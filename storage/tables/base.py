"""Pieces every table shares: a UUID key, UTC timestamps, sealed (encrypted) columns."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import LargeBinary, Table, inspect
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def plain_defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The fields of ``model`` with a plain default, and that default: the start of a row written
    without the ORM (a Core bulk insert), which leaves the fields with a default factory (ids,
    times) to the caller."""
    return {name: info.default for name, info in model.model_fields.items()
            if info.default_factory is None and info.default is not PydanticUndefined}


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
