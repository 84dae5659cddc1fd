"""The hash-chained audit trail: intact chains verify; edits, deletions and insertions do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import text
from sqlmodel import select

from storage.audit import GENESIS, _digest, verify_chain
from storage.tables import AuditEvent
from storage.uow import Store

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _append(store: Store, count: int) -> None:
    with store.unit_of_work() as uow:
        for i in range(count):
            uow.audit.append("U0ANA", "client.viewed", f"C-{i}", {"n": i},
                             at=T0 + timedelta(seconds=i))
        uow.commit()


def _verify(store: Store):
    with store.unit_of_work() as uow:
        return verify_chain(uow.session)


def test_an_intact_chain_verifies(store: Store) -> None:
    assert _verify(store).ok and _verify(store).events == 0
    _append(store, 3)
    _append(store, 2)  # a later unit of work continues the same chain
    report = _verify(store)
    assert report.ok, report.problems
    assert report.events == 5
    with store.unit_of_work() as uow:
        events = [(e.seq, e.prev_hash, e.hash) for e in
                  uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()]
    assert [seq for seq, _, _ in events] == [1, 2, 3, 4, 5]
    assert events[0][1] == GENESIS
    assert all(b[1] == a[2] for a, b in pairwise(events))
    assert report.head == events[-1][2]


def test_an_uncommitted_event_leaves_no_trace(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.audit.append("U0ANA", "client.viewed", "C-1")
    assert _verify(store).events == 0


@pytest.mark.parametrize(("column", "value"), [
    ("actor", "'U0MALLORY'"),
    ("action", "'client.exported'"),
    ("client_code", "'C-9'"),
])
def test_an_edited_event_is_detected(store: Store, column: str, value: str) -> None:
    _append(store, 3)
    with store.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_events SET {column} = {value} WHERE seq = 2"))
    report = _verify(store)
    assert not report.ok
    assert report.problems == ("event 2 was altered after it was written",)


def test_edited_details_are_detected(store: Store) -> None:
    _append(store, 3)
    with store.unit_of_work() as uow:
        event = uow.session.exec(select(AuditEvent).where(AuditEvent.seq == 1)).one()
        event.details = {"n": 99}
        uow.session.add(event)
        uow.commit()
    assert _verify(store).problems == ("event 1 was altered after it was written",)


def test_an_edited_event_with_a_recomputed_hash_breaks_the_next_link(store: Store) -> None:
    _append(store, 3)
    with store.unit_of_work() as uow:
        event = uow.session.exec(select(AuditEvent).where(AuditEvent.seq == 2)).one()
        event.actor = "U0MALLORY"
        event.hash = _digest(event.seq, event.at, event.actor, event.action, event.client_code,
                             event.details, event.prev_hash)
        uow.session.add(event)
        uow.commit()
    assert _verify(store).problems == ("event 3 does not follow the event before it",)


def test_a_deleted_event_is_detected(store: Store) -> None:
    _append(store, 4)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    problems = _verify(store).problems
    assert "events 2..2 are missing (deleted)" in problems
    assert "event 3 does not follow the event before it" in problems


def test_a_deleted_last_event_changes_the_head(store: Store) -> None:
    """Truncating the tail leaves a valid shorter chain: the head to compare with a kept copy."""
    _append(store, 3)
    head = _verify(store).head
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    assert _verify(store).head != head


def test_an_inserted_event_is_detected(store: Store) -> None:
    _append(store, 3)
    with store.unit_of_work() as uow:
        events = uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()
        last = events[-1]
        last.seq = 4
        uow.session.add(last)
        uow.session.flush()
        forged_at = T0 + timedelta(seconds=1, milliseconds=500)
        forged = AuditEvent(seq=3, at=forged_at, actor="U0MALLORY", action="consent.changed",
                            client_code="C-1", details={}, prev_hash=events[1].hash,
                            hash=_digest(3, forged_at, "U0MALLORY", "consent.changed", "C-1", {},
                                         events[1].hash))
        uow.session.add(forged)
        uow.commit()
    problems = _verify(store).problems
    assert "event 4 was altered after it was written" in problems
    assert "event 4 does not follow the event before it" in problems
