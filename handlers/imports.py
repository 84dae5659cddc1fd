"""``python -m bot import clients|appointments FILE``: the command line's import, in steps
so a long file never stalls the team.

1. **Prepared** in a read-only unit of work that sees one consistent moment and takes no write
   lock: every row matched with what is on file, merged, and every private value sealed
   (``bot.services.imports.prepare_clients`` / ``prepare_appointments``). This is the long part
   (tens of seconds for tens of thousands of clients); cards, ``missed`` and ``/healthz`` are
   answered meanwhile.
2. **Staged** (clients only): the new clients written hidden, in short transactions whose length
   ``PACE`` sets for each database (the size of the next part is set from how long the last
   took), with a pause between them for the team's own writes on SQLite (``stage_clients``).
3. **Written** in one short transaction: the rest, the clients it replaces, and every new
   client shown at once (``write_clients`` / ``write_appointments``). All or nothing, as before:
   until this commits, no client of the file is on file.

When something the file was prepared against changed in between (a consent edited in Slack, a
client or appointment created with one of its codes or times), the write finds it
(``StaleBatch``), nothing is written, what was staged is discarded, and the file is prepared
again, up to ``ATTEMPTS`` times. An import that fails or is stopped half-way leaves hidden
clients: it discards them itself when it can, and ``sweep_abandoned_imports`` (a periodic job,
and the start of every import) discards those of an import silent for
``storage.repositories.import_batches.SILENT_FOR``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.deps import Deps
from bot.policy.clinic import ClinicPolicy
from bot.runtime import SYSTEM_ACTOR
from bot.services import imports
from storage.crypto import KeyConfigError
from storage.repositories import StaleBatch
from storage.uow import Store

log = logging.getLogger("contact_check.imports")

ATTEMPTS = 3


@dataclass(frozen=True)
class Pace:
    part: float  # seconds each staging transaction aims at
    pause: float  # seconds between two, when the team's writes go first


# SQLite has one write lock for the whole database: short parts, and pauses longer than the
# 100 ms its waiting writers sleep between tries. PostgreSQL's writers wait on one another only
# for the audit trail's head, which a part takes at its end and waiters get in turn: longer
# parts, no pause. Chosen by measuring cards during an import (tests/perf/bench_import.py).
PACE = {"sqlite": Pace(part=0.1, pause=0.2), "postgresql": Pace(part=0.5, pause=0.0)}
FIRST_PART = 500  # new clients in the first staging transaction; later ones sized by its time
SMALLEST_PART, LARGEST_PART = 100, 50_000
DISCARD_PART = 2000  # hidden clients deleted per transaction when discarding


class ImportKeptChanging(Exception):
    """Every attempt found what it was prepared against changed: nothing was written."""


def run_import(store: Store, policy: ClinicPolicy, what: Literal["clients", "appointments"],
               rows: Sequence[imports.Numbered], *, actor: str, source: str,
               now: datetime) -> imports.ImportReport:
    """Import ``rows`` (read with ``read_clients_csv`` / ``read_appointments_csv``); the report.

    Raises ``ImportErrors`` (an appointment's client not on file), ``ImportKeptChanging`` or
    ``KeyConfigError`` (``rotate-keys`` retired this process's first key meanwhile), with
    nothing imported."""
    sweep_abandoned_imports(store, now)
    for _attempt in range(ATTEMPTS):
        with store.unit_of_work(consistent=True) as uow:
            if what == "clients":
                prepared: imports.PreparedClients | imports.PreparedAppointments = \
                    imports.prepare_clients(uow, policy, rows, actor=actor, source=source,
                                            now=now)
            else:
                prepared = imports.prepare_appointments(uow, policy, rows, actor=actor,
                                                        source=source, now=now)
        try:
            if isinstance(prepared, imports.PreparedClients):
                _stage(store, prepared)
            with store.unit_of_work() as uow:
                if isinstance(prepared, imports.PreparedClients):
                    report = imports.write_clients(uow, prepared)
                else:
                    report = imports.write_appointments(uow, prepared)
                uow.commit()
                return report
        except StaleBatch:
            _discard_own(store, prepared, "changed", now)  # and prepared again
        except KeyConfigError as error:
            # Signing the trail's event of the discard needs a key this database still has:
            # a process restarted with the new key first (serve's sweep) discards what was staged.
            left = (" What it had written, hidden, is deleted by `serve` within 25 minutes."
                    if isinstance(prepared, imports.PreparedClients) and prepared.batch.staged
                    else "")
            raise KeyConfigError(f"{error} Nothing was imported.{left}") from None
        except BaseException:
            _discard_own(store, prepared, "failed", now)
            raise
    raise ImportKeptChanging(
        f"{source}: nothing imported: the {what} on file kept changing while the file was being "
        f"imported ({ATTEMPTS} tries; someone may be editing them in Slack right now). Run the "
        "import again.")


def _stage(store: Store, prepared: imports.PreparedClients) -> None:
    """Write the new clients hidden, a part per short transaction, pausing between parts."""
    pace = PACE.get(store.engine.dialect.name, PACE["sqlite"])
    part = FIRST_PART
    while prepared.batch.new - prepared.batch.staged > part:
        started = time.perf_counter()
        with store.unit_of_work() as uow:
            imports.stage_clients(uow, prepared, prepared.batch.staged + part)
            uow.commit()
        took = max(time.perf_counter() - started, 0.001)
        part = max(SMALLEST_PART, min(int(part * pace.part / took), LARGEST_PART))
        if pace.pause:
            time.sleep(pace.pause)


def _discard_own(store: Store, prepared: imports.PreparedClients | imports.PreparedAppointments,
                 reason: str, now: datetime) -> None:
    """Discard what this import staged before it stopped (nothing staged: nothing to do). A
    failure here is left to ``sweep_abandoned_imports``: the import's own error matters more."""
    if not isinstance(prepared, imports.PreparedClients) or not prepared.batch.staged:
        return
    try:
        _discard(store, prepared.batch.id, actor=prepared.actor, reason=reason, now=now)
    except Exception:
        log.exception("could not discard the clients a stopped import left hidden; the "
                      "periodic sweep will")


def _discard(store: Store, batch_id: uuid.UUID, *, actor: str, reason: str,
             now: datetime) -> int:
    """Discard the hidden clients of ``batch_id``, a part per transaction; how many. Another
    process discarding it too (a sweep on another replica) is harmless: whoever finds it gone
    stops."""
    with store.unit_of_work(read_only=True) as uow:
        batch = uow.import_batches.get(batch_id)  # as it was: its events name what it hid
    removed = 0
    while batch is not None:
        with store.unit_of_work() as uow:
            if uow.import_batches.get(batch_id) is None:
                break
            part = imports.discard_imported(uow, batch, limit=DISCARD_PART, actor=actor,
                                            reason=reason, now=now)
            uow.commit()
        removed += part
        if part < DISCARD_PART:
            break
    return removed


def sweep_abandoned_imports(store: Store, now: datetime) -> int:
    """Discard the clients left hidden by imports silent for ``SILENT_FOR`` (a process killed
    half-way); how many. Safe on any replica at any time: an import's last transaction
    and a discard of its batch cannot both succeed."""
    with store.unit_of_work(read_only=True) as uow:
        stopped = uow.import_batches.abandoned()
    removed = 0
    for batch in stopped:
        removed += _discard(store, batch.id, actor=SYSTEM_ACTOR, reason="stopped", now=now)
        log.warning("discarded %d client(s) left hidden by an import that stopped half-way "
                    "(batch %s)", batch.hidden, batch.id)
    return removed


def sweep_abandoned_imports_job(deps: Deps) -> None:
    sweep_abandoned_imports(deps.store, deps.clock.now())
