"""Refusing to run with the wrong keys, and remembering which keys have sealed data.

``ensure_keys`` runs at start; ``key_problem`` is the same check without writing anything, for
the migrations and for ``KeyHealth``, which ``/healthz`` asks: a running bot whose keys stopped
matching the database (``rotate-keys`` run elsewhere while it still holds only the old key) can
no longer open a single card, and must say so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, select
from sqlmodel import Session

from storage.audit import anchor_fresh_head
from storage.crypto import KEYS_VARIABLE, DecryptionError, KeyConfigError
from storage.db import read_only
from storage.sealing import Sealer
from storage.tables import KeyRecord
from storage.tables.base import table_of

CANARY = "contact-check key canary"
_KEYS = table_of(KeyRecord)


def key_problem(conn: Connection, sealer: Sealer, *, running: bool = False) -> str | None:
    """Why the configured keys cannot open this database's data, or None when they can.

    A key that sealed data here is missing from CONTACT_CHECK_KEYS, or a configured key with the
    same id fails to open its canary. ``running`` (a process that started earlier, as
    ``/healthz`` asks): also its first key retired since (``retired_first_key``). Reads only
    (the small ``encryption_keys`` table, once)."""
    records = conn.execute(select(_KEYS.c.id, _KEYS.c.key_id, _KEYS.c.canary_enc)).all()
    configured = set(sealer.keyring.key_ids)
    missing = sorted(r.key_id for r in records if r.key_id not in configured)
    if missing:
        return (
            f"{KEYS_VARIABLE} does not hold the key(s) this database was encrypted with "
            f"(key id {', '.join(missing)}). Set {KEYS_VARIABLE} to the clinic's keys; "
            "to change keys, put the new key first, keep the old one after it, and run "
            "`contact-check rotate-keys`."
        )
    for record in records:
        try:
            ok = sealer.open_column("encryption_keys", "canary", record.id,
                                    record.canary_enc) == CANARY
        except DecryptionError:
            ok = False
        if not ok:
            return f"{KEYS_VARIABLE}: key id {record.key_id} does not match this database."
    return _retired(sealer, {r.key_id for r in records}) if running else None


def retired_first_key(conn: Connection, sealer: Sealer, *, hold: bool = False) -> str | None:
    """Why this process must not seal anything more, or None: the first key of its
    CONTACT_CHECK_KEYS is no longer one of this database's keys, because ``rotate-keys`` retired
    it after the process started (it was not restarted with the new key first). What it sealed
    now would be lost with the old key. ``ensure_keys`` registers a process's first key at its
    start, so for a running process this only means a rotation it missed.

    ``hold``: on PostgreSQL, keep the first key's record from being retired until this
    transaction ends (``rotate-keys`` locks the records first, so it waits for this write, then
    re-seals it too); on SQLite the write lock already keeps them apart."""
    query = select(_KEYS.c.key_id)
    if hold:
        query = query.with_for_update(read=True)
    return _retired(sealer, set(conn.execute(query).scalars()))


def _retired(sealer: Sealer, registered: set[str]) -> str | None:
    primary = sealer.keyring.primary_id
    if not registered or primary in registered:
        return None
    return (f"{KEYS_VARIABLE}: its first key (key id {primary}) was retired by `rotate-keys` "
            f"while this process ran; this database's key is now {', '.join(sorted(registered))}. "
            f"Put the new key first in {KEYS_VARIABLE} and start it again.")


def lock_keys(conn: Connection) -> None:
    """Before re-sealing everything (``rotate-keys``): wait for writes holding their first key
    (``retired_first_key(hold=True)``) and keep new ones waiting until the rotation commits."""
    conn.execute(select(_KEYS.c.key_id).with_for_update()).all()


def ensure_keys(session: Session, sealer: Sealer) -> None:
    """Check the configured keys against the ones this database was sealed with.

    Raises KeyConfigError (``key_problem``). Registers the first key (flushes, does not commit)
    when it has not sealed anything yet; the very first key registered also signs the audit
    trail's fresh head, so that from then on an unsigned head reads as tampering.
    """
    keyring = sealer.keyring
    conn = session.connection()
    problem = key_problem(conn, sealer)
    if problem is not None:
        raise KeyConfigError(problem)
    registered = set(conn.execute(select(_KEYS.c.key_id)).scalars())
    if not registered:
        anchor_fresh_head(conn, keyring)
    if keyring.primary_id not in registered:
        record = KeyRecord(key_id=keyring.primary_id)
        sealer.seal(record, "canary", CANARY)
        session.add(record)
        session.flush()


class KeyHealth:
    """``key_problem`` for ``/healthz``: cached for ``ttl`` seconds, read without a write lock
    (SQLite's deferred read, PostgreSQL's autocommit), one check at a time."""

    def __init__(self, engine: Engine, sealer: Sealer, *, ttl: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self._reader = read_only(engine)
        self.sealer = sealer
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._checked: tuple[float, str | None] | None = None  # (when, problem)

    def problem(self) -> str | None:
        """None when the keys open this database's data; else why not (no key material)."""
        with self._lock:
            now = self._clock()
            if self._checked is not None and now - self._checked[0] < self.ttl:
                return self._checked[1]
            try:
                with self._reader.connect() as conn:
                    found = key_problem(conn, self.sealer, running=True)
            except Exception as error:  # the database check reports the database itself
                found = f"the keys could not be checked ({type(error).__name__})"
            self._checked = (now, found)
            return found
