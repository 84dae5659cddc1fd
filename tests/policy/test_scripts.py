"""The scripts: the clinic's name only with consent, no details, times in clinic time, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.policy import scripts
from bot.policy.clinic import Clinic, ClinicPolicy, DailyWindow
from bot.policy.scripts import (
    SCRIPT_NAMES,
    built_in,
    check_template,
    clinic_time_text,
    placeholders,
)

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
CLINIC_NAME = "Great Agency"
CALLBACK = "+1 555 010 2000"


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
        "someone_else_answered": scripts.someone_else_answered(policy, **person),
        "someone_asks": scripts.someone_asks(policy),
        "prospect_callback": scripts.prospect_callback(
            policy, **person, callback_number=CALLBACK, now=SATURDAY_NOON
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


def test_someone_else_answered_asks_for_the_client_and_leaves_no_message() -> None:
    text = render_all(POLICY, clinic_name_ok=False)["someone_else_answered"]
    assert text.startswith("Hi, is Maria there?")
    assert "no message" in text.lower()
    assert CALLBACK not in text


def test_someone_asks_neither_confirms_nor_denies_and_points_to_safety() -> None:
    text = scripts.someone_asks(POLICY)
    assert "can't confirm or deny" in text
    assert "911" in text


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
    assert text.startswith("Hi {clinician_first_name}, it's Ana.")


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
    assert "I'm back in the office on Monday, November 30 at 9:00 AM." in text
    assert text.startswith("Hi Maria, this is Ana")


def test_prospect_callback_while_the_clinic_is_open_says_until_when() -> None:
    text = scripts.prospect_callback(POLICY, client_first_name="Maria", clinician_first_name="Ana",
                                     callback_number=CALLBACK, now=MONDAY_9AM)
    assert "I'm in the office today until 5:00 PM." in text


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
    ("clinic name where never allowed", "someone_else_answered", "Great Agency here", "must never"),
    ("placeholder of another script", "someone_asks", "{client_first_name}?", "no placeholders"),
]


@pytest.mark.parametrize(
    ("name", "template", "error"),
    [case[1:] for case in BAD_OVERRIDES],
    ids=[case[0] for case in BAD_OVERRIDES],
)
def test_check_template_reports_the_problem(name: str, template: str, error: str) -> None:
    message = check_template(name, template, CLINIC_NAME)
    assert message is not None and error in message


@pytest.mark.parametrize(
    ("name", "template", "error"),
    [case[1:] for case in BAD_OVERRIDES],
    ids=[case[0] for case in BAD_OVERRIDES],
)
def test_a_bad_override_falls_back_to_the_built_in(name: str, template: str, error: str) -> None:
    rendered = render_all(make_policy(overrides={name: template}), clinic_name_ok=False)
    assert rendered == render_all(POLICY, clinic_name_ok=False)
    assert CLINIC_NAME.lower() not in rendered[name].lower()


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
    assert check_template(name, built_in(name), clinic_name) is None


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


def test_the_clinic_name_is_allowed_in_notes_for_the_team() -> None:
    assert (
        check_template("voicemail_caution", "Great Agency rule: be careful.", CLINIC_NAME) is None
    )
