"""Read-only units of work: they read while a writer holds the write lock, and see a snapshot."""

from __future__ import annotations

import threading

import pytest

from storage.crypto import Keyring
from storage.db import make_engine
from storage.uow import ReadOnlyError, Store
from tests.storage.seeding import client_record


def test_a_read_does_not_wait_for_a_writer(store: Store) -> None:
    record, _ = client_record("C-1")
    with store.unit_of_work() as uow:
        uow.clients.save(record)
        uow.commit()
    read: list[object] = []
    with store.unit_of_work() as writer:
        writer.audit.append("U0ANA", "held", at=None)  # holds the chain (and SQLite's write) lock

        def reader() -> None:
            with store.unit_of_work(read_only=True) as uow:
                read.append(uow.clients.get("C-1"))

        thread = threading.Thread(target=reader)
        thread.start()
        thread.join(10)  # a read waiting for the writer would still be waiting (30 s timeout)
        assert not thread.is_alive()
        writer.commit()
    assert read == [record]


def test_nothing_can_be_written_in_a_read_only_unit_of_work(store: Store) -> None:
    with store.unit_of_work(read_only=True) as uow:
        uow.clients.save(client_record("C-1")[0])
        with pytest.raises(ReadOnlyError):
            uow.clients.count()  # a query's autoflush
        with pytest.raises(ReadOnlyError):
            uow.session.flush()
        with pytest.raises(ReadOnlyError):
            uow.commit()
        with pytest.raises(RuntimeError, match="read-only"):
            uow.audit.append("U0ANA", "card.viewed", "C-1")
    with store.unit_of_work(read_only=True) as uow:
        assert uow.clients.get("C-1") is None
        assert uow.clients.count() == 0


def test_a_sqlite_read_only_unit_of_work_reads_one_snapshot(
        sqlite_url: str, keyring: Keyring) -> None:
    store = Store(make_engine(sqlite_url), keyring)
    with store.unit_of_work(read_only=True) as reading:
        assert reading.clients.get("C-1") is None  # its snapshot starts here
        with store.unit_of_work() as uow:
            uow.clients.save(client_record("C-1")[0])
            uow.commit()
        assert reading.clients.get("C-1") is None  # still the moment it began with
    with store.unit_of_work(read_only=True) as uow:
        assert uow.clients.get("C-1") is not None
    store.engine.dispose()
