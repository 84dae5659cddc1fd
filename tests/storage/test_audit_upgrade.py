"""Migration 0005 upgrades a database whose trail was written unkeyed: the trail is checked as the
unkeyed ``verify-audit`` checked it; intact, it is signed once, with an ``audit.keyed`` event saying
so and its hashes unchanged (a head kept from before stays checkable); broken, or with the wrong
key, or with no key at all, nothing changes and the upgrade stops naming what is wrong."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from storage.audit import GENESIS, KEYED_ACTION, TrailBroken, chain_hash, verify_trail
from storage.crypto import KeyConfigError, Keyring, generate_key
from storage.db import make_engine
from storage.keycheck import CANARY
from storage.migrate import alembic_config, upgrade
from storage.tables import KeyRecord
from storage.uow import Store
from tests.conftest import POSTGRES_ENV, drop_postgres_database

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
BEFORE = "0004"  # the migration before the keyed trail (0005)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database migrated only as far as the unkeyed trail (0003), on both servers."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:  # a database of its own, not a copy of the fully migrated template
        admin = os.environ.get(POSTGRES_ENV)
        if not admin:
            pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
        name = f"cc_test_old_{uuid.uuid4().hex[:10]}"
        server = make_engine(admin).execution_options(isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        server.dispose()
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, BEFORE)
    try:
        yield engine
    finally:
        engine.dispose()
        if name is not None:
            drop_postgres_database(os.environ[POSTGRES_ENV], name)


def _when(engine: Engine, at: datetime) -> object:
    """``at`` as the column holds it: timestamptz, or SQLite's UTC wall-clock text."""
    return at if engine.dialect.name == "postgresql" else at.strftime("%Y-%m-%d %H:%M:%S.%f")


def _legacy_events(engine: Engine, count: int) -> list[str]:
    """Events as the unkeyed trail wrote them; their hashes."""
    prev, hashes = GENESIS, []
    with engine.begin() as conn:
        for seq in range(1, count + 1):
            at = T0 + timedelta(minutes=seq)
            digest = chain_hash(seq, at, "U0ANA", "card.viewed", f"C-{seq}", {"n": seq}, prev)
            conn.execute(text(
                "INSERT INTO audit_events (id, seq, at, actor, action, client_code, details, "
                "prev_hash, hash) VALUES (:id, :seq, :at, 'U0ANA', 'card.viewed', :code, :details, "
                ":prev, :hash)"),
                {"id": uuid.uuid4().hex, "seq": seq, "at": _when(engine, at),
                 "code": f"C-{seq}", "details": f'{{"n": {seq}}}', "prev": prev, "hash": digest})
            prev = digest
            hashes.append(digest)
    return hashes


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_an_intact_unkeyed_trail_is_signed_once_and_says_so(old_engine: Engine) -> None:
    hashes = _legacy_events(old_engine, 4)
    keyring = Keyring.from_env(generate_key())
    upgrade(old_engine, keyring)
    report = verify_trail(old_engine, keyring)
    assert report.ok, report.problems
    assert report.events == 5  # the four, and the event recording the upgrade
    assert report.notes and report.notes[0].startswith(
        "events 1..4 were written before the trail was keyed; they were checked (unkeyed, "
        "intact) and signed at the upgrade on")
    with old_engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, hash, key_id, action, details FROM audit_events "
                                 "ORDER BY seq")).all()
    assert [r.hash for r in rows[:4]] == hashes  # the hashes stay: old heads stay checkable
    assert {r.key_id for r in rows} == {keyring.primary_id}
    assert rows[4].action == KEYED_ACTION
    assert verify_trail(old_engine, keyring, expect_head=hashes[-1]).reached == 4
    upgrade(old_engine, keyring)  # applied once: nothing more happens
    assert verify_trail(old_engine, keyring).events == 5


def test_the_upgraded_trail_carries_on(old_engine: Engine) -> None:
    _legacy_events(old_engine, 2)
    keyring = Keyring.from_env(generate_key())
    upgrade(old_engine, keyring)
    store = Store(old_engine, keyring)
    store.audit_writer.append("U0BEN", "card.viewed", "C-9")
    report = verify_trail(old_engine, keyring)
    assert report.ok and report.events == 4


@pytest.mark.parametrize(("damage", "first_bad"), [
    ("DELETE FROM audit_events WHERE seq = 2", 2),
    ("UPDATE audit_events SET actor = 'U0MALLORY' WHERE seq = 3", 3),
])
def test_a_broken_unkeyed_trail_is_not_signed_and_nothing_changes(
        old_engine: Engine, damage: str, first_bad: int) -> None:
    _legacy_events(old_engine, 4)
    with old_engine.begin() as conn:
        conn.execute(text(damage))
    with pytest.raises(TrailBroken, match=f"first bad event: {first_bad}") as raised:
        upgrade(old_engine, Keyring.from_env(generate_key()))
    assert "verify-audit" in str(raised.value)
    assert _revision(old_engine) == BEFORE  # one transaction: nothing of 0005 stays
    assert "audit_head" not in inspect(old_engine).get_table_names()


def test_an_old_trail_is_not_upgraded_without_the_key(old_engine: Engine) -> None:
    _legacy_events(old_engine, 1)
    with pytest.raises(KeyConfigError, match="CONTACT_CHECK_KEYS"):
        upgrade(old_engine)
    assert _revision(old_engine) == BEFORE


def test_the_wrong_key_signs_nothing(old_engine: Engine) -> None:
    _legacy_events(old_engine, 2)
    right = Store(old_engine, Keyring.from_env(generate_key()))
    with old_engine.begin() as conn:  # the key the clinic's data was sealed with
        record = KeyRecord(key_id=right.keyring.primary_id)
        right.sealer.seal(record, "canary", CANARY)
        conn.execute(text("INSERT INTO encryption_keys (id, key_id, canary_enc, created_at) "
                          "VALUES (:id, :key_id, :canary, :at)"),
                     {"id": record.id.hex, "key_id": record.key_id,
                      "canary": record.canary_enc, "at": _when(old_engine, T0)})
    with pytest.raises(KeyConfigError, match="does not hold the key"):
        upgrade(old_engine, Keyring.from_env(generate_key()))
    assert _revision(old_engine) == BEFORE
    upgrade(old_engine, right.keyring)
    assert verify_trail(old_engine, right.keyring).ok


def test_a_fresh_database_upgrades_without_a_key(old_engine: Engine) -> None:
    upgrade(old_engine)
    keyring = Keyring.from_env(generate_key())
    assert verify_trail(old_engine, keyring).ok  # unsigned, and nothing registered yet
