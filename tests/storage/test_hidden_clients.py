"""Clients an import is still writing are hidden (``storage.tables.clients.visible``): no read of
clients finds them, and they hold no code, until the import's last transaction shows them all at
once (issue 12, item 9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.clock import ManualClock
from bot.policy.model import ClientRecord
from storage.repositories import StaleBatch
from storage.repositories.clients import ClientBatch
from storage.tables import Client, ConsentNumber, ConsentRow, ImportBatch, ThirdPartyRow
from storage.uow import Store
from tests.handlers.conftest import add_client, maria
from tests.storage.rows import count_rows, silence_imports


def _hidden(store: Store, record: ClientRecord, clock: ManualClock) -> ClientBatch:
    """``record`` written as an import writes a new client before its last transaction."""
    with store.unit_of_work() as uow:
        batch = uow.clients.batch()
        batch.create(record, clock.now())
        uow.import_batches.beat(batch.id, actor="cli:admin", source="clients.csv")
        assert uow.clients.stage(batch, batch.new) == 1
        uow.commit()
    return batch


def test_no_read_of_clients_finds_one_an_import_is_still_writing(store: Store,
                                                                 clock: ManualClock) -> None:
    closed_long_ago = replace(maria(clock), status="closed")
    _hidden(store, closed_long_ago, clock)
    with store.unit_of_work() as uow:  # as old as the purge looks for
        uow.session.execute(update(Client).values(updated_at=clock.now() - timedelta(days=4000)))
        uow.commit()
    assert count_rows(store, Client) == 1 and count_rows(store, ConsentNumber) == 2
    with store.unit_of_work(read_only=True) as uow:
        hidden_id = uow.session.execute(select(Client.id)).scalar_one()
        assert uow.clients.get("C-1042") is None and uow.clients.get("c-1042") is None
        assert uow.clients.row("C-1042") is None
        assert uow.clients.row_by_id(hidden_id) is None
        assert uow.clients.get_by_id(hidden_id) is None
        assert uow.clients.codes() == set() and uow.clients.count() == 0
        assert list(uow.clients.iter_all()) == []
        assert uow.clients.codes_for_phone("+12155550142") == []
        assert uow.clients.rows_by_code(["C-1042"]) == {}
        assert uow.clients.on_file(["C-1042"]) == {}
        assert uow.reports.client_created_at("C-1042") is None
        assert uow.retention.closed_before(clock.now()) == []


def test_showing_a_batch_puts_its_clients_on_file_at_once(store: Store,
                                                          clock: ManualClock) -> None:
    batch = _hidden(store, maria(clock), clock)
    with store.unit_of_work() as uow:
        uow.clients.write_batch(batch)
        uow.import_batches.finished(batch.id)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        record = uow.clients.get("c-1042")
        assert record is not None and record.consent is not None
        assert record.consent.safety_note == maria(clock).consent.safety_note  # type: ignore
        assert uow.clients.codes_for_phone("+12155550142") == ["C-1042"]
    assert count_rows(store, ImportBatch) == 0


def test_a_hidden_client_holds_no_code_and_the_last_transaction_finds_the_clash(
        store: Store, clock: ManualClock) -> None:
    """A clinician may put C-1042 on file while an import is writing C-1042: the import's last
    transaction finds it (``StaleBatch``: prepare again) instead of making two."""
    batch = _hidden(store, maria(clock), clock)
    add_client(store, replace(maria(clock), code="c-1042", preferred_name="Other"), clock)
    with store.unit_of_work() as uow, pytest.raises(StaleBatch, match="codes was created"):
        uow.clients.write_batch(batch)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.clients.count() == 1
        assert uow.clients.get("C-1042").preferred_name == "Other"  # type: ignore[union-attr]


def test_discarding_a_batch_deletes_its_hidden_clients_and_their_rows_only(
        store: Store, clock: ManualClock) -> None:
    add_client(store, replace(maria(clock), code="C-1"), clock)
    batch = _hidden(store, replace(maria(clock), code="C-2"), clock)
    with store.unit_of_work() as uow:
        found = uow.import_batches.get(batch.id)
        assert found is not None and (found.hidden, found.source) == (1, "clients.csv")
        assert uow.import_batches.discard(batch.id, limit=10) == 1
        uow.commit()
    assert count_rows(store, Client) == 1 and count_rows(store, ConsentRow) == 1
    assert count_rows(store, ConsentNumber) == 2 and count_rows(store, ThirdPartyRow) == 1
    assert count_rows(store, ImportBatch) == 0
    with store.unit_of_work() as uow, pytest.raises(StaleBatch, match="are gone"):
        uow.clients.write_batch(batch)  # the import, back too late: it must start again


def test_an_import_silent_long_enough_is_found_abandoned(store: Store, clock: ManualClock) -> None:
    batch = _hidden(store, maria(clock), clock)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.import_batches.abandoned(silent_for=timedelta(minutes=15)) == []
    silence_imports(store, 16)
    with store.unit_of_work(read_only=True) as uow:
        (stopped,) = uow.import_batches.abandoned(silent_for=timedelta(minutes=15))
    assert (stopped.id, stopped.actor, stopped.hidden) == (batch.id, "cli:admin", 1)
