"""The guidance card: one verdict first, what each access level sees, valid Block Kit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from bot.clock import ManualClock
from bot.policy.access import Access, Level
from bot.policy.consent import Verdict, check_contact
from bot.policy.model import ClientRecord, Consent, NumberPermission
from bot.services.guidance import ClientCard
from bot.views.card import DIRECT_LINE_PROMPT, card_message
from tests.handlers.conftest import contract_policy, maria
from tests.views.blockkit import assert_valid_message

POLICY = contract_policy()
TUESDAY_10 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 New York
TUESDAY_21 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 21:00 New York
MARIA = maria(ManualClock(TUESDAY_10))
PRIVATE = ("Maria", "Partner does not know", "partner checks the phone", "Rosa")


def card_for(client: ClientRecord | None, now: datetime, level: Level,
             viewer: str = "U0ANA", code: str = "C-1042") -> ClientCard:
    guidance = check_contact(client, POLICY, now)
    return ClientCard(
        code=code, access=Access(level, "test"), viewer=POLICY.member(viewer), now=now,
        client=client, guidance=guidance,
        clinician=POLICY.member(client.clinician) if client and client.clinician else None,
    )


def rendered(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


DO_NOT_CALL = replace(MARIA, consent=replace(MARIA.consent, may_call=False))
NO_CONSENT = replace(MARIA, consent=None)
CLINIC_NAME_OK = replace(MARIA, consent=replace(MARIA.consent, clinic_name_ok=True))

SCENARIOS = [
    (MARIA, TUESDAY_10, Verdict.OK),
    (MARIA, TUESDAY_21, Verdict.NOT_NOW),
    (DO_NOT_CALL, TUESDAY_10, Verdict.DO_NOT_CALL),
    (NO_CONSENT, TUESDAY_10, Verdict.NO_CONSENT),
    (None, TUESDAY_10, Verdict.NO_CONSENT),
]


@pytest.mark.parametrize("level", [Level.DETAILS, Level.LOGISTICS])
@pytest.mark.parametrize(("client", "now", "verdict"), SCENARIOS)
def test_card_begins_with_one_verdict_and_is_valid_block_kit(client, now, verdict, level):
    message = card_message(card_for(client, now, level), POLICY)
    assert_valid_message(message)
    assert message["text"].startswith(verdict.value)
    others = [v.value for v in Verdict if v is not verdict]
    assert not any(message["text"].startswith(o) for o in others)


def test_not_now_says_when_the_window_opens():
    message = card_message(card_for(MARIA, TUESDAY_21, Level.DETAILS), POLICY)
    assert message["text"] == (
        "Not now: C-1042 (calling hours open Wednesday, November 25 at 9:00 AM)")


def test_treating_team_sees_the_details():
    text = rendered(card_message(card_for(MARIA, TUESDAY_10, Level.DETAILS), POLICY))
    for private in PRIVATE:
        assert private in text
    assert "(215) 555-0142" in text  # the number to use
    assert "Never use*\\nhome" in text


def test_front_desk_sees_the_number_and_logistics_but_no_names_reasons_or_notes():
    message = card_message(card_for(MARIA, TUESDAY_10, Level.LOGISTICS, viewer="U0DESK"), POLICY)
    text = rendered(message)
    for private in PRIVATE:
        assert private not in text
    assert "(215) 555-0142" in text
    assert "(215) 555-0199" not in text  # the do-not-call number itself
    assert "Never use*\\nhome" in text
    assert "[first name]" in text
    assert "Is this a good time" in text
    assert "*Why*" not in text
    assert "shown only to the client's clinician" in text


def test_voicemail_script_only_when_voicemail_is_allowed():
    allowed = rendered(card_message(card_for(MARIA, TUESDAY_10, Level.DETAILS), POLICY))
    assert "Please give me a call back at (215) 555-0100" in allowed
    assert "Voicemail is not private" in allowed
    no_vm = replace(MARIA, consent=replace(MARIA.consent, numbers=(
        replace(MARIA.consent.numbers[0], voicemail_ok=False), MARIA.consent.numbers[1])))
    refused = rendered(card_message(card_for(no_vm, TUESDAY_10, Level.DETAILS), POLICY))
    assert "call back at" not in refused
    assert "Do not leave one" in refused


def test_clinic_name_said_only_with_consent():
    without = rendered(card_message(card_for(MARIA, TUESDAY_10, Level.DETAILS), POLICY))
    assert "Great Agency" not in without
    with_consent = rendered(card_message(card_for(CLINIC_NAME_OK, TUESDAY_10, Level.DETAILS),
                                         POLICY))
    assert "this is Ana from Great Agency" in with_consent


def test_potential_client_gets_the_first_name_only_callback_script():
    text = rendered(card_message(card_for(None, TUESDAY_10, Level.LOGISTICS, code="C-9999"),
                                 POLICY))
    assert "I'm in the office today until 5:00 PM" in text
    assert "Great Agency" not in text
    assert "Record consent" in text


def test_without_a_clinic_phone_the_scripts_prompt_for_the_direct_line():
    policy = replace(POLICY, clinic=replace(POLICY.clinic, phone=None))
    text = rendered(card_message(card_for(MARIA, TUESDAY_10, Level.DETAILS), policy))
    assert f"call back at {DIRECT_LINE_PROMPT}" in text


def test_person_written_text_is_escaped():
    sneaky = replace(MARIA, preferred_name="<!channel>", consent=replace(
        MARIA.consent, safety_note="<@U0BEN> & <https://x.example|click>"))
    text = rendered(card_message(card_for(sneaky, TUESDAY_10, Level.DETAILS), POLICY))
    assert "<!channel>" not in text and "<@U0BEN>" not in text and "<https" not in text
    assert "&lt;!channel&gt;" in text


def test_only_number_without_window_and_long_notes_stay_within_limits():
    client = ClientRecord("C-1", "U0ANA", preferred_name="N" * 60, consent=Consent(
        may_call=True, earliest=time(20, 0), latest=time(8, 0), safety_note="x" * 1000,
        numbers=tuple(NumberPermission(k, f"+1215555010{i}", do_not_call=i > 0,
                                       do_not_call_reason="r" * 300)
                      for i, k in enumerate(("cell", "home", "work")))))
    assert_valid_message(card_message(card_for(client, TUESDAY_21, Level.DETAILS), POLICY))


# --- the four answers, worded for each verdict and audience -------------------------------------

CELL_ONLY = replace(MARIA, consent=replace(MARIA.consent, numbers=MARIA.consent.numbers[:1]))
NO_NUMBER = replace(MARIA, consent=replace(MARIA.consent, preferred_kind=None, numbers=()))
NUMBERS_NEVER_ASKED = replace(MARIA, consent=replace(MARIA.consent, may_call=None))
RETURN_THE_CALL = "Only to return their call: the number they called from"
FIRST_NAME_ONLY = "Only the first-name-only callback script below"

FACTS = [
    # (client, now, verdict, number to use, never use, voicemail, clinic's name)
    (MARIA, TUESDAY_10, Verdict.OK, "*Cell*: (215) 555-0142", "home", "May be left",
     "Do not say it"),
    (CELL_ONLY, TUESDAY_10, Verdict.OK, "*Cell*: (215) 555-0142",
     "No number is marked do-not-call", "May be left", "Do not say it"),
    (CLINIC_NAME_OK, TUESDAY_10, Verdict.OK, "*Cell*: (215) 555-0142", "home", "May be left",
     "May be said"),
    (MARIA, TUESDAY_21, Verdict.NOT_NOW, "*Cell*: (215) 555-0142", "home", "May be left",
     "Do not say it"),
    (DO_NOT_CALL, TUESDAY_10, Verdict.DO_NOT_CALL, "No number: do not phone this client",
     "cell, home", "Do not leave one", "Do not say it"),
    (NO_NUMBER, TUESDAY_10, Verdict.DO_NOT_CALL, "No number: none on file may be called",
     "No number is marked do-not-call", "Do not leave one", "Do not say it"),
    (NUMBERS_NEVER_ASKED, TUESDAY_10, Verdict.NO_CONSENT, RETURN_THE_CALL, "home",
     FIRST_NAME_ONLY, "Do not say it"),
    (NO_CONSENT, TUESDAY_10, Verdict.NO_CONSENT, RETURN_THE_CALL, "Nothing on file",
     FIRST_NAME_ONLY, "Do not say it"),
    (None, TUESDAY_10, Verdict.NO_CONSENT, RETURN_THE_CALL, "Nothing on file", FIRST_NAME_ONLY,
     "Do not say it"),
    # seed 002: no reaching out after an incomplete intake; their own call is returned
    (replace(MARIA, status="intake"), TUESDAY_10, Verdict.DO_NOT_CALL,
     "None: do not reach out. Only to return a call they make: the number they called from",
     "home", "Only when returning their call: the first-name-only callback script",
     "Do not say it"),
    # seed 002: a closed file is treated as a potential client's
    (replace(MARIA, status="former"), TUESDAY_10, Verdict.NO_CONSENT, RETURN_THE_CALL, "home",
     FIRST_NAME_ONLY, "Do not say it"),
    (replace(MARIA, status="closed"), TUESDAY_21, Verdict.NO_CONSENT, RETURN_THE_CALL, "home",
     FIRST_NAME_ONLY, "Do not say it"),
]


def shown_fields(message: dict) -> dict[str, str]:
    """The card's fields as {label: answer}, from the Block Kit."""
    block = next(b for b in message["blocks"] if "fields" in b)
    return dict(f["text"].lstrip("*").split("*\n", 1) for f in block["fields"])


@pytest.mark.parametrize("viewer", ["U0ANA", "U0DESK"])  # the treating team, the front desk
@pytest.mark.parametrize(("client", "now", "verdict", "use", "never", "voicemail", "name"),
                         FACTS)
def test_each_verdict_reads_naturally_for_each_audience(client, now, verdict, use, never,
                                                        voicemail, name, viewer):
    level = Level.DETAILS if viewer == "U0ANA" else Level.LOGISTICS
    message = card_message(card_for(client, now, level, viewer=viewer), POLICY)
    assert message["text"].startswith(verdict.value)
    fields = shown_fields(message)
    assert fields["Number to use"] == use
    assert fields["Never use"] == never
    assert fields["Voicemail"] == voicemail
    assert fields["Clinic's name"] == name
    assert not any(value in ("None", "") for value in fields.values())
    assert ("Opens" in fields) is (verdict is Verdict.NOT_NOW)
    if level is Level.LOGISTICS:
        text = rendered(message)
        assert not any(private in text for private in PRIVATE)
        assert "do-not-call: " not in text  # never the reason, to the front desk


@pytest.mark.parametrize(("client", "now", "summary"), [
    (MARIA, TUESDAY_10, "Call the *cell* number now."),
    (MARIA, TUESDAY_21, "The *cell* number's calling hours are 09:00-20:00"),
    (DO_NOT_CALL, TUESDAY_10, "Do not phone this client."),
    (NO_CONSENT, TUESDAY_10, "Treat them as a potential client: first name only"),
    (None, TUESDAY_10, "*C-1042* is not on file: check the code. If they are not a client "
                       "yet, treat them as a potential client: first name only"),
])
def test_the_summary_line_says_what_to_do(client, now, summary):
    message = card_message(card_for(client, now, Level.LOGISTICS, viewer="U0DESK"), POLICY)
    assert summary in message["blocks"][1]["text"]["text"]


def test_do_not_call_reasons_reach_the_treating_team_only():
    treating = rendered(card_message(card_for(DO_NOT_CALL, TUESDAY_10, Level.DETAILS), POLICY))
    desk = rendered(card_message(card_for(DO_NOT_CALL, TUESDAY_10, Level.LOGISTICS,
                                          viewer="U0DESK"), POLICY))
    assert "Partner does not know about therapy" in treating
    assert "Partner does not know about therapy" not in desk
    assert "(215) 555-0199" not in desk and "(215) 555-0142" not in desk
