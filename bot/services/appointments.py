"""Appointments and the no-show chase: record, arrived, no-show with its consecutive count.

Recording an appointment queues the chase (an outbox row, priority 1) for ``wait_minutes`` after
its start, in the same unit of work. ``arrived`` cancels it; at send time the chase is re-checked
(still not marked, client still consents to calls) and carries the voicemail script for the
client's consent of that moment, the late-fee line, the documentation note and ``Arrived`` /
``No-show`` buttons. A no-show is recorded with how many appointments in a row the client has
missed; reaching ``closure_warning_after`` asks for a closure warning (``bot.services.approvals``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.policy.access import card_access, details_access
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import Guidance, Verdict, calls_refused, check_contact
from bot.policy.model import CLIENT_CODE_RULE, ClientRecord, is_client_code
from bot.policy.scripts import clinic_time_text, no_show_note, no_show_voicemail
from bot.services.approvals import RequestResult, request_closure_warning
from bot.services.deliveries import CHASE_PRIORITY, Delivery, Rendered, register
from bot.views.card import callback_number
from bot.views.reminders import (
    ChaseFacts,
    DetailsFacts,
    client_lines,
    no_show_chase,
    verdict_reason,
)
from storage.tables import Appointment, Client, OutboxMessage
from storage.uow import UnitOfWork

CHASE_KIND = "no_show_chase"
SUBJECT_KIND = "appointment"
SCHEDULED, ARRIVED, NO_SHOW, CANCELLED = "scheduled", "arrived", "no_show", "cancelled"
# `arrived CODE` / `noshow CODE` mean the appointment starting within this span around now.
CURRENT_FROM = timedelta(hours=12)  # started up to this long ago
CURRENT_UNTIL = timedelta(hours=2)  # or starting this soon


class AppointmentRefused(Exception):
    """The request cannot be done; the message says why and what to do instead."""


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


@dataclass(frozen=True)
class NoShowResult:
    appointment_id: uuid.UUID
    client_code: str
    start_at: datetime
    consecutive: int  # no-shows in a row, this one included
    guidance: Guidance
    voicemail_script: str | None  # None: no voicemail may be left
    note: str
    already: bool  # it was already recorded: nothing changed
    closure_request: RequestResult | None = None


# --- recording ------------------------------------------------------------------------------------


def record_appointment(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, code: str,
                       start: datetime, minutes: int, now: datetime) -> AppointmentResult:
    """``appt CODE …``: store the appointment (same client and start: updated) and its chase."""
    client = _client(uow, code)
    _authorise(policy, actor, client)
    appointment, created = uow.appointments.save(client, start, minutes)
    uow.session.flush()
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
    clinician = appointment.clinician or client.clinician
    end = appointment.start_at + timedelta(minutes=appointment.minutes)
    if appointment.status != SCHEDULED or clinician is None or end <= now:
        return None
    chase_at = appointment.start_at + timedelta(minutes=policy.no_show.wait_minutes)
    uow.outbox.enqueue(
        CHASE_KIND, clinician, chase_at,
        {"appointment_id": str(appointment.id), "client_code": client.code},
        priority=CHASE_PRIORITY, subject_kind=SUBJECT_KIND, subject_id=appointment.id,
        dedupe_key=f"{CHASE_KIND}:{appointment.id}",
    )
    return chase_at


def mark_arrived(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, now: datetime,
                 code: str | None = None, appointment_id: uuid.UUID | None = None
                 ) -> ArrivedResult:
    """``arrived CODE`` or the button: the client came; the chase is cancelled. Idempotent."""
    appointment, client = _appointment(uow, code, appointment_id, now)
    _authorise(policy, actor, client, front_desk_ok=True)
    if appointment.status == ARRIVED:
        return ArrivedResult(appointment.id, client.code, appointment.start_at, already=True)
    corrected = appointment.status == NO_SHOW
    _mark(uow, appointment, ARRIVED, actor, now)
    uow.outbox.cancel(SUBJECT_KIND, appointment.id, kinds=[CHASE_KIND],
                      reason=f"arrived, marked by {actor}")
    uow.audit.append(actor, "appointment.arrived", client.code,
                     {"appointment_id": str(appointment.id), "corrected_no_show": corrected},
                     at=now)
    return ArrivedResult(appointment.id, client.code, appointment.start_at, already=False,
                         corrected_no_show=corrected)


def record_no_show(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, now: datetime,
                   code: str | None = None, appointment_id: uuid.UUID | None = None
                   ) -> NoShowResult:
    """``noshow CODE`` or the button: record the no-show, count the run, maybe ask for a warning.

    Recording it again changes nothing and asks for nothing. Whenever the reply's voicemail script
    carries the client's first name (the treating team), the look is audited
    (``appointment.script_viewed``), the first time and every repeat, in ``uow``.
    """
    appointment, client = _appointment(uow, code, appointment_id, now)
    _authorise(policy, actor, client, front_desk_ok=True)
    if appointment.start_at > now:
        raise AppointmentRefused(
            f"{client.code}'s appointment has not started yet (it starts "
            f"{clinic_time_text(policy, appointment.start_at)}); a no-show can be recorded once "
            "it has."
        )
    record = uow.clients.get(client.code)
    assert record is not None
    already = appointment.status == NO_SHOW
    request = None
    if not already:
        _mark(uow, appointment, NO_SHOW, actor, now)
        uow.outbox.cancel(SUBJECT_KIND, appointment.id, kinds=[CHASE_KIND],
                          reason=f"no-show recorded by {actor}")
    run = _no_show_run(uow, client, appointment)
    if not already:
        uow.audit.append(actor, "appointment.no_show", client.code,
                         {"appointment_id": str(appointment.id), "consecutive": len(run)}, at=now)
        if len(run) >= policy.no_show.closure_warning_after:
            request = request_closure_warning(
                uow, policy, client_code=client.code,
                clinician=appointment.clinician or client.clinician, requested_by=actor,
                no_show_dates=tuple(a.start_at for a in reversed(run)), now=now,
            )
    guidance = check_contact(record, policy, now)
    access = card_access(policy, actor, record)
    first_name = record.preferred_name if access.details else None
    script = _voicemail_script(policy, record, guidance, appointment, first_name=first_name)
    if script is not None and first_name:  # the reply shows the client's name: a look
        uow.audit.append(actor, "appointment.script_viewed", client.code,
                         {"appointment_id": str(appointment.id), "level": access.level.value},
                         at=now)
    note = no_show_note(policy, appointment_start=appointment.start_at, called_at=now,
                        voicemail_left=script is not None)
    return NoShowResult(appointment.id, client.code, appointment.start_at, len(run), guidance,
                        script, note, already, request)


# --- helpers --------------------------------------------------------------------------------------


def _client(uow: UnitOfWork, code: str) -> Client:
    if not is_client_code(code):
        raise AppointmentRefused(f"`{code[:40]}` is not a client code ({CLIENT_CODE_RULE}).")
    client = uow.clients.row(code)
    if client is None:
        raise AppointmentRefused(f"There is no client `{code}` on file. Check the code, or ask "
                                 "the clinic admin to import the client first.")
    return client


def _authorise(policy: ClinicPolicy, actor: str, client: Client, *,
               front_desk_ok: bool = False) -> None:
    """The treating team and admins; front desk too for arrivals and no-shows (they see who came).
    """
    member = policy.member(actor)
    if member is None:
        raise AppointmentRefused("Only members of the clinic's team can use Contact Check.")
    if front_desk_ok and member.role == "front_desk":
        return
    access = card_access(policy, actor, client)
    if not access.allowed:
        raise AppointmentRefused(access.reason)


def _appointment(uow: UnitOfWork, code: str | None, appointment_id: uuid.UUID | None,
                 now: datetime) -> tuple[Appointment, Client]:
    if appointment_id is not None:
        appointment = uow.session.get(Appointment, appointment_id)
        if appointment is None:
            raise AppointmentRefused("That appointment is no longer on file.")
        client = uow.session.get(Client, appointment.client_id)
        assert client is not None
        return appointment, client
    assert code is not None
    client = _client(uow, code)
    appointment = _current(uow, client, now)
    if appointment is None:
        raise AppointmentRefused(
            f"{client.code} has no appointment around now. Record it first: "
            f"`/contact-check appt {client.code} YYYY-MM-DD HH:MM`."
        )
    return appointment, client


def _current(uow: UnitOfWork, client: Client, now: datetime) -> Appointment | None:
    """The client's appointment of the moment: the latest one started (or starting soon)."""
    return uow.session.exec(
        select(Appointment)
        .where(Appointment.client_id == client.id,
               col(Appointment.start_at) >= now - CURRENT_FROM,
               col(Appointment.start_at) <= now + CURRENT_UNTIL,
               Appointment.status != CANCELLED)
        .order_by(col(Appointment.start_at).desc())
        .limit(1)
    ).first()


def _mark(uow: UnitOfWork, appointment: Appointment, status: str, actor: str,
          now: datetime) -> None:
    appointment.status = status
    appointment.marked_by = actor
    appointment.marked_at = now
    uow.session.add(appointment)
    uow.session.flush()


def _no_show_run(uow: UnitOfWork, client: Client, upto: Appointment) -> list[Appointment]:
    """The no-shows in a row ending with ``upto``, latest first (unmarked ones are skipped)."""
    marked = uow.session.exec(
        select(Appointment)
        .where(Appointment.client_id == client.id,
               col(Appointment.start_at) <= upto.start_at,
               col(Appointment.status).in_([ARRIVED, NO_SHOW]))
        .order_by(col(Appointment.start_at).desc())
    )
    run: list[Appointment] = []
    for appointment in marked:
        if appointment.status != NO_SHOW:
            break
        run.append(appointment)
    return run


def _voicemail_script(policy: ClinicPolicy, record: ClientRecord, guidance: Guidance,
                      appointment: Appointment, *, first_name: str | None) -> str | None:
    """The no-show voicemail for this client's consent; None when no voicemail may be left."""
    if guidance.verdict is Verdict.DO_NOT_CALL or not guidance.voicemail_ok:
        return None
    clinician = policy.member(appointment.clinician or record.clinician or "")
    return no_show_voicemail(
        policy, client_first_name=first_name,
        clinician_first_name=clinician.first_name if clinician else "[your first name]",
        callback_number=callback_number(policy), clinic_name_ok=guidance.clinic_name_ok,
        appointment_start=appointment.start_at,
    )


# --- the chase at send time -----------------------------------------------------------------------


def _chased(uow: UnitOfWork, row: OutboxMessage) -> tuple[Appointment, Client] | None:
    try:
        appointment = uow.session.get(Appointment, uuid.UUID(str(row.payload["appointment_id"])))
    except (KeyError, ValueError):
        return None
    if appointment is None:
        return None
    client = uow.session.get(Client, appointment.client_id)
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


def render_chase(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                 now: datetime) -> Rendered:
    found = _chased(uow, row)
    if found is None:
        raise LookupError(f"outbox {row.id}: its appointment is gone")
    appointment, client = found
    record = uow.clients.get(client.code)
    assert record is not None
    guidance = check_contact(record, policy, now)
    # The DM stays in Slack's history: the script gets a [first name] prompt, never the name.
    script = _voicemail_script(policy, record, guidance, appointment, first_name=None)
    start_local = appointment.start_at.astimezone(policy.clinic.timezone)
    message = no_show_chase(ChaseFacts(
        appointment_id=str(appointment.id),
        client_code=client.code,
        start_text=f"{start_local.hour % 12 or 12}:{start_local.minute:02d} "
                   f"{'AM' if start_local.hour < 12 else 'PM'}",
        minutes_since_start=max(0, int((now - appointment.start_at).total_seconds() // 60)),
        verdict=guidance.verdict.value,
        verdict_reason=verdict_reason(guidance, policy),
        voicemail_script=script,
        note=no_show_note(policy, appointment_start=appointment.start_at, called_at=now,
                          voicemail_left=script is not None),
    ))
    return Rendered(text=message["text"], blocks=message["blocks"])


register(CHASE_KIND, Delivery(render=render_chase, still_wanted=chase_still_wanted))


# --- the details behind the chase's button (treating team only) -----------------------------------


def appointment_details(uow: UnitOfWork, policy: ClinicPolicy, *, viewer: str,
                        appointment_id: uuid.UUID, now: datetime) -> DetailsFacts:
    """The appointment's details for a modal; raises ``AppointmentRefused`` for anyone else."""
    appointment, client = _appointment(uow, None, appointment_id, now)
    record = uow.clients.get(client.code)
    assert record is not None
    access = details_access(policy, viewer, record)
    if not access.allowed:
        raise AppointmentRefused(access.reason)
    guidance = check_contact(record, policy, now)
    lines = client_lines(record, guidance)
    lines += [
        ("Consent now", guidance.verdict.value),
        ("Voicemail", "may be left" if guidance.voicemail_ok else "do not leave one"),
        ("Clinic's name", "may be said" if guidance.clinic_name_ok else "do not say it"),
        ("Appointment", f"{clinic_time_text(policy, appointment.start_at)}, "
                        f"{appointment.minutes} minutes"),
        ("Status", appointment.status.replace("_", "-")),
    ]
    uow.audit.append(viewer, "appointment.details_viewed", record.code,
                     {"appointment_id": str(appointment.id)}, at=now)
    return DetailsFacts(title=f"Appointment {record.code}", lines=tuple(lines))
