"""Call-back duties: log a missed call, say whether a call back is owed and by when, remind, close.

``log_missed`` takes a client code, or the +E.164 number of a caller (a number on file for exactly
one client counts as that client, found through the blind index; otherwise the caller is a
potential client whose number is stored sealed). Whether a call back is owed and when it is due is
the policy's ``callback_due``; reminder times are ``reminder_times``. A client who has not given
permission to be called (``calls_refused``) is owed no call back: the call is recorded, nothing is
scheduled; ``release_refused`` closes the open duties of a client who withdraws that permission.
Each reminder is an outbox row written in the same unit of work as the duty, with a
``Returned`` button; ``mark_returned`` (the ``returned CODE`` command or the button) closes the
duty and cancels what is still queued. At send time a reminder is re-checked (duty still open,
client still consents to calls) and repeats the consent verdict of that moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.policy.access import caller_access, details_access
from bot.policy.business_hours import CallbackDue, callback_due, reminder_times
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import Guidance, Verdict, callback_now, calls_refused, check_contact
from bot.policy.model import ClientRecord
from bot.services.authorise import Refused, authorise, client_on_file
from bot.services.deliveries import REMINDER_PRIORITY
from bot.services.outcomes import CallbackDetails, CallbackReminder
from storage.repositories.callbacks import NOT_OWED, OPEN
from storage.tables import CallbackDuty, Client, OutboxMessage
from storage.uow import UnitOfWork

REMINDER_KIND = "callback_reminder"
SUBJECT_KIND = "callback"
SAME_CALL = timedelta(minutes=2)  # the same missed call logged twice (a double submit)


@dataclass(frozen=True)
class MissedCall:
    duty_id: uuid.UUID
    client_code: str | None  # None: a potential client
    clinician: str  # who is reminded
    due: CallbackDue
    reminders: tuple[datetime, ...]
    guidance: Guidance  # the consent check for calling back now (their call: see consent.py)
    verdict: Verdict  # returning the call now: the consent's, waiting for the clinic's rules
    returnable_from: datetime | None  # "Not now": from when the call may be returned
    already_logged: bool = False  # the same call was logged a moment ago: nothing new
    calls_refused: bool = False  # the client has not given permission to be called: not owed


@dataclass(frozen=True)
class ReturnedResult:
    client_code: str | None
    closed: int  # duties closed now (0: nothing was open)
    closed_before_by: str | None = None  # when already closed: who closed it
    closed_before_at: datetime | None = None


# --- logging a missed call -----------------------------------------------------------------------


def log_missed(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, code: str | None = None,
               phone: str | None = None, voicemail: bool | None = None,
               now: datetime) -> MissedCall:
    """Log a call missed ``now``; owed?, due when, reminders queued; all in ``uow`` (not committed).

    ``voicemail`` None (not said) is recorded as no voicemail.
    """
    if (code is None) == (phone is None):
        raise ValueError("give exactly one of code and phone")
    authorise(policy, actor, None)  # anyone on the team may log a call
    client = _client_for(uow, code, phone)
    record = uow.clients.get(client.code) if client is not None else None
    if client is not None:
        authorise(policy, actor, client)
    clinician = (client.clinician if client is not None and client.clinician else actor)
    voicemail_left = bool(voicemail)

    recent = _same_call(uow, client, phone, now)
    if recent is not None:
        return _result(uow, policy, recent, record, now, already_logged=True)

    refused = calls_refused(record)
    due = callback_due(policy, now, voicemail_left, calls_refused=refused)
    duty = uow.callbacks.add(
        client_id=client.id if client is not None else None,
        caller_phone=phone if client is None else None,
        clinician=clinician, logged_by=actor, called_at=now, voicemail_left=voicemail_left,
        owed=due.owed, due_at=due.due_at,
    )
    times = _reminder_times(policy, due, now)
    for at in times:
        uow.outbox.enqueue(
            REMINDER_KIND, clinician, at,
            {"duty_id": str(duty.id), "client_code": client.code if client else None,
             "final": due.due_at is not None and at == due.due_at},
            priority=REMINDER_PRIORITY, subject_kind=SUBJECT_KIND, subject_id=duty.id,
            dedupe_key=f"{REMINDER_KIND}:{duty.id}:{at.isoformat()}",
        )
    uow.audit.append(
        actor, "callback.missed", client.code if client else None,
        {"duty_id": str(duty.id), "potential_client": client is None, "voicemail": voicemail_left,
         "owed": due.owed, "calls_refused": refused, "due_at": due.due_at,
         "clinician": clinician, "reminders": len(times)},
        at=now,
    )
    return _result(uow, policy, duty, record, now, reminders=times)


def _client_for(uow: UnitOfWork, code: str | None, phone: str | None) -> Client | None:
    if code is not None:
        return client_on_file(uow, code, hint=(
            "For a caller who is not a client yet, log the number they called from: "
            "`/contact-check missed +15551234567`."))
    assert phone is not None
    codes = uow.clients.codes_for_phone(phone)
    if len(codes) == 1:
        return uow.clients.row(codes[0])
    if len(codes) > 1:
        listed = ", ".join(f"`{c}`" for c in sorted(codes))
        raise Refused(
            f"That number is on file for more than one client ({listed}). Log the call with "
            "the client's code: `/contact-check missed CODE`."
        )
    return None


def _same_call(uow: UnitOfWork, client: Client | None, phone: str | None,
               now: datetime) -> CallbackDuty | None:
    duties = (uow.callbacks.open_for_client(client.id) if client is not None
              else uow.callbacks.open_for_phone(phone or ""))
    recent = [d for d in duties if timedelta(0) <= now - d.called_at <= SAME_CALL]
    return recent[-1] if recent else None


def _reminder_times(policy: ClinicPolicy, due: CallbackDue, now: datetime) -> tuple[datetime, ...]:
    if not due.owed:
        return ()
    if due.due_at is not None:
        return reminder_times(policy, due.due_at, now)
    # No deadline: one reminder when the call back may first be made, if that is later.
    if due.earliest_call_at is not None and due.earliest_call_at > now:
        return (due.earliest_call_at,)
    return ()


def _result(uow: UnitOfWork, policy: ClinicPolicy, duty: CallbackDuty,
            record: ClientRecord | None, now: datetime, *,
            reminders: tuple[datetime, ...] | None = None,
            already_logged: bool = False) -> MissedCall:
    if reminders is None:
        reminders = tuple(r.due_at for r in uow.outbox.for_subject(SUBJECT_KIND, duty.id))
    refused = calls_refused(record)
    due = callback_due(policy, duty.called_at, duty.voicemail_left, calls_refused=refused)
    guidance = check_contact(record, policy, now, their_call=True)
    verdict, returnable_from = callback_now(guidance, due, now)
    return MissedCall(
        duty_id=duty.id, client_code=record.code if record else None, clinician=duty.clinician,
        due=due, reminders=reminders, guidance=guidance, verdict=verdict,
        returnable_from=returnable_from, already_logged=already_logged, calls_refused=refused,
    )


# --- closing a duty ------------------------------------------------------------------------------


def mark_returned(uow: UnitOfWork, policy: ClinicPolicy, *, actor: str, now: datetime,
                  code: str | None = None, duty_id: uuid.UUID | None = None) -> ReturnedResult:
    """Close the open call-back duties of a client (command) or one duty (button). Idempotent."""
    if (code is None) == (duty_id is None):
        raise ValueError("give exactly one of code and duty_id")
    authorise(policy, actor, None)
    if code is not None:
        client = _client_for(uow, code, None)
        assert client is not None
        authorise(policy, actor, client)
        duties = uow.callbacks.open_for_client(client.id)
        client_code: str | None = client.code
    else:
        assert duty_id is not None  # exactly one of the two (checked above)
        duty = uow.callbacks.get(duty_id)
        if duty is None:
            raise Refused("That call-back is no longer on file.")
        client = uow.clients.row_by_id(duty.client_id) if duty.client_id else None
        if client is not None:
            authorise(policy, actor, client)
        client_code = client.code if client else None
        if duty.status != OPEN:
            return ReturnedResult(client_code, 0, duty.closed_by, duty.closed_at)
        duties = [duty]
    for duty in duties:
        uow.callbacks.close(duty, by=actor, at=now)
        uow.outbox.cancel(SUBJECT_KIND, duty.id, kinds=[REMINDER_KIND],
                          reason=f"returned by {actor}")
        uow.audit.append(actor, "callback.returned", client_code,
                         {"duty_id": str(duty.id), "late": bool(duty.due_at and now > duty.due_at)},
                         at=now)
    return ReturnedResult(client_code, len(duties))


class OnFileClient(Protocol):
    """A client on file as far as ``release_refused`` needs: its row id and its code (a
    ``Client`` row, or a client read for an import)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def code(self) -> str: ...


def release_refused(uow: UnitOfWork, clients: Sequence[OnFileClient], *, actor: str,
                    now: datetime) -> int:
    """Clients who no longer give permission to be called are owed no call back (seed 000): their
    open duties close as not owed, their queued reminders are cancelled; audited. How many."""
    duties = uow.callbacks.open_for_clients([c.id for c in clients])
    codes: dict[uuid.UUID | None, str] = {c.id: c.code for c in clients}
    for duty in duties:
        uow.callbacks.close(duty, by=actor, at=now, status=NOT_OWED)
        uow.outbox.cancel(SUBJECT_KIND, duty.id, kinds=[REMINDER_KIND],
                          reason="the client no longer consents to calls")
        uow.audit.append(actor, "callback.not_owed", codes.get(duty.client_id),
                         {"duty_id": str(duty.id), "calls_refused": True}, at=now)
    return len(duties)


# --- the reminder at send time --------------------------------------------------------------------


def _duty_of(uow: UnitOfWork, row: OutboxMessage) -> CallbackDuty | None:
    try:
        return uow.callbacks.get(uuid.UUID(str(row.payload.get("duty_id"))))
    except ValueError:
        return None


def _record_of(uow: UnitOfWork, duty: CallbackDuty) -> ClientRecord | None:
    return uow.clients.get_by_id(duty.client_id) if duty.client_id is not None else None


def reminder_still_wanted(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    duty = _duty_of(uow, row)
    if duty is None:
        return "the call-back duty is gone"
    if duty.status != OPEN:
        return f"the call back was already {duty.status.replace('_', ' ')}"
    if calls_refused(_record_of(uow, duty)):
        return "the client no longer consents to calls"
    return None


def reminder(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
             now: datetime) -> CallbackReminder:
    """What a reminder says when it is sent: the consent verdict of that moment."""
    duty = _duty_of(uow, row)
    if duty is None:
        raise LookupError(f"outbox {row.id}: its call-back duty is gone")
    record = _record_of(uow, duty)
    return CallbackReminder(duty_id=duty.id, client_code=record.code if record else None,
                            called_at=duty.called_at, due_at=duty.due_at,
                            final=bool(row.payload.get("final")),
                            guidance=check_contact(record, policy, now, their_call=True))


# --- the details behind a reminder's button (treating team only) ----------------------------------


def callback_details(uow: UnitOfWork, policy: ClinicPolicy, *, viewer: str, duty_id: uuid.UUID,
                     now: datetime) -> CallbackDetails:
    """The duty's details for a modal; the read is audited. ``Refused`` for anyone else."""
    duty = uow.callbacks.get(duty_id)
    if duty is None:
        raise Refused("That call-back is no longer on file.")
    record = _record_of(uow, duty)
    if record is not None:
        authorise(policy, viewer, record, rule=details_access)
    else:
        authorise(policy, viewer, None, rule=lambda policy, user, client: caller_access(
            policy, user, assigned=duty.clinician, logged_by=duty.logged_by))
    uow.audit.append(viewer, "callback.details_viewed", record.code if record else None,
                     {"duty_id": str(duty.id)}, at=now)
    return CallbackDetails(
        record=record,
        caller_phone=None if record is not None else uow.callbacks.caller_phone(duty),
        guidance=check_contact(record, policy, now, their_call=True),
        called_at=duty.called_at, voicemail_left=duty.voicemail_left, due_at=duty.due_at,
        status=duty.status)
