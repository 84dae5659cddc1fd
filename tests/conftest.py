"""Shared fixtures: real databases (SQLite always, PostgreSQL when a server is given), keys, clock.

PostgreSQL-backed tests run when ``CONTACT_CHECK_TEST_POSTGRES_URL`` names a server (for example
the one ``.ci/start-postgres`` starts); without it they are skipped, and ``.ci/run`` fails a run in
which they were skipped. Each test gets a database of its own, already migrated: a copy of a
template migrated once per session, so a test costs milliseconds, not a migration.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bot.clock import ManualClock
from storage.crypto import Keyring, generate_key
from storage.db import make_engine
from storage.migrate import upgrade
from storage.uow import Store

POSTGRES_ENV = "CONTACT_CHECK_TEST_POSTGRES_URL"
# Set by .ci/run: a skipped PostgreSQL test is then a failure, so CI cannot pass on SQLite alone.
REQUIRE_POSTGRES_ENV = "CONTACT_CHECK_REQUIRE_POSTGRES"
# One template per test session, so sessions run side by side on one server do not drop each
# other's template.
_TEMPLATE_DB = f"cc_test_template_{os.getpid()}"


NO_SERVER = "PostgreSQL tests need"  # how every skip for want of a server begins
NO_SERVER_REASON = f"{NO_SERVER} {POSTGRES_ENV} (see .ci/start-postgres)"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    _one_line_for_no_server(report)
    callspec = getattr(item, "callspec", None)
    on_sqlite = callspec is not None and callspec.params.get("database_url") == "sqlite"
    if (report.skipped and not hasattr(report, "wasxfail") and os.environ.get(REQUIRE_POSTGRES_ENV)
            and item.get_closest_marker("postgres") is not None and not on_sqlite):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (f"PostgreSQL test skipped although {REQUIRE_POSTGRES_ENV} is set "
                           f"(CI must run it): {reason}")


def _one_line_for_no_server(report: pytest.TestReport) -> None:
    """Every test skipped for want of a PostgreSQL server is reported at one place with one
    reason, so pytest's summary folds them into one line (``SKIPPED [N] tests/conftest.py:
    PostgreSQL tests need ...``, which .ci/run looks for) instead of one line per test."""
    longrepr = report.longrepr
    if not (report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3):
        return
    reason = str(longrepr[2]).removeprefix("Skipped: ")
    if reason.startswith(NO_SERVER):
        report.longrepr = ("tests/conftest.py", None, f"Skipped: {NO_SERVER_REASON}")


def _postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str | None]:
    admin = _postgres_admin_url()
    if admin is None:
        yield None
        return
    engine = make_engine(admin).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{_TEMPLATE_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{_TEMPLATE_DB}"'))
    engine.dispose()
    url = make_url(admin).set(database=_TEMPLATE_DB).render_as_string(hide_password=False)
    template_engine = make_engine(url)
    upgrade(template_engine)
    template_engine.dispose()
    yield admin
    drop_postgres_database(admin, _TEMPLATE_DB)


def new_postgres_database(admin: str) -> tuple[str, str]:
    """A fresh migrated database copied from the template: (url, name)."""
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    engine = make_engine(admin).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_TEMPLATE_DB}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False), name


def drop_postgres_database(admin: str, name: str) -> None:
    engine = make_engine(admin).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> Iterator[str]:
    """The URL of an empty, migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "contact-check.db"
        shutil.copyfile(_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("_postgres_template")
    if admin is None:
        pytest.skip(NO_SERVER_REASON)
    url, name = new_postgres_database(admin)
    try:
        yield url
    finally:
        drop_postgres_database(admin, name)


@pytest.fixture
def set_umask() -> Iterator[Callable[[int], int]]:
    """``set_umask(mask)`` sets the process's umask for one test; the old one comes back after."""
    old = os.umask(0o077)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A migrated SQLite database only, for tests about behaviour that is the same everywhere."""
    path = tmp_path / "contact-check.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def key() -> str:
    return generate_key()


@pytest.fixture
def keyring(key: str) -> Keyring:
    return Keyring.from_env(key)


@pytest.fixture
def store(engine: Engine, keyring: Keyring) -> Store:
    return Store(engine, keyring)


@pytest.fixture
def clock() -> ManualClock:
    """Tuesday 2026-11-24, 10:00 in New York: inside the default clinic hours."""
    return ManualClock(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
