"""``/contact-check pending``: the Home tab's lines as a short ephemeral reply."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.services.pending import Pending
from bot.views.home import cut, sections

MAX_LINES = 5  # per part: the reply stays short; Home has the rest


def summary(pending: Pending) -> str:
    """One line: what is owed, counted."""
    parts = []
    if pending.callbacks:
        overdue = pending.overdue_callbacks
        parts.append(f"{len(pending.callbacks)} call-back{'s' if len(pending.callbacks) != 1 else ''}"
                     + (f" ({overdue} overdue)" if overdue else ""))
    if pending.chases_due:
        parts.append(f"{pending.chases_due} chase{'s' if pending.chases_due != 1 else ''} to answer")
    if pending.to_decide:
        parts.append(f"{len(pending.to_decide)} approval{'s' if len(pending.to_decide) != 1 else ''}"
                     " to decide")
    if pending.runins:
        parts.append(f"{len(pending.runins)} run-in{'s' if len(pending.runins) != 1 else ''}"
                     " to revisit")
    if not parts:
        return "Pending: nothing owed right now."
    return "Pending: " + ", ".join(parts) + "."


def pending_message(pending: Pending, tz: ZoneInfo) -> dict[str, Any]:
    """The ephemeral reply: ``text`` (the summary) and ``blocks``."""
    text = summary(pending)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
    ]
    for heading, lines in sections(pending, tz):
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"*{heading}*\n{cut(lines, MAX_LINES)}"}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "The full list is on the app's Home tab."
    )}]})
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}
