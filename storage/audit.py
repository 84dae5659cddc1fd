"""Appending to and verifying the keyed, hash-chained audit trail and its signed head.

Each event's ``hash`` (SHA-256) covers its own fields and the previous event's hash, and its
``mac`` is an HMAC of that hash under the audit-chain key HKDF derives from a key of
``CONTACT_CHECK_KEYS`` (label ``audit-chain``; ``key_id`` says which). The one-row ``audit_head``
holds the number of events and the last hash, HMAC'd too, and every append advances it in the
same transaction, under its row lock. So, without the key:

- editing an event breaks its hash; editing it and recomputing its hash (and every later one)
  breaks its signature;
- deleting an event breaks the sequence and the next link; deleting the newest ones, or all of
  them, leaves fewer events than the signed head counts; deleting the head is seen as well;
- inserting an event breaks the link after it, and it cannot be signed.

What the key cannot prevent is someone holding it, or a copy of an older, genuinely signed state
of the whole table: for that, the head is posted daily to the admins (``bot.services.witness``)
and ``verify-audit --expect-head HASH`` checks that the trail still reaches a head kept elsewhere.

The chain hashes never change once written: rotating keys re-signs the ``mac`` columns only
(``rekey_chain``), and the upgrade from the unkeyed trail (migration 0004) signed the existing
events after checking them, so every head ever printed or posted stays checkable.

Events carry actor ids, actions, client codes and non-identifying details only. An action that
ends in ``viewed`` records that private details were shown to its actor (``is_view``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, bindparam, select, text, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from storage.bulk import BoundRows
from storage.crypto import KEYS_VARIABLE, Keyring
from storage.db import READ_ONLY, read_only
from storage.tables import AuditEvent, AuditHead, KeyRecord
from storage.tables.base import table_of
from storage.types import utcnow

GENESIS = "0" * 64
HEAD_ID = 1
KEYED_ACTION = "audit.keyed"  # the event recording the upgrade from the unkeyed trail
KEYRING_INFO = "contact_check_keyring"  # a unit of work's session.info: its store's keys
_EVENTS = table_of(AuditEvent)
_HEAD = table_of(AuditHead)
_KEYS = table_of(KeyRecord)
_COLUMNS = "id, seq, at, actor, action, client_code, details, prev_hash, hash, key_id, mac"
_HEX = frozenset("0123456789abcdef")
MAX_PROBLEMS = 50  # listed in a report; the rest are counted


def is_view(action: str) -> bool:
    """True for the events that record private details shown to their actor."""
    return action.endswith("viewed")


def is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


# The one canonical JSON of the chain's text (``chain_hash``; ``BoundEvents`` hashes it ahead).
_CANONICAL: dict[str, Any] = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False,
                              "default": str}


def chain_hash(seq: int, at: datetime, actor: str, action: str, client_code: str | None,
               details: Mapping[str, Any], prev_hash: str) -> str:
    """The SHA-256 link of one event (the same as the unkeyed trail had, so old heads stay
    checkable)."""
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
        **_CANONICAL,
    )
    return hashlib.sha256(body.encode()).hexdigest()



def _event_message(digest: str) -> bytes:
    return b"contact-check/audit/event\x00" + digest.encode()


def _head_message(events: int, digest: str) -> bytes:
    return f"contact-check/audit/head\x00{events}\x00{digest}".encode()


def _signed(keyring: Keyring, message: bytes, key_id: str | None, mac: str | None) -> bool:
    if key_id is None or mac is None or not keyring.holds(key_id):
        return False
    return hmac.compare_digest(keyring.chain_mac(message, key_id), mac)


class AuditRefused(RuntimeError):
    """The trail's head does not verify, so nothing is appended (and nothing private shown)
    until an admin has run ``verify-audit``: signing on from a forged head would hide it."""


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


# --- the head -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    events: int
    hash: str
    key_id: str | None
    mac: str | None


_READ_HEAD = select(_HEAD.c.events, _HEAD.c.hash, _HEAD.c.key_id, _HEAD.c.mac).where(
    _HEAD.c.id == HEAD_ID)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: the row stayed locked past lock_timeout
_SET_HEAD = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(
    events=bindparam("head_events"), hash=bindparam("head_hash"),
    key_id=bindparam("head_key_id"), mac=bindparam("head_mac"))
# Built once: these run in every append's transaction, and building a statement costs more than
# running it.


def read_head(conn: Connection, *, lock: bool = False) -> Head | None:
    """The head row as stored (None when it is gone); ``lock``: hold its row lock (PostgreSQL;
    on SQLite the write transaction already holds the database's write lock)."""
    row = conn.execute(_LOCK_HEAD if lock else _READ_HEAD).first()
    return None if row is None else Head(row[0], row[1], row[2], row[3])


def appends_would_wait(engine: Engine, *, patience: float = 0.25) -> bool:
    """True when an append, and so a card's look, would wait longer than ``patience`` seconds
    for what it needs (SQLite's write lock; the head's row lock on PostgreSQL): a long write such
    as an import holds it (``/healthz`` says ``busy``). It queues for the lock as an append
    would, for ``patience`` at most, and lets it go at once: the few milliseconds of the cards'
    own commits, however many clinicians are looking, do not make it busy."""
    millis = max(1, int(patience * 1000))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, conn.begin():
            conn.execute(text(f"SET LOCAL lock_timeout = {millis}"))
            try:
                conn.execute(_LOCK_HEAD)
            except OperationalError as error:
                if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                    return True
                raise
            return False
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA busy_timeout")
        row = cursor.fetchone()
        timeout = row[0] if row else 0
        cursor.execute(f"PRAGMA busy_timeout={millis}")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                return True
            raise
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
        cursor.execute("ROLLBACK")
        return False
    finally:
        raw.close()


def _keys_registered(conn: Connection) -> bool:
    return conn.execute(select(_KEYS.c.key_id).limit(1)).first() is not None


def head_problem(conn: Connection, keyring: Keyring, head: Head | None) -> str | None:
    """What is wrong with ``head``, or None when it verifies.

    An unsigned head is right only on a fresh database: no event yet and no key registered
    (``storage.keycheck.ensure_keys`` signs it when it registers the first key)."""
    if head is None:
        return "the trail's signed head is missing (deleted)"
    if not isinstance(head.events, int) or head.events < 0 or not is_hash(head.hash):
        return "the trail's head is unreadable"
    if head.mac is None:
        if head.events == 0 and head.hash == GENESIS and not _keys_registered(conn):
            return None
        return "the trail's head is not signed"
    if head.key_id is None or not keyring.holds(head.key_id):
        return (f"the trail's head is signed with key id {head.key_id}, which {KEYS_VARIABLE} "
                "does not hold")
    if not _signed(keyring, _head_message(head.events, head.hash), head.key_id, head.mac):
        return "the trail's head was altered (its signature does not match)"
    return None


def _set_head(conn: Connection, keyring: Keyring, events: int, digest: str) -> None:
    conn.execute(_SET_HEAD, {"head_events": events, "head_hash": digest,
                             "head_key_id": keyring.primary_id,
                             "head_mac": keyring.chain_mac(_head_message(events, digest))})


def anchor_fresh_head(conn: Connection, keyring: Keyring) -> bool:
    """Sign the unsigned head of a fresh trail (no event yet); True when it did.

    Called when the first key is registered: from then on an unsigned head means tampering."""
    head = read_head(conn, lock=True)
    if head is None or head.mac is not None or head.events != 0 or head.hash != GENESIS:
        return False
    _set_head(conn, keyring, 0, GENESIS)
    return True


def _tail(conn: Connection, keyring: Keyring) -> tuple[int, str]:
    """Lock the head row and return (events, last hash); raises ``AuditRefused``."""
    head = read_head(conn, lock=True)
    problem = head_problem(conn, keyring, head)
    if problem is not None:
        raise AuditRefused(f"the audit trail cannot be appended to: {problem}. An admin must "
                           "run `contact-check verify-audit`.")
    assert head is not None
    return head.events, head.hash


class BoundEvents:
    """Events made ready to append before the head is locked, so that appending thousands (an
    import's) holds the lock only to link them: each event's row converted for the driver, and
    its canonical text (``chain_hash``'s) hashed up to where its place in the chain begins. Under
    the lock each event then costs one hash of a few bytes and one signature, and the rows go in
    one ``executemany``. Appending is repeatable after a rollback (an import prepared against a
    client that changed meanwhile tries again): nothing of it changes as it is appended."""

    def __init__(self, entries: Iterable[AuditEntry], dialect: Dialect):
        self.rows = BoundRows(_EVENTS, dialect)
        self._ready = [(self.rows.template({
            "id": uuid.uuid4(), "at": e.at, "actor": e.actor, "action": e.action,
            "client_code": e.client_code, "details": e.details}), _hashed_up_to_place(e))
            for e in entries]

    def __len__(self) -> int:
        return len(self._ready)

    def __iter__(self) -> Iterator[tuple[list[Any], Any]]:
        """Each event's row template and its text hashed up to its place, in order."""
        return iter(self._ready)

    def part(self, start: int, stop: int) -> BoundEvents:
        """Events ``start`` to ``stop``, to append on their own (an import's, a part at a
        time)."""
        part = BoundEvents((), self.rows.dialect)
        part._ready = self._ready[start:stop]
        return part


def _hashed_up_to_place(e: AuditEntry) -> Any:
    """SHA-256 fed ``chain_hash``'s text of ``e`` up to its place: the keys sort as ``action``,
    ``actor``, ``at``, ``client_code``, ``details``, then ``prev`` and ``seq`` (the place), so the
    text without them, less its closing brace, is where the place begins."""
    body = json.dumps(
        {"at": e.at.isoformat(timespec="microseconds"), "actor": e.actor, "action": e.action,
         "client_code": e.client_code, "details": e.details},
        **_CANONICAL)
    return hashlib.sha256(body[:-1].encode())


def _linked(hashed: Any, seq: int, prev: str) -> str:
    """``chain_hash`` of the event whose text ``hashed`` holds up to its place, at ``seq`` after
    ``prev`` (a hex digest: nothing in it needs escaping)."""
    hashed = hashed.copy()
    hashed.update(f',"prev":"{prev}","seq":{seq}}}'.encode())
    return str(hashed.hexdigest())


def _write(conn: Connection, keyring: Keyring, tail: tuple[int, str],
           events: BoundEvents) -> list[Appended]:
    """Insert ``events`` after ``tail`` in one statement and advance the head (the caller holds
    the head's lock)."""
    seq, prev = tail
    key_id = keyring.primary_id
    params: list[Any] = []
    placed: list[Appended] = []
    for template, hashed in events:
        seq += 1
        digest = _linked(hashed, seq, prev)
        params.append(events.rows.filled(template, {
            "seq": seq, "prev_hash": prev, "hash": digest, "key_id": key_id,
            "mac": keyring.chain_mac(_event_message(digest))}))
        placed.append(Appended(seq, digest))
        prev = digest
    if params:
        events.rows.execute(conn, params)
        _set_head(conn, keyring, seq, prev)
    return placed


class AuditLog:
    """The audit trail inside one unit of work; never commits on its own.

    For events that must commit with the unit of work's other writes (a consent change and its
    event). The first append takes the head's lock and reads it; later appends in the same
    transaction continue from what this one wrote.
    """

    def __init__(self, session: Session, keyring: Keyring):
        self.session = session
        self.keyring = keyring
        self._tail: tuple[object, int, str] | None = None  # (transaction, seq, hash)

    def checked_head(self) -> tuple[Head | None, str | None]:
        """The stored head and what is wrong with it (None when it verifies): the witness."""
        conn = self.session.connection()
        head = read_head(conn)
        return head, head_problem(conn, self.keyring, head)

    def append(self, actor: str, action: str, client_code: str | None = None,
               details: Mapping[str, Any] | None = None, at: datetime | None = None) -> Appended:
        return self.append_many([AuditEntry(actor, action, client_code, details or {},
                                            at or utcnow())])[0]

    def bind(self, entries: Iterable[AuditEntry]) -> BoundEvents:
        """``entries`` made ready to append (``BoundEvents``): for many events prepared before
        the transaction that appends them."""
        return BoundEvents(entries, self.session.get_bind().dialect)

    def append_many(self, entries: Iterable[AuditEntry] | BoundEvents) -> list[Appended]:
        """Append ``entries`` in order, in one insert (imports of thousands of clients: bound
        beforehand with ``bind``)."""
        events = entries if isinstance(entries, BoundEvents) else self.bind(entries)
        if not len(events):
            return []
        if self.session.info.get(READ_ONLY):
            raise RuntimeError("audit events cannot be appended in a read-only unit of work")
        conn = self.session.connection()
        transaction = self.session.get_nested_transaction() or self.session.get_transaction()
        if self._tail is not None and self._tail[0] is transaction:
            tail = self._tail[1], self._tail[2]
        else:
            tail = _tail(conn, self.keyring)
        placed = _write(conn, self.keyring, tail, events)
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
    them all: twenty concurrent look-ups cost one head lock and one fsync, not twenty, and each
    event keeps its own sequence number, hash and signature in the one chain.

    If a batch fails, nothing of it was written (one transaction), and its events are retried one
    per transaction, so one bad event fails only its own caller; when the database itself failed
    (locked past its timeout, connection lost) or the head does not verify, every caller of the
    batch gets that error.

    One writer per engine per process (``Store`` holds it); writers in other processes and
    ``AuditLog`` appends serialise with it on the head's row lock.
    """

    def __init__(self, engine: Engine, keyring: Keyring, *, max_batch: int = 500):
        self.engine = engine
        self.keyring = keyring
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
        batch: list[_Waiting] = []
        size = 0
        while self._queue and (not batch or size + len(self._queue[0].entries) <= self.max_batch):
            waiting = self._queue.pop(0)
            batch.append(waiting)
            size += len(waiting.entries)
        return batch

    def _commit(self, batch: list[_Waiting]) -> None:
        try:
            placed = self._transaction([e for w in batch for e in w.entries])
        except Exception as error:
            if len(batch) == 1 or isinstance(error, OperationalError | AuditRefused):
                # the database (locked, gone) or the head, not an event: all fail alike
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
            placed = _write(conn, self.keyring, _tail(conn, self.keyring),
                            BoundEvents(entries, conn.dialect))
        self.batches += 1
        return placed


# --- reading the trail back, whatever state it is in --------------------------------------------


@dataclass(frozen=True)
class _Row:
    """One stored event as read, before anything is trusted (``seq`` may be anything)."""

    id: Any
    raw_seq: Any
    seq: int | None
    at: datetime | None
    actor: Any
    action: Any
    client_code: Any
    details: Any
    prev_hash: Any
    hash: Any
    key_id: Any
    mac: Any
    unreadable: str | None  # why the row cannot be checked, or None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _as_details(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _decode(raw: Sequence[Any]) -> _Row:
    row_id, seq_raw, at_raw, actor, action, code, details_raw, prev, digest, key_id, mac = raw
    seq = seq_raw if isinstance(seq_raw, int) and not isinstance(seq_raw, bool) else None
    at = _as_datetime(at_raw)
    details = _as_details(details_raw)
    why = None
    if seq is None:
        why = "its sequence number is not a whole number"
    elif at is None:
        why = "its time is not a time"
    elif details is None:
        why = "its details are not a JSON object"
    elif not (isinstance(actor, str) and isinstance(action, str)
              and (code is None or isinstance(code, str))):
        why = "its actor, action or client code is not text"
    elif not (is_hash(prev) and is_hash(digest)):
        why = "its hashes are not hashes"
    return _Row(row_id, seq_raw, seq, at, actor, action, code, details, prev, digest, key_id, mac,
                why)


def _rows(conn: Connection, batch: int) -> Iterator[_Row]:
    """Every stored event in ``seq`` order, read raw (no column type is trusted), page by page."""
    last: Any = None
    while True:
        where = "" if last is None else "WHERE seq > :last "
        query = text(f"SELECT {_COLUMNS} FROM audit_events {where}ORDER BY seq LIMIT :n")  # noqa: S608
        params: dict[str, Any] = {"n": batch}
        if last is not None:
            params["last"] = last
        page = conn.execute(query, params).all()
        if not page:
            return
        for raw in page:
            yield _decode(tuple(raw))
        last = page[-1][1]


# --- verifying ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    events: int  # events read
    head: str  # the last event's hash (GENESIS for none): what to keep elsewhere
    problems: tuple[str, ...]
    first_bad: int | None = None  # the first event at fault (None: none, or only the head)
    reached: int | None = None  # --expect-head: the event whose hash it is (0: the empty trail)
    notes: tuple[str, ...] = ()  # facts worth saying that are not problems

    @property
    def ok(self) -> bool:
        return not self.problems


class _Walk:
    """The state of one pass over the trail, collecting problems in order."""

    def __init__(self, keyring: Keyring | None, expect_head: str | None):
        self.keyring = keyring  # None: check the unkeyed chain only (the upgrade's check)
        self.expect_head = expect_head
        self.problems: list[str] = []
        self.more = 0
        self.first_bad: int | None = None
        self.notes: list[str] = []
        self.count = 0
        self.expected_seq = 1
        self.prev: str | None = GENESIS  # None: unknown (the event before was unreadable)
        self.reached: int | None = 0 if expect_head == GENESIS else None

    def problem(self, seq: int | None, text: str) -> None:
        if self.first_bad is None and seq is not None:
            self.first_bad = seq
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more += 1

    def event(self, row: _Row) -> None:
        self.count += 1
        if row.seq is None:  # cannot even be placed in the chain
            self.problem(None, f"a row of the trail (id {row.id}) is unreadable: {row.unreadable}")
            return
        seq = row.seq
        if seq != self.expected_seq:
            self.problem(self.expected_seq,
                         f"events {self.expected_seq}..{seq - 1} are missing (deleted)")
        if self.prev is not None and row.prev_hash != self.prev:
            self.problem(seq, f"event {seq} does not follow the event before it")
        if row.unreadable is not None:
            self.problem(seq, f"event {seq} is unreadable: {row.unreadable}")
            self.expected_seq, self.prev = seq + 1, row.hash if is_hash(row.hash) else None
            return
        assert row.at is not None
        recomputed = chain_hash(seq, row.at, row.actor, row.action, row.client_code, row.details,
                                row.prev_hash)
        if recomputed != row.hash:
            self.problem(seq, f"event {seq} was altered after it was written")
        elif self.keyring is not None:
            self._signature(seq, row)
        if row.action == KEYED_ACTION:
            self._keyed_note(seq, row)
        if self.expect_head is not None and row.hash == self.expect_head:
            self.reached = seq
        self.expected_seq, self.prev = seq + 1, row.hash

    def _signature(self, seq: int, row: _Row) -> None:
        assert self.keyring is not None
        if row.mac is None:
            self.problem(seq, f"event {seq} is not signed")
        elif not isinstance(row.key_id, str) or not self.keyring.holds(row.key_id):
            self.problem(seq, f"event {seq} is signed with key id {row.key_id}, which "
                              f"{KEYS_VARIABLE} does not hold")
        elif not _signed(self.keyring, _event_message(row.hash), row.key_id, row.mac):
            self.problem(seq, f"event {seq} was altered and its hash recomputed (its signature "
                              "does not match)")

    def _keyed_note(self, seq: int, row: _Row) -> None:
        details = row.details or {}
        when = row.at.date().isoformat() if row.at else "?"
        self.notes.append(
            f"events 1..{details.get('unkeyed_events')} were written before the trail was "
            f"keyed; they were checked (unkeyed, intact) and signed at the upgrade on {when} "
            f"(event {seq})")

    def against_head(self, conn: Connection, head: Head | None) -> None:
        assert self.keyring is not None
        problem = head_problem(conn, self.keyring, head)
        if problem is not None:
            self.problem(None, problem)
            return
        assert head is not None
        last = self.expected_seq - 1
        if head.events > last:
            if self.count == 0:
                self.problem(1, f"every event is missing: the signed head counts {head.events} "
                                "(the trail was emptied)")
            else:
                self.problem(last + 1, f"events {last + 1}..{head.events} are missing: the trail "
                                       f"was cut short after event {last}")
        elif head.events < last:
            self.problem(head.events + 1, f"events {head.events + 1}..{last} are not covered by "
                                          "the signed head (added without the key, or the head "
                                          "was put back)")
        elif self.prev is not None and head.hash != self.prev:
            self.problem(last, f"event {last} is not the one the signed head names")

    def report(self) -> ChainReport:
        problems = list(self.problems)
        if self.more:
            problems.append(f"…and {self.more} more problem(s)")
        if self.expect_head is not None and self.reached is None:
            problems.append(f"the head {self.expect_head} kept elsewhere is not on this trail: "
                            "the trail was cut short or rewritten before it")
        return ChainReport(events=self.count, head=self.prev or "", problems=tuple(problems),
                           first_bad=self.first_bad, reached=self.reached,
                           notes=tuple(self.notes))


def _connection(source: Session | Connection) -> Connection:
    return source.connection() if isinstance(source, Session) else source


def verify_chain(source: Session | Connection, keyring: Keyring | None = None, *,
                 expect_head: str | None = None, batch: int = 5000) -> ChainReport:
    """Walk the whole trail and its head; report every edited, deleted, inserted, unsigned or
    unreadable event, a trail cut short or emptied, and (``expect_head``) whether the trail
    reaches a head kept elsewhere. Read in the caller's transaction (``verify_trail`` opens a
    consistent snapshot of its own). ``keyring`` defaults to the keys of the unit of work whose
    session ``source`` is."""
    if keyring is None:
        keyring = source.info.get(KEYRING_INFO) if isinstance(source, Session) else None
        if keyring is None:
            raise TypeError("verify_chain needs the keyring (or a unit of work's session)")
    conn = _connection(source)
    walk = _Walk(keyring, expect_head)
    head = read_head(conn)
    for row in _rows(conn, batch):
        walk.event(row)
    walk.against_head(conn, head)
    return walk.report()


def snapshot(engine: Engine) -> Engine:
    """The engine for reading the whole trail as of one moment, without holding up appenders:
    SQLite's deferred read transaction, PostgreSQL's repeatable read."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return read_only(engine)


def verify_trail(engine: Engine, keyring: Keyring, *,
                 expect_head: str | None = None) -> ChainReport:
    """``verify_chain`` on a snapshot of its own."""
    with snapshot(engine).connect() as conn, conn.begin():
        return verify_chain(conn, keyring, expect_head=expect_head)


# --- re-signing: key rotation and the upgrade from the unkeyed trail ------------------------------


def _resign(conn: Connection, keyring: Keyring, *, batch: int = 2000) -> int:
    """Sign every event not signed by the first key with it; the number re-signed."""
    primary = keyring.primary_id
    statement = (update(_EVENTS).where(_EVENTS.c.seq == bindparam("s"))
                 .values(key_id=primary, mac=bindparam("m")))
    changed = 0
    pending: list[dict[str, Any]] = []
    for row in _rows(conn, batch):
        if row.key_id == primary and row.mac is not None:
            continue
        pending.append({"s": row.seq, "m": keyring.chain_mac(_event_message(row.hash))})
        if len(pending) >= batch:
            conn.execute(statement, pending)
            changed += len(pending)
            pending = []
    if pending:
        conn.execute(statement, pending)
        changed += len(pending)
    return changed


class TrailBroken(Exception):
    """The trail does not verify, so it is not re-signed (that would hide what happened)."""

    def __init__(self, report: ChainReport, doing: str):
        self.report = report
        first = f" (first bad event: {report.first_bad})" if report.first_bad else ""
        super().__init__(
            f"The audit trail does not verify{first}, so {doing} would re-sign it and hide "
            "what happened; nothing was changed. Run `contact-check verify-audit`, keep a copy "
            "of the database for the clinic's privacy officer, and restore the last backup whose "
            "trail verifies. Problems: " + "; ".join(report.problems))


def rekey_chain(conn: Connection, keyring: Keyring) -> int:
    """Re-sign the whole trail and its head under the first key, once it verifies under the keys
    that signed it (``rotate-keys``, in its transaction, holding the head's lock). The chain
    hashes do not change, so heads kept elsewhere stay checkable. Raises ``TrailBroken``."""
    _tail(conn, keyring)  # the head's lock, and a head that verifies
    report = verify_chain(conn, keyring)
    if not report.ok:
        raise TrailBroken(report, "rotating the keys")
    changed = _resign(conn, keyring)
    _set_head(conn, keyring, report.events, report.head)
    return changed


def sign_unkeyed_trail(conn: Connection, keyring: Keyring, *, at: datetime,
                       actor: str = "system") -> ChainReport:
    """The upgrade from the unkeyed trail: check it as it was checked before (sequence, links,
    hashes), then sign every event and the head under the first key and append an
    ``audit.keyed`` event saying so. Raises ``TrailBroken`` (and changes nothing) when it does not
    verify."""
    walk = _Walk(None, None)
    for row in _rows(conn, 5000):
        walk.event(row)
    report = walk.report()
    if not report.ok:
        raise TrailBroken(report, "signing it with the clinic's key")
    _resign(conn, keyring)
    _set_head(conn, keyring, report.events, report.head)
    if report.events:
        entry = AuditEntry(actor, KEYED_ACTION, None,
                           {"unkeyed_events": report.events, "unkeyed_head": report.head}, at)
        _write(conn, keyring, (report.events, report.head),
               BoundEvents([entry], conn.dialect))
    return report
