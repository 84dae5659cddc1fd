"""Ephemeral replies for bad input, refusals and failures: text in, message dict out.

Every text shown here is either fixed wording or already escaped for mrkdwn (``CommandError``
messages escape what the user typed through ``bot.grammar.shown``).
"""

from __future__ import annotations

from typing import Any

from bot.grammar import COMMAND, CommandError
from bot.mrkdwn import escape
from bot.slack_ui.blocks import section

Message = dict[str, Any]


def bad_input(error: CommandError) -> Message:
    """What was wrong, and the right form."""
    lines = [f":warning: {error.message}"]
    if error.usage:
        lines.append(f"Use: {error.usage}")
    text = "\n".join(lines)
    return {"text": text, "blocks": [section(text)]}


def refusal(reason: str) -> Message:
    """A polite no: ``reason`` says why and who can help."""
    text = f":lock: {reason}"
    return {"text": text, "blocks": [section(text), _help_hint()]}


def other_workspace(workspace_name: str) -> Message:
    """To someone in another Slack workspace: this bot is not theirs; nothing was done."""
    text = (f":lock: Contact Check serves the Slack workspace {escape(workspace_name, 200)} "
            "only. Nothing was looked up or changed.")
    return {"text": text, "blocks": [section(text)]}


def not_available(form_name: str) -> Message:
    """A form of the grammar this installation does not handle."""
    text = (
        f":construction: `{form_name}` is not available in this installation of Contact Check "
        "yet. Ask your admin."
    )
    return {"text": text, "blocks": [section(text), _help_hint()]}


def something_went_wrong(reference: str) -> Message:
    """An unexpected failure: nothing half-done, and a reference the admin can find in the logs."""
    text = (
        ":x: Sorry, something went wrong on Contact Check's side and nothing was changed. "
        f"Please try again; if it keeps happening, give your admin this reference: `{reference}`."
    )
    return {"text": text, "blocks": [section(text)]}


def _help_hint() -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"`{COMMAND} help` lists every form."}],
    }
