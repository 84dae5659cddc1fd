"""Client codes match without regard to case in storage, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from bot.config import ConfigError, Settings
from bot.policy.model import ClientRecord, code_key
from bot.runtime import open_database
from storage.db import make_engine
from storage.migrate import MigrationRefused, alembic_config
from storage.tables import Appointment, Client
from storage.uow import Store
from tests.storage.seeding import client_record

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _save(store: Store, record: ClientRecord) -> None:
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=AT)
        uow.commit()


@pytest.mark.parametrize("typed", ["C-1004", "c-1004", "C-1004".swapcase(), "c-1004".upper()])
def test_any_case_finds_the_client_and_its_spelling_on_file(store: Store, typed: str) -> None:
    record, _ = client_record("C-1004")
    _save(store, record)
    with store.unit_of_work() as uow:
        assert uow.clients.get(typed) == record
        row = uow.clients.row(typed)
        assert row is not None and row.code == "C-1004"
        assert set(uow.clients.rows_by_code([typed, "nobody"])) == {"c-1004"}


def test_saving_in_another_case_updates_the_client_and_keeps_its_spelling(store: Store) -> None:
    record, _ = client_record("ab.7")
    _save(store, record)
    _save(store, ClientRecord(code="AB.7", clinician="U0BEN", status="intake"))
    with store.unit_of_work() as uow:
        assert uow.clients.count() == 1
        found = uow.clients.get("Ab.7")
        assert found is not None
        assert (found.code, found.clinician, found.status) == ("ab.7", "U0BEN", "intake")


def test_the_database_refuses_a_second_client_in_another_case(store: Store) -> None:
    _save(store, client_record("C-1")[0])
    with store.unit_of_work() as uow, pytest.raises(IntegrityError):
        uow.session.add(Client(code="c-1"))
        uow.session.flush()


def test_an_appointment_is_found_through_any_case(store: Store) -> None:
    _save(store, client_record("C-9")[0])
    with store.unit_of_work() as uow:
        client = uow.clients.row("c-9")
        assert client is not None
        uow.appointments.save(client, AT, 50)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.session.get(Appointment, uow.appointments.find(uow.clients.row("C-9"),
                                                                  AT).id) is not None


def test_code_key_is_what_both_databases_compare(engine: Engine) -> None:
    with engine.connect() as conn:
        for code in ("C-1004", "ab.CD_9", "Z"):
            assert conn.execute(text("SELECT lower(:c)"), {"c": code}).scalar() == code_key(code)


def _before_case_insensitive_codes(engine: Engine, *codes: str) -> None:
    """The database as the previous version left it (migration 0003), holding ``codes``."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    with engine.begin() as conn:
        for code in codes:
            conn.execute(text(
                "INSERT INTO clients (id, code, status, created_at, updated_at) "
                "VALUES (:id, :code, 'active', :at, :at)"),
                {"id": code.encode().hex().ljust(32, "0"), "code": code, "at": AT})


def test_the_migration_names_codes_on_file_in_two_cases(engine: Engine) -> None:
    _before_case_insensitive_codes(engine, "C-1", "c-1", "C-2")
    config = alembic_config()
    clash = r"more than one case.*: c-1\."
    with engine.begin() as conn, pytest.raises(MigrationRefused, match=clash):
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def test_the_bot_stops_with_exit_2_and_the_codes_not_a_traceback(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    _before_case_insensitive_codes(engine, "AB-1", "ab-1")
    engine.dispose()
    with pytest.raises(ConfigError) as caught:
        open_database(Settings.model_construct(database_url=sqlite_url))
    assert "DATABASE_URL: client codes now match without regard to case" in str(caught.value)
    assert "ab-1" in str(caught.value)
