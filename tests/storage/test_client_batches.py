"""``ClientRepository.write_batch`` replaces a client only as it was read: any change to any of
its rows since (in Slack, by another import) is found under the write lock (``StaleBatch``), and
nothing of the batch is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import time
from typing import Any

import pytest
from sqlalchemy import update

from bot.clock import ManualClock
from bot.policy.model import ClientRecord, Consent, NumberPermission
from storage.repositories import StaleBatch
from storage.repositories.clients import ClientBatch
from storage.tables import Client, ConsentNumber, ConsentRow
from storage.uow import Store
from tests.handlers.conftest import add_client, maria


def _consent(record: ClientRecord) -> Consent:
    assert record.consent is not None
    return record.consent


def _save(change: Callable[[ClientRecord], ClientRecord]) -> Callable[[Store, ManualClock], None]:
    """A change made as Slack's consent form makes it."""
    def run(store: Store, clock: ManualClock) -> None:
        with store.unit_of_work() as uow:
            record = uow.clients.get("C-1042")
            assert record is not None
            uow.clients.save(change(record), now=clock.now())
            uow.commit()
    return run


def _sql(statement: Any) -> Callable[[Store, ManualClock], None]:
    """A change to one column of one table."""
    def run(store: Store, _clock: ManualClock) -> None:
        with store.unit_of_work() as uow:
            uow.session.execute(statement)
            uow.commit()
    return run


CHANGES: dict[str, Callable[[Store, ManualClock], None]] = {
    "status": _save(lambda r: replace(r, status="closed")),
    "a number added": _save(lambda r: replace(r, consent=replace(_consent(r), numbers=(
        *_consent(r).numbers, NumberPermission("work", "+12155550123"))))),
    "a third party removed": _save(lambda r: replace(r, consent=replace(_consent(r),
                                                                        third_parties=()))),
    "the safety note": _save(lambda r: replace(r, consent=replace(_consent(r),
                                                                  safety_note="new"))),
    "a number's own window": _sql(update(ConsentNumber).where(ConsentNumber.kind == "cell")
                                  .values(latest=time(21, 0))),
    "a consent column": _sql(update(ConsentRow).values(method="modal")),
    "the coaching approval": _sql(update(Client).values(coaching_approved_by="U0SUP")),
}


def _renaming(store: Store, clock: ManualClock) -> ClientBatch:
    """A batch, prepared now, that renames C-1042 (its consent as on file)."""
    with store.unit_of_work(consistent=True) as uow:
        on_file = uow.clients.on_file(["C-1042"])["c-1042"]
        batch = uow.clients.batch()
        batch.replace(on_file, replace(on_file.record, preferred_name="Mara"), clock.now())
    return batch


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_a_replaced_client_since_it_was_read_is_found(
        store: Store, clock: ManualClock, change: str) -> None:
    add_client(store, maria(clock), clock)
    batch = _renaming(store, clock)
    CHANGES[change](store, clock)
    with store.unit_of_work() as uow, pytest.raises(StaleBatch, match="1 client"):
        uow.clients.write_batch(batch)
    with store.unit_of_work(read_only=True) as uow:
        record = uow.clients.get("C-1042")
        assert record is not None and record.preferred_name == "Maria"


def test_a_replaced_client_unchanged_since_it_was_read_is_written(store: Store,
                                                                   clock: ManualClock) -> None:
    add_client(store, maria(clock), clock)
    batch = _renaming(store, clock)
    with store.unit_of_work() as uow:
        uow.clients.write_batch(batch)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        record = uow.clients.get("C-1042")
        assert record is not None and record.preferred_name == "Mara"
        assert record.consent == maria(clock).consent
