"""The help reply (`/contact-check` or `/contact-check help`)."""

from __future__ import annotations

from typing import Any

from bot.grammar import COMMAND, USAGES
from bot.policy.clinic import ClinicPolicy

Message = dict[str, Any]

INTRO = (
    "*Contact Check* tells you, before you phone a client, whether you may call now, on which "
    "number, whether to leave a voicemail, whether you may say the clinic's name, and the exact "
    "words to use. Clients are only ever named by their client code (like C-1042). Every reply "
    "is visible to you only."
)


def help_message(policy: ClinicPolicy, *, on_team: bool) -> Message:
    forms = "\n".join(f"• `{COMMAND} {u.form}`: {u.does}" for u in USAGES.values())
    admins = [m.slack_id for m in policy.team if m.role == "admin"]
    ask = (
        "Questions, or someone missing from the team? Ask "
        + (", ".join(f"<@{a}>" for a in admins) if admins else "the clinic's admin")
        + "."
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": INTRO}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Forms*\n{forms}"}},
    ]
    if not on_team:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": ":lock: You are not on the clinic's team yet, so only this help is "
                    "available to you.",
                },
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": ask}]})
    text = f"Contact Check help: `{COMMAND} CODE` for a client's card, `{COMMAND} help` for more."
    return {"text": text, "blocks": blocks}
