"""The outbox repository on SQLite and PostgreSQL: dedupe, cancel, claims, leases, outcomes."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from storage.repositories.outbox import Claimed, NewMessage, OutboxRepository
from storage.uow import Store

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def enqueue(store: Store, n: int = 1, **kw) -> list[uuid.UUID]:
    ids = []
    with store.unit_of_work() as uow:
        for i in range(n):
            args = {"kind": "callback_reminder", "recipient": "U0ANA", "due_at": T0,
                    "payload": {"client_code": f"C-{i}"}} | kw
            ids.append(uow.outbox.enqueue(**args).id)
        uow.commit()
    return ids


def claim(store: Store, owner: str = "a", now: datetime = T0, limit: int = 10) -> list[Claimed]:
    with store.unit_of_work() as uow:
        taken = uow.outbox.claim(owner, now, limit, LEASE)
        uow.commit()
    return taken


def status_of(store: Store, message_id: uuid.UUID) -> str:
    with store.unit_of_work() as uow:
        return uow.outbox.get(message_id).status


def test_same_dedupe_key_gives_the_existing_row(store: Store) -> None:
    first = enqueue(store, dedupe_key="reminder:x:1")
    second = enqueue(store, dedupe_key="reminder:x:1", payload={"other": 1})
    assert first == second
    with store.unit_of_work() as uow:
        assert uow.outbox.count_by_status() == {"pending": 1}
        # within one transaction too
        a = uow.outbox.enqueue("k", "U1", T0, {}, dedupe_key="same")
        b = uow.outbox.enqueue("k", "U1", T0, {}, dedupe_key="same")
        assert a.id == b.id


def test_concurrent_enqueues_of_one_key_make_one_row(store: Store) -> None:
    barrier = threading.Barrier(4)
    ids: list[uuid.UUID] = []

    def worker() -> None:
        barrier.wait()
        ids.extend(enqueue(store, dedupe_key="chase:appt-1"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1
    with store.unit_of_work() as uow:
        assert uow.outbox.count_by_status() == {"pending": 1}


def test_enqueue_refuses_naive_times_and_odd_priorities(store: Store) -> None:
    with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="aware"):
            uow.outbox.enqueue("k", "U1", datetime(2026, 1, 1), {})
        with pytest.raises(ValueError, match="priority"):
            uow.outbox.enqueue("k", "U1", T0, {}, priority=10)


def test_nothing_is_queued_without_commit(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.outbox.enqueue("k", "U1", T0, {})
    with store.unit_of_work() as uow:
        assert uow.outbox.count_by_status() == {}


def test_cancel_by_subject_and_kind(store: Store) -> None:
    subject = uuid.uuid4()
    other = uuid.uuid4()
    enqueue(store, 2, subject_kind="callback", subject_id=subject)
    enqueue(store, 1, subject_kind="callback", subject_id=subject, kind="other")
    kept = enqueue(store, 1, subject_kind="callback", subject_id=other)
    with store.unit_of_work() as uow:
        assert uow.outbox.cancel("callback", subject, kinds=["callback_reminder"]) == 2
        assert uow.outbox.cancel("callback", subject) == 1
        assert uow.outbox.cancel("callback", subject) == 0
        uow.commit()
    assert status_of(store, kept[0]) == "pending"


def test_claim_takes_due_rows_by_priority_then_time(store: Store) -> None:
    late_bulk = enqueue(store, 3, priority=5, due_at=T0 - timedelta(minutes=5))
    chase = enqueue(store, 1, priority=1, due_at=T0)
    future = enqueue(store, 1, priority=1, due_at=T0 + timedelta(seconds=1))
    taken = claim(store, limit=2)
    assert [c.row.id for c in taken] == [chase[0], late_bulk[0]]
    assert not any(c.uncertain for c in taken)
    assert all(c.row.status == "sending" and c.row.lease_owner == "a" for c in taken)
    rest = claim(store, owner="b", limit=10)
    assert {c.row.id for c in rest} == set(late_bulk[1:])
    assert future[0] not in {c.row.id for c in rest}


def test_a_held_row_is_not_claimed_again_until_its_lease_runs_out(store: Store) -> None:
    [mid] = enqueue(store)
    assert len(claim(store, "a")) == 1
    assert claim(store, "b", now=T0 + LEASE - timedelta(seconds=1)) == []
    [again] = claim(store, "b", now=T0 + LEASE + timedelta(seconds=1))
    assert again.row.id == mid and again.uncertain and again.row.attempts == 2
    # the first holder can no longer record anything
    with store.unit_of_work() as uow:
        assert not uow.outbox.mark_sent(mid, "a", T0, channel="D1", ts="1.0")
        assert uow.outbox.mark_sent(mid, "b", T0, channel="D1", ts="1.0")
        uow.commit()
    assert status_of(store, mid) == "sent"


def test_outcomes_end_the_lease(store: Store) -> None:
    a, b, c = enqueue(store, 3)
    claim(store)
    with store.unit_of_work() as uow:
        assert uow.outbox.mark_failed(a, "a", "user_not_found")
        assert uow.outbox.mark_cancelled(b, "a", "duty returned")
        assert uow.outbox.retry_at(c, "a", T0 + timedelta(seconds=30), "ratelimited",
                                   outcome_unknown=False)
        uow.commit()
    with store.unit_of_work() as uow:
        rows = [uow.outbox.get(i) for i in (a, b, c)]
        assert [r.status for r in rows] == ["failed", "cancelled", "pending"]
        assert rows[0].last_error == "user_not_found"
        assert all(r.lease_owner is None for r in rows)
    assert claim(store, now=T0 + timedelta(seconds=29)) == []
    [retried] = claim(store, now=T0 + timedelta(seconds=30))
    assert retried.row.id == c and not retried.uncertain  # 429: Slack certainly did not take it


def test_a_retry_after_an_unknown_outcome_is_uncertain(store: Store) -> None:
    [mid] = enqueue(store)
    claim(store)
    with store.unit_of_work() as uow:
        uow.outbox.retry_at(mid, "a", T0, "http 503", outcome_unknown=True)
        uow.commit()
    [again] = claim(store)
    assert again.uncertain and again.row.attempted_at == T0


def test_release_hands_rows_back_untried(store: Store) -> None:
    enqueue(store, 2)
    taken = claim(store)
    with store.unit_of_work() as uow:
        assert uow.outbox.release(taken, "a") == 2
        uow.commit()
    again = claim(store, "b")
    assert len(again) == 2 and not any(c.uncertain for c in again)
    assert all(c.row.attempts == 1 for c in again)


def test_renew_extends_only_the_holders_lease(store: Store) -> None:
    [mid] = enqueue(store)
    claim(store)
    with store.unit_of_work() as uow:
        assert uow.outbox.renew([mid], "b", T0 + timedelta(hours=1)) == 0
        assert uow.outbox.renew([mid], "a", T0 + timedelta(hours=1)) == 1
        uow.commit()
    assert claim(store, "b", now=T0 + timedelta(minutes=59)) == []


def test_next_available_at(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.outbox.next_available_at() is None
    enqueue(store, 1, priority=5, due_at=T0 + timedelta(minutes=3))
    enqueue(store, 1, priority=1, due_at=T0 + timedelta(minutes=9))
    with store.unit_of_work() as uow:
        assert uow.outbox.next_available_at() == T0 + timedelta(minutes=3)


def test_concurrent_claimers_never_share_a_row(store: Store) -> None:
    ids = set(enqueue(store, 60))
    got: dict[str, list[uuid.UUID]] = {}
    barrier = threading.Barrier(3)

    def worker(owner: str) -> None:
        barrier.wait()
        mine: list[uuid.UUID] = []
        while batch := claim(store, owner, limit=7):
            mine.extend(c.row.id for c in batch)
        got[owner] = mine

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for mine in got.values() for i in mine]
    assert sorted(everything) == sorted(ids)


def test_the_claim_index_exists(store: Store) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(store.engine).get_indexes("outbox")}
    assert indexes["ix_outbox_claim"] == ["status", "priority", "available_at"]
    assert indexes["ix_outbox_subject"] == ["subject_kind", "subject_id"]


def _new(key: str | None, n: int = 0) -> NewMessage:
    return NewMessage("no_show_chase", "U0ANA", T0 + timedelta(minutes=n), {"n": n},
                      priority=1, dedupe_key=key)


def test_enqueue_many_skips_keys_queued_already_and_twice_in_the_batch(store: Store) -> None:
    enqueue(store, dedupe_key="chase:1")
    with store.unit_of_work() as uow:
        queued = uow.outbox.enqueue_many([_new("chase:1"), _new("chase:2"), _new("chase:2", 1),
                                          _new(None, 2), _new(None, 3)])
        uow.commit()
    assert queued == 3
    with store.unit_of_work() as uow:
        assert uow.outbox.count_by_status() == {"pending": 4}
        assert uow.outbox.by_dedupe_key("chase:2").payload == {"n": 0}
        with pytest.raises(ValueError, match="aware"):
            uow.outbox.enqueue_many([NewMessage("k", "U1", datetime(2026, 1, 1), {})])


def test_enqueue_many_looks_keys_up_in_chunks(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.outbox.enqueue_many([_new(f"chase:{n}", n) for n in range(1200)]) == 1200
        uow.commit()
    with store.unit_of_work() as uow:
        assert len(uow.outbox.queued_keys([f"chase:{n}" for n in range(0, 2400, 2)])) == 600
        assert uow.outbox.enqueue_many([_new(f"chase:{n}", n) for n in range(1199, 1201)]) == 1


def test_enqueue_many_falls_back_one_by_one_when_a_key_raced_in(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    enqueue(store, dedupe_key="chase:raced")  # as if another transaction got there first
    monkeypatch.setattr(OutboxRepository, "queued_keys", lambda self, keys: set())
    with store.unit_of_work() as uow:
        uow.outbox.enqueue_many([_new("chase:new"), _new("chase:raced"), _new(None)])
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.outbox.count_by_status() == {"pending": 3}
        assert uow.outbox.by_dedupe_key("chase:new") is not None
