"""Rows bound for the database driver ahead of time, for bulk writes under a short lock.

SQLAlchemy converts every value of every row as it executes a statement (UUIDs to the dialect's
form, times to text on SQLite, JSON to text): for an import of 100,000 clients that is most of
the statement's time. ``BoundRows`` does that conversion when a row is added, before the
transaction; ``write`` then hands the ready rows to the driver's ``executemany`` as they are.
The statement is the table's insert, or any statement with bound parameters (an update).
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect, Table, insert
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class BoundRows:
    """Whole rows of ``table`` (the parameters of ``statement``, when given, instead of the
    table's insert), each converted for ``dialect``'s driver as it is added."""

    def __init__(self, table: Table, dialect: Dialect, statement: ClauseElement | None = None):
        self.dialect = dialect
        self._shape = shape = _shape(_insert(table) if statement is None else statement, dialect)
        self.sql, self.positional, self.names = shape.sql, shape.positional, shape.names
        self.params: list[Any] = []

    def __len__(self) -> int:
        return len(self.params)

    def add(self, row: Mapping[str, Any]) -> None:
        """Add a row (every column named); raises KeyError for a column left out."""
        self.params.append(self._param([
            row[name] if convert is None else convert(row[name])
            for name, convert in self._shape.convert]))

    def template(self, row: Mapping[str, Any]) -> list[Any]:
        """The converted values of ``row`` in the statement's order, with None in the place of
        each column it leaves out: for ``filled`` to complete when those values are known."""
        return [None if name not in row else row[name] if convert is None else convert(row[name])
                for name, convert in self._shape.convert]

    def filled(self, template: list[Any], late: Mapping[str, Any]) -> tuple[Any, ...] | dict[
            str, Any]:
        """``template`` (left as it is) completed with the values of ``late``: one row's
        parameters for ``execute``."""
        values = list(template)
        for name, value in late.items():
            position, convert = self._shape.position[name]
            values[position] = value if convert is None else convert(value)
        return self._param(values)

    def write(self, conn: Connection) -> None:
        """Write every row added in one ``executemany`` (nothing when there is none)."""
        self.execute(conn, self.params)

    def execute(self, conn: Connection, params: list[Any]) -> None:
        """Write ``params`` (rows added, or from ``filled``) in one ``executemany`` (nothing
        when empty)."""
        if params:
            conn.exec_driver_sql(self.sql, params)

    def _param(self, values: list[Any]) -> tuple[Any, ...] | dict[str, Any]:
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))


_Converter = Callable[[Any], Any] | None


class _Shape(NamedTuple):
    """A statement for one database: its SQL, whether its parameters are positional, their
    names in parameter order, each one's converter, and each one's (position, converter) by
    name."""

    sql: str
    positional: bool
    names: list[str]
    convert: list[tuple[str, _Converter]]
    position: dict[str, tuple[int, _Converter]]


@functools.cache
def _insert(table: Table) -> ClauseElement:
    return insert(table)


@functools.lru_cache(maxsize=64)
def _shape(statement: ClauseElement, dialect: Dialect) -> _Shape:
    """Made once per statement and database: compiling costs more than a small insert."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)  # a DML statement compiles to SQL
    positional = bool(dialect.positional)
    names: list[str] = list(compiled.positiontup or []) if positional else list(compiled.binds)
    convert: list[tuple[str, _Converter]] = [
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in names]
    position = {name: (i, converter) for i, (name, converter) in enumerate(convert)}
    return _Shape(str(compiled), positional, names, convert, position)


_last = [0, 0]  # the last ordered id's (milliseconds, counter)
_ids_lock = threading.Lock()


def ordered_id() -> uuid.UUID:
    """A new UUID (version 7: the time in milliseconds, a counter, 62 random bits) greater than
    every one this process made before. Rows inserted in bulk with ordered ids go to the end of
    their primary-key index (and of the indexes on ids that point at them) instead of all over
    it: on SQLite that makes a 100,000-client insert several times shorter."""
    with _ids_lock:
        now = time.time_ns() // 1_000_000
        millis, counter = _last
        if now > millis:
            millis, counter = now, 0
        else:
            counter += 1
            if counter > 0xFFF:
                millis, counter = millis + 1, 0
        _last[0], _last[1] = millis, counter
    value = (millis << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | (
        secrets.randbits(62))
    return uuid.UUID(int=value)
