"""The shared send budget on PostgreSQL: sends taken at least an interval apart by any number of
takers, no burst after idling, a 429 holding every slot back past Retry-After."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from storage.repositories.send_pace import Slot
from storage.tables import SendPace
from storage.uow import Store

pytestmark = pytest.mark.postgres
TICK = timedelta(milliseconds=10)


@pytest.fixture
def pg(store: Store, database_url: str) -> Store:
    if not database_url.startswith("postgresql"):
        pytest.skip("the shared budget is for PostgreSQL replicas (SQLite runs one dispatcher)")
    return store


def take(store: Store, interval: timedelta = TICK) -> Slot:
    with store.unit_of_work() as uow:
        slot = uow.send_pace.take(interval)
        uow.commit()
    return slot


def take_when_free(store: Store, interval: timedelta = TICK) -> Slot:
    while not (slot := take(store, interval)).taken:
        time.sleep(slot.wait())
    return slot


def block(store: Store, seconds: float, owner: str = "replica-a") -> Slot:
    with store.unit_of_work() as uow:
        slot = uow.send_pace.block(timedelta(seconds=seconds), owner)
        uow.commit()
    return slot


def test_a_slot_once_taken_comes_again_one_interval_later(pg: Store) -> None:
    # An interval far longer than a busy machine can take between two statements.
    first = take(pg, timedelta(seconds=10))
    assert first.taken and first.at == first.now  # an unused budget: send at once
    refused = take(pg, timedelta(seconds=10))
    assert not refused.taken
    assert refused.at == first.now + timedelta(seconds=10)
    assert 5 < refused.wait() <= 10


def test_an_idle_budget_builds_up_no_burst(pg: Store) -> None:
    interval = timedelta(minutes=10)  # the second take comes well inside it, however busy
    take(pg, interval)
    with pg.engine.begin() as conn:
        conn.execute(text("UPDATE send_pace SET next_slot_at = now() - interval '1 hour'"))
    assert take(pg, interval).taken
    assert not take(pg, interval).taken  # not six saved-up slots from the idle hour


def test_replicas_taking_at_once_are_never_less_than_an_interval_apart(pg: Store) -> None:
    taken: list[datetime] = []
    lock = threading.Lock()

    def send() -> None:
        for _ in range(10):
            slot = take_when_free(pg)
            with lock:
                taken.append(slot.at)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = sorted(taken)
    assert len(times) == 80
    assert all(b - a >= TICK for a, b in itertools.pairwise(times))


def test_a_429_holds_every_slot_back_past_retry_after(pg: Store) -> None:
    take(pg)
    blocked = block(pg, 3)
    assert 2.9 < blocked.blocked_for() <= 3
    refused = take(pg)
    assert not refused.taken and refused.at >= blocked.blocked_until and refused.wait() > 2.9
    with pg.unit_of_work() as uow:
        assert 2.8 < uow.send_pace.read().blocked_for() <= 3
        assert uow.session.get(SendPace, "slack").blocked_by == "replica-a"
    shorter = block(pg, 1, "replica-b")  # a later, shorter Retry-After does not shorten it
    assert shorter.blocked_until == blocked.blocked_until


def test_a_429_before_any_send_blocks_too(pg: Store) -> None:
    with pg.unit_of_work() as uow:
        fresh = uow.send_pace.read()  # no row yet
        assert fresh.blocked_until is None and fresh.wait() == 0
    blocked = block(pg, 2)
    refused = take(pg)
    assert not refused.taken and refused.at >= blocked.blocked_until
