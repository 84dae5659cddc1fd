"""The keys of accepted Slack requests, on SQLite and PostgreSQL: a key is held once, by one
claimer however many race for it, until it expires; expired keys are taken over and purged."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage.repositories.seen import key_hash
from storage.tables import SeenRequest
from storage.uow import Store

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=6)


def claim(store: Store, keys: dict[str, datetime], now: datetime = NOW) -> bool:
    with store.unit_of_work() as uow:
        new = uow.seen_requests.claim(keys, now)
        uow.commit()
    return new


def held(store: Store) -> dict[str, datetime]:
    with store.unit_of_work(read_only=True) as uow:
        return {r.key_hash: r.expires_at for r in uow.session.exec(select(SeenRequest)).all()}


def test_a_key_is_new_once_then_held_until_it_expires(store: Store) -> None:
    assert claim(store, {"sig:v0=aa": LATER}) is True
    assert claim(store, {"sig:v0=aa": LATER}) is False
    assert claim(store, {"sig:v0=aa": LATER}, now=LATER - timedelta(seconds=1)) is False
    assert claim(store, {"sig:v0=aa": LATER + timedelta(minutes=5)}, now=LATER) is True
    assert held(store) == {key_hash("sig:v0=aa"): LATER + timedelta(minutes=5)}


def test_only_digests_are_stored(store: Store) -> None:
    claim(store, {"sig:v0=abcdef": LATER})
    (stored,) = held(store)
    assert stored == key_hash("sig:v0=abcdef") and len(stored) == 64 and "abcdef" not in stored


def test_one_held_key_makes_the_request_a_repeat_and_the_others_are_held_too(
        store: Store) -> None:
    assert claim(store, {"event:Ev1": LATER}) is True
    # Slack's retry of the event: a new signature, the same event id.
    assert claim(store, {"sig:v0=retry": LATER, "event:Ev1": LATER}) is False
    assert claim(store, {"sig:v0=retry": LATER}) is False


def test_of_many_claimers_racing_for_one_key_exactly_one_wins(store: Store) -> None:
    start = threading.Barrier(8)
    results: list[bool] = []

    def race() -> None:
        start.wait()
        results.append(claim(store, {"sig:v0=raced": LATER}))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False] * 7 + [True]


def test_purge_removes_expired_keys_only(store: Store) -> None:
    claim(store, {"sig:old": NOW + timedelta(minutes=1), "sig:new": LATER})
    with store.unit_of_work() as uow:
        assert uow.seen_requests.purge(NOW + timedelta(minutes=2)) == 1
        uow.commit()
    assert set(held(store)) == {key_hash("sig:new")}
