"""The consent modal (`/contact-check consent CODE`): building it, and reading what was submitted.

Pure. ``consent_modal`` shows the consent on file only when given a client (the caller passes
one only to viewers with the details level); ``read_submission`` turns Slack's ``state.values``
into a ``ConsentDraft`` or a mapping of block id to the message Slack shows under that input
(``response_action: errors``). ``private_metadata`` carries the client code and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from bot.policy.access import may_be_treating_clinician
from bot.policy.callback_terms import callback_promise
from bot.policy.clinic import ClinicPolicy
from bot.policy.model import (
    CLIENT_STATUSES,
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_REASON_LENGTH,
    PHONE_KINDS,
    ClientRecord,
    Consent,
    NumberPermission,
    PhoneKind,
    ThirdParty,
    free_text_problem,
)
from bot.policy.phones import PhoneError, PhoneProblem, normalise_phone, phone_display
from bot.services.outcomes import ConsentDraft
from bot.slack_ui import ids
from bot.slack_ui.blocks import option, plain
from bot.slack_ui.card import escape

View = dict[str, Any]
Values = Mapping[str, Mapping[str, Mapping[str, Any]]]

SLACK_INPUT_MAX = 3000  # the most a plain_text_input holds
VALUE = "value"  # the action id of every input in this modal (blocks are told apart by block id)

B_CLINICIAN = "clinician"
B_FIRST_NAME = "first_name"
B_STATUS = "status"
B_MAY_CALL = "may_call"
B_PREFERRED = "preferred"
B_CLINIC_NAME = "clinic_name"
B_EARLIEST = "earliest"
B_LATEST = "latest"
B_THIRD_NAME = "third_party_name"
B_THIRD_WRITTEN = "third_party_written"
B_SAFETY = "safety_note"

F_MAY_CALL = "may_call"
F_DO_NOT_CALL = "do_not_call"
F_VOICEMAIL = "voicemail_ok"
_FLAG_LABELS = {
    F_MAY_CALL: "May call this number",
    F_DO_NOT_CALL: "Do not call this number",
    F_VOICEMAIL: "Voicemail may be left",
}
_CLINIC_NAME_CHOICES = {"client": "As for the client", "yes": "Yes", "no": "No"}
_STATUS_LABELS = {"prospect": "Potential client", "intake": "Intake not complete",
                  "active": "Active", "former": "Former client", "closed": "Closed"}
_HHMM_HINT = "24-hour HH:MM, e.g. 08:30"


def number_block(kind: str, what: str) -> str:
    """The block id of one per-number input: ``cell_number``, ``home_flags``..."""
    return f"{kind}_{what}"


def party_blocks(index: int) -> tuple[str, str]:
    """The block ids of the ``index``-th third party's name and written permission (from 0):
    ``third_party_name`` / ``third_party_written``, then ``third_party_name_2``..."""
    suffix = "" if index == 0 else f"_{index + 1}"
    return f"{B_THIRD_NAME}{suffix}", f"{B_THIRD_WRITTEN}{suffix}"


# --- building -----------------------------------------------------------------------------------


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = True,
           hint: str | None = None) -> dict[str, Any]:
    block = {"type": "input", "block_id": block_id, "label": plain(label),
             "element": {**element, "action_id": VALUE}, "optional": optional}
    if hint:
        block["hint"] = plain(hint)
    return block


def _text_input(initial: str | None, *, placeholder: str, max_length: int,
                multiline: bool = False) -> dict[str, Any]:
    if initial:  # what is on file is shown whole, never cut: the reader says if it is too long
        max_length = min(SLACK_INPUT_MAX, max(max_length, len(initial)))
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": max_length,
                               "placeholder": plain(placeholder), "multiline": multiline}
    if initial:
        element["initial_value"] = initial[:max_length]
    return element


def _select(options: Mapping[str, str], initial: str | None, placeholder: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "placeholder": plain(placeholder),
                               "options": [option(v, label) for v, label in options.items()]}
    if initial is not None and initial in options:
        element["initial_option"] = option(initial, options[initial])
    return element


def _radio(options: Mapping[str, str], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "radio_buttons",
                               "options": [option(v, label) for v, label in options.items()]}
    if initial is not None and initial in options:
        element["initial_option"] = option(initial, options[initial])
    return element


def _checkboxes(options: Mapping[str, str], checked: set[str]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "checkboxes",
                               "options": [option(v, label) for v, label in options.items()]}
    initial = [option(v, label) for v, label in options.items() if v in checked]
    if initial:
        element["initial_options"] = initial
    return element


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _hhmm(value: time | None) -> str | None:
    return None if value is None else f"{value:%H:%M}"


def _display(e164: str | None, region: str) -> str | None:
    return phone_display(e164, region) if e164 else None


def consent_modal(code: str, client: ClientRecord | None, policy: ClinicPolicy, *,
                  recorder: str) -> View:
    """The modal; ``client`` is the record to show (None: a blank form, nothing disclosed)."""
    consent = client.consent if client else None
    region = policy.clinic.phone_region
    recorder_member = policy.member(recorder)
    clinician = client.clinician if client else None
    if clinician is None and recorder_member is not None and recorder_member.role == "clinician":
        clinician = recorder
    clinician_element: dict[str, Any] = {"type": "users_select",
                                         "placeholder": plain("The treating clinician")}
    if clinician:
        clinician_element["initial_user"] = clinician
    blocks: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"Contact consent for *{code}*. Record what the client agreed to; it is stored "
            "encrypted, with your name and the time, and the change is audited.")}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _go_over(policy)}]},
        _input(B_CLINICIAN, "Treating clinician", clinician_element),
        _input(B_FIRST_NAME, "Client's first name (said on the phone)",
               _text_input(client.preferred_name if client else None,
                           placeholder="First name only", max_length=MAX_NAME_LENGTH)),
        _input(B_STATUS, "Status", _select(_STATUS_LABELS, client.status if client else "active",
                                           "Status")),
        _input(B_MAY_CALL, "May the clinic phone the client?",
               _radio({"yes": "Yes", "no": "No"}, _yes_no(consent.may_call) if consent else None),
               optional=False),
        _input(B_PREFERRED, "Preferred number",
               _select({k: k.capitalize() for k in PHONE_KINDS},
                       consent.preferred_kind if consent else None, "Cell, home or work")),
        _input(B_CLINIC_NAME, "May the clinic's name be said (voicemail, others answering)?",
               _radio({"yes": "Yes", "no": "No"},
                      _yes_no(consent.clinic_name_ok) if consent else None)),
        _input(B_EARLIEST, "Call no earlier than", _text_input(
            _hhmm(consent.earliest) if consent else None, placeholder="HH:MM", max_length=5),
            hint=f"Clinic time ({policy.clinic.timezone.key}), {_HHMM_HINT}"),
        _input(B_LATEST, "Call no later than", _text_input(
            _hhmm(consent.latest) if consent else None, placeholder="HH:MM", max_length=5),
            hint="Before this time; earlier than the start means overnight"),
    ]
    for kind in PHONE_KINDS:
        blocks += _number_blocks(kind, consent.number(kind) if consent else None, region)
    blocks.append({"type": "header", "text": plain("Third parties and safety")})
    blocks += _party_blocks(consent.third_parties if consent else ())
    blocks += [
        _input(B_SAFETY, "Safety note", _text_input(
            consent.safety_note if consent else None, multiline=True, max_length=MAX_NOTE_LENGTH,
            placeholder="Anything to know before any contact (e.g. a partner who must not know)")),
    ]
    return {
        "type": "modal",
        "callback_id": ids.CONSENT_MODAL,
        "private_metadata": code,
        "title": plain("Contact consent"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def go_over_items(policy: ClinicPolicy) -> list[str]:
    """What to tell the client while recording their consent, as mrkdwn (seeds 000 and 001)."""
    contact = policy.clinic.after_hours_contact
    return [
        f"The after-hours emergency contact: {escape(contact)}" if contact else
        "An after-hours emergency contact: the clinic's policy names none yet "
        "(`clinic.after_hours_contact`), so ask your admin.",
        "Voicemail is not fully secure: people at home or at work may hear messages. Ask "
        "where a message may be left.",
        f"When their missed calls are returned: _{escape(callback_promise(policy))}_",
    ]


def _go_over(policy: ClinicPolicy) -> str:
    return "*Go over with the client:*\n" + "\n".join(f"• {item}" for item in go_over_items(policy))


def _party_blocks(parties: tuple[ThirdParty, ...]) -> list[dict[str, Any]]:
    """Every third party on file, each editable (cleared: removed), and one empty to add."""
    blocks: list[dict[str, Any]] = []
    for index, party in enumerate((*parties, None)):
        name_block, written_block = party_blocks(index)
        label = ("Someone the client allows us to speak with" if index == 0
                 else "Someone else the client allows us to speak with")
        blocks += [
            _input(name_block, label, _text_input(
                party.name if party else None, placeholder="Their name",
                max_length=MAX_NAME_LENGTH),
                hint="To remove them, clear the name and the box below." if party else None),
            _input(written_block, "Written permission",
                   _checkboxes({"yes": "The client's written permission is on file"},
                               {"yes"} if party and party.written_permission else set())),
        ]
    return blocks


def _number_blocks(kind: PhoneKind, permission: NumberPermission | None,
                   region: str) -> list[dict[str, Any]]:
    flags = {F_MAY_CALL} if permission is None or permission.may_call else set()
    if permission is not None and permission.do_not_call:
        flags.add(F_DO_NOT_CALL)
    if permission is not None and permission.voicemail_ok:
        flags.add(F_VOICEMAIL)
    name_choice = "client"
    if permission is not None and permission.clinic_name_ok is not None:
        name_choice = "yes" if permission.clinic_name_ok else "no"
    title = kind.capitalize()
    return [
        {"type": "header", "text": plain(f"{title} number")},
        _input(number_block(kind, "number"), f"{title} number", _text_input(
            _display(permission.number, region) if permission else None,
            placeholder="(215) 555-0100 or +44 20 7946 0000", max_length=30)),
        _input(number_block(kind, "flags"), f"{title}: permissions",
               _checkboxes(_FLAG_LABELS, flags)),
        _input(number_block(kind, "reason"), f"{title}: why not to call", _text_input(
            permission.do_not_call_reason if permission else None, max_length=MAX_REASON_LENGTH,
            placeholder="Only with Do not call; seen by the treating team only")),
        _input(number_block(kind, "clinic_name"), f"{title}: clinic's name",
               _select(_CLINIC_NAME_CHOICES, name_choice, "As for the client")),
        _input(number_block(kind, "earliest"), f"{title}: call no earlier than", _text_input(
            _hhmm(permission.earliest) if permission else None, placeholder="HH:MM",
            max_length=5), hint="Leave empty to use the client's hours"),
        _input(number_block(kind, "latest"), f"{title}: call no later than", _text_input(
            _hhmm(permission.latest) if permission else None, placeholder="HH:MM",
            max_length=5)),
    ]


# --- reading ------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, values: Values):
        self.values = values
        self.errors: dict[str, str] = {}

    def _element(self, block: str) -> Mapping[str, Any]:
        return (self.values.get(block) or {}).get(VALUE) or {}

    def text(self, block: str, max_length: int, *, multiline: bool = False) -> str | None:
        value = self._element(block).get("value")
        if not isinstance(value, str) or not value.strip():
            return None
        value = value.strip()
        problem = free_text_problem(value, max_length, multiline=multiline)
        if problem is not None:
            self.errors[block] = f"{problem[0].upper()}{problem[1:]}."
            return None
        return value

    def choice(self, block: str) -> str | None:
        selected = self._element(block).get("selected_option") or {}
        return selected.get("value")

    def checked(self, block: str) -> set[str]:
        return {o.get("value") for o in self._element(block).get("selected_options") or []}

    def user(self, block: str) -> str | None:
        return self._element(block).get("selected_user") or None

    def hhmm(self, block: str) -> time | None:
        text = self.text(block, 5)
        if text is None:
            return None
        hours, _, minutes = text.partition(":")
        if (hours.isdigit() and minutes.isdigit() and hours.isascii() and minutes.isascii()
                and len(minutes) == 2 and 0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
            return time(int(hours), int(minutes))
        self.errors[block] = f"Not a time: write it as {_HHMM_HINT}."
        return None

    def phone(self, block: str, region: str) -> str | None:
        text = self.text(block, 30)
        if text is None:
            return None
        try:
            return normalise_phone(text, region)
        except PhoneError as error:
            self.errors[block] = _PHONE_PROBLEMS[error.problem]
            return None


_PHONE_PROBLEMS = {
    PhoneProblem.UNREADABLE: ("Not a phone number: give the area code, or + and the country "
                              "code for a number abroad (no extension)."),
    PhoneProblem.NOT_IN_USE: ("Not a phone number in use: no number has that area code and "
                              "exchange. Check the digits, or give + and the country code for "
                              "a number abroad."),
    PhoneProblem.EXTENSION: ("Give the number without its extension: an extension cannot be "
                             "dialled from the number on file."),
}


def read_submission(values: Values, policy: ClinicPolicy) -> ConsentDraft | dict[str, str]:
    """The draft, or ``{block_id: message}`` for every input at fault."""
    read = _Reader(values)
    region = policy.clinic.phone_region
    clinician = read.user(B_CLINICIAN)
    if clinician is not None and may_be_treating_clinician(policy, clinician) is None:
        read.errors[B_CLINICIAN] = ("Choose a clinician on the clinic's team (someone "
                                    "whose role is clinician or supervisor).")
    first_name = read.text(B_FIRST_NAME, MAX_NAME_LENGTH)
    status = read.choice(B_STATUS) or "active"
    if status not in CLIENT_STATUSES:
        read.errors[B_STATUS] = "Choose one of the statuses."
    may_call_choice = read.choice(B_MAY_CALL)
    if may_call_choice not in ("yes", "no"):
        read.errors[B_MAY_CALL] = "Say whether the client agreed to be phoned."
    preferred = read.choice(B_PREFERRED)
    clinic_name = read.choice(B_CLINIC_NAME)
    earliest, latest = read.hhmm(B_EARLIEST), read.hhmm(B_LATEST)
    numbers = []
    for kind in PHONE_KINDS:
        permission = _read_number(read, kind, region)
        if permission is not None:
            numbers.append(permission)
    by_kind: dict[str, NumberPermission] = {n.kind: n for n in numbers}
    if preferred is not None:
        chosen = by_kind.get(preferred)
        if preferred not in PHONE_KINDS:
            read.errors[B_PREFERRED] = "Choose cell, home or work."
        elif number_block(preferred, "number") in read.errors:
            pass  # the number itself is at fault, and says so
        elif chosen is None or not chosen.number:
            read.errors[B_PREFERRED] = f"There is no {preferred} number above to prefer."
        elif chosen.do_not_call or not chosen.may_call:
            read.errors[B_PREFERRED] = f"The {preferred} number may not be called."
    parties = _read_parties(read)
    safety = read.text(B_SAFETY, MAX_NOTE_LENGTH, multiline=True)
    if read.errors:
        return read.errors
    # checked above: the status and the preferred kind are among the choices
    assert status in CLIENT_STATUSES and (preferred is None or preferred in PHONE_KINDS)
    consent = Consent(
        may_call=may_call_choice == "yes",
        preferred_kind=preferred,
        clinic_name_ok=None if clinic_name is None else clinic_name == "yes",
        earliest=earliest,
        latest=latest,
        numbers=tuple(numbers),
        third_parties=parties,
        safety_note=safety,
    )
    return ConsentDraft(clinician=clinician, preferred_name=first_name,
                        status=status, consent=consent)


def _read_parties(read: _Reader) -> tuple[ThirdParty, ...]:
    """Every named third party in the modal, in order (as many as it showed)."""
    parties = []
    index = 0
    while any(block in read.values for block in party_blocks(index)):
        name_block, written_block = party_blocks(index)
        name = read.text(name_block, MAX_NAME_LENGTH)
        written = "yes" in read.checked(written_block)
        if written and name is None and name_block not in read.errors:
            read.errors[name_block] = "Name the person the written permission is for."
        if name is not None:
            parties.append(ThirdParty(name, written))
        index += 1
    return tuple(parties)


def _read_number(read: _Reader, kind: PhoneKind, region: str) -> NumberPermission | None:
    number = read.phone(number_block(kind, "number"), region)
    flags = read.checked(number_block(kind, "flags"))
    reason_block = number_block(kind, "reason")
    reason = read.text(reason_block, MAX_REASON_LENGTH)
    name_choice = read.choice(number_block(kind, "clinic_name")) or "client"
    earliest = read.hhmm(number_block(kind, "earliest"))
    latest = read.hhmm(number_block(kind, "latest"))
    do_not_call = F_DO_NOT_CALL in flags
    if reason and not do_not_call:
        read.errors[reason_block] = "A reason goes with Do not call: tick it, or clear this."
    may_call = F_MAY_CALL in flags and not do_not_call
    voicemail = F_VOICEMAIL in flags
    nothing_said = (number is None and not do_not_call and F_MAY_CALL in flags
                    and not voicemail and name_choice == "client" and earliest is None
                    and latest is None)
    if nothing_said or (number is None and not flags and earliest is None and latest is None
                        and name_choice == "client"):
        return None
    number_at = number_block(kind, "number")
    if (number is None and number_at not in read.errors and not do_not_call
            and (voicemail or earliest or latest)):
        read.errors[number_at] = (
            f"Give the {kind} number these permissions are for, or clear them.")
    return NumberPermission(
        kind=kind,
        number=number,
        may_call=may_call,
        do_not_call=do_not_call,
        do_not_call_reason=reason if do_not_call else None,
        voicemail_ok=voicemail,
        clinic_name_ok=None if name_choice == "client" else name_choice == "yes",
        earliest=earliest,
        latest=latest,
    )


def consent_saved_view(code: str, *, new_client: bool) -> View:
    """What the modal turns into once saved: a confirmation, no details."""
    what = "A new client record was created and its" if new_client else "The"
    return {
        "type": "modal",
        "callback_id": ids.CONSENT_SAVED,
        "title": plain("Contact consent"),
        "close": plain("Done"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                f":white_check_mark: Saved. {what} contact consent for *{code}* is on file, "
                f"recorded by you now. `/contact-check {code}` shows the card.")}},
        ],
    }
