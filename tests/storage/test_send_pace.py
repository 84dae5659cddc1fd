"""The shared send budget on PostgreSQL: disjoint slots one interval apart, no burst after idling,
a 429 pushing every later slot past Retry-After."""

from __future__ import annotations

import threading
from datetime import timedelta

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


def reserve(store: Store, interval: timedelta = TICK) -> Slot:
    with store.unit_of_work() as uow:
        slot = uow.send_pace.reserve(interval)
        uow.commit()
    return slot


def block(store: Store, seconds: float, owner: str = "replica-a") -> Slot:
    with store.unit_of_work() as uow:
        slot = uow.send_pace.block(timedelta(seconds=seconds), owner)
        uow.commit()
    return slot


def test_slots_follow_each_other_one_interval_apart_starting_now(pg: Store) -> None:
    first = reserve(pg, timedelta(milliseconds=100))
    second = reserve(pg, timedelta(milliseconds=100))
    assert first.at == first.now and first.wait() == 0  # an unused budget: send at once
    assert second.at == first.at + timedelta(milliseconds=100)
    assert 0.05 < second.wait() <= 0.1


def test_an_idle_budget_builds_up_no_burst(pg: Store) -> None:
    reserve(pg)
    with pg.engine.begin() as conn:
        conn.execute(text("UPDATE send_pace SET next_slot_at = now() - interval '1 hour'"))
    slot = reserve(pg)
    assert slot.at == slot.now  # not an hour of saved-up slots
    assert reserve(pg).at == slot.at + TICK


def test_concurrent_reservations_never_share_a_slot(pg: Store) -> None:
    slots: list[Slot] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(25):
            slot = reserve(pg)
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = sorted(s.at for s in slots)
    assert len(set(times)) == 200
    assert all(b - a >= TICK for a, b in zip(times, times[1:], strict=False))


def test_a_429_pushes_every_later_slot_past_retry_after(pg: Store) -> None:
    reserve(pg)
    blocked = block(pg, 3)
    assert 2.9 < blocked.blocked_for() <= 3
    slot = reserve(pg)
    assert slot.at >= blocked.blocked_until and slot.wait() > 2.9
    with pg.unit_of_work() as uow:
        assert 2.8 < uow.send_pace.read().blocked_for() <= 3
        assert uow.session.get(SendPace, "slack").blocked_by == "replica-a"
    shorter = block(pg, 1, "replica-b")  # a later, shorter Retry-After does not shorten it
    assert shorter.blocked_until == blocked.blocked_until


def test_a_429_before_any_send_blocks_too(pg: Store) -> None:
    with pg.unit_of_work() as uow:
        assert uow.send_pace.read().blocked_until is None  # no row yet
    blocked = block(pg, 2)
    assert reserve(pg).at >= blocked.blocked_until
