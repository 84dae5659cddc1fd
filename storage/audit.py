"""Appending to and verifying the hash-chained audit trail.

Each event's hash covers its own fields and the previous event's hash, so editing an event breaks
its hash, deleting one breaks the sequence or the next link, and inserting one breaks the link
after it. Events carry actor ids, actions, client codes and non-identifying details only.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from storage.db import READ_ONLY
from storage.tables import AuditEvent
from storage.types import utcnow

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x436F6E74  # any fixed number: serialises appenders on PostgreSQL
_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
_TAIL = (select(col(AuditEvent.seq), col(AuditEvent.hash))
         .order_by(col(AuditEvent.seq).desc()).limit(1))


def _digest(seq: int, at: datetime, actor: str, action: str, client_code: str | None,
            details: Mapping[str, Any], prev_hash: str) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "client_code": client_code,
            "details": details,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One event to append, before it has a place in the chain. ``details`` are made plain JSON
    (and ``at`` UTC) here, in the caller's thread, so a bad value fails its own caller only."""

    actor: str
    action: str
    client_code: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", json.loads(json.dumps(dict(self.details), default=str)))
        object.__setattr__(self, "at", self.at.astimezone(UTC))


@dataclass(frozen=True)
class Appended:
    """Where an event landed in the chain."""

    seq: int
    hash: str


def _lock_chain(conn: Connection) -> None:
    """Take the chain's one-writer lock for the rest of the transaction.

    SQLite: every read-write transaction already begins IMMEDIATE (``storage.db``), which holds
    the database's write lock. PostgreSQL: a transaction-scoped advisory lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_PG_AUDIT_LOCK))


def _tail(conn: Connection) -> tuple[int, str]:
    last = conn.execute(_TAIL).first()
    return (0, GENESIS) if last is None else (last[0], last[1])


def _write(conn: Connection, tail: tuple[int, str],
           entries: Sequence[AuditEntry]) -> list[Appended]:
    """Insert ``entries`` after ``tail`` in one statement (the caller holds the chain lock)."""
    seq, prev = tail
    rows: list[dict[str, Any]] = []
    placed: list[Appended] = []
    for e in entries:
        seq += 1
        digest = _digest(seq, e.at, e.actor, e.action, e.client_code, e.details, prev)
        rows.append({"id": uuid.uuid4(), "seq": seq, "at": e.at, "actor": e.actor,
                     "action": e.action, "client_code": e.client_code, "details": e.details,
                     "prev_hash": prev, "hash": digest})
        placed.append(Appended(seq, digest))
        prev = digest
    if rows:
        conn.execute(insert(_TABLE), rows)
    return placed


class AuditLog:
    """The audit trail inside one unit of work; never commits on its own.

    For events that must commit with the unit of work's other writes (a consent change and its
    event). The first append takes the chain lock and reads the chain's last event; later
    appends in the same transaction continue from what this one wrote.
    """

    def __init__(self, session: Session):
        self.session = session
        self._tail: tuple[object, int, str] | None = None  # (transaction, seq, hash)

    def append(self, actor: str, action: str, client_code: str | None = None,
               details: Mapping[str, Any] | None = None, at: datetime | None = None) -> Appended:
        return self.append_many([AuditEntry(actor, action, client_code, details or {},
                                            at or utcnow())])[0]

    def append_many(self, entries: Iterable[AuditEntry]) -> list[Appended]:
        """Append ``entries`` in order, in one insert (imports of thousands of clients)."""
        entries = list(entries)
        if not entries:
            return []
        if self.session.info.get(READ_ONLY):
            raise RuntimeError("audit events cannot be appended in a read-only unit of work")
        conn = self.session.connection()
        transaction = self.session.get_nested_transaction() or self.session.get_transaction()
        if self._tail is not None and self._tail[0] is transaction:
            tail = self._tail[1], self._tail[2]
        else:
            _lock_chain(conn)
            tail = _tail(conn)
        placed = _write(conn, tail, entries)
        self._tail = (transaction, placed[-1].seq, placed[-1].hash)
        return placed


@dataclass(eq=False)
class _Waiting:
    entries: list[AuditEntry]
    placed: list[Appended] | None = None
    error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self.placed is not None or self.error is not None


class AuditWriter:
    """Appends events in transactions of their own, committing waiting events together.

    For events that stand alone and must be durable before the caller goes on (a card's details
    are audited before they are shown). ``append`` returns only once its event is committed
    (fsynced on SQLite), or raises. Callers that arrive while a commit is under way wait; the
    next of them to run writes every waiting event in one transaction and one commit, then wakes
    them all: twenty concurrent look-ups cost one chain lock and one fsync, not twenty, and each
    event keeps its own sequence number and hash in the one chain.

    If a batch fails, nothing of it was written (one transaction), and its events are retried one
    per transaction, so one bad event fails only its own caller; when the database itself failed
    (locked past its timeout, connection lost) every caller of the batch gets that error.

    One writer per engine per process (``Store`` holds it); writers in other processes and
    ``AuditLog`` appends serialise with it on the database's chain lock.
    """

    def __init__(self, engine: Engine, *, max_batch: int = 500):
        self.engine = engine
        self.max_batch = max_batch
        self._state = threading.Condition()
        self._queue: list[_Waiting] = []
        self._writing = False
        self.batches = 0  # transactions committed (read by tests and benchmarks)

    def append(self, actor: str, action: str, client_code: str | None = None,
               details: Mapping[str, Any] | None = None, at: datetime | None = None) -> Appended:
        return self.append_many([AuditEntry(actor, action, client_code, details or {},
                                            at or utcnow())])[0]

    def append_many(self, entries: Iterable[AuditEntry]) -> list[Appended]:
        """Append ``entries`` (consecutively in the chain); return once they are committed."""
        mine = _Waiting(list(entries))
        if not mine.entries:
            return []
        with self._state:
            self._queue.append(mine)
            while not mine.finished:
                if self._writing:
                    self._state.wait()
                    continue
                self._writing = True
                batch = self._take()
                self._state.release()
                try:
                    self._commit(batch)
                except BaseException as error:  # interrupted: no waiter may wait forever
                    for waiting in batch:
                        if not waiting.finished:
                            waiting.error = error
                    raise
                finally:
                    self._state.acquire()
                    self._writing = False
                    self._state.notify_all()
        if mine.error is not None:
            raise mine.error
        assert mine.placed is not None
        return mine.placed

    def waiting(self) -> int:
        """Events queued behind the commit under way."""
        with self._state:
            return sum(len(w.entries) for w in self._queue)

    def _take(self) -> list[_Waiting]:
        batch, size = [], 0
        while self._queue and (not batch or size + len(self._queue[0].entries) <= self.max_batch):
            waiting = self._queue.pop(0)
            batch.append(waiting)
            size += len(waiting.entries)
        return batch

    def _commit(self, batch: list[_Waiting]) -> None:
        try:
            placed = self._transaction([e for w in batch for e in w.entries])
        except Exception as error:
            if len(batch) == 1 or isinstance(error, OperationalError):
                # OperationalError: the database (locked, gone), not an event: all fail alike
                for waiting in batch:
                    waiting.error = error
                return
            for waiting in batch:  # the batch left nothing behind; find whose event failed
                try:
                    waiting.placed = self._transaction(waiting.entries)
                except Exception as own:
                    waiting.error = own
            return
        start = 0
        for waiting in batch:
            waiting.placed = placed[start:start + len(waiting.entries)]
            start += len(waiting.entries)

    def _transaction(self, entries: list[AuditEntry]) -> list[Appended]:
        with self.engine.connect() as conn, conn.begin():
            _lock_chain(conn)
            placed = _write(conn, _tail(conn), entries)
        self.batches += 1
        return placed


@dataclass(frozen=True)
class ChainReport:
    events: int
    head: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole trail; report every edited, deleted or inserted event found."""
    problems: list[str] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(col(AuditEvent.seq) > last_seq)
            .order_by(col(AuditEvent.seq)).limit(batch)
        ).all()
        if not rows:
            break
        for ev in rows:
            count += 1
            if ev.seq != expected_seq:
                problems.append(f"events {expected_seq}..{ev.seq - 1} are missing (deleted)")
            if ev.prev_hash != expected_prev:
                problems.append(f"event {ev.seq} does not follow the event before it")
            recomputed = _digest(ev.seq, ev.at, ev.actor, ev.action, ev.client_code, ev.details,
                                 ev.prev_hash)
            if recomputed != ev.hash:
                problems.append(f"event {ev.seq} was altered after it was written")
            expected_prev, expected_seq, last_seq = ev.hash, ev.seq + 1, ev.seq
    return ChainReport(events=count, head=expected_prev, problems=tuple(problems))
