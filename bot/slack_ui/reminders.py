"""Block Kit for the reminders the bot sends by itself: the no-show chase and call-back reminders.

Pure builders: data in, ``{"text", "blocks"}`` out. These DMs stay in Slack's history, so they
carry client codes, times and generic scripts only — the voicemail script has a ``[first name]``
prompt, never a name, a phone number or a note. The details (name, number to use) are one click
away, in a modal only the treating team can open (``reminder_details_modal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.mrkdwn import escape
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import Guidance, Verdict
from bot.policy.model import ClientRecord
from bot.policy.scripts import clinic_time_text
from bot.services.outcomes import (
    AppointmentDetails,
    CallbackDetails,
    CallbackReminder,
    Chase,
    FailureReport,
)
from bot.slack_ui import ids
from bot.slack_ui.blocks import button, context, plain, section
from bot.slack_ui.metadata import metadata_value, private_metadata
from bot.slack_ui.outbox import Rendered

Message = dict[str, Any]


def details_value(subject_kind: str, subject_id: str) -> str:
    """The value of a "Details" button: which duty or appointment to open."""
    return f"{subject_kind}:{subject_id}"


def parse_details_value(value: str) -> tuple[str, str] | None:
    kind, sep, subject = value.partition(":")
    return (kind, subject) if sep and kind in ("callback", "appointment") and subject else None


def verdict_reason(guidance: Guidance, policy: ClinicPolicy) -> str:
    """The one reason a reminder gives for its verdict, safe for Slack's history: when the
    calling window opens for "Not now", else the first of the guidance's reasons (which never
    carry a number, a name or a do-not-call reason)."""
    if guidance.verdict is Verdict.NOT_NOW and guidance.opens_at is not None:
        return f"the client's calling window opens {clinic_time_text(policy, guidance.opens_at)}."
    return guidance.reasons[0] if guidance.reasons else ""


# --- the no-show chase ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChaseFacts:
    """What the chase DM says; every field is safe for Slack's history."""

    appointment_id: str
    client_code: str
    start_text: str  # "10:00 AM" today, else "Tuesday, November 17 at 10:00 AM" (clinic time)
    minutes_since_start: int
    verdict: str  # the consent verdict now: "OK to call", "Not now", …
    verdict_reason: str  # a reason safe for anyone (never a number or a do-not-call reason)
    voicemail_script: str | None  # None: no voicemail may be left on the number to use
    note: str  # the note's outline: the appointment filled in, the call time left to fill


def _ago(minutes: int) -> str:
    """ "20 minutes ago", "3 hours ago", "7 days ago" (whole units, rounded down)."""
    for size, unit in ((24 * 60, "day"), (60, "hour")):
        if minutes >= 2 * size:
            return f"{minutes // size} {unit}s ago"
    return f"{minutes} minute{'' if minutes == 1 else 's'} ago"


def no_show_chase(facts: ChaseFacts) -> Message:
    text = (
        f"No-show check: {facts.client_code} has not been marked arrived for "
        f"{facts.start_text} (it started {_ago(facts.minutes_since_start)})."
    )
    if facts.voicemail_script is not None:
        voicemail = f"*Voicemail script* (first name only):\n>{escape(facts.voicemail_script)}"
    else:
        voicemail = (
            "*No voicemail:* this client has not agreed to messages on the number to use. "
            "If nobody answers, hang up without leaving one."
        )
    blocks = [
        section(f":alarm_clock: *{facts.client_code}* has not been marked arrived for the "
                f"{facts.start_text} appointment (it started "
                f"{_ago(facts.minutes_since_start)})."),
        section(f"*{facts.verdict}* — {facts.verdict_reason}"),
        section(voicemail),
        section(f"*Documentation note* (press *No-show* once you have called, and it comes "
                f"back filled in):\n```{facts.note}```"),
        {
            "type": "actions",
            "block_id": f"chase:{facts.appointment_id}",
            "elements": [
                button("Arrived", ids.CHASE_ARRIVED, facts.appointment_id, "primary"),
                button("No-show", ids.CHASE_NO_SHOW, facts.appointment_id, "danger"),
                button("Details", ids.REMINDER_DETAILS,
                       details_value("appointment", facts.appointment_id)),
            ],
        },
    ]
    return {"text": text, "blocks": blocks}


def chase_closed(client_code: str, start_text: str, outcome: str) -> Message:
    """The chase after someone answered it: the buttons are gone, the outcome stays."""
    text = f"{client_code}, {start_text} appointment: {outcome}."
    return {"text": text, "blocks": [section(f":white_check_mark: {text}")]}


def callback_closed(who: str, outcome: str) -> Message:
    """A call-back reminder after its Returned button: the buttons are gone, the outcome stays."""
    text = f"Call back {who}: {outcome}."
    return {"text": text, "blocks": [section(f":white_check_mark: {text}")]}


# --- call-back reminders -------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackFacts:
    duty_id: str
    client_code: str | None  # None: a potential client (their number is in the details only)
    called_text: str  # when the call was missed, clinic time
    due_text: str | None  # the deadline, clinic time; None when the clinic sets none
    final: bool  # the reminder at the due time (not one before it)
    verdict: str
    verdict_reason: str


def callback_reminder(facts: CallbackFacts) -> Message:
    who = facts.client_code or "a potential client"
    if facts.due_text is None:
        when = "no deadline is set"
    elif facts.final:
        when = f"due now ({facts.due_text})"
    else:
        when = f"due by {facts.due_text}"
    text = f"Call-back reminder: {who}, missed call {facts.called_text}; {when}."
    blocks = [
        section(f":telephone_receiver: *Call back {who}* — {when}.\n"
                f"Missed call: {facts.called_text}."),
        section(f"*{facts.verdict}* — {facts.verdict_reason}"),
    ]
    if facts.client_code is None:
        blocks.append(context(
            "A potential client: use the first name only, never the clinic's name or the "
            "reason for the call. The number is under Details."
        ))
    blocks.append({
        "type": "actions",
        "block_id": f"callback:{facts.duty_id}",
        "elements": [
            button("Returned", ids.CALLBACK_RETURNED, facts.duty_id, "primary"),
            button("Details", ids.REMINDER_DETAILS, details_value("callback", facts.duty_id)),
        ],
    })
    return {"text": text, "blocks": blocks}


# --- late marking and delivery failures -----------------------------------------------------------


def mark_late(message: Message, *, due_text: str, late_text: str) -> Message:
    """The same message, marked as sent late: it was meant for ``due_text``."""
    banner = f":hourglass: Sent late: this was due at {due_text} ({late_text} late)."
    return {"text": f"[Late] {message['text']}",
            "blocks": [context(banner), *message.get("blocks", [])]}


def delivery_failed_message(*, kind: str, recipient: str, error: str,
                            client_code: str | None) -> Message:
    about = f" about {client_code}" if client_code else ""
    what = kind.replace("_", " ")
    text = (f"A {what}{about} could not be delivered to <@{recipient}>: Slack answered "
            f"`{error}`. It will not be retried.")
    return {"text": text, "blocks": [
        section(f":warning: {text}"),
        context("Check that the person is still in the workspace and the app is installed with "
                "its scopes; then let them know by other means."),
    ]}


# --- the details modal (treating team only) -------------------------------------------------------


@dataclass(frozen=True)
class DetailsFacts:
    title: str  # "Call back C-1042" / "Appointment C-1042"
    lines: tuple[tuple[str, str], ...]  # (label, value): may hold names and numbers


def client_lines(record: ClientRecord, guidance: Guidance) -> list[tuple[str, str]]:
    """The first lines of a details modal: who the client is and the number to use now."""
    name = escape(record.preferred_name) if record.preferred_name else "no name on file"
    lines = [("Client", f"{record.code} ({name})")]
    number = guidance.use_number
    if number is not None and number.number:
        lines.append(("Number to use", f"{number.kind}: {number.number}"))
    return lines


def reminder_details_modal(facts: DetailsFacts) -> dict[str, Any]:
    fields = "\n".join(f"*{label}:* {value}" for label, value in facts.lines)
    return {
        "type": "modal",
        "callback_id": ids.REMINDER_DETAILS_MODAL,
        "title": plain(facts.title[:24]),
        "close": plain("Close"),
        "blocks": [
            section(fields or "Nothing more is on file."),
            context("Only the client's clinician, their supervisor and admins see this."),
        ],
    }


def details_refused_modal(reason: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.REMINDER_DETAILS_MODAL,
        "title": plain("Details"),
        "close": plain("Close"),
        "blocks": [section(reason)],
    }


# --- ephemeral replies to the commands and buttons ------------------------------------------------


def _reply(markdown: str, *more: dict[str, Any]) -> Message:
    return {"text": markdown, "blocks": [section(markdown), *more]}


def missed_reply(*, who: str, owed: bool, due_text: str | None, reasons: tuple[str, ...],
                 reminder_texts: tuple[str, ...], clinician: str, verdict: str,
                 already_logged: bool, verdict_when: str | None = None) -> Message:
    """``missed …``: owed or not, by when, why, and the reminders queued.

    ``verdict`` is for returning the call now (``bot.policy.consent.callback_now``);
    ``verdict_when``: for "Not now", when it may be returned."""
    if already_logged:
        head = f"That missed call from {who} was already logged a moment ago; nothing new."
    elif not owed:
        head = f"Missed call from {who} logged. *No call back is owed.*"
    elif due_text:
        head = f"Missed call from {who} logged. A call back is owed by *{due_text}*."
    else:
        head = f"Missed call from {who} logged. A call back is owed (no deadline is set)."
    more: list[dict[str, Any]] = [context(" ".join(reasons))] if reasons else []
    if owed and reminder_texts:
        more.append(context(f"Reminders to <@{clinician}>: " + "; ".join(reminder_texts) + "."))
    when = f" (it may be returned from {verdict_when})" if verdict_when else ""
    more.append(context(f"Calling them now: *{verdict}*{when}."))
    return _reply(f":telephone_receiver: {head}", *more)


def returned_reply(*, who: str, closed: int, closed_before: str | None) -> Message:
    if closed:
        plural = "s" if closed > 1 else ""
        return _reply(f":white_check_mark: Call-back{plural} to {who} closed; its reminders "
                      "are cancelled.")
    if closed_before:
        return _reply(f"That call-back to {who} was already closed ({closed_before}).")
    return _reply(f"There is no open call-back for {who}.")


def appt_reply(*, client_code: str, start_text: str, minutes: int, created: bool,
               chase_text: str | None, clinician: str | None) -> Message:
    what = "recorded" if created else "updated"
    head = f":calendar: Appointment for {client_code} {what}: {start_text}, {minutes} minutes."
    if chase_text and clinician:
        tail = (f"If nobody marks the client arrived, <@{clinician}> gets the no-show check at "
                f"{chase_text}.")
    else:
        tail = "No no-show check is scheduled: the appointment is over, or no clinician is set."
    return _reply(head, context(tail))


def arrived_reply(*, client_code: str, start_text: str, already: bool,
                  corrected: bool, closure_text: str | None = None) -> Message:
    if already:
        return _reply(f"{client_code} was already marked arrived for {start_text}.")
    extra = " (the no-show recorded earlier is corrected)" if corrected else ""
    more = [context(closure_text)] if closure_text else []
    return _reply(f":white_check_mark: {client_code} arrived for {start_text}{extra}; the no-show "
                  "check is cancelled.", *more)


@dataclass(frozen=True)
class NoShowFacts:
    """What the reply to a no-show says (ephemeral: the note may carry the client's name)."""

    appointment_id: str
    client_code: str
    start_text: str
    consecutive: int
    others_text: str | None  # the run's other missed days, in time order ("Tue Nov 17")
    already: bool
    voicemail_script: str | None
    note: str
    closure_text: str | None = None  # what became of the closure-warning request
    replaced_text: str | None = None  # "by <@U0DESK> on …": the arrival this no-show replaces
    came_back_text: str | None = None  # the day the client came after a run long enough


def noshow_reply(facts: NoShowFacts) -> Message:
    run = (f"{facts.consecutive} in a row, with {facts.others_text}" if facts.others_text
           else "the first in a row")
    which = f"{facts.client_code} ({facts.start_text})"
    head = (f"No-show for {which} was already recorded; {run}." if facts.already
            else f":memo: No-show recorded for {which}: {run}.")
    blocks: list[dict[str, Any]] = []
    if facts.replaced_text:
        blocks.append(context(f"This replaces the arrival recorded {facts.replaced_text}."))
    if facts.came_back_text:
        blocks.append(context(f"The client came on {facts.came_back_text}, after this run, so "
                              "no closure warning is asked for."))
    if facts.voicemail_script is not None:
        blocks.append(section(f"*Voicemail script:*\n>{escape(facts.voicemail_script)}"))
    else:
        blocks.append(section("*No voicemail:* the client has not agreed to messages on the "
                              "number to use."))
    blocks.append(section(f"*Documentation note:*\n```{facts.note}```"))
    blocks.append({
        "type": "actions",
        "block_id": f"noshow_note:{facts.appointment_id}",
        "elements": [button("Left the message at another time", ids.CHASE_NOTE_TIME,
                            facts.appointment_id)],
    })
    if facts.closure_text:
        blocks.append(context(facts.closure_text))
    return _reply(head, *blocks)


# --- the note with the time the message was left (a modal, for the person who asked) -------------

NOTE_DAY_BLOCK, NOTE_TIME_BLOCK, NOTE_ACTION = "note_day", "note_time", "value"


def note_time_modal(*, appointment_id: str, client_code: str, start_text: str, day: str,
                    at: str) -> dict[str, Any]:
    """Asks when the message was left; ``day`` / ``at`` (clinic time) start at now."""
    return {
        "type": "modal",
        "callback_id": ids.NOTE_TIME_MODAL,
        "private_metadata": private_metadata(appointment_id=appointment_id),
        "title": plain("Message left at"),
        "submit": plain("Fill in the note"),
        "close": plain("Cancel"),
        "blocks": [
            section(f"When did you leave the message for *{client_code}* about the "
                    f"{start_text} appointment? (clinic time)"),
            {"type": "input", "block_id": NOTE_DAY_BLOCK, "label": plain("Day"),
             "element": {"type": "datepicker", "action_id": NOTE_ACTION, "initial_date": day}},
            {"type": "input", "block_id": NOTE_TIME_BLOCK, "label": plain("Time"),
             "element": {"type": "timepicker", "action_id": NOTE_ACTION, "initial_time": at}},
        ],
    }


def note_time_values(view: dict[str, Any]) -> tuple[str | None, str, str]:
    """(appointment id, day, time) from the submitted modal ('' for a field left empty)."""
    values = (view.get("state") or {}).get("values") or {}
    day = ((values.get(NOTE_DAY_BLOCK) or {}).get(NOTE_ACTION) or {}).get("selected_date")
    at = ((values.get(NOTE_TIME_BLOCK) or {}).get(NOTE_ACTION) or {}).get("selected_time")
    return metadata_value(view, "appointment_id"), str(day or ""), str(at or "")


def note_time_errors(message: str) -> dict[str, str]:
    """A refusal of the given time, shown under the time field."""
    return {NOTE_TIME_BLOCK: message}


def note_shown_view(*, client_code: str, note: str) -> dict[str, Any]:
    """What the modal turns into: the note with the time given."""
    return {
        "type": "modal",
        "callback_id": ids.NOTE_TIME_SHOWN,
        "title": plain("Documentation note"),
        "close": plain("Done"),
        "blocks": [
            section(f"*Documentation note for {client_code}:*\n```{note}```"),
            context("Copy it into the client's record. It is not kept in Slack."),
        ],
    }


# --- drawn from the use cases' facts (the outbox's renderers, the details modals) -----------------


def _rendered(message: Message) -> Rendered:
    return Rendered(text=message["text"], blocks=message["blocks"])


def chase_message(chase: Chase, policy: ClinicPolicy) -> Rendered:
    """The no-show chase (outbox kind ``no_show_chase``) as it stands at send time."""
    tz = policy.clinic.timezone
    start_local = chase.start_at.astimezone(tz)
    clock = (f"{start_local.hour % 12 or 12}:{start_local.minute:02d} "
             f"{'AM' if start_local.hour < 12 else 'PM'}")
    same_day = start_local.date() == chase.now.astimezone(tz).date()
    return _rendered(no_show_chase(ChaseFacts(
        appointment_id=str(chase.appointment_id),
        client_code=chase.client_code,
        # a chase delivered on a later day (caught up, or after an outage) says which day
        start_text=clock if same_day else clinic_time_text(policy, chase.start_at),
        minutes_since_start=max(0, int((chase.now - chase.start_at).total_seconds() // 60)),
        verdict=chase.guidance.verdict.value,
        verdict_reason=verdict_reason(chase.guidance, policy),
        voicemail_script=chase.voicemail_script,
        note=chase.note,
    )))


def callback_reminder_message(reminder: CallbackReminder, policy: ClinicPolicy) -> Rendered:
    """A call-back reminder (outbox kind ``callback_reminder``) as it stands at send time."""
    return _rendered(callback_reminder(CallbackFacts(
        duty_id=str(reminder.duty_id),
        client_code=reminder.client_code,
        called_text=clinic_time_text(policy, reminder.called_at),
        due_text=clinic_time_text(policy, reminder.due_at) if reminder.due_at else None,
        final=reminder.final,
        verdict=reminder.guidance.verdict.value,
        verdict_reason=verdict_reason(reminder.guidance, policy),
    )))


def failure_report_message(report: FailureReport, policy: ClinicPolicy) -> Rendered:
    """To the admins (outbox kind ``delivery_failed``): a DM Slack refused for good."""
    return _rendered(delivery_failed_message(kind=report.kind, recipient=report.recipient,
                                             error=report.error, client_code=report.client_code))


def appointment_details_modal(details: AppointmentDetails, policy: ClinicPolicy) -> dict[str, Any]:
    """The chase's "Details" modal, for the treating team."""
    guidance, record = details.guidance, details.record
    lines = client_lines(record, guidance)
    lines += [
        ("Consent now", guidance.verdict.value),
        ("Voicemail", "may be left" if guidance.voicemail_ok else "do not leave one"),
        ("Clinic's name", "may be said" if guidance.clinic_name_ok else "do not say it"),
        ("Appointment", f"{clinic_time_text(policy, details.start_at)}, "
                        f"{details.minutes} minutes"),
        ("Status", details.status.replace("_", "-")),
    ]
    return reminder_details_modal(DetailsFacts(title=f"Appointment {record.code}",
                                               lines=tuple(lines)))


def callback_details_modal(details: CallbackDetails, policy: ClinicPolicy) -> dict[str, Any]:
    """A call-back reminder's "Details" modal, for the treating team (or the caller's number for
    the person the call-back is assigned to)."""
    record = details.record
    if record is not None:
        lines = client_lines(record, details.guidance)
    else:
        lines = [("Caller (potential client)", details.caller_phone or "unknown")]
    lines.append(("Consent now", details.guidance.verdict.value))
    lines.append(("Missed call", clinic_time_text(policy, details.called_at)))
    lines.append(("Voicemail left", "yes" if details.voicemail_left else "no"))
    if details.due_at is not None:
        lines.append(("Due", clinic_time_text(policy, details.due_at)))
    lines.append(("Status", details.status.replace("_", " ")))
    title = f"Call back {record.code}" if record else "Call back"
    return reminder_details_modal(DetailsFacts(title=title, lines=tuple(lines)))
