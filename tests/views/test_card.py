"""The guidance card: one verdict first, what each access level sees, valid Block Kit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from bot.clock import ManualClock
from bot.policy.access import Access, Level
from bot.policy.callback_number import DIRECT_LINE_PROMPT, callback_number
from bot.policy.consent import Verdict, check_contact
from bot.policy.model import ClientRecord, Consent, NumberPermission, ThirdParty
from bot.services.guidance import ClientCard
from bot.slack_ui.card import (
    DIRECT_LINE_NOTE,
    NAME_PRIVACY_NOTE,
    card_message,
)
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
    assert f"Please give me a call back at {DIRECT_LINE_PROMPT}" in allowed
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


# --- the call, in order, and what is said to whoever answers (seeds 000 and 003) ---------------

def script_titles(message: dict) -> list[str]:
    """The titles of the card's script sections, in order."""
    return [b["text"]["text"].split("*")[1] for b in message["blocks"]
            if b["type"] == "section" and "text" in b and "*\n>" in b["text"]["text"]]


def script_named(message: dict, prefix: str) -> str:
    return next(b["text"]["text"] for b in message["blocks"]
                if b["type"] == "section" and b.get("text", {}).get("text", "")
                .startswith(f"*{prefix}"))


VERIFY, GOOD_TIME = "First, check who you are speaking with", "Once you know it is them"


@pytest.mark.parametrize("level", [Level.DETAILS, Level.LOGISTICS])
@pytest.mark.parametrize(("client", "now"), [(MARIA, TUESDAY_10), (MARIA, TUESDAY_21),
                                             (CLINIC_NAME_OK, TUESDAY_10), (None, TUESDAY_10),
                                             (NO_CONSENT, TUESDAY_10)],
                         ids=["ok", "not now", "clinic name ok", "unknown", "no consent"])
def test_000_verify_the_client_then_ask_if_it_is_a_good_time(client, now, level):
    message = card_message(card_for(client, now, level), POLICY)
    titles = script_titles(message)
    verify = titles.index(VERIFY)
    good_time = next(i for i, t in enumerate(titles) if t.startswith(GOOD_TIME))
    assert verify < good_time
    assert "Is this a good time to talk?" in script_named(message, GOOD_TIME)
    opener = script_named(message, VERIFY)
    assert "Ana" not in opener and "Great Agency" not in opener  # nobody named before it is them


@pytest.mark.parametrize("level", [Level.DETAILS, Level.LOGISTICS])
@pytest.mark.parametrize("client", [MARIA, CLINIC_NAME_OK, NO_CONSENT, None],
                         ids=["no clinic name", "clinic name ok", "no consent", "unknown"])
def test_003_someone_else_answered_hears_no_name_and_no_clinic(client, level):
    message = card_message(card_for(client, TUESDAY_10, level), POLICY)
    text = script_named(message, "If someone else answers")
    assert "Ana" not in text and "Great Agency" not in text and "555" not in text
    assert "no message" in text and "can't say who this is" in text


WITH_PERMISSION = replace(MARIA, consent=replace(MARIA.consent, third_parties=(
    ThirdParty("Rosa", written_permission=True), ThirdParty("Tom", written_permission=False),
    ThirdParty("Lu <3", written_permission=True))))
EXCEPTION = "If the person who answers is"


def test_000_the_person_named_in_writing_is_the_one_exception_for_the_treating_team():
    message = card_message(card_for(WITH_PERMISSION, TUESDAY_10, Level.DETAILS), POLICY)
    notes = [b["elements"][0]["text"] for b in message["blocks"] if b["type"] == "context"]
    exception = next(n for n in notes if EXCEPTION in n)
    assert "Rosa or Lu &lt;3 (named in the client's written permission)" in exception
    assert "you may say who you are" in exception and "Tom" not in exception
    at = next(i for i, b in enumerate(message["blocks"])
              if b["type"] == "context" and EXCEPTION in b["elements"][0]["text"])
    assert message["blocks"][at - 1]["text"]["text"].startswith("*If someone else answers")


@pytest.mark.parametrize(("client", "level"), [
    (WITH_PERMISSION, Level.LOGISTICS),  # the name is private: not for the front desk
    (replace(MARIA, consent=replace(MARIA.consent, third_parties=(ThirdParty("Tom"),))),
     Level.DETAILS),  # no written permission: no exception
    (replace(WITH_PERMISSION, consent=replace(WITH_PERMISSION.consent, may_call=False)),
     Level.DETAILS),  # no call at all
])
def test_000_no_exception_without_written_permission_or_private_view(client, level):
    text = rendered(card_message(card_for(client, TUESDAY_10, level), POLICY))
    assert EXCEPTION not in text
    if level is Level.LOGISTICS:
        assert "Rosa" not in text


@pytest.mark.parametrize("level", [Level.DETAILS, Level.LOGISTICS])
@pytest.mark.parametrize(("client", "now"), [(c, n) for c, n, _ in SCENARIOS])
def test_000_every_card_warns_not_to_say_the_name_where_others_hear(client, now, level):
    message = card_message(card_for(client, now, level, viewer="U0DESK"), POLICY)
    notes = [b["elements"][0]["text"] for b in message["blocks"] if b["type"] == "context"]
    assert NAME_PRIVACY_NOTE in notes
    assert "never in public, nor at the front desk" in NAME_PRIVACY_NOTE


# --- the call-back number: the main line would reveal the clinic to whoever dials it back -------

MAIN = "(215) 555-0100"
NO_PHONE = replace(POLICY, clinic=replace(POLICY.clinic, phone=None))
PROSPECT_NAME_OK = replace(CLINIC_NAME_OK, status="prospect")

# (client, clinic phone set, number in the script, the direct-line note shown)
CALLBACK_NUMBERS = [
    ("consent to the name, main line set", CLINIC_NAME_OK, True, MAIN, False),
    ("consent to the name, no main line", CLINIC_NAME_OK, False, DIRECT_LINE_PROMPT, False),
    ("no consent to the name, main line set", MARIA, True, DIRECT_LINE_PROMPT, True),
    ("no consent to the name, no main line", MARIA, False, DIRECT_LINE_PROMPT, True),
    ("potential client, main line set", None, True, DIRECT_LINE_PROMPT, True),
    ("potential client, no main line", None, False, DIRECT_LINE_PROMPT, True),
    ("prospect who allowed the name, main line set", PROSPECT_NAME_OK, True, DIRECT_LINE_PROMPT,
     True),
]


@pytest.mark.parametrize(("client", "phone", "number", "note"),
                         [row[1:] for row in CALLBACK_NUMBERS],
                         ids=[row[0] for row in CALLBACK_NUMBERS])
def test_the_main_line_only_to_clients_who_allowed_the_clinic_name(client, phone, number, note):
    policy = POLICY if phone else NO_PHONE
    message = card_message(card_for(client, TUESDAY_10, Level.DETAILS), policy)
    text = rendered(message)
    potential = client is None or client.status == "prospect"
    assert number in script_named(message, "Potential client" if potential else "Voicemail")
    assert (MAIN in text) is (number == MAIN)
    assert (DIRECT_LINE_NOTE in text) is note
    if potential:
        assert "Great Agency" not in text  # a potential client never hears the clinic's name


@pytest.mark.parametrize(("clinic_name_ok", "phone", "expected"), [
    (True, "+12155550100", MAIN),
    (True, None, DIRECT_LINE_PROMPT),
    (False, "+12155550100", DIRECT_LINE_PROMPT),
    (False, None, DIRECT_LINE_PROMPT),
])
def test_callback_number(clinic_name_ok, phone, expected):
    policy = replace(POLICY, clinic=replace(POLICY.clinic, phone=phone))
    assert callback_number(policy, clinic_name_ok) == expected


def test_the_direct_line_note_says_why():
    assert DIRECT_LINE_NOTE.endswith(
        "Give your direct line, not the clinic's main number: calling it back would reveal "
        "the clinic.")
