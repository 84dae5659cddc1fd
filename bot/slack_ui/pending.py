"""``/contact-check pending``: the Home tab's lines as a short ephemeral reply."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.services.outcomes import Pending
from bot.slack_ui.home import cut, sections

MAX_LINES = 5  # per part: the reply stays short; Home has the rest


def summary(pending: Pending) -> str:
    """One line: what is owed, counted."""
    overdue = pending.overdue_callbacks
    parts = [
        f"{_count(len(pending.callbacks), 'call-back')}"
        + (f" ({overdue} overdue)" if overdue else "") if pending.callbacks else "",
        f"{_count(pending.chases_due, 'chase')} to answer" if pending.chases_due else "",
        f"{_count(len(pending.to_decide), 'approval')} to decide" if pending.to_decide else "",
        f"{_count(len(pending.runins), 'run-in')} to revisit" if pending.runins else "",
    ]
    parts = [part for part in parts if part]
    if not parts:
        return "Pending: nothing owed right now."
    return "Pending: " + ", ".join(parts) + "."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def pending_message(pending: Pending, tz: ZoneInfo) -> dict[str, Any]:
    """The ephemeral reply: ``text`` (the summary) and ``blocks``."""
    text = summary(pending)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
    ]
    for heading, lines in sections(pending, tz):
        body = f"*{heading}*\n{cut(lines, MAX_LINES)}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "The full list is on the app's Home tab."
    )}]})
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}
