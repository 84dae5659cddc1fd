"""Run-ins: documenting an encounter with a client outside the office, and revisiting it.

The clinic's guidance: let the client lead, keep it light, document it, and at the next session ask
the client how the encounter was for them. So a documented run-in is sealed (place, what was said,
what to revisit), audited with ids only, and followed by a reminder to the clinician just before the
client's next appointment.

Why the reminder goes through the outbox, kind ``runin_followup``: it is a message due at a known
time, and the outbox already gives the durable, deduplicated, paced, re-checked-at-send-time
delivery every other reminder gets. The no-show chase is the wrong home: it fires only when the
client does *not* come, and the reminder is wanted precisely when they do. Because the next
appointment may not exist yet when the run-in is documented (or may be cancelled, or missed),
``sweep_followups`` looks again on every jobs tick: it queues the reminder for the client's next
scheduled appointment, moves it on after a no-show or cancellation, and closes the run-in once the
client has arrived for an appointment the reminder was sent for. Each reminder's dedupe key is
(run-in, appointment), so sweeping any number of times queues each reminder once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.policy.clinic import ClinicPolicy
from bot.policy.dates import date_range_problem
from bot.policy.model import RunInRecord
from bot.services.authorise import Refused, authorise, client_on_file
from bot.services.outcomes import (
    INITIATORS,
    PLACE_MAX,
    TEXT_MAX,
    RunInDraft,
    RunInFollowup,
    RunInForm,
)
from storage.tables import Appointment, Client, OutboxMessage, RunIn
from storage.uow import UnitOfWork

FOLLOWUP_KIND = "runin_followup"
FOLLOWUP_PRIORITY = 4  # after chases (1) and approvals (3), before call-back reminders (5)
FOLLOWUP_LEAD = timedelta(minutes=10)  # in the clinician's hands before the session starts
SUBJECT_KIND = "run_in"

FUTURE_TOLERANCE = timedelta(minutes=5)
UNMARKED_GRACE = timedelta(days=1)  # an appointment never marked arrived: move to the next one

_IN_FLIGHT_DONE = ("sent", "cancelled", "failed")


@dataclass(frozen=True)
class RunInSaved:
    run_in_id: uuid.UUID | None
    client_code: str
    occurred_at: datetime | None = None
    initiated_by: str = "client"
    followup_at: datetime | None = None
    errors: dict[str, str] = field(default_factory=dict)  # form field -> what to fix
    duplicate: bool = False  # the same submission arrived again: stored once, the first time

    @property
    def ok(self) -> bool:
        return not self.errors


# --- who may document ----------------------------------------------------------------------------


def _authorise(policy: ClinicPolicy, actor: str, client: Client) -> Client:
    """The treating team documents run-ins: the client's clinician, their supervisor, admins."""
    authorise(policy, actor, client, details=True, refusal=(
        f"Run-ins with `{client.code}` are documented by the client's treating team (their "
        "clinician, the clinician's supervisor, or an admin). If you ran into this client, tell "
        "their clinician, without details, in person."))
    return client


def _client(uow: UnitOfWork, policy: ClinicPolicy, actor: str, code: str) -> Client:
    """The client a typed code names, for someone who may document a run-in with them."""
    authorise(policy, actor, None)  # off the team: refused before the code is looked at
    return _authorise(policy, actor, client_on_file(
        uow, code, code_hint=" Try `/contact-check runin C-1042`."))


def _client_of(uow: UnitOfWork, policy: ClinicPolicy, actor: str, row: RunIn | None) -> Client:
    client = uow.clients.row_by_id(row.client_id) if row is not None else None
    if client is None:
        raise Refused("That run-in is no longer on file.")
    return _authorise(policy, actor, client)


def start_runin(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, client_code: str,
                now: datetime) -> RunInDraft:
    """Check the person may document a run-in with this client; the modal's starting values."""
    client = _client(uow, policy, actor, client_code)
    local = now.astimezone(policy.clinic.timezone)
    return RunInDraft(client_code=client.code, date=f"{local:%Y-%m-%d}", time=f"{local:%H:%M}")


# --- recording -----------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return " ".join((text or "").split()) if text else ""


def _validate(policy: ClinicPolicy, form: RunInForm, now: datetime) -> tuple[datetime | None,
                                                                            dict[str, str]]:
    errors: dict[str, str] = {}
    day: date | None = None
    wall: time | None = None
    try:
        day = date.fromisoformat((form.date or "").strip())
    except ValueError:
        errors["date"] = "Give the date as YYYY-MM-DD, for example 2026-11-21."
    try:
        raw = (form.time or "").strip()
        if len(raw) != 5 or raw[2] != ":":
            raise ValueError(raw)
        wall = time.fromisoformat(raw)
    except ValueError:
        errors["time"] = "Give the time as HH:MM (24-hour clock), for example 14:30."
    occurred: datetime | None = None
    today = now.astimezone(policy.clinic.timezone).date()
    problem = date_range_problem(day, today) if day is not None else None
    if problem is not None:
        errors["date"] = f"{problem[0].upper()}{problem[1:]}."
    elif day is not None and wall is not None:
        occurred = datetime.combine(day, wall, tzinfo=policy.clinic.timezone).astimezone(UTC)
        if occurred > now + FUTURE_TOLERANCE:
            errors["date"] = "That is in the future: document a run-in after it happened."
    place = _clean(form.place)
    if not place:
        errors["place"] = "Say where it happened, briefly (for example: grocery store)."
    elif len(place) > PLACE_MAX:
        errors["place"] = f"Keep the place short: at most {PLACE_MAX} characters."
    if form.initiated_by not in INITIATORS:
        errors["initiated_by"] = "Choose who greeted first."
    for name in ("summary", "revisit"):
        if len((getattr(form, name) or "").strip()) > TEXT_MAX:
            errors[name] = f"Keep it light: at most {TEXT_MAX} characters."
    return occurred, errors


def record_runin(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, client_code: str,
                 form: RunInForm, now: datetime, submission_id: str | None = None) -> RunInSaved:
    """Validate and store a run-in (sealed, audited) and queue the follow-up reminder.

    Invalid forms store nothing and come back with ``errors`` keyed by form field. A
    ``submission_id`` (Slack's view id) makes a retried or repeated submission a no-op that comes
    back ``duplicate``.
    """
    client = _client(uow, policy, actor, client_code)
    client_code = client.code  # the spelling on file (codes match in any case)
    occurred, errors = _validate(policy, form, now)
    if errors or occurred is None:
        return RunInSaved(run_in_id=None, client_code=client_code, errors=errors)
    if submission_id and not uow.runins.first_submission(f"runin:{submission_id}", now):
        return RunInSaved(run_in_id=None, client_code=client_code, occurred_at=occurred,
                          initiated_by=form.initiated_by, duplicate=True)
    clinician = client.clinician or actor
    row = uow.runins.add(
        client, clinician=clinician, occurred_at=occurred, place=_clean(form.place),
        initiated_by=form.initiated_by, summary=(form.summary or "").strip() or None,
        revisit=(form.revisit or "").strip() or None, created_by=actor, now=now,
    )
    uow.audit.append(actor, "runin.recorded", client_code,
                     {"run_in": str(row.id), "initiated_by": form.initiated_by}, at=now)
    queued = schedule_followup(uow, row, client, now)
    return RunInSaved(run_in_id=row.id, client_code=client_code, occurred_at=occurred,
                      initiated_by=form.initiated_by,
                      followup_at=queued.due_at if queued is not None else None)


def read_runin(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, run_in_id: uuid.UUID,
               now: datetime) -> RunInRecord:
    """The decrypted run-in for the treating team (a modal); the read is audited."""
    _client_of(uow, policy, actor, uow.runins.row(run_in_id))
    record = uow.runins.get(run_in_id)
    if record is None:
        raise Refused("That run-in is no longer on file.")
    uow.audit.append(actor, "runin.viewed", record.client_code, {"run_in": str(run_in_id)},
                     at=now)
    return record


def mark_followed_up(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, run_in_id: uuid.UUID,
                     now: datetime) -> tuple[str, bool]:
    """The clinician asked the client about the run-in: (client code, changed?)."""
    row = uow.runins.row(run_in_id)
    client = _client_of(uow, policy, actor, row)
    assert row is not None
    changed = uow.runins.mark_followed_up(row, now)
    if changed:
        uow.audit.append(actor, "runin.followed_up", client.code, {"run_in": str(row.id)}, at=now)
        uow.outbox.cancel(SUBJECT_KIND, row.id, kinds=[FOLLOWUP_KIND])
    return client.code, changed


# --- the follow-up reminder ----------------------------------------------------------------------


def _latest_reminder(uow: UnitOfWork, run_in: RunIn) -> OutboxMessage | None:
    return uow.outbox.latest_for_subject(SUBJECT_KIND, run_in.id, FOLLOWUP_KIND)


def schedule_followup(uow: UnitOfWork, run_in: RunIn, client: Client,
                      now: datetime) -> OutboxMessage | None:
    """Queue (or move on, or close) the reminder for one open run-in; the queued row or None."""
    if run_in.followed_up_at is not None:
        return None
    after = max(run_in.created_at, now - timedelta(minutes=1))
    latest = _latest_reminder(uow, run_in)
    if latest is not None:
        if latest.status not in _IN_FLIGHT_DONE:
            return latest  # still to be sent; the send-time check looks again
        appointment = _appointment_of(uow, latest)
        if latest.status == "sent" and appointment is not None:
            if appointment.status == "arrived":
                uow.runins.mark_followed_up(run_in, now)
                uow.audit.append("contact-check", "runin.followed_up", client.code,
                                 {"run_in": str(run_in.id), "at_appointment": str(appointment.id)},
                                 at=now)
                return None
            if appointment.status == "scheduled" and now < appointment.start_at + UNMARKED_GRACE:
                return None  # the session has not been marked yet
        if appointment is not None:
            after = max(after, appointment.start_at)
    appointment = uow.appointments.next_scheduled(run_in.client_id, after)
    if appointment is None:
        return None
    due = max(appointment.start_at - FOLLOWUP_LEAD, now)
    return uow.outbox.enqueue(
        FOLLOWUP_KIND, run_in.clinician, due,
        {"client_code": client.code, "run_in_id": str(run_in.id),
         "appointment_id": str(appointment.id), "start_at": appointment.start_at.isoformat(),
         "occurred_at": run_in.occurred_at.isoformat()},
        priority=FOLLOWUP_PRIORITY, subject_kind=SUBJECT_KIND, subject_id=run_in.id,
        dedupe_key=f"{FOLLOWUP_KIND}:{run_in.id}:{appointment.id}",
    )


def _appointment_of(uow: UnitOfWork, message: OutboxMessage) -> Appointment | None:
    try:
        return uow.appointments.get(uuid.UUID(str(message.payload.get("appointment_id"))))
    except ValueError:
        return None


def sweep_followups(uow: UnitOfWork, now: datetime, limit: int = 1000) -> int:
    """Bring every open run-in's reminder up to date (a jobs tick); the number queued."""
    queued = 0
    for run_in in uow.runins.open_rows(limit):
        client = uow.clients.row_by_id(run_in.client_id)
        if client is None:
            continue
        before = _latest_reminder(uow, run_in)
        row = schedule_followup(uow, run_in, client, now)
        if row is not None and (before is None or row.id != before.id):
            queued += 1
    return queued


def followup_still_wanted(uow: UnitOfWork, message: OutboxMessage, now: datetime) -> str | None:
    """The send-time re-check: None to send, else why the reminder is no longer wanted."""
    run_in = uow.runins.row(uuid.UUID(str(message.payload.get("run_in_id"))))
    if run_in is None:
        return "the run-in is no longer on file"
    if run_in.followed_up_at is not None:
        return "the run-in was already revisited"
    appointment = _appointment_of(uow, message)
    if appointment is None or appointment.status in ("cancelled", "no_show"):
        return "the appointment is no longer happening"
    return None


def followup(uow: UnitOfWork, policy: ClinicPolicy, message: OutboxMessage,
             now: datetime) -> RunInFollowup:
    """What the reminder says: the code, the run-in's id and day, the appointment's start."""
    p = message.payload
    return RunInFollowup(client_code=str(p["client_code"]), run_in_id=str(p["run_in_id"]),
                         occurred_at=datetime.fromisoformat(p["occurred_at"]),
                         start_at=datetime.fromisoformat(p["start_at"]))
