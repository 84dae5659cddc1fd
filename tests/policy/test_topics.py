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
from bot.policy.topics import TOPICS, topic_names
from bot.slack_ui.topics import MAX_TOPIC_CHARS, topic_text

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
        ("third-party", ["*written* permission", "neither confirm nor deny"]),
        (
            "someone-else-answered",
            ["first name only", "no message", "can't say who this is"],
        ),
        ("prospect", ["first name only", "back in the office"]),
        ("former-client", ["*only* with their consent", "No newsletters"]),
        ("intake-incomplete", ["*Never reach out*"]),
        ("voicemail-greeting", [EMERGENCY, "dial 911", "within 24 hours"]),
        ("run-ins", ["*Let the client lead.*", "Keep it light", "Document", "next session"]),
        ("between-sessions", ["*logistics*", EMERGENCY]),
        ("phone-coaching", ["sign-off: <@U0BEDICS>", "/contact-check coaching CODE",
                            "Only for clients in active treatment", "said no to calls"]),
    ],
)
def test_topic_states_the_protocol(name: str, phrases: list[str]) -> None:
    text = topic_text(name, POLICY)
    for phrase in phrases:
        assert phrase in text


# (seed: rule, topic, phrases it says, phrases it must not say)
SEED_RULES = [
    ("000: someone else answered: no name, not even the first", "someone-else-answered",
     ["No name, not even your first name", "no clinic, role, number or reason"],
     ["give only your first name"]),
    ("003: someone else answered: can't say who is calling, will try again",
     "someone-else-answered", ["I'm sorry, I can't say who this is, but thank you. I'll try "
                               "again."], []),
    ("000: someone else answered: only a person named in writing may hear who you are",
     "someone-else-answered", ["a person the client named in *written* permission",
                               "With them alone you may say who you are"], []),
    ("000: someone else answered: verify before saying who you are", "someone-else-answered",
     ["before saying who you are"], []),
    ("003: someone asks: hear the concern, can't confirm or deny, so no answers",
     "third-party", ["hear their concern", "neither confirm nor deny",
                     "cannot answer their questions"], []),
    ("003: someone asks: general recommendations when safety is the worry", "third-party",
     ["you may give general recommendations"], []),
    ("000: no identifying or message to whoever answers without written permission",
     "third-party", ["don't say who you are and leave no message",
                     "only with the person it names, you may say who you are"], []),
    ("002: mail can reveal therapy", "third-party",
     ["return address", "note after a missed appointment", "card"], []),
    ("000: the prospect callback gives the clinician's first name only", "prospect",
     ["with your first name only", "sorry to have missed them"], []),
    ("000: ask permission, where to call and not, how early and late, messages", "prospect",
     ["whether you may call", "where they prefer and where never", "how early and late",
      "where a message may be left"], []),
    ("000: tell the client voicemail is not fully secure", "prospect",
     ["voicemail is never fully private"], []),
    ("000: verify, then ask whether it is a good time", "prospect",
     ["Verify who you are speaking with", "then ask whether it is a good time"], []),
    ("002: former clients: careful thought, consultation, consent", "former-client",
     ["careful thought and consultation"], []),
    ("002: former clients: whose need am I meeting?", "former-client",
     ["_whose need am I meeting?_", "dependence"], []),
    ("002: former clients: no dual relationships", "former-client",
     ["No dual relationships", "power stays lopsided"], []),
    ("002: former clients: mail risks", "former-client",
     ["return address", "a card or a note", "neighbour collecting the post"], []),
    ("002: incomplete intake: never reach out, you can't know why they stopped",
     "intake-incomplete", ["*Never reach out*", "You cannot know why they stopped",
                           "could put them at risk"], []),
    ("002: incomplete intake: changes only after informed consent", "intake-incomplete",
     ["informed consent"], []),
    ("004: run-ins: a written policy in the intake paperwork, discussed", "run-ins",
     ["in writing in the intake paperwork", "go through it with each client"], []),
    ("004: run-ins: don't hide", "run-ins", ["*Don't hide.*"], []),
    ("004: run-ins: the client leads; follow how they introduce you", "run-ins",
     ["*Let the client lead.* Never speak first", "follow how they introduce you"], []),
    ("004: run-ins: keep it light", "run-ins", ["Keep it light: small talk is fine"], []),
    ("004: run-ins: a firm boundary if they push into therapy", "run-ins",
     ["If they push into therapy, set a firm boundary", "next session"], []),
    ("004: run-ins: document, then revisit next session", "run-ins",
     ["Document the run-in", "Revisit it at the next session"], []),
    ("000: between sessions: don't encourage calls but for emergencies and logistics",
     "between-sessions", ["Don't invite or encourage calls between sessions except for "
                          "emergencies and *logistics*"], ["No calls between sessions"]),
    ("000: between sessions: listen to messages in private, keep your voicemail code",
     "between-sessions", ["listen where no one else can hear them",
                          "keep your voicemail code to yourself"], []),
    ("002: between sessions: no mail unless the client agreed", "between-sessions",
     ["Nothing by mail between sessions", "return address"], []),
    ("003: phone coaching: without approval, the phone is for scheduling only",
     "phone-coaching", ["Until it is approved, the phone is for scheduling"], []),
]


@pytest.mark.parametrize(("name", "says", "never"), [row[1:] for row in SEED_RULES],
                         ids=[row[0] for row in SEED_RULES])
def test_topic_says_what_the_seeds_say(name: str, says: list[str], never: list[str]) -> None:
    text = topic_text(name, POLICY)
    for phrase in says:
        assert phrase in text
    for phrase in never:
        assert phrase not in text


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
