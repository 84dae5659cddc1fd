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
import uuid
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
from bot.services.appointments import SCHEDULED, wanted_chase
from bot.services.callbacks import release_refused
from storage.audit import AuditEntry, BoundEvents
from storage.repositories.appointments import AppointmentBatch
from storage.repositories.clients import ClientBatch, OnFile
from storage.repositories.import_batches import Batch
from storage.repositories.outbox import NewMessage
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
    # Appointments only: the id of every appointment of the file, with True when it is new.
    appointments: tuple[tuple[uuid.UUID, bool], ...] = field(default=(), repr=False)

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


@dataclass(frozen=True)
class PreparedClients:
    """A clients file checked against the database and sealed: writing it is only inserting.

    Its new clients may be written ahead, hidden, in short transactions (``stage_clients``);
    ``write_clients`` writes what is left and shows them all at once, so the write lock is
    never held for long."""

    batch: ClientBatch = field(repr=False)
    refusing: tuple[OnFile, ...]  # clients on file who now refuse calls: no call back is owed
    created: int
    updated: int
    unchanged: int
    consent_changed: int
    # one client.imported per client written: the new clients' in the batch's order, then the
    # replaced clients'
    created_events: BoundEvents = field(repr=False)
    replaced_events: BoundEvents = field(repr=False)
    warnings: tuple[ImportProblem, ...]
    actor: str
    source: str
    now: datetime


def prepare_clients(uow: UnitOfWork, policy: ClinicPolicy, rows: Sequence[Numbered[ClientRecord]],
                    *, actor: str, source: str, now: datetime) -> PreparedClients:
    """Merge every row of ``rows`` with the client on file by code and seal what changed; reads
    only (a read-only unit of work will do: nothing here needs the write lock).

    Warnings (nothing refused): a clinician who is not on the policy's team, when the policy
    names a team.
    """
    existing = uow.clients.on_file(r.record.code for r in rows)
    team = {member.slack_id for member in policy.team}
    warnings: list[ImportProblem] = []
    batch = uow.clients.batch()
    refusing: list[OnFile] = []
    created_events: list[AuditEntry] = []
    replaced_events: list[AuditEntry] = []

    def imported_event(code: str, new: bool, changed: bool) -> AuditEntry:
        return AuditEntry(actor, "client.imported", code,
                          {"source": source, "batch": str(batch.id), "new": new,
                           "consent_changed": changed}, now)

    unchanged = consent_changed = 0
    for numbered in rows:
        imported = numbered.record
        if team and imported.clinician and imported.clinician not in team:
            warnings.append(ImportProblem(
                numbered.line, "clinician",
                f"{imported.clinician} is not on the team in the policy file; no one will "
                "be reminded about this client until they are added",
            ))
        on_file = existing.get(code_key(imported.code))
        before = on_file.record if on_file is not None else None
        if before is not None:
            imported = replace(imported, code=before.code)  # the spelling on file stays
        record = _merged(imported, before, f"import:{source}", now)
        if on_file is None:
            batch.create(record, now)
            consent_changed += 1
            created_events.append(imported_event(record.code, True, True))
            continue
        if record == before:
            unchanged += 1
            continue
        batch.replace(on_file, record, now)
        if calls_refused(record):
            refusing.append(on_file)
        terms_changed = _consent_terms(record) != _consent_terms(on_file.record)
        consent_changed += terms_changed
        replaced_events.append(imported_event(record.code, False, terms_changed))
    return PreparedClients(batch=batch, refusing=tuple(refusing), created=batch.new,
                           updated=len(batch) - batch.new, unchanged=unchanged,
                           consent_changed=consent_changed,
                           created_events=uow.audit.bind(created_events),
                           replaced_events=uow.audit.bind(replaced_events),
                           warnings=tuple(warnings),
                           actor=actor, source=source, now=now)


def stage_clients(uow: UnitOfWork, prepared: PreparedClients, upto: int) -> int:
    """Write the file's new clients not written yet, up to the ``upto``-th, hidden, with their
    ``client.imported`` events, in ``uow`` (the caller commits); how many. They are on no card
    and in no count until ``write_clients`` shows them. The import's batch records that it is
    alive (``uow.import_batches.beat``): one that stops half-way is found and discarded
    (``discard_imported``).

    The events are true from this moment: the clients' details were read from the file and
    are in the database. An import that does not finish says so in the trail
    (``clients.import_abandoned``)."""
    batch = prepared.batch
    if upto <= batch.staged or batch.staged >= batch.new:
        return 0
    uow.keys.hold_first_key()
    uow.import_batches.beat(batch.id, actor=prepared.actor, source=prepared.source)
    return _write_new(uow, prepared, upto)


def _write_new(uow: UnitOfWork, prepared: PreparedClients, upto: int) -> int:
    start = prepared.batch.staged
    written = uow.clients.stage(prepared.batch, upto)
    uow.audit.append_many(prepared.created_events.part(start, start + written))
    return written


def write_clients(uow: UnitOfWork, prepared: PreparedClients) -> ImportReport:
    """Finish a prepared file in ``uow`` (the caller commits): the new clients ``stage_clients``
    has not written, the clients it replaces, the call backs no longer owed, one
    ``client.imported`` audit event per client written (its code, the import's batch, whether it
    is new and whether its consent changed: the access report lists an import among the reads
    of a client's details) and one ``clients.imported`` event with the counts; then every new
    client is shown. No client detail is in any event; the events are made while preparing and
    only chained under the lock, in bulk appends.

    Raises ``StaleBatch`` (roll back, discard what was staged, prepare again) when a client it
    was prepared against changed meanwhile, and ``KeyConfigError`` when ``rotate-keys`` retired
    the key it sealed with (``stage_clients`` too)."""
    uow.keys.hold_first_key()
    staged_before = prepared.batch.staged > 0
    _write_new(uow, prepared, prepared.batch.new)
    uow.clients.write_batch(prepared.batch)
    if staged_before:
        uow.import_batches.finished(prepared.batch.id)
    release_refused(uow, prepared.refusing, actor=prepared.actor, now=prepared.now)
    uow.audit.append_many(prepared.replaced_events)
    uow.audit.append(prepared.actor, "clients.imported", None,
                     {"source": prepared.source, "batch": str(prepared.batch.id),
                      "created": prepared.created, "updated": prepared.updated,
                      "unchanged": prepared.unchanged,
                      "consent_changed": prepared.consent_changed}, at=prepared.now)
    return ImportReport(created=prepared.created, updated=prepared.updated,
                        unchanged=prepared.unchanged, warnings=prepared.warnings)


def discard_imported(uow: UnitOfWork, batch: Batch, *, limit: int, actor: str, reason: str,
                     now: datetime) -> int:
    """Delete up to ``limit`` of the clients an unfinished import left hidden (``batch``), in
    ``uow`` (the caller commits, and calls again while it returns ``limit``); how many. With
    the last, the trail records that the import was abandoned: its ``client.imported`` events
    name clients that never showed."""
    removed = uow.import_batches.discard(batch.id, limit=limit)
    if removed < limit:
        uow.audit.append(actor, "clients.import_abandoned", None,
                         {"source": batch.source, "batch": str(batch.id), "by": batch.actor,
                          "removed": batch.hidden, "reason": reason}, at=now)
    return removed


def import_clients(uow: UnitOfWork, policy: ClinicPolicy, rows: Sequence[Numbered[ClientRecord]],
                   *, actor: str, source: str, now: datetime) -> ImportReport:
    """``prepare_clients`` and ``write_clients`` in one unit of work (the caller commits): for
    small files read with other writes (the sandbox's start). ``handlers.imports`` prepares a
    file outside the write transaction and writes its new clients in short transactions."""
    return write_clients(uow, prepare_clients(uow, policy, rows, actor=actor, source=source,
                                              now=now))


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


@dataclass(frozen=True)
class PreparedAppointments:
    """An appointments file checked against the database: what ``write_appointments`` writes."""

    batch: AppointmentBatch = field(repr=False)
    chases: tuple[NewMessage, ...] = field(repr=False)  # the chases of new appointments
    # appointments on file the file names: their chase, when still scheduled (an earlier import
    # or `appt` queued it, or it was not due then)
    chases_on_file: tuple[NewMessage, ...] = field(repr=False)
    appointments: tuple[tuple[uuid.UUID, bool], ...]
    created: int
    updated: int
    unchanged: int
    actor: str
    source: str
    now: datetime


def prepare_appointments(uow: UnitOfWork, policy: ClinicPolicy,
                         rows: Sequence[Numbered[AppointmentRecord]], *, actor: str, source: str,
                         now: datetime) -> PreparedAppointments:
    """Match every row of ``rows`` to its client and to the appointment on file at that start;
    reads only. Raises ``ImportErrors`` when a row names a client who is not on file."""
    clients = uow.clients.rows_by_code({r.record.client_code for r in rows})
    problems = [
        ImportProblem(r.line, "client",
                      f"no client with code {r.record.client_code} is on file; import clients "
                      "first, or check the code")
        for r in rows if code_key(r.record.client_code) not in clients
    ]
    if problems:
        raise ImportErrors(problems)
    on_file = uow.appointments.on_file(c.id for c in clients.values())
    batch = AppointmentBatch()
    chases: list[NewMessage] = []
    chases_on_file: list[NewMessage] = []
    stored: list[tuple[uuid.UUID, bool]] = []
    unchanged = updated = 0
    for numbered in rows:
        appointment = numbered.record
        client = clients[code_key(appointment.client_code)]
        before = on_file.get((client.id, appointment.start))
        if before is None:
            appointment_id = batch.create(client, appointment.start, appointment.minutes, now)
            clinician = client.clinician
        else:
            appointment_id, clinician = before.id, before.clinician or client.clinician
            if before.minutes == appointment.minutes:
                unchanged += 1
            else:
                batch.set_minutes(before.id, appointment.minutes)
                updated += 1
        stored.append((appointment_id, before is None))
        if before is not None and before.status != SCHEDULED:
            continue
        chase = wanted_chase(policy, appointment_id, appointment.start, appointment.minutes,
                             SCHEDULED, clinician, client.code, now)
        if chase is not None:
            (chases if before is None else chases_on_file).append(chase)
    return PreparedAppointments(
        batch=batch, chases=tuple(chases), chases_on_file=tuple(chases_on_file),
        appointments=tuple(stored), created=len(batch.new), updated=updated,
        unchanged=unchanged, actor=actor, source=source, now=now)


def write_appointments(uow: UnitOfWork, prepared: PreparedAppointments) -> ImportReport:
    """Write a prepared file in ``uow`` (the caller commits): the appointments, their no-show
    chases (one each, never twice) and one ``appointments.imported`` audit event.

    Raises ``StaleBatch`` (roll back, prepare again) when one of its appointments was booked, or
    its client removed, meanwhile."""
    uow.appointments.write_batch(prepared.batch)
    scheduled = uow.appointments.still_scheduled(
        [m.subject_id for m in prepared.chases_on_file if m.subject_id is not None])
    uow.outbox.enqueue_many([*prepared.chases, *(m for m in prepared.chases_on_file
                                                 if m.subject_id in scheduled)])
    uow.audit.append(prepared.actor, "appointments.imported", None,
                     {"source": prepared.source, "created": prepared.created,
                      "updated": prepared.updated, "unchanged": prepared.unchanged},
                     at=prepared.now)
    return ImportReport(created=prepared.created, updated=prepared.updated,
                        unchanged=prepared.unchanged, appointments=prepared.appointments)


def import_appointments(uow: UnitOfWork, policy: ClinicPolicy,
                        rows: Sequence[Numbered[AppointmentRecord]], *, actor: str, source: str,
                        now: datetime) -> ImportReport:
    """``prepare_appointments`` and ``write_appointments`` in one unit of work (the caller
    commits); raises ``ImportErrors`` (nothing stored) when a row names a client not on file."""
    return write_appointments(uow, prepare_appointments(uow, policy, rows, actor=actor,
                                                        source=source, now=now))


# -- export --------------------------------------------------------------------------------------


def export_clients(uow: UnitOfWork, *, actor: str, now: datetime) -> tuple[str, int]:
    """Every client as a clients CSV (decrypted) and how many; audited as ``clients.exported``."""
    records = list(uow.clients.iter_all())
    uow.audit.append(actor, "clients.exported", None, {"clients": len(records)}, at=now)
    return write_clients_csv(records), len(records)
