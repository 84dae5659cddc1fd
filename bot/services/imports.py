"""Importing clients and appointments from the contract's CSV files, and exporting clients.

A file is read whole (``read_clients_csv`` / ``read_appointments_csv``, which raise
``ImportErrors`` listing every ``line N, column X`` problem), then checked against the database
(an appointment for a client not on file is a problem of its line), and only then written, all
in the caller's unit of work: any problem means nothing is written. Re-importing updates clients
by code and appointments by client and start time; it never duplicates, and an unchanged row
changes nothing (its consent keeps its provenance, no audit event). Codes match without regard
to case: ``c-1004`` in a file updates ``C-1004``, whose spelling on file is kept.

What the CSV format cannot carry is kept on update: a consent's safety note and each number's
own window and clinic-name answer recorded through the consent modal.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Generic, TypeVar

from bot.csv_formats import parse_appointments_csv, parse_clients_csv, write_clients_csv
from bot.policy.access import may_be_treating_clinician
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import calls_refused
from bot.policy.model import (
    AppointmentRecord,
    ClientRecord,
    Consent,
    ImportErrors,
    ImportProblem,
    NumberPermission,
    Provenance,
    code_key,
)
from bot.services.appointments import schedule_chase
from bot.services.callbacks import release_refused
from storage.audit import AuditEntry
from storage.tables import Appointment, Client
from storage.uow import UnitOfWork

R = TypeVar("R")


@dataclass(frozen=True)
class Numbered(Generic[R]):
    """A record and the line of the file it came from (for messages about it)."""

    line: int
    record: R


@dataclass(frozen=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: tuple[ImportProblem, ...] = ()
    # Appointments only: every stored row with True when it is new (for scheduling).
    appointments: tuple[tuple[Appointment, bool], ...] = field(default=(), repr=False)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


# -- reading files -------------------------------------------------------------------------------


def read_clients_csv(text: str, policy: ClinicPolicy) -> list[Numbered[ClientRecord]]:
    """The file's client records with their lines; ``ImportErrors`` when any row is wrong."""
    records = parse_clients_csv(text, policy.clinic.phone_region,
                                clinician_problem=lambda user: _not_a_clinician(policy, user))
    return _numbered(text, records)


def _not_a_clinician(policy: ClinicPolicy, user: str) -> str | None:
    """The same rule as the consent form: a client's clinician treats clients.

    Someone not on the team at all is imported with a warning instead (``import_clients``): the
    team may be completed after the clients are imported.
    """
    member = policy.member(user)
    if member is None or may_be_treating_clinician(policy, user) is not None:
        return None
    return (f"{user} is on the team as {member.role.replace('_', ' ')}; a client's clinician "
            "must be a clinician or supervisor")


def read_appointments_csv(text: str, policy: ClinicPolicy,
                          now: datetime) -> list[Numbered[AppointmentRecord]]:
    """The file's appointments with their lines; starts outside ``bot.policy.dates``' range of
    ``now`` are problems too."""
    tz = policy.clinic.timezone
    records = parse_appointments_csv(text, tz, today=now.astimezone(tz).date())
    return _numbered(text, records)


def _numbered(text: str, records: Sequence[R]) -> list[Numbered[R]]:
    """Pair records with the lines their rows start on.

    The parsers return one record per non-blank data row, in file order (or raise), so the
    n-th record is the n-th non-blank row after the header; a quoted value spanning lines
    counts every line, as the parsers count them.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    lines: list[int] = []
    line = 1
    for index, cells in enumerate(reader):
        if index > 0 and any(cell.strip() for cell in cells):
            lines.append(line)
        line = reader.line_num + 1
    if len(lines) != len(records):
        raise ValueError("records do not match the file's rows")
    return [Numbered(n, r) for n, r in zip(lines, records, strict=True)]


# -- clients -------------------------------------------------------------------------------------


def import_clients(uow: UnitOfWork, policy: ClinicPolicy, rows: Sequence[Numbered[ClientRecord]],
                   *, actor: str, source: str, now: datetime) -> ImportReport:
    """Create or update every client of ``rows`` by code, in ``uow`` (the caller commits).

    Each created or changed client gets a ``client.imported`` audit event, and the import as a
    whole a ``clients.imported`` event. Warnings (nothing refused): a clinician who is not on the
    policy's team, when the policy names a team.
    """
    existing_rows = uow.clients.rows_by_code(r.record.code for r in rows)
    existing_list = list(existing_rows.values())
    existing = {
        code_key(row.code): (row, record)
        for row, record in zip(existing_list, uow.clients.records(existing_list), strict=True)
    }
    team = {member.slack_id for member in policy.team}
    warnings: list[ImportProblem] = []
    changes: list[tuple[str, bool, bool]] = []  # (code, new, consent changed)
    refusing: list[Client] = []  # clients on file who now refuse calls: no call back is owed
    unchanged = 0
    # Every write of the loop goes out in one flush at the end, in batches, not row by row.
    with uow.clients.batch():
        for numbered in rows:
            imported = numbered.record
            if team and imported.clinician and imported.clinician not in team:
                warnings.append(ImportProblem(
                    numbered.line, "clinician",
                    f"{imported.clinician} is not on the team in the policy file; no one will "
                    "be reminded about this client until they are added",
                ))
            row, before = existing.get(code_key(imported.code), (None, None))
            if before is not None:
                imported = replace(imported, code=before.code)  # the spelling on file stays
            record = _merged(imported, before, f"import:{source}", now)
            if before is not None and record == before:
                unchanged += 1
                continue
            saved = uow.clients.save(record, existing=row, now=now, known_new=before is None)
            if before is not None and calls_refused(record):
                refusing.append(saved)
            changes.append((imported.code, before is None,
                            before is None or _consent_terms(record) != _consent_terms(before)))
    release_refused(uow, refusing, actor=actor, now=now)
    uow.audit.append_many(
        AuditEntry(actor, "client.imported", code,
                   {"source": source, "new": new, "consent_changed": consent_changed}, now)
        for code, new, consent_changed in changes
    )
    created = sum(1 for _, new, _ in changes if new)
    updated = len(changes) - created
    uow.audit.append(actor, "clients.imported", None,
                     {"source": source, "created": created, "updated": updated,
                      "unchanged": unchanged}, at=now)
    return ImportReport(created=created, updated=updated, unchanged=unchanged,
                        warnings=tuple(warnings))


def _merged(imported: ClientRecord, before: ClientRecord | None, recorded_by: str,
            now: datetime) -> ClientRecord:
    """The imported record, keeping what the file cannot say and provenance when unchanged."""
    consent = imported.consent
    assert consent is not None  # the parser gives every record a consent
    old = before.consent if before is not None else None
    if old is not None:
        consent = replace(
            consent,
            safety_note=old.safety_note,
            numbers=tuple(_keep_overrides(n, old.number(n.kind)) for n in consent.numbers),
        )
    if old is not None and old.provenance is not None and replace(consent, provenance=None) == \
            replace(old, provenance=None):
        consent = old
    else:
        consent = replace(consent, provenance=Provenance(recorded_by=recorded_by, recorded_at=now,
                                                         method="import"))
    record = replace(imported, consent=consent)
    if before is not None:
        record = replace(record, coaching_approved_by=before.coaching_approved_by,
                         coaching_approved_at=before.coaching_approved_at)
    return record


def _keep_overrides(number: NumberPermission, old: NumberPermission | None) -> NumberPermission:
    if old is None:
        return number
    return replace(number, clinic_name_ok=old.clinic_name_ok, earliest=old.earliest,
                   latest=old.latest)


def _consent_terms(record: ClientRecord) -> Consent | None:
    return None if record.consent is None else replace(record.consent, provenance=None)


# -- appointments --------------------------------------------------------------------------------


def import_appointments(uow: UnitOfWork, policy: ClinicPolicy,
                        rows: Sequence[Numbered[AppointmentRecord]], *, actor: str, source: str,
                        now: datetime) -> ImportReport:
    """Store every appointment of ``rows`` (by client and start), in ``uow``; the caller commits.

    Raises ``ImportErrors`` (nothing stored) when a row names a client who is not on file.
    """
    clients = uow.clients.rows_by_code({r.record.client_code for r in rows})
    problems = [
        ImportProblem(r.line, "client",
                      f"no client with code {r.record.client_code} is on file; import clients "
                      "first, or check the code")
        for r in rows if code_key(r.record.client_code) not in clients
    ]
    if problems:
        raise ImportErrors(problems)
    stored: list[tuple[Appointment, bool]] = []
    created = unchanged = updated = 0
    for numbered in rows:
        appointment = numbered.record
        client = clients[code_key(appointment.client_code)]
        before = uow.appointments.find(client, appointment.start)
        minutes_before = None if before is None else before.minutes
        row, new = uow.appointments.save(client, appointment.start, appointment.minutes)
        schedule_chase(uow, policy, row, client, now)  # the no-show chase, unless already over
        stored.append((row, new))
        if new:
            created += 1
        elif minutes_before == appointment.minutes:
            unchanged += 1
        else:
            updated += 1
    uow.audit.append(actor, "appointments.imported", None,
                     {"source": source, "created": created, "updated": updated,
                      "unchanged": unchanged}, at=now)
    return ImportReport(created=created, updated=updated, unchanged=unchanged,
                        appointments=tuple(stored))


# -- export --------------------------------------------------------------------------------------


def export_clients(uow: UnitOfWork, *, actor: str, now: datetime) -> tuple[str, int]:
    """Every client as a clients CSV (decrypted) and how many; audited as ``clients.exported``."""
    records = list(uow.clients.iter_all())
    uow.audit.append(actor, "clients.exported", None, {"clients": len(records)}, at=now)
    return write_clients_csv(records), len(records)
