"""Applying the Alembic migrations, as ``serve`` and every command that writes does first."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from storage.crypto import Keyring

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class MigrationRefused(Exception):
    """A migration cannot apply to the data on file; the message says what to fix first."""


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine: Engine, keyring: Keyring | None = None) -> None:
    """Bring the database to the newest schema, in one transaction; a no-op when it is already
    there. ``keyring``: the clinic's keys, for migrations that sign or seal existing data (0005
    signs the audit trail; without keys it refuses a database that has one)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["keyring"] = keyring
        command.upgrade(config, "head")


def pending(engine: Engine) -> list[str]:
    """Revisions not yet applied, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    revisions = [r.revision for r in script.walk_revisions(base="base", head="heads")]
    revisions.reverse()
    if not current:
        return revisions
    applied: set[str] = set()
    for head in current:
        applied.update(r.revision for r in script.iterate_revisions(head, "base"))
    return [r for r in revisions if r not in applied]
