"""The one escaping function for a person's text in mrkdwn: shown as typed, acting on nothing."""

from __future__ import annotations

import re

import pytest

from bot.mrkdwn import WORD_JOINER as J
from bot.mrkdwn import escape

HOSTILE = [
    "<https://evil.example|Open the file>",
    "<@U0ANA> <!channel> <!here|here> <#C0GENERAL>",
    "*bold* _italic_ ~struck~ `code` ```block```",
    "snake_case_name and 2*3*4",
    "https://evil.example/x?y=1 and www.evil.example and evil.example",
    "mail a@evil.example, ask @here in #general",
    "> quoted\n>> twice\nnot > quoted",
    "Tom & Jerry &amp; &lt;b&gt;",
    "ftp://files.example:21/x mailto:a@b.co tel:+15551234567",
    "",
]


def shown_as(escaped: str) -> str:
    """What a reader sees: the joiners are invisible, the entities read as their characters."""
    return (escaped.replace(J, "").replace("&lt;", "<").replace("&gt;", ">")
            .replace("&amp;", "&"))


def what_slack_would_act_on(escaped: str) -> list[str]:
    """Everything in ``escaped`` that Slack would turn into markup, a link, a mention or format."""
    found = []
    if "<" in escaped:
        found.append("markup: <...>")
    for match in re.finditer(r"[*_~`]", escaped):
        before = escaped[match.start() - 1] if match.start() else ""
        after = escaped[match.end()] if match.end() < len(escaped) else ""
        if not (before == J and after == J):
            found.append(f"a formatting mark at the edge of a word: {match.group()!r}")
    found += [f"a link: {m.group()!r}" for m in re.finditer(r"\w+://", escaped)]
    found += [f"a domain: {m.group()!r}" for m in re.finditer(r"\w\.\w", escaped)]
    found += [f"an address or mention: {m.group()!r}" for m in re.finditer(r"[@#]\w", escaped)]
    found += ["a quote" for line in escaped.split("\n") if line.startswith("&gt;")]
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_a_persons_text_shows_exactly_as_typed(text):
    assert shown_as(escape(text)) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_nothing_in_it_is_acted_on(text):
    assert what_slack_would_act_on(escape(text)) == []


def test_the_old_escape_left_formatting_links_and_quotes_acting():
    """``&<>`` alone (the escape of before) is not enough: only plain text stays inert."""
    def old(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    inert = [text for text in HOSTILE if not what_slack_would_act_on(old(text))]
    assert inert == ["Tom & Jerry &amp; &lt;b&gt;", ""]


@pytest.mark.parametrize(("text", "expected"), [
    ("<@U0ANA>", "&lt;@\u2060U0ANA&gt;"),
    ("*hi*", "\u2060*\u2060hi\u2060*\u2060"),
    ("evil.example/x", "evil.\u2060example/x"),
    ("https://x", "https:\u2060//x"),
    ("Dr. Lee, 9 a.m.", "Dr. Lee, 9 a.\u2060m."),
    ("> no", "\u2060&gt; no"),
    ("Maria", "Maria"),
])
def test_escaped_forms(text, expected):
    assert escape(text) == expected


@pytest.mark.parametrize("limit", [1, 5, 12, 40])
def test_a_limit_shortens_the_text_never_an_entity_or_a_joiner(limit):
    text = "a & b * c " * 10
    escaped = escape(text, limit)
    assert len(escaped) <= limit and escaped.endswith("…")
    assert text.startswith(shown_as(escaped[:-1]))
    assert what_slack_would_act_on(escaped[:-1]) == []


def test_text_within_the_limit_is_whole():
    assert escape("short", 3000) == "short"
