"""Guidance topics (`/contact-check topic [NAME]`)."""

from __future__ import annotations

from typing import Any

from bot.grammar import COMMAND
from bot.policy.clinic import ClinicPolicy
from bot.policy.topics import TOPICS, topic_names, topic_text

Message = dict[str, Any]


def topic_list() -> Message:
    lines = "\n".join(f"• `{name}`: {TOPICS[name].title}" for name in topic_names())
    text = f"*Guidance topics* (`{COMMAND} topic NAME` shows one)\n{lines}"
    return {
        "text": "Guidance topics: " + ", ".join(topic_names()),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def topic_message(name: str, policy: ClinicPolicy) -> Message:
    body = topic_text(name, policy)
    return {
        "text": f"{TOPICS[name].title} (guidance topic)",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": body}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"`{COMMAND} topic` lists every topic."}],
            },
        ],
    }
