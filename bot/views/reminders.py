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
from bot.views import ids

Message = dict[str, Any]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(markdown: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": markdown}}


def _context(markdown: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": markdown}]}


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button", "text": _plain(label), "action_id": action_id, "value": value,
    }
    if style:
        button["style"] = style
    return button


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
    start_text: str  # "10:00 AM", clinic time
    minutes_since_start: int
    verdict: str  # the consent verdict now: "OK to call", "Not now", …
    verdict_reason: str  # a reason safe for anyone (never a number or a do-not-call reason)
    voicemail_script: str | None  # None: no voicemail may be left on the number to use
    note: str  # the documentation note, dates filled in


def no_show_chase(facts: ChaseFacts) -> Message:
    text = (
        f"No-show check: {facts.client_code} has not been marked arrived for "
        f"{facts.start_text} (it started {facts.minutes_since_start} minutes ago)."
    )
    if facts.voicemail_script is not None:
        voicemail = f"*Voicemail script* (first name only):\n>{escape(facts.voicemail_script)}"
    else:
        voicemail = (
            "*No voicemail:* this client has not agreed to messages on the number to use. "
            "If nobody answers, hang up without leaving one."
        )
    blocks = [
        _section(f":alarm_clock: *{facts.client_code}* has not been marked arrived for the "
                 f"{facts.start_text} appointment (it started "
                 f"{facts.minutes_since_start} minutes ago)."),
        _section(f"*{facts.verdict}* — {facts.verdict_reason}"),
        _section(voicemail),
        _section(f"*Documentation note:*\n```{facts.note}```"),
        {
            "type": "actions",
            "block_id": f"chase:{facts.appointment_id}",
            "elements": [
                _button("Arrived", ids.CHASE_ARRIVED, facts.appointment_id, "primary"),
                _button("No-show", ids.CHASE_NO_SHOW, facts.appointment_id, "danger"),
                _button("Details", ids.REMINDER_DETAILS,
                        details_value("appointment", facts.appointment_id)),
            ],
        },
    ]
    return {"text": text, "blocks": blocks}


def chase_closed(client_code: str, start_text: str, outcome: str) -> Message:
    """The chase after someone answered it: the buttons are gone, the outcome stays."""
    text = f"{client_code}, {start_text} appointment: {outcome}."
    return {"text": text, "blocks": [_section(f":white_check_mark: {text}")]}


def callback_closed(who: str, outcome: str) -> Message:
    """A call-back reminder after its Returned button: the buttons are gone, the outcome stays."""
    text = f"Call back {who}: {outcome}."
    return {"text": text, "blocks": [_section(f":white_check_mark: {text}")]}


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
        _section(f":telephone_receiver: *Call back {who}* — {when}.\n"
                 f"Missed call: {facts.called_text}."),
        _section(f"*{facts.verdict}* — {facts.verdict_reason}"),
    ]
    if facts.client_code is None:
        blocks.append(_context(
            "A potential client: use the first name only, never the clinic's name or the "
            "reason for the call. The number is under Details."
        ))
    blocks.append({
        "type": "actions",
        "block_id": f"callback:{facts.duty_id}",
        "elements": [
            _button("Returned", ids.CALLBACK_RETURNED, facts.duty_id, "primary"),
            _button("Details", ids.REMINDER_DETAILS, details_value("callback", facts.duty_id)),
        ],
    })
    return {"text": text, "blocks": blocks}


# --- late marking and delivery failures -----------------------------------------------------------


def mark_late(message: Message, *, due_text: str, late_text: str) -> Message:
    """The same message, marked as sent late: it was meant for ``due_text``."""
    banner = f":hourglass: Sent late: this was due at {due_text} ({late_text} late)."
    return {"text": f"[Late] {message['text']}",
            "blocks": [_context(banner), *message.get("blocks", [])]}


def delivery_failed_message(*, kind: str, recipient: str, error: str,
                            client_code: str | None) -> Message:
    about = f" about {client_code}" if client_code else ""
    what = kind.replace("_", " ")
    text = (f"A {what}{about} could not be delivered to <@{recipient}>: Slack answered "
            f"`{error}`. It will not be retried.")
    return {"text": text, "blocks": [
        _section(f":warning: {text}"),
        _context("Check that the person is still in the workspace and the app is installed with "
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
        "title": _plain(facts.title[:24]),
        "close": _plain("Close"),
        "blocks": [
            _section(fields or "Nothing more is on file."),
            _context("Only the client's clinician, their supervisor and admins see this."),
        ],
    }


def details_refused_modal(reason: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.REMINDER_DETAILS_MODAL,
        "title": _plain("Details"),
        "close": _plain("Close"),
        "blocks": [_section(reason)],
    }


# --- ephemeral replies to the commands and buttons ------------------------------------------------


def _reply(markdown: str, *more: dict[str, Any]) -> Message:
    return {"text": markdown, "blocks": [_section(markdown), *more]}


def missed_reply(*, who: str, owed: bool, due_text: str | None, reasons: tuple[str, ...],
                 reminder_texts: tuple[str, ...], clinician: str, verdict: str,
                 already_logged: bool) -> Message:
    """``missed …``: owed or not, by when, why, and the reminders queued."""
    if already_logged:
        head = f"That missed call from {who} was already logged a moment ago; nothing new."
    elif not owed:
        head = f"Missed call from {who} logged. No call back is owed under the clinic's policy."
    elif due_text:
        head = f"Missed call from {who} logged. A call back is owed by *{due_text}*."
    else:
        head = f"Missed call from {who} logged. A call back is owed (no deadline is set)."
    more: list[dict[str, Any]] = [_context(" ".join(reasons))] if reasons else []
    if owed and reminder_texts:
        more.append(_context(f"Reminders to <@{clinician}>: " + "; ".join(reminder_texts) + "."))
    more.append(_context(f"Calling them now: *{verdict}*."))
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
    return _reply(head, _context(tail))


def arrived_reply(*, client_code: str, start_text: str, already: bool,
                  corrected: bool) -> Message:
    if already:
        return _reply(f"{client_code} was already marked arrived for {start_text}.")
    extra = " (the no-show recorded earlier is corrected)" if corrected else ""
    return _reply(f":white_check_mark: {client_code} arrived for {start_text}{extra}; the no-show "
                  "check is cancelled.")


def noshow_reply(*, client_code: str, start_text: str, consecutive: int, already: bool,
                 voicemail_script: str | None, note: str, closure_text: str | None) -> Message:
    run = f"{consecutive} in a row" if consecutive > 1 else "the first in a row"
    head = (f"No-show for {client_code} ({start_text}) was already recorded; {run}."
            if already else f":memo: No-show recorded for {client_code} ({start_text}): {run}.")
    blocks: list[dict[str, Any]] = []
    if voicemail_script is not None:
        blocks.append(_section(f"*Voicemail script:*\n>{escape(voicemail_script)}"))
    else:
        blocks.append(_section("*No voicemail:* the client has not agreed to messages on the "
                               "number to use."))
    blocks.append(_section(f"*Documentation note:*\n```{note}```"))
    if closure_text:
        blocks.append(_context(closure_text))
    return _reply(head, *blocks)
