"""The grammar of /contact-check: every form of the contract, and every kind of bad input."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.grammar import (
    MAX_TEXT_CHARS,
    Appt,
    Arrived,
    Card,
    Coaching,
    CommandError,
    ConsentForm,
    Help,
    Missed,
    NoShow,
    Pending,
    Returned,
    RunIn,
    Topic,
    parse_command,
    shown,
)

GOOD = [
    (None, Help()),
    ("", Help()),
    ("   ", Help()),
    ("help", Help()),
    ("HELP", Help()),
    ("C-1042", Card("C-1042")),
    ("  C-1042  ", Card("C-1042")),
    ("a.b_c-9", Card("a.b_c-9")),
    ("X" * 32, Card("X" * 32)),
    ("consent C-1042", ConsentForm("C-1042")),
    ("Consent  C-1042", ConsentForm("C-1042")),
    ("missed C-1042", Missed("C-1042", None, None)),
    ("missed C-1042 voicemail", Missed("C-1042", None, True)),
    ("missed C-1042 no-voicemail", Missed("C-1042", None, False)),
    ("missed +15551234567", Missed(None, "+15551234567", None)),
    ("missed +15551234567 Voicemail", Missed(None, "+15551234567", True)),
    ("missed +442079460000 no-voicemail", Missed(None, "+442079460000", False)),
    ("returned C-1042", Returned("C-1042")),
    ("appt C-1042 2026-11-30 14:00", Appt("C-1042", date(2026, 11, 30), time(14, 0), 50)),
    ("appt C-1042 2026-11-30 9:05 90", Appt("C-1042", date(2026, 11, 30), time(9, 5), 90)),
    ("appt C-1042 2028-02-29 00:00 5", Appt("C-1042", date(2028, 2, 29), time(0, 0), 5)),
    ("arrived C-1042", Arrived("C-1042")),
    ("noshow C-1042", NoShow("C-1042")),
    ("no-show C-1042", NoShow("C-1042")),
    ("coaching C-1042", Coaching("C-1042")),
    ("runin C-1042", RunIn("C-1042")),
    ("topic", Topic()),
    ("topic run-ins", Topic("run-ins")),
    ("topic Phone-Coaching", Topic("phone-coaching")),
    ("pending", Pending()),
]


@pytest.mark.parametrize(("text", "form"), GOOD, ids=[repr(t) for t, _ in GOOD])
def test_every_form_parses(text, form):
    assert parse_command(text) == form


BAD = [
    # (text, words the message must contain, the usage it must show or None)
    ("consent", "needs a client code", "consent CODE"),
    ("consent C-1 C-2", "remove “C-2”", "consent CODE"),
    ("help me", "remove “me”", "help"),
    ("pending now", "remove “now”", "pending"),
    ("consent C/1042", "is not a client code", "consent CODE"),
    ("consent " + "X" * 33, "is not a client code", "consent CODE"),
    ("C‑1042", "neither a form", "CODE"),  # a non-ASCII hyphen
    ("Ｃ-1042", "neither a form", "CODE"),  # a full-width letter
    ("클라이언트", "neither a form", "CODE"),
    ("what is this", "no form starting with “what”", "help"),
    ("missed", "needs a client code or the caller's number", "missed CODE|+PHONE"),
    ("missed C-1 maybe", "“maybe” is not `voicemail`", "missed CODE|+PHONE"),
    ("missed C-1 voicemail now", "remove “now”", "missed CODE|+PHONE"),
    ("missed +1abc", "is not a phone number", "missed CODE|+PHONE"),
    ("missed +1555", "is not a phone number", "missed CODE|+PHONE"),
    ("missed 555@1234", "neither a client code", "missed CODE|+PHONE"),
    ("appt C-1", "needs a client code, a date and a start time", "appt CODE YYYY-MM-DD"),
    ("appt C-1 30/11/2026 14:00", "not a date written YYYY-MM-DD", "appt CODE"),
    ("appt C-1 2026-02-29 14:00", "not a day of the calendar", "appt CODE"),
    ("appt C-1 2026-13-01 14:00", "not a day of the calendar", "appt CODE"),
    ("appt C-1 2026-11-30 24:00", "not a time on the 24-hour clock", "appt CODE"),
    ("appt C-1 2026-11-30 2pm", "not a time on the 24-hour clock", "appt CODE"),
    ("appt C-1 2026-11-30 14:60", "not a time on the 24-hour clock", "appt CODE"),
    ("appt C-1 2026-11-30 14:00 0", "not a length in minutes", "appt CODE"),
    ("appt C-1 2026-11-30 14:00 481", "not a length in minutes", "appt CODE"),
    ("appt C-1 2026-11-30 14:00 ５０", "not a length in minutes", "appt CODE"),
    ("appt C-1 2026-11-30 14:00 50 extra", "remove “extra”", "appt CODE"),
    ("appt C@1 2026-11-30 14:00", "is not a client code", "appt CODE"),
    ("topic nope", "There is no topic “nope”", "topic [NAME]"),
    ("topic run-ins prospect", "takes one name", "topic [NAME]"),
    ("returned", "needs a client code", "returned CODE"),
    ("arrived C-1 C-2", "remove “C-2”", "arrived CODE"),
]


@pytest.mark.parametrize(("text", "says", "usage"), BAD, ids=[t for t, _, _ in BAD])
def test_bad_input_says_what_was_wrong_and_shows_the_form(text, says, usage):
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert says in caught.value.message
    assert usage in (caught.value.usage or "")


def test_overlong_text_is_refused_without_echoing_it():
    text = "C-1042 " * 100
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert f"more than {MAX_TEXT_CHARS}" in caught.value.message
    assert "C-1042 C-1042" not in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["<!channel>", "<!here> hi", "<@U0ANA>", "topic <!everyone>", "missed <@U0ANA|ana>",
     "consent <https://evil.example|click>", "appt C-1 <!channel> 10:00"],
)
def test_mentions_and_links_are_shown_literally_never_executed(text):
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    rendered = str(caught.value)
    assert "<!" not in rendered and "<@" not in rendered and "<http" not in rendered
    assert "&lt;" in rendered


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<!channel>", "“&lt;!channel&gt;”"),
        ("a&b", "“a&amp;b”"),
        # Formatting marks and bare links show as typed, acting on nothing (bot.mrkdwn).
        ("`code`", "“\u2060`\u2060code\u2060`\u2060”"),
        ("*x*_y_", "“\u2060*\u2060x\u2060*\u2060\u2060_\u2060y\u2060_\u2060”"),
        ("evil.io", "“evil.\u2060io”"),
        ("bell\x07", "“bell?”"),
        ("zero\u200bwidth", "“zero?width”"),
        ("x" * 100, "“" + "x" * 59 + "…”"),
    ],
)
def test_shown_escapes_and_shortens(raw, expected):
    assert shown(raw) == expected
