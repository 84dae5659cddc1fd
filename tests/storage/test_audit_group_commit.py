"""Group commit of audit events (``AuditWriter``) and bulk appends (``AuditLog.append_many``).

On both databases: concurrent appends from many threads (and from units of work, and from two
replicas, each with its own engine) make one gap-free chain that verifies, serialised on the
signed head's lock; events waiting behind a commit are committed together; an append
returns only once its event is committed; a failed batch leaves nothing half-written and fails
only the callers whose events could not be written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from storage.audit import (
    AuditEntry,
    AuditLog,
    AuditWriter,
    read_head,
    verify_chain,
    verify_trail,
)
from storage.crypto import Keyring
from storage.db import make_engine
from storage.tables import AuditEvent
from storage.uow import Store

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
WAIT = 30  # seconds: an upper bound for a thread to get somewhere, never a timing assertion


def _events(store: Store) -> list[AuditEvent]:
    with store.unit_of_work(read_only=True) as uow:
        events = list(uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all())
        uow.session.expunge_all()  # keep them readable after the unit of work
        return events


def _verified(store: Store) -> int:
    with store.unit_of_work(read_only=True) as uow:
        report = verify_chain(uow.session)
    assert report.ok, report.problems
    return report.events


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.005)


class _Caller(threading.Thread):
    """Runs one append in a thread and keeps what it returned or raised."""

    def __init__(self, append: Callable[[], Any]):
        super().__init__(daemon=True)
        self.append = append
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.append()
        except BaseException as error:
            self.error = error


@contextmanager
def _held_commits(store: Store) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Every commit on the store's engine waits for ``release``; ``entered`` is set at the first."""
    entered, release = threading.Event(), threading.Event()

    def hold(_conn: Any) -> None:
        entered.set()
        assert release.wait(WAIT)

    event.listen(store.engine, "commit", hold)
    try:
        yield entered, release
    finally:
        release.set()
        event.remove(store.engine, "commit", hold)


def _batch_behind_a_held_commit(store: Store, writer: AuditWriter, broken: threading.Event,
                                on_execute: Callable[..., None], waiting: int
                                ) -> tuple[_Caller, list[_Caller]]:
    """One append holds its commit; then ``broken`` is set and ``waiting`` more queue behind it.

    ``on_execute`` listens to every statement (and fails the ones it wants to once ``broken``).
    Returns the first caller and the ones that were committed as a batch after it.
    """
    event.listen(store.engine, "before_cursor_execute", on_execute)
    try:
        with _held_commits(store) as (entered, release):
            first = _Caller(lambda: writer.append("U0FIRST", "card.viewed", "C-1", at=T0))
            first.start()
            assert entered.wait(WAIT)
            broken.set()
            later = [_Caller(lambda i=i: writer.append(f"U{i}", "card.viewed", "C-2", at=T0))
                     for i in range(waiting)]
            for caller in later:
                caller.start()
            _until(lambda: writer.waiting() == waiting)
            release.set()
            for caller in [first, *later]:
                caller.join(WAIT)
    finally:
        event.remove(store.engine, "before_cursor_execute", on_execute)
    return first, later


def test_concurrent_appends_from_many_threads_make_one_gap_free_chain(store: Store) -> None:
    writers, per_writer, uow_threads, per_uow = 12, 25, 2, 10
    start = threading.Barrier(writers + uow_threads)
    returned: dict[str, list[int]] = {}

    def through_writer(name: str) -> None:
        start.wait()
        returned[name] = [store.audit_writer.append(name, "card.viewed", f"C-{i}", {"n": i},
                                                    at=T0).seq for i in range(per_writer)]

    def through_units_of_work(name: str) -> None:
        start.wait()
        seqs = []
        for i in range(per_uow):
            with store.unit_of_work() as uow:
                seqs.append(uow.audit.append(name, "consent.changed", f"C-{i}", {"n": i},
                                             at=T0).seq)
                uow.commit()
        returned[name] = seqs

    threads = [threading.Thread(target=through_writer, args=(f"W{w}",)) for w in range(writers)]
    threads += [threading.Thread(target=through_units_of_work, args=(f"U{u}",))
                for u in range(uow_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
        assert not t.is_alive()

    total = writers * per_writer + uow_threads * per_uow
    assert _verified(store) == total
    events = _events(store)
    assert [e.seq for e in events] == list(range(1, total + 1))
    for name, seqs in returned.items():
        mine = [e for e in events if e.actor == name]
        assert [e.seq for e in mine] == seqs  # what each append returned is where it landed
        assert [e.details["n"] for e in mine] == list(range(len(seqs)))  # in the caller's order


def test_events_waiting_behind_a_commit_are_committed_together(store: Store) -> None:
    writer = store.audit_writer
    with _held_commits(store) as (entered, release):
        first = _Caller(lambda: writer.append("U0FIRST", "card.viewed", "C-0", at=T0))
        first.start()
        assert entered.wait(WAIT)
        waiting = [_Caller(lambda i=i: writer.append(f"U{i}", "card.viewed", f"C-{i}", at=T0))
                   for i in range(6)]
        for caller in waiting:
            caller.start()
        _until(lambda: writer.waiting() == 6)
        release.set()
        for caller in [first, *waiting]:
            caller.join(WAIT)
            assert caller.error is None and caller.result is not None
    assert writer.batches == 2  # the first event alone, then all six in one transaction
    assert _verified(store) == 7
    assert sorted(c.result.seq for c in waiting) == list(range(2, 8))


def test_an_append_returns_only_once_its_event_is_committed(store: Store) -> None:
    with _held_commits(store) as (entered, release):
        caller = _Caller(lambda: store.audit_writer.append("U0ANA", "card.viewed", "C-1", at=T0))
        caller.start()
        assert entered.wait(WAIT)
        caller.join(0.2)  # its commit is held: it must still be waiting
        assert caller.is_alive() and caller.result is None
        assert _events(store) == []  # not visible to anyone else yet
        release.set()
        caller.join(WAIT)
    assert caller.error is None and caller.result.seq == 1
    assert [(e.seq, e.actor) for e in _events(store)] == [(1, "U0ANA")]


def test_a_failed_commit_fails_the_caller_and_leaves_nothing(store: Store) -> None:
    failures = iter([RuntimeError("disk full")])

    def fail_once(_conn: Any) -> None:
        error = next(failures, None)
        if error is not None:
            raise error

    event.listen(store.engine, "commit", fail_once)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            store.audit_writer.append("U0ANA", "card.viewed", "C-1", at=T0)
        assert _events(store) == []
        assert store.audit_writer.append("U0ANA", "card.viewed", "C-2", at=T0).seq == 1
    finally:
        event.remove(store.engine, "commit", fail_once)
    assert _verified(store) == 1


def test_one_bad_event_in_a_batch_fails_only_its_own_caller(store: Store) -> None:
    writer = store.audit_writer
    writer.append("U0ANA", "card.viewed", "C-0", at=T0)

    def refuse_poison(_conn: Any, _cursor: Any, statement: str, parameters: Any,
                      _context: Any, _executemany: bool) -> None:
        rows = parameters if isinstance(parameters, list) else [parameters]
        if "audit_events" in statement and any("poison" in str(row) for row in rows):
            raise RuntimeError("refused by the database")

    event.listen(store.engine, "before_cursor_execute", refuse_poison)
    try:
        with _held_commits(store) as (entered, release):
            first = _Caller(lambda: writer.append("U0FIRST", "card.viewed", "C-1", at=T0))
            first.start()
            assert entered.wait(WAIT)
            good = [_Caller(lambda i=i: writer.append(f"U{i}", "card.viewed", f"C-{i}", at=T0))
                    for i in range(4)]
            bad = _Caller(lambda: writer.append("U0BAD", "poison", "C-9", at=T0))
            for caller in [good[0], good[1], bad, good[2], good[3]]:
                caller.start()
            _until(lambda: writer.waiting() == 5)
            release.set()
            for caller in [first, bad, *good]:
                caller.join(WAIT)
    finally:
        event.remove(store.engine, "before_cursor_execute", refuse_poison)
    assert isinstance(bad.error, RuntimeError)
    assert all(c.error is None for c in [first, *good])
    assert _verified(store) == 6  # no gap where the batch failed, nothing of the bad event
    events = _events(store)
    assert [e.seq for e in events] == list(range(1, 7))
    assert "poison" not in {e.action for e in events}
    assert sorted(c.result.seq for c in good) == sorted(
        e.seq for e in events if e.actor in {"U0", "U1", "U2", "U3"})


def test_a_batch_that_fails_as_a_whole_fails_every_caller_and_writes_nothing(
        store: Store) -> None:
    writer = AuditWriter(store.engine, store.keyring)
    broken = threading.Event()

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if broken.is_set() and "INSERT INTO audit_events" in statement:
            raise RuntimeError("database went away")

    first, later = _batch_behind_a_held_commit(store, writer, broken, refuse, waiting=3)
    assert first.error is None
    assert all(isinstance(c.error, RuntimeError) for c in later)
    assert _verified(store) == 1
    assert writer.append("U0AFTER", "card.viewed", "C-3", at=T0).seq == 2  # the writer recovers


def test_append_many_in_a_unit_of_work_continues_the_chain_in_order(store: Store) -> None:
    store.audit_writer.append("U0ANA", "card.viewed", "C-0", at=T0)
    entries = [AuditEntry("import", "client.imported", f"C-{i}", {"i": i}, T0) for i in range(50)]
    with store.unit_of_work() as uow:
        uow.audit.append("import", "clients.importing", None, at=T0)
        placed = uow.audit.append_many(entries)
        uow.audit.append("import", "clients.imported", None, {"created": 50}, at=T0)
        uow.commit()
    assert [p.seq for p in placed] == list(range(3, 53))
    assert _verified(store) == 53
    assert [e.client_code for e in _events(store)][2:52] == [f"C-{i}" for i in range(50)]


def test_an_append_in_a_rolled_back_savepoint_leaves_no_gap(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.audit.append("U0ANA", "a", at=T0)
        savepoint = uow.session.begin_nested()
        uow.audit.append("U0ANA", "rolled.back", at=T0)
        savepoint.rollback()
        uow.audit.append("U0ANA", "b", at=T0)
        uow.commit()
    assert _verified(store) == 2
    assert [(e.seq, e.action) for e in _events(store)] == [(1, "a"), (2, "b")]


def test_times_in_any_zone_are_kept_as_utc_and_verify(store: Store) -> None:
    from zoneinfo import ZoneInfo

    local = T0.astimezone(ZoneInfo("America/New_York")) + timedelta(microseconds=7)
    store.audit_writer.append("U0ANA", "card.viewed", "C-1", at=local)
    with store.unit_of_work() as uow:
        uow.audit.append("U0ANA", "consent.changed", "C-1", at=local)
        uow.commit()
    assert _verified(store) == 2
    with store.unit_of_work(read_only=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(AuditEvent)).one() == 2
    assert {e.at for e in _events(store)} == {local.astimezone(UTC)}


def test_a_database_failure_fails_the_whole_batch_without_retrying_event_by_event(
        store: Store) -> None:
    writer = AuditWriter(store.engine, store.keyring)
    broken = threading.Event()
    inserts: list[int] = []

    def locked(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if broken.is_set() and "INSERT INTO audit_events" in statement:
            inserts.append(1)
            raise OperationalError(statement, {}, Exception("database is locked"))

    _first, later = _batch_behind_a_held_commit(store, writer, broken, locked, waiting=4)
    assert all(isinstance(c.error, OperationalError) for c in later)
    assert inserts == [1]  # one attempt for the batch, not one more per event
    assert _verified(store) == 1


def test_two_replicas_appending_at_once_make_one_chain_under_the_head_lock(
        database_url: str, keyring: Keyring) -> None:
    """Two processes' worth of writers (an engine, a pool and an AuditWriter each) and units of
    work, all at once: one gap-free chain, and the signed head counts every event."""
    replicas = [Store(make_engine(database_url), keyring) for _ in range(2)]
    try:
        threads_per_replica, per_thread = 4, 15
        start = threading.Barrier(2 * threads_per_replica + 2)

        def through_writer(store: Store, name: str) -> None:
            start.wait()
            for i in range(per_thread):
                store.audit_writer.append(name, "card.viewed", f"C-{i}", at=T0)

        def through_units_of_work(store: Store, name: str) -> None:
            start.wait()
            for i in range(per_thread):
                with store.unit_of_work() as uow:
                    uow.audit.append(name, "consent.recorded", f"C-{i}", at=T0)
                    uow.commit()

        threads = [threading.Thread(target=through_writer, args=(s, f"W{r}{t}"))
                   for r, s in enumerate(replicas) for t in range(threads_per_replica)]
        threads += [threading.Thread(target=through_units_of_work, args=(s, f"U{r}"))
                    for r, s in enumerate(replicas)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
            assert not t.is_alive()
        total = (2 * threads_per_replica + 2) * per_thread
        report = verify_trail(replicas[0].engine, keyring)
        assert report.ok, report.problems
        assert report.events == total
        with replicas[1].engine.connect() as conn:
            head = read_head(conn)
        assert head is not None and (head.events, head.hash) == (total, report.head)
    finally:
        for store in replicas:
            store.engine.dispose()


def test_an_append_waits_for_the_head_held_by_another_transaction(store: Store) -> None:
    """The head's row lock (PostgreSQL) or the write lock (SQLite) serialises appenders: while
    another transaction holds it, an append waits, then continues from what that one wrote."""
    holder = store.engine.connect()
    try:
        transaction = holder.begin()
        read_head(holder, lock=True)  # SELECT … FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite
        AuditLog(Session(bind=holder), store.keyring).append("U0HOLD", "consent.recorded", "C-1",
                                                             at=T0)
        waiting = _Caller(lambda: store.audit_writer.append("U0ANA", "card.viewed", "C-2", at=T0))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and waiting.result is None  # held up by the head
        transaction.commit()
        waiting.join(WAIT)
    finally:
        holder.close()
    assert waiting.error is None and waiting.result.seq == 2
    assert _verified(store) == 2
