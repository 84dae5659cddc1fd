"""Retention: ``purge --closed-before DATE`` lets go of the files a clinic no longer keeps.

``purge_closed`` finds the clients whose file closed before the start of ``day`` in the clinic's
time zone (``storage.repositories.retention`` says exactly which) and deletes their contact
details, consent, appointments, call-backs, run-ins and approvals in the caller's unit of work,
with one ``clients.purged`` audit event holding the counts and the codes (codes are never client
data). Earlier audit events stay as they are: they hold codes, actions and times only.
``dry_run`` counts and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from bot.policy.clinic import ClinicPolicy
from storage.repositories.retention import PurgeCounts
from storage.uow import UnitOfWork

PURGED_EVENT = "clients.purged"


@dataclass(frozen=True)
class PurgeOutcome:
    closed_before: date
    codes: tuple[str, ...]
    counts: PurgeCounts
    dry_run: bool


def cutoff_instant(policy: ClinicPolicy, day: date) -> datetime:
    """The first instant of ``day`` in the clinic's time zone, in UTC."""
    return datetime.combine(day, time(0), tzinfo=policy.clinic.timezone).astimezone(UTC)


def purge_closed(uow: UnitOfWork, policy: ClinicPolicy, day: date, *, dry_run: bool,
                 actor: str, now: datetime) -> PurgeOutcome:
    retention = uow.retention
    found = retention.closed_before(cutoff_instant(policy, day))
    ids = [client_id for client_id, _ in found]
    codes = tuple(code for _, code in found)
    if dry_run:
        return PurgeOutcome(day, codes, retention.counts(ids), dry_run=True)
    counts = retention.delete(ids)
    uow.audit.append(actor, PURGED_EVENT, None,
                     {"closed_before": day.isoformat(), **counts.as_details(),
                      "codes": list(codes)}, at=now)
    return PurgeOutcome(day, codes, counts, dry_run=False)
