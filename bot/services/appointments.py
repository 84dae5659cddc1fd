"""Appointments and the no-show chase: record, arrived, no-show with its run of no-shows.

Recording an appointment queues the chase (an outbox row, priority 1) for ``wait_minutes`` after
its start, in the same unit of work. ``arrived`` cancels it; at send time the chase is re-checked
(still not marked, client still consents to calls) and carries the voicemail script for the
client's consent of that moment, the outline of the documentation note (never pre-dated: the call
time is left to fill) and ``Arrived`` / ``No-show`` buttons.

The run of no-shows is a property of the client's appointments in time order
(``bot.policy.no_show``), not of the order the marks arrive in: every mark (button, ``noshow`` /
``arrived``, a correction) re-reads the client's marked appointments under a lock on the client,
so two marks racing on two connections are counted one after the other. When the client's
current run reaches ``closure_warning_after``, the closure-warning request for that run is made
or given the run's new facts (``bot.services.approvals``); an arrival that leaves no run long
enough withdraws it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.policy.access import card_access, details_access
from bot.policy.approvals import withdrawal_cause
from bot.policy.callback_number import callback_number
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import Guidance, Verdict, calls_refused, check_contact, wall_clock_instant
from bot.policy.dates import date_range_problem
from bot.policy.model import ClientRecord
from bot.policy.no_show import Mark, closure_warning_due, latest_run, run_of
from bot.policy.scripts import clinic_time_text, no_show_note, no_show_voicemail
from bot.services.approvals import (
    closure_deadline_in_force,
    recheck_closure_warning,
    request_closure_warning,
)
from bot.services.authorise import Refused, authorise, client_on_file
from bot.services.deliveries import CHASE_PRIORITY
from bot.services.outcomes import AppointmentDetails, Chase, RequestResult
from storage.repositories.outbox import NewMessage
from storage.tables import Appointment, Client, OutboxMessage
from storage.uow import UnitOfWork

CHASE_KIND = "no_show_chase"
SUBJECT_KIND = "appointment"
SCHEDULED, ARRIVED, NO_SHOW, CANCELLED = "scheduled", "arrived", "no_show", "cancelled"
# `arrived CODE` / `noshow CODE` mean the appointment starting within this span around now.
CURRENT_FROM = timedelta(hours=12)  # started up to this long ago
CURRENT_UNTIL = timedelta(hours=2)  # or starting this soon


@dataclass(frozen=True)
class AppointmentResult:
    appointment_id: uuid.UUID
    client_code: str
    start_at: datetime
    minutes: int
    created: bool
    chase_at: datetime | None  # None: no chase (the appointment is over, or no clinician)


@dataclass(frozen=True)
class ArrivedResult:
    appointment_id: uuid.UUID
    client_code: str
    start_at: datetime
    already: bool  # it was already marked arrived
    corrected_no_show: bool = False  # it had been recorded as a no-show
    # what became of a closure-warning request (withdrawn, given new facts), when anything did
    closure_request: RequestResult | None = None


@dataclass(frozen=True)
class Replaced:
    """The arrival a no-show replaced: who had marked it and when."""

    marked_by: str | None
    marked_at: datetime | None


@dataclass(frozen=True)
class NoShowResult:
    appointment_id: uuid.UUID
    client_code: str
    start_at: datetime
    consecutive: int  # no-shows in a row, this one included, in appointment order
    run_starts: tuple[datetime, ...]  # the run's appointments in time order, this one included
    guidance: Guidance
    voicemail_script: str | None  # None: no voicemail may be left
    note: str  # filled in: the call time is the moment of recording, labelled as such
    already: bool  # it was already recorded: nothing changed
    closure_request: RequestResult | None = None
    replaced_arrival: Replaced | None = None  # it had been marked arrived
    # the run is long enough for a closure warning, but the client came to this appointment
    # after it, so none is asked for
    came_back: datetime | None = None


@dataclass(frozen=True)
class NoteResult:
    """The documentation note with the call time the clinician reported."""

    appointment_id: uuid.UUID
    client_code: str
    start_at: datetime
    note: str


# --- recording ------------------------------------------------------------------------------------


def record_appointment(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, code: str,
                       start: datetime, minutes: int, now: datetime) -> AppointmentResult:
    """``appt CODE …``: store the appointment (same client and start: updated) and its chase.

    A start more than a year back or two years ahead is refused (``bot.policy.dates``).
    """
    client = client_on_file(uow, code)
    authorise(policy, actor, client)
    tz = policy.clinic.timezone
    problem = date_range_problem(start.astimezone(tz).date(), now.astimezone(tz).date())
    if problem is not None:
        raise Refused(f"Not recorded: {problem}.")
    appointment, created = uow.appointments.save(client, start, minutes)
    chase_at = schedule_chase(uow, policy, appointment, client, now)
    uow.audit.append(actor, "appointment.recorded", client.code,
                     {"appointment_id": str(appointment.id), "start_at": start,
                      "minutes": minutes, "created": created, "chase_at": chase_at}, at=now)
    return AppointmentResult(appointment.id, client.code, appointment.start_at,
                             appointment.minutes, created, chase_at)


def schedule_chase(uow: UnitOfWork, policy: ClinicPolicy, appointment: Appointment,
                   client: Client, now: datetime) -> datetime | None:
    """Queue the chase ``wait_minutes`` after the start; None when there is none to queue.

    Nothing is queued for an appointment already marked, already over, or with no clinician to
    remind. Queuing twice (a re-import) changes nothing.
    """
    chase = chase_for(policy, appointment, client, now)
    if chase is None:
        return None
    uow.outbox.enqueue(chase.kind, chase.recipient, chase.due_at, chase.payload,
                       priority=chase.priority, subject_kind=chase.subject_kind,
                       subject_id=chase.subject_id, dedupe_key=chase.dedupe_key)
    return chase.due_at


def schedule_chases(uow: UnitOfWork, policy: ClinicPolicy,
                    appointments: Sequence[tuple[Appointment, Client]], now: datetime) -> int:
    """``schedule_chase`` for many appointments at once (a calendar feed's new ones): one
    look-up of the chases already queued and one batch of inserts. How many were queued."""
    chases = [chase for appointment, client in appointments
              if (chase := chase_for(policy, appointment, client, now)) is not None]
    return uow.outbox.enqueue_many(chases) if chases else 0


def chase_for(policy: ClinicPolicy, appointment: Appointment, client: Client,
              now: datetime) -> NewMessage | None:
    """The chase an appointment wants (see ``schedule_chase``), or None."""
    return wanted_chase(policy, appointment.id, appointment.start_at, appointment.minutes,
                        appointment.status, appointment.clinician or client.clinician,
                        client.code, now)


def wanted_chase(policy: ClinicPolicy, appointment_id: uuid.UUID, start_at: datetime,
                 minutes: int, status: str, clinician: str | None, client_code: str,
                 now: datetime) -> NewMessage | None:
    """``chase_for`` from the appointment's values (an import has them before its rows exist)."""
    chase_at = chase_time(policy, start_at, minutes, status, clinician, now)
    if chase_at is None or clinician is None:
        return None
    return NewMessage(CHASE_KIND, clinician, chase_at, **_chase(appointment_id, client_code))


def reschedule_chase(uow: UnitOfWork, policy: ClinicPolicy, appointment: Appointment,
                     client: Client, now: datetime) -> datetime | None:
    """The chase moved with its appointment (a calendar feed moved it, or brought it back);
    withdrawn when no chase is wanted any more. When it falls due now."""
    chase_at = chase_time(policy, appointment.start_at, appointment.minutes, appointment.status,
                          appointment.clinician or client.clinician, now)
    if chase_at is None:
        uow.outbox.cancel(SUBJECT_KIND, appointment.id, kinds=[CHASE_KIND],
                          reason="the appointment moved")
        return None
    if uow.outbox.reschedule(f"{CHASE_KIND}:{appointment.id}", chase_at):
        return chase_at
    return schedule_chase(uow, policy, appointment, client, now)


def cancel_appointment(uow: UnitOfWork, appointment: Appointment, *, reason: str) -> None:
    """Cancelled by the clinic's calendar: the appointment stays on file as cancelled, its chase
    is withdrawn. Marks (arrived, no-show) are never undone here."""
    uow.appointments.set_status(appointment, CANCELLED)
    uow.outbox.cancel(SUBJECT_KIND, appointment.id, kinds=[CHASE_KIND], reason=reason)


def restore_appointment(uow: UnitOfWork, policy: ClinicPolicy, appointment: Appointment,
                        client: Client, now: datetime) -> datetime | None:
    """A cancelled appointment is back on the calendar: scheduled again, its chase queued."""
    uow.appointments.set_status(appointment, SCHEDULED)
    return reschedule_chase(uow, policy, appointment, client, now)


def chase_time(policy: ClinicPolicy, start_at: datetime, minutes: int, status: str,
               clinician: str | None, now: datetime) -> datetime | None:
    """When the no-show chase of an appointment goes out; None when it has none (marked,
    over, or no clinician to remind)."""
    if status != SCHEDULED or clinician is None or start_at + timedelta(minutes=minutes) <= now:
        return None
    return start_at + timedelta(minutes=policy.no_show.wait_minutes)


def _chase(appointment_id: uuid.UUID, client_code: str) -> dict[str, Any]:
    return {"payload": {"appointment_id": str(appointment_id), "client_code": client_code},
            "priority": CHASE_PRIORITY, "subject_kind": SUBJECT_KIND, "subject_id": appointment_id,
            "dedupe_key": f"{CHASE_KIND}:{appointment_id}"}


def mark_arrived(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, now: datetime,
                 code: str | None = None, appointment_id: uuid.UUID | None = None
                 ) -> ArrivedResult:
    """``arrived CODE`` or the button: the client came; the chase is cancelled. Idempotent.

    An arrival ends the client's run of no-shows (a corrected no-show leaves it in two), so a
    pending closure-warning request is re-checked: it keeps the run that is left while that is
    long enough, and is withdrawn otherwise.
    """
    appointment, client = _appointment(uow, code, appointment_id, now)
    authorise(policy, actor, client, front_desk_ok=True)
    _lock(uow, client, appointment)
    if appointment.status == ARRIVED:
        return ArrivedResult(appointment.id, client.code, appointment.start_at, already=True)
    corrected = appointment.status == NO_SHOW
    uow.appointments.mark(appointment, ARRIVED, actor, now)
    uow.outbox.cancel(SUBJECT_KIND, appointment.id, kinds=[CHASE_KIND],
                      reason=f"arrived, marked by {actor}")
    uow.audit.append(actor, "appointment.arrived", client.code,
                     {"appointment_id": str(appointment.id), "corrected_no_show": corrected},
                     at=now)
    run = latest_run(_marks(uow, client))
    day = appointment.start_at.astimezone(policy.clinic.timezone).date()
    closure = recheck_closure_warning(
        uow, policy, client_code=client.code, actor=actor,
        no_show_dates=[m.start for m in run],
        appointment_ids=_ids(run),
        because=withdrawal_cause(client.code, day, actor, corrected=corrected),
        corrected=appointment.id if corrected else None, now=now,
    )
    return ArrivedResult(appointment.id, client.code, appointment.start_at, already=False,
                         corrected_no_show=corrected, closure_request=closure)


def record_no_show(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, now: datetime,
                   code: str | None = None, appointment_id: uuid.UUID | None = None
                   ) -> NoShowResult:
    """``noshow CODE`` or the button: record the no-show, count its run, maybe ask for a warning.

    The run is counted in appointment order whatever order the marks come in; when this mark
    brings the client's current run to ``closure_warning_after`` or beyond, the run's one
    closure-warning request is made or given the new facts. A no-show replacing an arrival says
    so. Recording it again changes nothing and asks for nothing.
    """
    appointment, client = _appointment(uow, code, appointment_id, now)
    authorise(policy, actor, client, front_desk_ok=True)
    if appointment.start_at > now:
        raise Refused(
            f"{client.code}'s appointment has not started yet (it starts "
            f"{clinic_time_text(policy, appointment.start_at)}); a no-show can be recorded once "
            "it has."
        )
    _lock(uow, client, appointment)
    record = uow.clients.get(client.code)
    assert record is not None
    already = appointment.status == NO_SHOW
    replaced = (Replaced(appointment.marked_by, appointment.marked_at)
                if appointment.status == ARRIVED else None)
    if not already:
        uow.appointments.mark(appointment, NO_SHOW, actor, now)
        uow.outbox.cancel(SUBJECT_KIND, appointment.id, kinds=[CHASE_KIND],
                          reason=f"no-show recorded by {actor}")
    marks = _marks(uow, client)
    run = run_of(marks, appointment.id)
    request = None
    if not already:
        uow.audit.append(actor, "appointment.no_show", client.code,
                         {"appointment_id": str(appointment.id), "consecutive": len(run),
                          "replaced_arrival": replaced is not None}, at=now)
        due = closure_warning_due(run, policy.no_show.closure_warning_after)
        if due and run == latest_run(marks):
            request = request_closure_warning(
                uow, policy, client_code=client.code,
                clinician=appointment.clinician or client.clinician, requested_by=actor,
                no_show_dates=[m.start for m in run],
                appointment_ids=_ids(run), now=now,
            )
    guidance = check_contact(record, policy, now)
    script = _voicemail_script(policy, record, guidance, appointment, now)
    note = _filled_note(uow, policy, actor, record, appointment,
                        called_at=appointment.marked_at or now, reported=False,
                        voicemail_left=script is not None, now=now)
    came_back = None
    if closure_warning_due(run, policy.no_show.closure_warning_after):
        came_back = _arrival_after(marks, run)
    return NoShowResult(appointment.id, client.code, appointment.start_at, len(run),
                        tuple(m.start for m in run), guidance, script, note, already, request,
                        replaced, came_back)


def note_with_call_time(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str,
                        appointment_id: uuid.UUID, day: str, at: str,
                        now: datetime) -> NoteResult:
    """The no-show's note with the time the clinician says the message was left (clinic time).

    ``day`` is ``YYYY-MM-DD`` and ``at`` ``HH:MM``, as Slack's pickers give them. Refused (with
    what to fix) before the no-show is recorded, for a time before the appointment started, or
    in the future.
    """
    appointment, client = _appointment(uow, None, appointment_id, now)
    authorise(policy, actor, client, front_desk_ok=True)
    if appointment.status != NO_SHOW:
        raise Refused(f"{client.code}'s appointment is not recorded as a no-show "
                                 f"(it is {appointment.status.replace('_', '-')}).")
    called_at = _reported_time(policy, day, at)
    if called_at < appointment.start_at:
        raise Refused(
            "That is before the appointment started "
            f"({clinic_time_text(policy, appointment.start_at)}).")
    if called_at > now:
        raise Refused("That is still to come: give the time the message was left.")
    record = uow.clients.get(client.code)
    assert record is not None
    guidance = check_contact(record, policy, called_at)
    voicemail_left = _voicemail_script(policy, record, guidance, appointment, now) is not None
    note = _filled_note(uow, policy, actor, record, appointment, called_at=called_at,
                        reported=True, voicemail_left=voicemail_left, now=now)
    return NoteResult(appointment.id, client.code, appointment.start_at, note)


def find_appointment(uow: UnitOfWork, appointment_id: uuid.UUID) -> tuple[str, datetime] | None:
    """The client code and start of an appointment (for a modal's question), None when gone."""
    appointment = uow.appointments.get(appointment_id)
    client = uow.clients.row_by_id(appointment.client_id) if appointment else None
    return (client.code, appointment.start_at) if appointment and client else None


# --- helpers --------------------------------------------------------------------------------------


def _appointment(uow: UnitOfWork, code: str | None, appointment_id: uuid.UUID | None,
                 now: datetime) -> tuple[Appointment, Client]:
    if appointment_id is not None:
        appointment = uow.appointments.get(appointment_id)
        if appointment is None:
            raise Refused("That appointment is no longer on file.")
        client = uow.clients.row_by_id(appointment.client_id)
        assert client is not None
        return appointment, client
    assert code is not None
    client = client_on_file(uow, code)
    appointment = _current(uow, client, now)
    if appointment is None:
        raise Refused(
            f"{client.code} has no appointment around now. Record it first: "
            f"`/contact-check appt {client.code} YYYY-MM-DD HH:MM`."
        )
    return appointment, client


def _current(uow: UnitOfWork, client: Client, now: datetime) -> Appointment | None:
    """The client's appointment of the moment: the latest one started (or starting soon)."""
    return uow.appointments.current(client.id, now - CURRENT_FROM, now + CURRENT_UNTIL,
                                    exclude=CANCELLED)


def _lock(uow: UnitOfWork, client: Client, appointment: Appointment) -> None:
    """Serialise marks about one client, then read the appointment as it is now.

    Held to the end of the transaction: a mark racing on another connection waits, then counts
    the run with this one's mark in it.
    """
    uow.approvals.lock_client(client.id)
    uow.appointments.reload(appointment)


def _marks(uow: UnitOfWork, client: Client) -> list[Mark]:
    """The client's appointments marked arrived or no-show; the rest do not count (see
    ``bot.policy.no_show``)."""
    return [Mark(a.id, a.start_at, a.status == NO_SHOW)
            for a in uow.appointments.with_status(client.id, (ARRIVED, NO_SHOW))]


def _ids(run: tuple[Mark, ...]) -> list[uuid.UUID]:
    return [uuid.UUID(str(m.appointment)) for m in run]


def _arrival_after(marks: list[Mark], run: tuple[Mark, ...]) -> datetime | None:
    if not run:
        return None
    return next((m.start for m in sorted(marks, key=lambda m: m.start)
                 if not m.no_show and m.start > run[-1].start), None)


def _filled_note(uow: UnitOfWork, policy: ClinicPolicy, actor: str, record: ClientRecord,
                 appointment: Appointment, *, called_at: datetime, reported: bool,
                 voicemail_left: bool, now: datetime) -> str:
    """The note for an ephemeral reply or a modal: the client's first name for the treating team
    (the read is audited), the code for anyone else."""
    name = record.preferred_name if card_access(policy, actor, record).details else None
    if name:
        uow.audit.append(actor, "appointment.note_viewed", record.code,
                         {"appointment_id": str(appointment.id)}, at=now)
    return _note(uow, policy, appointment, client=f"{name} ({record.code})" if name
                 else record.code, called_at=called_at, reported=reported,
                 voicemail_left=voicemail_left, now=now)


def _note(uow: UnitOfWork, policy: ClinicPolicy, appointment: Appointment, *, client: str,
          called_at: datetime | None, reported: bool, voicemail_left: bool,
          now: datetime) -> str:
    following = uow.appointments.next_scheduled(appointment.client_id, now)
    return no_show_note(
        policy, client=client, appointment_start=appointment.start_at, called_at=called_at,
        reported=reported, voicemail_left=voicemail_left,
        next_appointment=following.start_at if following is not None else None,
        confirm_by=closure_deadline_in_force(uow, appointment.client_id, now),
    )


def _reported_time(policy: ClinicPolicy, day: str, at: str) -> datetime:
    try:
        wall_day = date.fromisoformat(day.strip())
        raw = at.strip()
        if len(raw) != 5 or raw[2] != ":":
            raise ValueError(raw)
        wall = time.fromisoformat(raw)
    except ValueError:
        raise Refused("Give the day (YYYY-MM-DD) and the time (HH:MM, 24-hour "
                                 "clock) the message was left.") from None
    return wall_clock_instant(wall_day, wall, policy.clinic.timezone)


def _voicemail_script(policy: ClinicPolicy, record: ClientRecord, guidance: Guidance,
                      appointment: Appointment, now: datetime) -> str | None:
    """The no-show voicemail for this client's consent; None when no voicemail may be left."""
    if guidance.verdict is Verdict.DO_NOT_CALL or not guidance.voicemail_ok:
        return None
    clinician = policy.member(appointment.clinician or record.clinician or "")
    return no_show_voicemail(
        policy, clinician_first_name=clinician.first_name if clinician else "[your first name]",
        callback_number=callback_number(policy, guidance.clinic_name_ok),
        clinic_name_ok=guidance.clinic_name_ok, appointment_start=appointment.start_at, now=now,
    )


# --- the chase at send time -----------------------------------------------------------------------


def _chased(uow: UnitOfWork, row: OutboxMessage) -> tuple[Appointment, Client] | None:
    try:
        appointment = uow.appointments.get(uuid.UUID(str(row.payload["appointment_id"])))
    except (KeyError, ValueError):
        return None
    if appointment is None:
        return None
    client = uow.clients.row_by_id(appointment.client_id)
    return None if client is None else (appointment, client)


def chase_still_wanted(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    found = _chased(uow, row)
    if found is None:
        return "the appointment is gone"
    appointment, client = found
    if appointment.status != SCHEDULED:
        return f"the appointment was already marked {appointment.status.replace('_', '-')}"
    if calls_refused(uow.clients.get(client.code)):
        return "the client no longer consents to calls"
    return None


def chase(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage, now: datetime) -> Chase:
    """What the chase says when it is sent: the voicemail script for the client's consent now,
    and the note's outline. The DM stays in Slack's history and comes before any call: the code,
    never the name, and the call time left to fill in (the filled-in note comes with No-show)."""
    found = _chased(uow, row)
    if found is None:
        raise LookupError(f"outbox {row.id}: its appointment is gone")
    appointment, client = found
    record = uow.clients.get(client.code)
    assert record is not None
    guidance = check_contact(record, policy, now)
    script = _voicemail_script(policy, record, guidance, appointment, now)
    note = _note(uow, policy, appointment, client=client.code, called_at=None, reported=False,
                 voicemail_left=script is not None, now=now)
    return Chase(appointment_id=appointment.id, client_code=client.code,
                 start_at=appointment.start_at, now=now, guidance=guidance,
                 voicemail_script=script, note=note)


# --- the details behind the chase's button (treating team only) -----------------------------------


def appointment_details(uow: UnitOfWork, policy: ClinicPolicy, *, viewer: str,
                        appointment_id: uuid.UUID, now: datetime) -> AppointmentDetails:
    """The appointment's details for a modal; the read is audited. ``Refused`` for anyone but
    the treating team and admins."""
    appointment, client = _appointment(uow, None, appointment_id, now)
    record = uow.clients.get(client.code)
    assert record is not None
    authorise(policy, viewer, record, rule=details_access)
    uow.audit.append(viewer, "appointment.details_viewed", record.code,
                     {"appointment_id": str(appointment.id)}, at=now)
    return AppointmentDetails(record=record, guidance=check_contact(record, policy, now),
                              start_at=appointment.start_at, minutes=appointment.minutes,
                              status=appointment.status)
