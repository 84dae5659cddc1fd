"""Guidance topics (`/contact-check topic [NAME]`): the protocol texts of ``bot.policy.topics``,
filled in from the clinic's policy (escaped for mrkdwn) and drawn as Slack messages. Every text
stays under ``MAX_TOPIC_CHARS`` so it fits one Slack section block.
"""

from __future__ import annotations

from typing import Any

from bot.grammar import COMMAND
from bot.policy.callback_terms import after_hours_sentence, callback_promise
from bot.policy.clinic import ClinicPolicy
from bot.policy.topics import TOPICS, topic_names

Message = dict[str, Any]
MAX_TOPIC_CHARS = 2500


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


def topic_text(name: str, policy: ClinicPolicy) -> str:
    """The topic as Slack mrkdwn: a bold title, then the body filled in from ``policy``.

    Raises ``KeyError`` naming the known topics when ``name`` is not one of them.
    """
    topic = TOPICS.get(name)
    if topic is None:
        raise KeyError(f"no topic named {name!r}; the topics are: {', '.join(topic_names())}")
    body = topic.body.format_map(fill_ins(policy))
    return f"*{topic.title}*\n{body}"


def fill_ins(policy: ClinicPolicy) -> dict[str, str]:
    """What the placeholders of the bodies stand for, from ``policy``, escaped for mrkdwn."""
    after_hours = after_hours_sentence(policy.clinic)
    return {
        "emergency": _escape(policy.clinic.emergency),
        "coaching_approver": _coaching_approver(policy),
        "callback_promise": _escape(callback_promise(policy)),
        "after_hours": f" {_escape(after_hours)}" if after_hours else "",
        "after_hours_missing": "" if after_hours else (
            "• Give clients an after-hours emergency contact too. The clinic's policy names "
            "none yet (`clinic.after_hours_contact`): ask your admin.\n"
        ),
    }


def _escape(text: str) -> str:
    """Slack mrkdwn control characters in text that comes from the policy file."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _coaching_approver(policy: ClinicPolicy) -> str:
    approver = policy.approvals.phone_coaching
    if approver is None:
        return "nobody is named yet in the clinic's policy, so ask your admin"
    return f"<@{approver}>"
