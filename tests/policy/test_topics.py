"""Guidance topics: all present, filled from the policy, short enough for one Slack block."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from bot.policy.clinic import (
    ApprovalPolicy,
    CallbackPolicy,
    Clinic,
    ClinicPolicy,
    DailyWindow,
    HolidayCalendar,
)
from bot.policy.topics import MAX_TOPIC_CHARS, TOPICS, topic_names, topic_text

CONTRACT_TOPICS = (
    "third-party",
    "someone-else-answered",
    "prospect",
    "former-client",
    "intake-incomplete",
    "voicemail-greeting",
    "run-ins",
    "between-sessions",
    "phone-coaching",
)
EMERGENCY = "For emergencies call our on-call line at 555-0100, or dial 911."


def make_policy(emergency: str = EMERGENCY, coaching: str | None = "U0BEDICS") -> ClinicPolicy:
    nine_to_five = DailyWindow(time(9), time(17))
    clinic = Clinic(
        name="Great Agency",
        timezone=ZoneInfo("America/New_York"),
        hours=dict.fromkeys(range(5), nine_to_five),
        emergency=emergency,
    )
    return ClinicPolicy(clinic=clinic, approvals=ApprovalPolicy(phone_coaching=coaching))


POLICY = make_policy()


def test_exactly_the_contract_topics_in_order() -> None:
    assert topic_names() == CONTRACT_TOPICS
    assert tuple(TOPICS) == CONTRACT_TOPICS


@pytest.mark.parametrize("name", CONTRACT_TOPICS)
@pytest.mark.parametrize("emergency", [EMERGENCY, "x" * 400])
def test_every_topic_fits_one_block_and_is_filled_in(name: str, emergency: str) -> None:
    text = topic_text(name, make_policy(emergency))
    assert len(text) < MAX_TOPIC_CHARS
    assert text.startswith(f"*{TOPICS[name].title}*\n")
    assert "{" not in text and "}" not in text


@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        ("third-party", ["*written* permission", "cannot confirm or deny"]),
        (
            "someone-else-answered",
            ["first name only", "no message", "Do not say the clinic's name"],
        ),
        ("prospect", ["first name only", "back in the office"]),
        ("former-client", ["*only* with their consent", "No newsletters"]),
        ("intake-incomplete", ["*Never reach out*"]),
        ("voicemail-greeting", [EMERGENCY, "dial 911", "within 24 hours"]),
        ("run-ins", ["*Let the client lead.*", "Keep it light", "Document", "next session"]),
        ("between-sessions", ["*except logistics*", EMERGENCY]),
        ("phone-coaching", ["sign-off: <@U0BEDICS>", "/contact-check coaching CODE"]),
    ],
)
def test_topic_states_the_protocol(name: str, phrases: list[str]) -> None:
    text = topic_text(name, POLICY)
    for phrase in phrases:
        assert phrase in text


def test_phone_coaching_without_a_named_approver_says_so() -> None:
    text = topic_text("phone-coaching", make_policy(coaching=None))
    assert "nobody is named yet" in text
    assert "<@" not in text


def test_policy_text_is_escaped_for_mrkdwn() -> None:
    text = topic_text("voicemail-greeting", make_policy("Call <911> & stay safe"))
    assert "Call &lt;911&gt; &amp; stay safe" in text


def test_unknown_topic_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="run-ins"):
        topic_text("runins", POLICY)


def test_the_third_party_topic_tells_the_caller_the_emergency_line() -> None:
    """The emergency line ("hang up and dial 911") is for the caller, not the clinician."""
    text = topic_text("third-party", make_policy("If this is an emergency, hang up and dial 911."))
    line = next(line for line in text.splitlines() if "dial 911" in line)
    assert line.startswith("• If the caller says someone's safety is at risk, tell them: ")
    assert "follow the clinic's emergency protocol" in line


NY_CLINIC = Clinic(
    name="Great Agency", timezone=ZoneInfo("America/New_York"),
    hours=dict.fromkeys(range(5), DailyWindow(time(9), time(17))),
    holidays=HolidayCalendar(country="US"),
    emergency="If this is an emergency, hang up and dial 911.",
)
SHORT_FRIDAY = replace(NY_CLINIC, hours={**NY_CLINIC.hours, 4: DailyWindow(time(9), time(13))})
CRISIS = "Crisis line 988, or the on-call clinician at 555-0100"


def greeting_policy(clinic: Clinic = NY_CLINIC, **callbacks: object) -> ClinicPolicy:
    return ClinicPolicy(clinic=clinic, callbacks=replace(CallbackPolicy(), **callbacks))


@pytest.mark.parametrize(
    ("seed", "pol", "says", "never"),
    [
        ("001: 24-hour turnaround, operating hours only",
         greeting_policy(),
         ["If this is an emergency, hang up and dial 911.",
          "Your call will be returned during office hours (Monday to Friday, 9:00 AM to "
          "5:00 PM), within 24 hours, not counting weekends and holidays.",
          "A call that comes in while the office is closed counts from the next opening."],
         ["business day", "business hours", "Calls without a voicemail"]),
        ("001: any hours",
         greeting_policy(operating_hours_only=False),
         ["Your call will be returned within 24 hours, not counting weekends and holidays."],
         ["office hours", "next opening"]),
        ("001: leave a voicemail or the call is not returned",
         greeting_policy(require_voicemail=True),
         ["Please leave your first name and a number. Calls without a voicemail are not "
          "returned. Your call will be returned during office hours"],
         []),
        ("001: calls returned only in a window",
         greeting_policy(window=DailyWindow(time(8), time(9)), turnaround_hours=None),
         ["Your call will be returned between 8:00 AM and 9:00 AM on days the office is open."],
         ["within", "office hours ("]),
        ("001: no turnaround rule, any hours",
         greeting_policy(turnaround_hours=None, operating_hours_only=False),
         ["Please leave your first name and a number. Your call will be returned.\"_"],
         ["within"]),
        ("001: another turnaround, and hours that differ on Friday",
         greeting_policy(SHORT_FRIDAY, turnaround_hours=48),
         ["(Monday to Thursday, 9:00 AM to 5:00 PM; Friday, 9:00 AM to 1:00 PM), within "
          "48 hours"],
         ["24 hours"]),
        ("001: open on Saturdays, with extra closures",
         greeting_policy(replace(
             NY_CLINIC, hours={**NY_CLINIC.hours, 5: DailyWindow(time(10), time(14))},
             holidays=HolidayCalendar(country="US", extra=frozenset({date(2026, 12, 24)})))),
         ["Saturday, 10:00 AM to 2:00 PM", "not counting Sundays, holidays and office closures"],
         ["weekends"]),
        ("001: give clients an after-hours emergency contact",
         greeting_policy(replace(NY_CLINIC, after_hours_contact=CRISIS)),
         [f"dial 911. After hours: {CRISIS}. Please leave"],
         ["names none yet"]),
        ("001: no after-hours contact named: the topic says so",
         greeting_policy(),
         ["names none yet (`clinic.after_hours_contact`)"],
         ["After hours:"]),
    ],
)
def test_the_greeting_states_the_clinics_call_back_policy(
    seed: str, pol: ClinicPolicy, says: list[str], never: list[str]
) -> None:
    text = topic_text("voicemail-greeting", pol)
    for phrase in says:
        assert phrase in text, (seed, text)
    for phrase in never:
        assert phrase not in text, (seed, text)
    assert len(text) < MAX_TOPIC_CHARS and "{" not in text


def test_the_after_hours_contact_is_escaped_for_mrkdwn() -> None:
    pol = greeting_policy(replace(NY_CLINIC, after_hours_contact="<!channel> & on-call"))
    assert "After hours: &lt;!channel&gt; &amp; on-call." in topic_text("voicemail-greeting", pol)
