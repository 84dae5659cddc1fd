"""The database engine: SQLite by default, PostgreSQL for clinics that outgrow one machine."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import create_engine

DEFAULT_DATABASE_URL = "sqlite:///contact-check.db"


class DatabaseConfigError(Exception):
    """DATABASE_URL is unusable; the message says how to fix it."""


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseConfigError(
            "DATABASE_URL is not a database URL: use sqlite:///path.db or "
            "postgresql+psycopg://user:password@host/dbname"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _create_owner_only(parsed)
        # Enough pooled connections for every listener thread to read at once (reads in WAL
        # never wait for the writer, so they should not wait for a connection either).
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=20)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() not in ("psycopg", "psycopg2"):
            raise DatabaseConfigError(
                "DATABASE_URL: use the psycopg driver, postgresql+psycopg://… "
                "(pip install 'contact-check[postgres]')"
            )
        try:
            return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
        except ModuleNotFoundError:
            raise DatabaseConfigError(
                "DATABASE_URL names PostgreSQL but its driver is not installed: "
                "pip install 'contact-check[postgres]'"
            ) from None
    raise DatabaseConfigError(
        f"DATABASE_URL: {backend!r} is not supported; use sqlite:/// or postgresql+psycopg://"
    )


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite database URL; None for another backend or an in-memory database."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database)


def _create_owner_only(parsed: URL) -> None:
    """Create the SQLite file readable by its owner only, before SQLite creates it.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so they are owner-only
    too. An existing file is left alone (``loose_permissions`` reports one others may read).
    """
    path = sqlite_file(parsed)
    if path is None:
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except FileExistsError:
        return
    except FileNotFoundError:
        raise DatabaseConfigError(
            f"DATABASE_URL: the folder of the SQLite file {path} does not exist; create it "
            "or name another path"
        ) from None
    except OSError as error:
        raise DatabaseConfigError(
            f"DATABASE_URL: cannot create the SQLite file {path} ({error.strerror or error})"
        ) from None


def loose_permissions(url: str) -> list[Path]:
    """The SQLite file and its ``-wal``/``-shm`` companions that group or others may access."""
    path = sqlite_file(url)
    if path is None:
        return []
    loose = []
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = candidate.stat().st_mode
        except OSError:
            continue
        if stat.S_IMODE(mode) & 0o077:
            loose.append(candidate)
    return loose


READ_ONLY = "contact_check_read_only"


def read_only(engine: Engine) -> Engine:
    """The same engine (same pool) for units of work that only read.

    SQLite: transactions begin DEFERRED; in WAL mode a reader sees one consistent snapshot and
    neither waits for the writer nor holds it up. A write in one is refused by SQLite once
    another writer has committed since it began (SQLITE_BUSY_SNAPSHOT), never done on stale
    reads. PostgreSQL: autocommit, so a read costs one round trip, not BEGIN, SELECT and
    ROLLBACK; each statement then sees its own moment, so read what must agree in one
    statement (``ClientRepository.get`` does).
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{READ_ONLY: True})


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Every commit is fsynced before it returns: the audit trail of who saw a client's details
    # must survive a power cut once the details were shown. (WAL with synchronous=NORMAL would
    # skip that fsync and may lose the last commits on power loss.) Set explicitly: a build's
    # default may differ.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # One writer at a time, decided when the transaction starts: a read-then-write transaction
    # (the audit chain, outbox claims) can never be overtaken by another writer half way.
    # Read-only transactions (``read_only``) begin DEFERRED and take no write lock.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
