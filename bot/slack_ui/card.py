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

from bot.mrkdwn import escape
from bot.policy import scripts
from bot.policy.callback_number import callback_number
from bot.policy.clinic import ClinicPolicy
from bot.policy.coaching import coaching_eligibility
from bot.policy.consent import Guidance, Verdict
from bot.policy.model import ClientRecord
from bot.policy.phones import phone_display
from bot.services.outcomes import ClientCard
from bot.slack_ui import ids
from bot.slack_ui.blocks import button, context, section

Message = dict[str, Any]

DIRECT_LINE_NOTE = (":telephone_receiver: Give your direct line, not the clinic's main number: "
                    "calling it back would reveal the clinic.")
NAME_PRIVACY_NOTE = (":shushing_face: Say the client's name only where no one else can hear: "
                     "never in public, nor at the front desk while other clients or colleagues "
                     "are near.")
_VERDICT_ICON = {
    Verdict.OK: ":large_green_circle:",
    Verdict.NOT_NOW: ":large_yellow_circle:",
    Verdict.DO_NOT_CALL: ":red_circle:",
    Verdict.NO_CONSENT: ":white_circle:",
}
_MAX_SECTION = 3000


_STATUS_TAGS = {"intake": "intake not complete", "former": "file closed",
                "closed": "file closed"}


def card_text(card: ClientCard, policy: ClinicPolicy) -> str:
    """The notification text: the verdict first, then the code and why in a few words: when a
    "Not now" opens (or that it never does), a code not on file, an intake or closed file."""
    guidance = _guidance(card)
    text = f"{guidance.verdict.value}: {card.code}"
    status = card.client.status if card.client else None
    if guidance.never_opens:
        text += " (the calling hours never fall within the clinic's opening hours)"
    elif guidance.verdict is Verdict.NOT_NOW and guidance.opens_at is not None:
        text += f" (calling hours open {scripts.clinic_time_text(policy, guidance.opens_at)})"
    elif not guidance.known:
        text += " (not on file)"
    elif status in _STATUS_TAGS:
        text += f" ({_STATUS_TAGS[status]})"
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
        section(f"{_VERDICT_ICON[guidance.verdict]} *{guidance.verdict.value}*. "
                f"{_summary(guidance, card)}"),
        {"type": "section", "fields": _fields(guidance, policy, card)},
    ]
    if details:
        blocks += _detail_blocks(guidance, client, policy)
    blocks.append({"type": "divider"})
    blocks += _script_blocks(guidance, policy, first_name=first_name, caller=caller,
                             now=card.now,
                             named_in_writing=_named_in_writing(client) if details else ())
    blocks.append(context(NAME_PRIVACY_NOTE))
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


_AS_POTENTIAL_CLIENT = ("treat them as a potential client: first name only, no clinic name, no "
                        "reason for the call.")
_IF_THEY_CALL = f"If they call the clinic, return that call and {_AS_POTENTIAL_CLIENT}"


def _summary(guidance: Guidance, card: ClientCard) -> str:
    """The line under the verdict, for every access level (no reasons, notes or names)."""
    number = guidance.use_number
    status = card.client.status if card.client else None
    if not guidance.known:
        return (f"*{escape(card.code)}* is not on file: check the code. If they are not a client "
                f"yet, {_AS_POTENTIAL_CLIENT}")
    if guidance.verdict is Verdict.OK and number is not None:
        return f"Call the *{number.kind}* number now."
    if guidance.never_opens and number is not None:
        return (f"The *{number.kind}* number's calling hours never fall within the clinic's "
                "opening hours: check with the client how early and how late they may be "
                "called, and update their consent.")
    if guidance.verdict is Verdict.NOT_NOW and number is not None:
        return f"The *{number.kind}* number's calling hours are {guidance.window_text}."
    if guidance.potential_client and status == "intake":
        return (f"Intake not complete: do not reach out; getting in touch is their choice. "
                f"{_IF_THEY_CALL}")
    if guidance.verdict is Verdict.DO_NOT_CALL:
        return "Do not phone this client."
    if status in ("former", "closed"):
        return (f"File closed: do not reach out to keep in touch without careful consideration, "
                f"consultation and the client's fully informed consent. {_IF_THEY_CALL}")
    return _AS_POTENTIAL_CLIENT[0].upper() + _AS_POTENTIAL_CLIENT[1:]


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
    if guidance.verdict is Verdict.DO_NOT_CALL and guidance.potential_client:
        return [
            ("Number to use", "None: do not reach out. Only to return a call they make: the "
                              "number they called from"),
            ("Never use", never),
            ("Voicemail", "Only when returning their call: the first-name-only callback script"),
            ("Clinic's name", "Do not say it"),
        ]
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
    dial = phone_display(number.number, policy.clinic.phone_region)
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
    blocks = [section("*Why*\n" + "\n".join(lines))] if lines else []
    consent = client.consent if client else None
    if consent and consent.safety_note:
        blocks.append(section(f":warning: *Safety note*\n{escape(consent.safety_note, 2900)}"))
    if consent and consent.third_parties:
        parties = "\n".join(
            f"• {escape(p.name)}: "
            + ("written permission on file" if p.written_permission
               else "*no* written permission: do not discuss the client with them")
            for p in consent.third_parties
        )
        blocks.append(section(f"*Third parties*\n{parties}"))
    if client is not None and client.status != "prospect":  # a closed file: why no coaching
        blocks.append(section(_coaching_line(guidance, client, policy)))
    return blocks


def _coaching_line(guidance: Guidance, client: ClientRecord, policy: ClinicPolicy) -> str:
    """DBT phone coaching: approved (by whom, when), not approved (how to ask), or not for this
    client (why; an approval on record is said to no longer apply)."""
    approved_at = client.coaching_approved_at if guidance.coaching_approved else None
    approval = "" if approved_at is None else (
        f"by <@{client.coaching_approved_by}> on {scripts.clinic_time_text(policy, approved_at)}")
    eligibility = coaching_eligibility(client)
    if not eligibility.allowed:
        lapsed = f" The approval {approval} no longer applies." if approval else ""
        return (f"*No DBT phone coaching* for this client. {escape(' '.join(eligibility.reasons))}"
                f"{lapsed}")
    if approval:
        return f":telephone_receiver: *DBT phone coaching approved* {approval}."
    return (
        "*Phone contact is for scheduling only*: DBT phone coaching is not approved for this "
        f"client (ask with `/contact-check coaching {client.code}`)."
    )


def _script_blocks(guidance: Guidance, policy: ClinicPolicy, *, first_name: str | None,
                   caller: str, now: datetime,
                   named_in_writing: tuple[str, ...]) -> list[dict[str, Any]]:
    """The scripts that fit this client, in the order of a call: the client is verified before
    the caller says who they are and asks whether it is a good time (000). A note follows the
    someone-else script for a person the client named in writing (only ``named_in_writing``
    given, i.e. to the treating team), and any script that asks for the clinician's direct
    line says why."""
    calling = guidance.verdict in (Verdict.OK, Verdict.NOT_NOW)
    name_ok = guidance.clinic_name_ok and not guidance.potential_client
    number = callback_number(policy, name_ok)
    why_direct = [] if name_ok else [context(DIRECT_LINE_NOTE)]
    blocks: list[dict[str, Any]] = []
    if guidance.potential_client:
        title = ("Returning their call" if guidance.verdict is Verdict.DO_NOT_CALL
                 else "Potential client") + ": first name only"
        blocks += [_script(title, scripts.prospect_callback(
            policy, clinician_first_name=caller, callback_number=number, now=now)), *why_direct]
    if calling or guidance.potential_client:
        blocks += [
            _script("First, check who you are speaking with", scripts.identity_check(
                policy, client_first_name=first_name)),
            _script("Once you know it is them: is this a good time?", scripts.good_time(
                policy, client_first_name=first_name, clinician_first_name=caller)),
            _script("If someone else answers", scripts.someone_else_answered(
                policy, client_first_name=first_name)),
        ]
        if named_in_writing:
            blocks.append(context(_named_in_writing_note(named_in_writing)))
    if calling and guidance.voicemail_ok:
        blocks += [
            _script("Voicemail", scripts.voicemail(
                policy, client_first_name=first_name, clinician_first_name=caller,
                callback_number=number, clinic_name_ok=name_ok)),
            *why_direct,
            _script("Before you leave it", scripts.voicemail_caution(policy)),
        ]
    blocks.append(_script("If someone asks about the client", scripts.someone_asks(policy)))
    return blocks


def _script(title: str, text: str) -> dict[str, Any]:
    return section(f"*{title}*\n>{escape(text)}")


def _named_in_writing_note(names: tuple[str, ...]) -> str:
    """The one exception to the someone-else-answered script (000), for the treating team."""
    who = " or ".join(escape(name) for name in names)
    return (f":bust_in_silhouette: If the person who answers is {who} (named in the client's "
            "written permission), you may say who you are; the clinic's name only if the card "
            "says it may be said. Anyone else hears the script above.")


def _named_in_writing(client: ClientRecord | None) -> tuple[str, ...]:
    consent = client.consent if client else None
    return tuple(p.name for p in consent.third_parties if p.written_permission) if consent else ()


def _footer(card: ClientCard) -> dict[str, Any]:
    text = "Only you can see this. This look was recorded in the audit log."
    if not card.access.details:
        text += (" Reasons and notes are shown only to the client's clinician, their supervisor "
                 "and admins.")
    return context(text)


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
            button(label, ids.CARD_RECORD_CONSENT, card.code),
        ],
    }
