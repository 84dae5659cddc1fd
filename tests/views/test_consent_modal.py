"""The consent modal: valid Block Kit, what it discloses, and reading submissions back."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from bot.clock import ManualClock
from bot.policy.model import CLIENT_STATUSES, NumberPermission, ThirdParty
from bot.services.consent import ConsentDraft
from bot.slack_ui import ids
from bot.slack_ui.consent_modal import (
    B_CLINICIAN,
    B_EARLIEST,
    B_FIRST_NAME,
    B_LATEST,
    B_MAY_CALL,
    B_PREFERRED,
    B_SAFETY,
    B_STATUS,
    B_THIRD_NAME,
    B_THIRD_WRITTEN,
    consent_modal,
    consent_saved_view,
    number_block,
    party_blocks,
    read_submission,
)
from tests.handlers.conftest import contract_policy, maria
from tests.views.blockkit import assert_valid_view
from tests.views.modal_values import set_checked, set_choice, set_text, set_user, submitted_values

POLICY = contract_policy()
MARIA = maria(ManualClock(datetime(2026, 11, 24, 15, 0, tzinfo=UTC)))


def test_modal_with_the_consent_on_file_is_valid_and_carries_only_the_code():
    view = consent_modal("C-1042", MARIA, POLICY, recorder="U0ANA")
    assert_valid_view(view)
    assert view["callback_id"] == ids.CONSENT_MODAL
    assert view["private_metadata"] == "C-1042"


def test_blank_modal_discloses_nothing_and_names_the_recording_clinician():
    view = consent_modal("C-1042", None, POLICY, recorder="U0ANA")
    assert_valid_view(view)
    text = json.dumps(view)
    for private in ("Maria", "555-0142", "Partner", "Rosa"):
        assert private not in text
    values = submitted_values(view)
    assert values[B_CLINICIAN]["value"]["selected_user"] == "U0ANA"
    front_desk = submitted_values(consent_modal("C-1", None, POLICY, recorder="U0DESK"))
    assert front_desk[B_CLINICIAN]["value"]["selected_user"] is None


def test_submitting_the_modal_unchanged_gives_back_the_consent_on_file():
    values = submitted_values(consent_modal("C-1042", MARIA, POLICY, recorder="U0ANA"))
    draft = read_submission(values, POLICY)
    assert isinstance(draft, ConsentDraft)
    assert draft.consent == replace(MARIA.consent, provenance=None)
    assert (draft.clinician, draft.preferred_name, draft.status) == ("U0ANA", "Maria", "active")


def test_every_field_is_read():
    values = submitted_values(consent_modal("C-7", None, POLICY, recorder="U0ANA"))
    set_choice(values, B_MAY_CALL, "yes")
    set_choice(values, B_PREFERRED, "work")
    set_text(values, B_EARLIEST, "8:30")
    set_text(values, B_LATEST, "21:00")
    set_text(values, number_block("work", "number"), "(215) 555-0177")
    set_checked(values, number_block("work", "flags"), "may_call", "voicemail_ok")
    set_choice(values, number_block("work", "clinic_name"), "yes")
    set_text(values, number_block("work", "earliest"), "12:00")
    set_text(values, number_block("work", "latest"), "13:00")
    set_checked(values, number_block("cell", "flags"), "do_not_call")
    set_text(values, number_block("cell", "reason"), "Shared phone")
    set_text(values, B_THIRD_NAME, "Rosa")
    set_checked(values, B_THIRD_WRITTEN, "yes")
    set_text(values, B_SAFETY, "Call from a blocked number")
    draft = read_submission(values, POLICY)
    assert isinstance(draft, ConsentDraft)
    consent = draft.consent
    assert consent.may_call is True and consent.preferred_kind == "work"
    assert (consent.earliest, consent.latest) == (time(8, 30), time(21, 0))
    assert consent.number("work") == NumberPermission(
        "work", "+12155550177", may_call=True, voicemail_ok=True, clinic_name_ok=True,
        earliest=time(12, 0), latest=time(13, 0))
    assert consent.number("cell") == NumberPermission(
        "cell", None, may_call=False, do_not_call=True, do_not_call_reason="Shared phone")
    assert consent.number("home") is None
    assert consent.third_parties[0].name == "Rosa" and consent.third_parties[0].written_permission
    assert consent.safety_note == "Call from a blocked number"


BAD = [
    (lambda v: set_choice(v, B_MAY_CALL, None), B_MAY_CALL, "Say whether"),
    (lambda v: set_text(v, number_block("cell", "number"), "555-01"),
     number_block("cell", "number"), "Not a phone number"),
    (lambda v: set_text(v, number_block("cell", "number"), "call me"),
     number_block("cell", "number"), "Not a phone number"),
    (lambda v: set_text(v, B_EARLIEST, "9am"), B_EARLIEST, "Not a time"),
    (lambda v: set_text(v, B_LATEST, "24:00"), B_LATEST, "Not a time"),
    (lambda v: set_text(v, number_block("home", "latest"), "7:5"), number_block("home", "latest"),
     "Not a time"),
    (lambda v: set_choice(v, B_PREFERRED, "home"), B_PREFERRED, "may not be called"),
    (lambda v: set_choice(v, B_PREFERRED, "work"), B_PREFERRED, "no work number"),
    (lambda v: set_user(v, B_CLINICIAN, "U0DESK"), B_CLINICIAN, "Choose a clinician"),
    (lambda v: set_user(v, B_CLINICIAN, "U0NOBODY"), B_CLINICIAN, "Choose a clinician"),
    (lambda v: (set_text(v, B_THIRD_NAME, None), set_checked(v, B_THIRD_WRITTEN, "yes")),
     B_THIRD_NAME, "Name the person"),
    (lambda v: set_text(v, number_block("cell", "reason"), "why"), number_block("cell", "reason"),
     "goes with Do not call"),
    (lambda v: set_text(v, B_SAFETY, "x" * 1001), B_SAFETY, "1000 characters"),
    # The same free-text rule as the CSV import (issue 12.12): no NUL or control characters.
    (lambda v: set_text(v, B_FIRST_NAME, "Ma\x00ria"), B_FIRST_NAME, "control character U+0000"),
    (lambda v: set_text(v, B_THIRD_NAME, "Pat\u202e"), B_THIRD_NAME, "control character U+202E"),
    (lambda v: set_text(v, B_SAFETY, "Partner\x1b[2J"), B_SAFETY, "control character U+001B"),
]


def test_a_safety_note_may_run_over_several_lines():
    values = submitted_values(consent_modal("C-1042", MARIA, POLICY, recorder="U0ANA"))
    set_text(values, B_SAFETY, "Partner checks her phone.\n\tCall the cell only.")
    draft = read_submission(values, POLICY)
    assert not isinstance(draft, dict), draft


@pytest.mark.parametrize(("change", "block", "says"), BAD)
def test_bad_fields_get_an_inline_error_on_their_own_input(change, block, says):
    values = submitted_values(consent_modal("C-1042", MARIA, POLICY, recorder="U0ANA"))
    change(values)
    errors = read_submission(values, POLICY)
    assert isinstance(errors, dict)
    assert block in errors and says in errors[block]
    assert all(len(message) <= 2000 for message in errors.values())


def test_saved_view_is_valid_and_discloses_nothing():
    view = consent_saved_view("C-1042", new_client=True)
    assert_valid_view(view)
    assert "Maria" not in json.dumps(view)


# --- every third party on file is shown and kept ------------------------------------------------

TWO_PARTIES = replace(MARIA, consent=replace(MARIA.consent, third_parties=(
    ThirdParty("Rosa", written_permission=True), ThirdParty("Luis", written_permission=False))))


def test_every_third_party_on_file_is_shown_with_room_for_one_more():
    view = consent_modal("C-1042", TWO_PARTIES, POLICY, recorder="U0ANA")
    assert_valid_view(view)
    values = submitted_values(view)
    shown = [(values[name]["value"]["value"], values[written]["value"]["selected_options"])
             for name, written in map(party_blocks, range(3))]
    assert [name for name, _ in shown] == ["Rosa", "Luis", None]
    assert [bool(checked) for _, checked in shown] == [True, False, False]
    assert party_blocks(3)[0] not in values


def test_saving_the_modal_unchanged_keeps_every_third_party():
    values = submitted_values(consent_modal("C-1042", TWO_PARTIES, POLICY, recorder="U0ANA"))
    draft = read_submission(values, POLICY)
    assert isinstance(draft, ConsentDraft)
    assert draft.consent == replace(TWO_PARTIES.consent, provenance=None)


def test_third_parties_are_added_removed_and_checked_one_by_one():
    values = submitted_values(consent_modal("C-1042", TWO_PARTIES, POLICY, recorder="U0ANA"))
    set_text(values, party_blocks(0)[0], None)  # Rosa removed
    set_checked(values, party_blocks(0)[1])
    set_text(values, party_blocks(2)[0], "Ines")  # a new one
    set_checked(values, party_blocks(2)[1], "yes")
    draft = read_submission(values, POLICY)
    assert draft.consent.third_parties == (ThirdParty("Luis", False), ThirdParty("Ines", True))
    set_text(values, party_blocks(1)[0], None)
    set_checked(values, party_blocks(1)[1], "yes")  # permission for nobody
    assert read_submission(values, POLICY) == {party_blocks(1)[0]: (
        "Name the person the written permission is for.")}


def test_what_is_on_file_is_shown_whole_and_a_value_over_the_limit_is_named_not_cut():
    long_reason = "r" * 400  # on file from before the limit; the modal's field has 300
    numbers = (MARIA.consent.numbers[0],
               replace(MARIA.consent.numbers[1], do_not_call_reason=long_reason))
    client = replace(MARIA, consent=replace(MARIA.consent, numbers=numbers))
    view = consent_modal("C-1042", client, POLICY, recorder="U0ANA")
    assert_valid_view(view)
    values = submitted_values(view)
    reason_block = number_block("home", "reason")
    assert values[reason_block]["value"]["value"] == long_reason
    errors = read_submission(values, POLICY)
    assert errors == {reason_block: "Keep it to 300 characters (now 400)."}


def _go_over_text(view) -> str:
    [block] = [b for b in view["blocks"] if b["type"] == "context"
               and "Go over with the client" in b["elements"][0]["text"]]
    return block["elements"][0]["text"]


@pytest.mark.parametrize(
    ("seed", "after_hours", "says"),
    [
        ("001: give clients an after-hours emergency contact", "Crisis line 988 <or> on-call",
         "The after-hours emergency contact: Crisis line 988 &lt;or&gt; on-call"),
        ("001: no contact named yet: ask the admin", None,
         "the clinic's policy names none yet (`clinic.after_hours_contact`), so ask your admin"),
        ("000: voicemail is not fully secure", None,
         "Voicemail is not fully secure: people at home or at work may hear messages."),
        ("001: when missed calls are returned", None,
         "When their missed calls are returned: _Your call will be returned during office "
         "hours (Monday to Friday, 9:00 AM to 5:00 PM), within 24 hours, not counting "
         "weekends and holidays."),
    ],
)
def test_the_modal_lists_what_to_go_over_with_the_client(seed, after_hours, says):
    policy = replace(POLICY, clinic=replace(POLICY.clinic, after_hours_contact=after_hours))
    for client in (MARIA, None):
        view = consent_modal("C-1042", client, policy, recorder="U0ANA")
        assert_valid_view(view)
        assert says in _go_over_text(view), seed


@pytest.mark.parametrize("client", [MARIA, None], ids=["on file", "blank"])
def test_000_the_form_reminds_to_tell_the_client_voicemail_is_not_fully_private(client):
    """000: remind the client that voicemail is not fully secure, before asking where a
    message may be left (the per-number voicemail boxes follow the reminder)."""
    view = consent_modal("C-1042", client, POLICY, recorder="U0ANA")
    assert_valid_view(view)
    blocks = view["blocks"]
    at = next(i for i, b in enumerate(blocks) if b["type"] == "context"
              and "Voicemail is not fully secure" in b["elements"][0]["text"])
    first_number = next(i for i, b in enumerate(blocks)
                        if b.get("block_id") == number_block("cell", "flags"))
    assert at < first_number


@pytest.mark.parametrize("status", CLIENT_STATUSES)
def test_every_status_is_offered_and_read_back(status):
    """Seed 002: the consent form records an intake that is not complete, like any status."""
    view = consent_modal("C-1042", replace(MARIA, status=status), POLICY, recorder="U0ANA")
    assert_valid_view(view)
    block = next(b for b in view["blocks"] if b.get("block_id") == B_STATUS)
    assert [o["value"] for o in block["element"]["options"]] == list(CLIENT_STATUSES)
    values = submitted_values(view)
    assert values[B_STATUS]["value"]["selected_option"]["value"] == status
    draft = read_submission(values, POLICY)
    assert isinstance(draft, ConsentDraft) and draft.status == status
