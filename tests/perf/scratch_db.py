"""A throwaway database for a benchmark run: a temporary SQLite file, or a fresh database
created on the PostgreSQL server a URL names (and dropped afterwards), so a run never
writes into an existing database."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import make_engine


@contextmanager
def scratch_database(server_url: str | None) -> Iterator[str]:
    """Yield the URL of an empty database: SQLite when ``server_url`` is None or SQLite."""
    if server_url is None or make_url(server_url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
