"""Alembic environment: migrations run on the connection ``storage.migrate`` hands over.

The ``alembic`` command line (``alembic.ini`` at the repository root) is for developers writing a
new migration: it works on the database the bot would use, ``DATABASE_URL`` (the bot's default,
``sqlite:///contact-check.db``, when unset), unless ``sqlalchemy.url`` is set on the config (as
``storage.migrate.alembic_config(url)`` does). ``CONTACT_CHECK_KEYS``, when set, is handed to the
migrations as the bot hands it (0005 signs an existing audit trail with it).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers every table on the metadata)
from storage.crypto import KEYS_VARIABLE, Keyring
from storage.db import DEFAULT_DATABASE_URL, make_engine

config = context.config
target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def command_line_url() -> str:
    """The database of the ``alembic`` command line: the config's URL, else the bot's own."""
    return (config.get_main_option("sqlalchemy.url")
            or os.environ.get("DATABASE_URL", "").strip()
            or DEFAULT_DATABASE_URL)


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the `alembic` command line, for developers writing a new migration
    if "keyring" not in config.attributes and os.environ.get(KEYS_VARIABLE, "").strip():
        config.attributes["keyring"] = Keyring.from_env()
    engine = make_engine(command_line_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()
