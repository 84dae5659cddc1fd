"""Guidance topics: all present, filled from the policy, short enough for one Slack block."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest

from bot.policy.clinic import ApprovalPolicy, Clinic, ClinicPolicy, DailyWindow
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
        ("voicemail-greeting", [EMERGENCY, "emergency line and 911"]),
        ("run-ins", ["*Let the client lead.*", "Keep it light", "Document", "next session"]),
        ("between-sessions", ["*except logistics*", EMERGENCY]),
        ("phone-coaching", ["sign-off: <@U0BEDICS>", "/contact-check coaching CODE",
                            "Only for clients in active treatment", "said no to calls"]),
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
