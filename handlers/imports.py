"""``python -m bot import clients|appointments FILE``: the command line's import, in two steps
so a long file never stalls the team.

1. **Prepared** in a read-only unit of work that sees one consistent moment and takes no write
   lock: every row matched with what is on file, merged, and every private value sealed
   (``bot.services.imports.prepare_clients`` / ``prepare_appointments``). This is the long part
   (tens of seconds for tens of thousands of clients); cards, ``missed`` and ``/healthz`` are
   answered meanwhile.
2. **Written** in one short transaction: a few bulk statements and one audit event
   (``write_clients`` / ``write_appointments``). All or nothing, as before.

When something the file was prepared against changed in between (a consent edited in Slack, a
client or appointment created with one of its codes or times), the write finds it
(``StaleBatch``), nothing is written, and the file is prepared again, up to ``ATTEMPTS`` times.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from bot.policy.clinic import ClinicPolicy
from bot.services import imports
from storage.repositories import StaleBatch
from storage.uow import Store

ATTEMPTS = 3


class ImportKeptChanging(Exception):
    """Every attempt found what it was prepared against changed: nothing was written."""


def run_import(store: Store, policy: ClinicPolicy, what: Literal["clients", "appointments"],
               rows: Sequence[imports.Numbered], *, actor: str, source: str,
               now: datetime) -> imports.ImportReport:
    """Import ``rows`` (read with ``read_clients_csv`` / ``read_appointments_csv``); the report.

    Raises ``ImportErrors`` (an appointment's client not on file) or ``ImportKeptChanging``,
    with nothing written."""
    for _attempt in range(ATTEMPTS):
        with store.unit_of_work(consistent=True) as uow:
            if what == "clients":
                prepared: imports.PreparedClients | imports.PreparedAppointments = \
                    imports.prepare_clients(uow, policy, rows, actor=actor, source=source,
                                            now=now)
            else:
                prepared = imports.prepare_appointments(uow, policy, rows, actor=actor,
                                                        source=source, now=now)
        with store.unit_of_work() as uow:
            try:
                if isinstance(prepared, imports.PreparedClients):
                    report = imports.write_clients(uow, prepared)
                else:
                    report = imports.write_appointments(uow, prepared)
            except StaleBatch:
                continue  # rolled back as the unit of work ends; prepared again
            uow.commit()
            return report
    raise ImportKeptChanging(
        f"{source}: nothing imported: the {what} on file kept changing while the file was being "
        f"imported ({ATTEMPTS} tries; someone may be editing them in Slack right now). Run the "
        "import again.")
