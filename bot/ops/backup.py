"""``backup FILE`` and ``restore FILE [--force]``: the clinic's SQLite database, copied safely.

A backup is taken with SQLite's online backup API: one consistent snapshot of the database as it
stood when the copy began, taken while the bot serves and writes (WAL readers never wait for the
writer, nor hold it up). It lands in a new owner-only (0600) file beside FILE, is switched to a
single self-contained file (no ``-wal``), checked, and only then renamed to FILE
(``bot.private_file.private_staging``): a failed backup leaves no file. The copy holds what the
database holds: client details encrypted under ``CONTACT_CHECK_KEYS``, which it does not contain;
keep the keys escrowed apart from the backups.

A restore first checks FILE: a SQLite file with Contact Check's tables, a schema this version
knows (an older one is brought up to date when ``serve`` starts), intact pages, and data the
configured keys open. It refuses to overwrite a database that holds anything unless ``--force``
is given, then copies FILE in with the same backup API (under SQLite's write lock, so it is never
half-copied) and appends a ``database.restored`` event to the restored audit trail.

PostgreSQL is backed up with its own tools (``pg_dump`` / ``pg_restore``): the commands say so.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.private_file import private_staging
from storage.audit import AuditWriter
from storage.crypto import Keyring
from storage.db import make_engine, sqlite_file
from storage.keycheck import key_problem
from storage.migrate import alembic_config
from storage.sealing import Sealer

# Tables every Contact Check database has had since its first schema.
REQUIRED_TABLES = ("alembic_version", "clients", "audit_events", "encryption_keys")

PG_DUMP_ADVICE = (
    "DATABASE_URL names PostgreSQL: back it up with PostgreSQL's own tool, which takes a "
    "consistent copy while the bot serves: pg_dump --format=custom --file=FILE DBNAME (restore "
    "with pg_restore --clean --if-exists --dbname=DBNAME FILE, the bot stopped). See the README, "
    "Backups.")


class BackupRefused(Exception):
    """Nothing was written; the message says what to fix."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int
    revision: str


def _database_file(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        raise BackupRefused(PG_DUMP_ADVICE)
    path = sqlite_file(url)
    if path is None:
        raise BackupRefused("DATABASE_URL names no SQLite file (an in-memory database has "
                            "nothing to back up or restore into)")
    return path


def backup(database_url: str, target: str | Path) -> BackupReport:
    """Copy the database of ``database_url`` to ``target`` (0600, consistent while serving)."""
    source = _database_file(database_url)
    if not source.is_file():
        raise BackupRefused(f"there is no database at {source.resolve()} (DATABASE_URL): "
                            "nothing to back up; run from the folder `serve` runs in, or set "
                            "DATABASE_URL")
    if Path(target).resolve() == source.resolve():
        raise BackupRefused(f"{target} is the database itself; name another file")
    revision = _check_contact_check(source)
    with private_staging(target) as staged:
        reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            copy = sqlite3.connect(staged)
            try:
                reader.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                _intact(copy, staged)
            finally:
                copy.close()
        finally:
            reader.close()
    size = Path(target).stat().st_size
    return BackupReport(Path(target), size, revision)


def _check_contact_check(path: Path) -> str:
    """The schema revision of the Contact Check database at ``path``; BackupRefused if it is
    not one (or not one this version knows)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as error:
        raise BackupRefused(f"cannot read {path}: {error.strerror or error}") from None
    if header != b"SQLite format 3\x00":
        raise BackupRefused(f"{path} is not a SQLite database, so not a Contact Check backup")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise BackupRefused(f"{path} is a SQLite database but not a Contact Check one (no "
                                f"{', '.join(missing)} table)")
        revisions = [row[0] for row in connection.execute(
            "SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{path} cannot be read as a database ({error})") from None
    finally:
        connection.close()
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if len(revisions) != 1 or revisions[0] not in known:
        raise BackupRefused(f"{path} has a schema this version of Contact Check does not know "
                            f"({', '.join(revisions) or 'none'}); restore it with the version "
                            "that made it, or a newer one")
    return revisions[0]


def _intact(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()
    if not result or result[0] != "ok":
        raise BackupRefused(f"{path} failed SQLite's integrity check; it cannot be used")


def restore(database_url: str, source: str | Path, keyring: Keyring, *, force: bool,
            actor: str, now: datetime) -> str:
    """Copy the backup ``source`` into the database of ``database_url``; its schema revision.

    Refuses (BackupRefused, nothing written) a file that is not a Contact Check database, one the
    keys cannot open, and, without ``force``, a target database that already holds anything.
    """
    target = _database_file(database_url)
    backup_file = Path(source)
    if not backup_file.is_file():
        raise BackupRefused(f"there is no file {backup_file}")
    if target.exists() and backup_file.resolve() == target.resolve():
        raise BackupRefused(f"{source} is the database itself; name the backup file")
    revision = _check_contact_check(backup_file)
    reader = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        _intact(reader, backup_file)
        _keys_open(backup_file, keyring)
        if not force and _holds_anything(target):
            raise BackupRefused(
                f"the database at {target.resolve()} (DATABASE_URL) is not empty; restoring "
                "replaces everything in it. Back it up first, stop the bot, and run restore "
                "again with --force")
        engine = make_engine(database_url)  # creates the file owner-only when it is not there
        try:
            raw = engine.raw_connection()
            try:
                # SQLAlchemy types the driver connection loosely; on SQLite it is sqlite3.Connection
                reader.backup(raw.driver_connection)  # type: ignore[arg-type]
            finally:
                raw.close()
            AuditWriter(engine, keyring).append(
                actor, "database.restored", None,
                {"from": backup_file.name, "schema": revision}, at=now)
        finally:
            engine.dispose()
    finally:
        reader.close()
    return revision


def _keys_open(path: Path, keyring: Keyring) -> None:
    engine = create_engine("sqlite://", poolclass=NullPool,
                           creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    try:
        with engine.connect() as connection:
            problem = key_problem(connection, Sealer(keyring))
    finally:
        engine.dispose()
    if problem is not None:
        raise BackupRefused(f"{path} cannot be opened with the configured keys: {problem} "
                            "Nothing was restored.")


def _holds_anything(path: Path) -> bool:
    """True when ``path`` is a database with any table (a fresh, empty file is not)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        return True  # something is there that is not an empty database: never overwrite it
    finally:
        connection.close()
