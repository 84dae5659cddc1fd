"""The guidance card (`/contact-check CODE`): an ephemeral message built from a ``ClientCard``.

Its notification ``text`` begins with exactly one verdict. What it shows depends on the
viewer's access level (``bot.policy.access``):

- details (the treating team, admins): the number, the client's first name in the scripts, the
  reasons, the do-not-call reasons, status notes, the safety note and authorised third parties;
- logistics (front desk; anyone for an unassigned client): the verdict, the number, which kinds
  never to use, the voicemail and clinic-name answers and the logistics scripts with a
  ``[first name]`` prompt; no reasons, no notes.

Everything that came from a person (names, notes, reasons) goes through ``bot.mrkdwn.escape``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phonenumbers

from bot.mrkdwn import escape
from bot.policy import scripts
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import Guidance, Verdict
from bot.policy.model import ClientRecord
from bot.services.guidance import ClientCard
from bot.views import ids

Message = dict[str, Any]

DIRECT_LINE_PROMPT = "[your direct line]"
_VERDICT_ICON = {
    Verdict.OK: ":large_green_circle:",
    Verdict.NOT_NOW: ":large_yellow_circle:",
    Verdict.DO_NOT_CALL: ":red_circle:",
    Verdict.NO_CONSENT: ":white_circle:",
}
_MAX_SECTION = 3000


def phone_text(e164: str, region: str) -> str:
    """A number as a person dials it: national form at home, international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == region
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else (
        phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def callback_number(policy: ClinicPolicy) -> str:
    clinic = policy.clinic
    return phone_text(clinic.phone, clinic.phone_region) if clinic.phone else DIRECT_LINE_PROMPT


def card_text(card: ClientCard, policy: ClinicPolicy) -> str:
    """The notification text: the verdict first, then the code and, for "Not now", when."""
    guidance = _guidance(card)
    text = f"{guidance.verdict.value}: {card.code}"
    if guidance.verdict is Verdict.NOT_NOW and guidance.opens_at is not None:
        text += f" (calling hours open {scripts.clinic_time_text(policy, guidance.opens_at)})"
    return text


def card_message(card: ClientCard, policy: ClinicPolicy) -> Message:
    guidance = _guidance(card)
    details = card.access.details
    client = card.client
    first_name = client.preferred_name if (details and client) else None
    caller = card.viewer.first_name if card.viewer else "[your first name]"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{guidance.verdict.value}: {card.code}"[:150]},
        },
        _section(f"{_VERDICT_ICON[guidance.verdict]} *{guidance.verdict.value}*. "
                 f"{_summary(guidance, card)}"),
        {"type": "section", "fields": _fields(guidance, policy, card)},
    ]
    if details:
        blocks += _detail_blocks(guidance, client, policy)
    blocks.append({"type": "divider"})
    blocks += _script_blocks(guidance, policy, first_name=first_name, caller=caller,
                             now=card.now)
    blocks.append(_footer(card))
    actions = _actions(card)
    if actions:
        blocks.append(actions)
    return {"text": card_text(card, policy), "blocks": blocks}


# --- pieces -------------------------------------------------------------------------------------


def _guidance(card: ClientCard) -> Guidance:
    if card.guidance is None:
        raise ValueError("a refused card has no guidance to show")
    return card.guidance


def _summary(guidance: Guidance, card: ClientCard) -> str:
    number = guidance.use_number
    if guidance.verdict is Verdict.OK and number is not None:
        return f"Call the *{number.kind}* number now."
    if guidance.verdict is Verdict.NOT_NOW and number is not None:
        return f"The *{number.kind}* number's calling hours are {guidance.window_text}."
    if guidance.verdict is Verdict.DO_NOT_CALL:
        return "Do not phone this client."
    return ("Treat them as a potential client: first name only, no clinic name, no reason for "
            "the call.")


def _fields(guidance: Guidance, policy: ClinicPolicy, card: ClientCard) -> list[dict[str, Any]]:
    tz = policy.clinic.timezone
    fields = [f"*{label}*\n{value}" for label, value in card_facts(guidance, policy, card)]
    if guidance.window_text:
        fields.append(f"*Calling hours*\n{guidance.window_text}")
    if guidance.opens_at is not None:
        fields.append(f"*Opens*\n{scripts.clinic_time_text(policy, guidance.opens_at)} "
                      f"({tz.key})")
    return [{"type": "mrkdwn", "text": text} for text in fields]


def card_facts(guidance: Guidance, policy: ClinicPolicy,
               card: ClientCard) -> list[tuple[str, str]]:
    """The four answers every card gives, worded for its verdict: (label, answer)."""
    number = guidance.use_number
    nothing_on_file = card.client is None or card.client.consent is None
    never = ", ".join(n.kind for n in guidance.never_use)
    if not never:
        never = "Nothing on file" if nothing_on_file else "No number is marked do-not-call"
    if guidance.verdict is Verdict.DO_NOT_CALL:
        use = ("No number: do not phone this client" if guidance.never_use
               else "No number: none on file may be called")
        return [
            ("Number to use", use),
            ("Never use", never),
            ("Voicemail", "Do not leave one"),
            ("Clinic's name", "Do not say it"),
        ]
    if guidance.verdict is Verdict.NO_CONSENT or number is None or not number.number:
        return [
            ("Number to use", "Only to return their call: the number they called from"),
            ("Never use", never),
            ("Voicemail", "Only the first-name-only callback script below"),
            ("Clinic's name", "Do not say it"),
        ]
    dial = phone_text(number.number, policy.clinic.phone_region)
    return [
        ("Number to use", f"*{number.kind.capitalize()}*: {dial}"),
        ("Never use", never),
        ("Voicemail", "May be left" if guidance.voicemail_ok else "Do not leave one"),
        ("Clinic's name", "May be said" if guidance.clinic_name_ok else "Do not say it"),
    ]


def _detail_blocks(guidance: Guidance, client: ClientRecord | None,
                   policy: ClinicPolicy) -> list[dict[str, Any]]:
    lines = [f"• {escape(r)}" for r in (*guidance.reasons, *guidance.status_notes)]
    lines += [f"• :lock: {escape(r)}" for r in guidance.private_reasons]
    blocks = [_section("*Why*\n" + "\n".join(lines))] if lines else []
    consent = client.consent if client else None
    if consent and consent.safety_note:
        blocks.append(_section(f":warning: *Safety note*\n{escape(consent.safety_note, 2900)}"))
    if consent and consent.third_parties:
        parties = "\n".join(
            f"• {escape(p.name)}: "
            + ("written permission on file" if p.written_permission
               else "*no* written permission: do not discuss the client with them")
            for p in consent.third_parties
        )
        blocks.append(_section(f"*Third parties*\n{parties}"))
    if client is not None and not guidance.potential_client:
        blocks.append(_section(_coaching_line(guidance, client, policy)))
    return blocks


def _coaching_line(guidance: Guidance, client: ClientRecord, policy: ClinicPolicy) -> str:
    """DBT phone coaching: who approved it and when, or that calls are for scheduling only."""
    if guidance.coaching_approved and client.coaching_approved_at is not None:
        return (
            f":telephone_receiver: *DBT phone coaching approved* by "
            f"<@{client.coaching_approved_by}> on "
            f"{scripts.clinic_time_text(policy, client.coaching_approved_at)}."
        )
    return (
        "*Phone contact is for scheduling only*: DBT phone coaching is not approved for this "
        f"client (ask with `/contact-check coaching {client.code}`)."
    )


def _script_blocks(guidance: Guidance, policy: ClinicPolicy, *, first_name: str | None,
                   caller: str, now: datetime) -> list[dict[str, Any]]:
    number = callback_number(policy)
    said: list[tuple[str, str]] = []
    if guidance.verdict in (Verdict.OK, Verdict.NOT_NOW):
        said.append(("Is this a good time?", scripts.good_time(
            policy, client_first_name=first_name, clinician_first_name=caller)))
        said.append(("Check who you are speaking with", scripts.identity_check(
            policy, client_first_name=first_name)))
        if guidance.voicemail_ok:
            said.append(("Voicemail", scripts.voicemail(
                policy, client_first_name=first_name, clinician_first_name=caller,
                callback_number=number, clinic_name_ok=guidance.clinic_name_ok)))
            said.append(("Before you leave it", scripts.voicemail_caution(policy)))
        said.append(("If someone else answers", scripts.someone_else_answered(
            policy, client_first_name=first_name, clinician_first_name=caller)))
    if guidance.potential_client:
        said.append(("Potential client: first name only", scripts.prospect_callback(
            policy, client_first_name=first_name, clinician_first_name=caller,
            callback_number=number, now=now)))
        said.append(("Check who you are speaking with", scripts.identity_check(
            policy, client_first_name=first_name)))
    said.append(("If someone asks about the client", scripts.someone_asks(policy)))
    seen: set[str] = set()
    blocks = []
    for title, text in said:
        if title in seen:
            continue
        seen.add(title)
        blocks.append(_section(f"*{title}*\n>{escape(text)}"[:_MAX_SECTION]))
    return blocks


def _footer(card: ClientCard) -> dict[str, Any]:
    text = "Only you can see this. This look was recorded in the audit log."
    if not card.access.details:
        text += (" Reasons and notes are shown only to the client's clinician, their supervisor "
                 "and admins.")
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _actions(card: ClientCard) -> dict[str, Any] | None:
    client = card.client
    if not card.access.details and client is not None and client.consent is not None:
        return None
    label = "Edit consent" if client is not None and client.consent is not None else (
        "Record consent")
    return {
        "type": "actions",
        "block_id": "card_actions",
        "elements": [
            {
                "type": "button",
                "action_id": ids.CARD_RECORD_CONSENT,
                "text": {"type": "plain_text", "text": label},
                "value": card.code,
            }
        ],
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:_MAX_SECTION]}}
