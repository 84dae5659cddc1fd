"""The scripts: the clinic's name only with consent, no details, times in clinic time, overrides.

Rows that implement a seed's rule name it (``000 phone do's and don'ts``, ``003 clinic phone
protocol``; the seeds are in ``../shared/seeds``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.policy import scripts
from bot.policy.clinic import Clinic, ClinicPolicy, DailyWindow
from bot.policy.scripts import (
    SCRIPT_NAMES,
    check_template,
    clinic_time_text,
    placeholders,
)

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
CLINIC_NAME = "Great Agency"
CALLBACK = "+1 555 010 2000"
CLINIC_PHONE = "+12155550100"  # the clinic's main line, E.164


def make_policy(
    name: str = CLINIC_NAME, tz: ZoneInfo = NEW_YORK, overrides: dict[str, str] | None = None
) -> ClinicPolicy:
    nine_to_five = DailyWindow(time(9), time(17))
    return ClinicPolicy(
        clinic=Clinic(name=name, timezone=tz, hours=dict.fromkeys(range(5), nine_to_five)),
        scripts=overrides or {},
    )


POLICY = make_policy()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


MONDAY_9AM = utc(2026, 11, 30, 14, 0)  # Monday, November 30 2026, 09:00 EST
SATURDAY_NOON = utc(2026, 11, 28, 17, 0)  # the clinic is closed until Monday 09:00


def render_all(policy: ClinicPolicy, clinic_name_ok: bool) -> dict[str, str]:
    """Every script, rendered for one client with the given clinic-name consent."""
    person = {"client_first_name": "Maria", "clinician_first_name": "Ana"}
    call = {**person, "callback_number": CALLBACK, "clinic_name_ok": clinic_name_ok}
    return {
        "voicemail": scripts.voicemail(policy, **call),
        "voicemail_caution": scripts.voicemail_caution(policy),
        "someone_else_answered": scripts.someone_else_answered(policy, client_first_name="Maria"),
        "someone_asks": scripts.someone_asks(policy),
        "prospect_callback": scripts.prospect_callback(
            policy, clinician_first_name="Ana", callback_number=CALLBACK, now=SATURDAY_NOON
        ),
        "identity_check": scripts.identity_check(policy, client_first_name="Maria"),
        "good_time": scripts.good_time(policy, **person),
        "no_show_voicemail": scripts.no_show_voicemail(
            policy, clinician_first_name="Ana", callback_number=CALLBACK,
            clinic_name_ok=clinic_name_ok, appointment_start=MONDAY_9AM, now=MONDAY_9AM,
        ),
        "no_show_note": scripts.no_show_note(
            policy,
            client="Maria (C-1042)",
            appointment_start=MONDAY_9AM,
            called_at=utc(2026, 11, 30, 14, 20),
            reported=True,
            voicemail_left=True,
            next_appointment=None,
        ),
        "closure_warning": scripts.closure_warning(
            policy, **call, deadline=utc(2026, 12, 4, 22, 0)
        ),
    }


def test_every_script_has_a_function() -> None:
    assert set(render_all(POLICY, clinic_name_ok=False)) == set(SCRIPT_NAMES)
    assert SCRIPT_NAMES == (
        "voicemail",
        "voicemail_caution",
        "someone_else_answered",
        "someone_asks",
        "prospect_callback",
        "identity_check",
        "good_time",
        "no_show_voicemail",
        "no_show_note",
        "closure_warning",
    )


@pytest.mark.parametrize("name", SCRIPT_NAMES)
@pytest.mark.parametrize("clinic_name", [CLINIC_NAME, "the clinic"])
def test_no_script_names_the_clinic_without_consent(name: str, clinic_name: str) -> None:
    text = render_all(make_policy(clinic_name), clinic_name_ok=False)[name]
    assert clinic_name.lower() not in text.lower()
    assert "{" not in text and "}" not in text


@pytest.mark.parametrize("name", ["voicemail", "no_show_voicemail", "closure_warning"])
def test_messages_name_the_clinic_with_consent(name: str) -> None:
    assert f"Ana from {CLINIC_NAME}." in render_all(POLICY, clinic_name_ok=True)[name]


@pytest.mark.parametrize(
    "name", ["someone_else_answered", "someone_asks", "prospect_callback", "good_time"]
)
def test_scripts_for_others_never_name_the_clinic_even_with_consent(name: str) -> None:
    assert CLINIC_NAME not in render_all(POLICY, clinic_name_ok=True)[name]


def test_voicemail_is_first_name_and_callback_number_only() -> None:
    text = scripts.voicemail(
        POLICY,
        client_first_name="Maria",
        clinician_first_name="Ana",
        callback_number=CALLBACK,
        clinic_name_ok=False,
    )
    assert text == f"Hi Maria, this is Ana. Please give me a call back at {CALLBACK}. Thank you."


# (seed: rule, script, phrases it says, phrases it never says), under either clinic-name consent
SCRIPT_RULES = [
    ("003: someone else answered asks for the client", "someone_else_answered",
     ["Hi, is Maria there?"], []),
    ("003: someone else answered leaves no message", "someone_else_answered",
     ["No, no message", "I'll try again"], [CALLBACK]),
    ("003: someone else answered can't say who is calling", "someone_else_answered",
     ["I can't say who this is, but thank you"], []),
    ("000: someone else answered: no name of the caller, no clinic", "someone_else_answered",
     [], ["Ana", CLINIC_NAME, "from"]),
    ("003: someone asks: their concern is heard", "someone_asks",
     ["I hear that you're concerned"], []),
    ("003: someone asks: can't confirm or deny, so no answers", "someone_asks",
     ["can't confirm or deny whether someone is a client", "not able to answer questions"], []),
    ("003: someone asks: general recommendations if worried about safety", "someone_asks",
     ["worried about someone's safety, I can give you some general recommendations"],
     [CLINIC_NAME]),
    ("000: identity check verifies the client before the caller says who they are",
     "identity_check", ["make sure I'm speaking with Maria"], ["Ana", CLINIC_NAME]),
    ("000: good time: always ask whether it is a good time", "good_time",
     ["Is this a good time to talk?", "It's Ana"], [CLINIC_NAME]),
    ("000: prospect callback: the clinician's first name, sorry to have missed them",
     "prospect_callback", ["Hi, this is Ana returning your call. I'm sorry I missed you."],
     ["Maria", CLINIC_NAME]),
    ("000: prospect callback: when the clinician is back in the office", "prospect_callback",
     ["I'm back in the office on Monday, November 30 at 9:00 AM"], []),
    ("000: voicemail caution: voicemail is not private", "voicemail_caution",
     ["Voicemail is not private", "never the reason for the call"], []),
    ("000: voicemail caution: listen to your own messages in private", "voicemail_caution",
     ["listen to messages where no one else can hear them"], []),
    ("000: voicemail caution: keep your voicemail code to yourself", "voicemail_caution",
     ["keep your voicemail code to yourself"], []),
]


@pytest.mark.parametrize("clinic_name_ok", [False, True])
@pytest.mark.parametrize(("name", "says", "never"), [row[1:] for row in SCRIPT_RULES],
                         ids=[row[0] for row in SCRIPT_RULES])
def test_script_says_what_the_seeds_say(name: str, says: list[str], never: list[str],
                                        clinic_name_ok: bool) -> None:
    text = render_all(POLICY, clinic_name_ok=clinic_name_ok)[name]
    for phrase in says:
        assert phrase in text
    for phrase in never:
        assert phrase not in text


@pytest.mark.parametrize("clinic_name", [CLINIC_NAME, "Ana's Practice"])  # even the caller's
def test_someone_else_answered_never_identifies_the_caller(clinic_name: str) -> None:
    """000/003: whoever answers hears no name and no clinic, whatever the consent; the script
    takes no caller's name at all, so no override can slip one in."""
    text = scripts.someone_else_answered(make_policy(clinic_name), client_first_name="Maria")
    assert "Ana" not in text
    assert "clinician_first_name" not in placeholders("someone_else_answered")
    assert "from_clinic" not in placeholders("someone_else_answered")


def test_missing_first_name_becomes_a_prompt() -> None:
    text = scripts.voicemail(
        POLICY,
        client_first_name=None,
        clinician_first_name="Ana",
        callback_number=CALLBACK,
        clinic_name_ok=False,
    )
    assert text.startswith("Hi [first name], this is Ana.")


def test_values_are_not_read_as_placeholders() -> None:
    text = scripts.good_time(
        POLICY, client_first_name="{clinician_first_name}", clinician_first_name="Ana"
    )
    assert text.startswith("Thank you, {clinician_first_name}. It's Ana.")


@pytest.mark.parametrize(
    ("tz", "moment", "text"),
    [
        (NEW_YORK, MONDAY_9AM, "Monday, November 30 at 9:00 AM"),
        (LOS_ANGELES, MONDAY_9AM, "Monday, November 30 at 6:00 AM"),
        (NEW_YORK, utc(2026, 3, 9, 13, 0), "Monday, March 9 at 9:00 AM"),  # after spring forward
        (NEW_YORK, utc(2026, 11, 2, 14, 30), "Monday, November 2 at 9:30 AM"),  # after fall back
        (NEW_YORK, utc(2026, 6, 10, 16, 5), "Wednesday, June 10 at 12:05 PM"),
        (NEW_YORK, utc(2026, 6, 11, 4, 0), "Thursday, June 11 at 12:00 AM"),
    ],
)
def test_clinic_time_text(tz: ZoneInfo, moment: datetime, text: str) -> None:
    assert clinic_time_text(make_policy(tz=tz), moment) == text


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        clinic_time_text(POLICY, datetime(2026, 11, 30, 9))


def test_prospect_callback_says_when_the_clinician_is_back() -> None:
    text = render_all(POLICY, clinic_name_ok=False)["prospect_callback"]
    assert text == (
        "Hi, this is Ana returning your call. I'm sorry I missed you. I'm back in the office on "
        f"Monday, November 30 at 9:00 AM; you can reach me at {CALLBACK}. I hope to hear from you."
    )


def test_prospect_callback_while_the_clinic_is_open_says_until_when() -> None:
    text = scripts.prospect_callback(POLICY, clinician_first_name="Ana",
                                     callback_number=CALLBACK, now=MONDAY_9AM)
    assert "I'm in the office today until 5:00 PM;" in text


def test_identity_check_asks_for_date_of_birth() -> None:
    assert "date of birth" in scripts.identity_check(POLICY, client_first_name="Maria")


def test_good_time_asks_if_it_is_a_good_time() -> None:
    assert "Is this a good time to talk?" in render_all(POLICY, clinic_name_ok=False)["good_time"]


# The no-show voicemail, note and closure warning of seed 003 have their own table:
# tests/policy/test_no_show_scripts.py.


# --- overrides ---------------------------------------------------------------------------------


def test_an_override_replaces_the_built_in_text() -> None:
    policy = make_policy(
        overrides={
            "voicemail": "Hello {client_first_name}, {clinician_first_name}{from_clinic} "
            "here: {callback_number}. {{not a placeholder}}"
        }
    )
    assert render_all(policy, clinic_name_ok=True)["voicemail"] == (
        f"Hello Maria, Ana from {CLINIC_NAME} here: {CALLBACK}. {{not a placeholder}}"
    )
    assert render_all(policy, clinic_name_ok=False)["voicemail"] == (
        f"Hello Maria, Ana here: {CALLBACK}. {{not a placeholder}}"
    )


def test_an_override_of_one_script_leaves_the_others() -> None:
    policy = make_policy(overrides={"good_time": "Good time, {client_first_name}?"})
    rendered, built_in = render_all(policy, False), render_all(POLICY, False)
    assert rendered["good_time"] == "Good time, Maria?"
    assert {k: v for k, v in rendered.items() if k != "good_time"} == {
        k: v for k, v in built_in.items() if k != "good_time"
    }


BAD_OVERRIDES = [
    ("unknown placeholder", "voicemail", "Hi {client_last_name}", "uses {client_last_name}"),
    ("positional field", "voicemail", "Hi {}", "uses {}"),
    ("attribute access", "voicemail", "Hi {client_first_name.upper}", "does not have"),
    ("format spec", "voicemail", "Hi {client_first_name:>20}", "without ':' or '!'"),
    ("conversion", "voicemail", "Hi {client_first_name!r}", "without ':' or '!'"),
    ("unbalanced brace", "voicemail", "Hi {client_first_name", "not a valid template"),
    ("stray closing brace", "voicemail", "Hi } there", "not a valid template"),
    ("clinic name written out", "voicemail", "Great Agency calling", "use {from_clinic}"),
    ("clinic name, any case", "no_show_voicemail", "great agency calling", "use {from_clinic}"),
    ("clinic name, other spacing", "voicemail", "GREAT\n  agency's line", "use {from_clinic}"),
    ("clinic name where never allowed", "someone_else_answered", "Great Agency here", "must never"),
    ("placeholder of another script", "someone_asks", "{client_first_name}?", "no placeholders"),
    ("000/003: someone else answered may not name the caller", "someone_else_answered",
     "Is {client_first_name} in? It's {clinician_first_name}.", "it offers {client_first_name}"),
    ("000: the prospect callback names no caller", "prospect_callback",
     "Hi {client_first_name}", "it offers {clinician_first_name}, {back_in_office}, "
     "{callback_number}"),
    ("main number written out", "voicemail", "Call (215) 555-0100.", "use {callback_number}"),
    ("main number, local form", "closure_warning", "Call 555.0100 by Friday.",
     "use {callback_number}"),
    ("main number where never allowed", "good_time", "It's +1 215 555 0100.", "never give"),
]


@pytest.mark.parametrize(
    ("name", "template", "error"),
    [case[1:] for case in BAD_OVERRIDES],
    ids=[case[0] for case in BAD_OVERRIDES],
)
def test_check_template_reports_the_problem(name: str, template: str, error: str) -> None:
    message = check_template(name, template, CLINIC_NAME, CLINIC_PHONE)
    assert message is not None and error in message


@pytest.mark.parametrize(
    ("name", "template", "error"),
    [case[1:] for case in BAD_OVERRIDES],
    ids=[case[0] for case in BAD_OVERRIDES],
)
def test_a_bad_override_is_never_rendered_nor_replaced(name: str, template: str,
                                                       error: str) -> None:
    """The validator refuses such a policy at load; a policy built around it fails loudly,
    naming the key, instead of quietly saying the built-in text."""
    policy = make_policy(overrides={name: template})
    policy = replace(policy, clinic=replace(policy.clinic, phone=CLINIC_PHONE))
    with pytest.raises(ValueError, match=rf"^scripts\.{name}: ") as caught:
        render_all(policy, clinic_name_ok=False)
    assert error in str(caught.value)


GOOD_OVERRIDES = [
    ("the clinic named in the caution, which only the team reads", "voicemail_caution",
     "Great Agency rule: be careful."),
    ("the clinic named in the documentation note", "no_show_note",
     "Great Agency file: no-show on {appointment_time}; called at {called_at}."),
    ("the main number in the caution", "voicemail_caution", "The front desk is 555-0100."),
    ("the name inside another word", "voicemail", "Call the Great Agencyfolk line? No: "
     "{callback_number}"),
    ("another number", "voicemail", "Call me at 555-0199 or {callback_number}."),
    ("literal braces", "someone_asks", "{{No comment}}"),
]


@pytest.mark.parametrize(("name", "template"), [case[1:] for case in GOOD_OVERRIDES],
                         ids=[case[0] for case in GOOD_OVERRIDES])
def test_check_template_accepts(name: str, template: str) -> None:
    assert check_template(name, template, CLINIC_NAME, CLINIC_PHONE) is None


def test_check_template_names_the_placeholders_on_offer() -> None:
    message = check_template("prospect_callback", "{when}")
    assert message is not None
    assert "{back_in_office}" in message and "{callback_number}" in message


def test_check_template_refuses_unknown_script_names() -> None:
    message = check_template("voice_mail", "Hi")
    assert message is not None and "voicemail" in message


@pytest.mark.parametrize("name", SCRIPT_NAMES)
@pytest.mark.parametrize("clinic_name", [CLINIC_NAME, "the clinic", None])
def test_built_in_texts_pass_their_own_check(name: str, clinic_name: str | None) -> None:
    # The built-in text as the scripts give it (no override), for a client who has not agreed
    # to the clinic's name, by a clinic whose main line is on file.
    policy = replace(POLICY, clinic=replace(POLICY.clinic, phone=CLINIC_PHONE))
    text = render_all(policy, clinic_name_ok=False)[name]
    assert check_template(name, text.replace("{", "{{").replace("}", "}}"), clinic_name,
                          CLINIC_PHONE) is None


def test_placeholders_are_those_of_the_built_in_text() -> None:
    assert placeholders("voicemail") == (
        "client_first_name",
        "clinician_first_name",
        "from_clinic",
        "callback_number",
    )
    assert placeholders("someone_asks") == ()


def test_clinic_name_check_needs_a_whole_match() -> None:
    assert (
        check_template("voicemail", "Hi, this is the Great Agency-ish line", "Agency") is not None
    )
    assert check_template("voicemail", "Our agencyfolk say hi", "Agency") is None
    assert check_template("voicemail", "Call the superagency", "Agency") is None
    assert check_template("voicemail", "Hope & Co. here", "Hope & Co.") is not None


def test_placeholders_of_the_reworded_scripts() -> None:
    assert placeholders("someone_else_answered") == ("client_first_name",)
    assert placeholders("prospect_callback") == (
        "clinician_first_name", "back_in_office", "callback_number")
    assert placeholders("identity_check") == ("client_first_name",)
    assert placeholders("good_time") == ("client_first_name", "clinician_first_name")
