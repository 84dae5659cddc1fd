"""Block Kit's small pieces, written once: text objects, sections, context lines, buttons, options.

Every builder in ``bot.slack_ui`` draws its messages, modals and Home tabs with these, so a
rule about a piece (a section's text is cut at Slack's limit; plain text shows emoji) holds
everywhere. Pure: dicts in Slack's JSON shape, nothing else.
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

TEXT_MAX = 3000  # the most text Slack takes in a section or a context element


def plain(text: str) -> Block:
    """A plain_text object (labels, titles, button text)."""
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> Block:
    """A mrkdwn text object, cut at ``TEXT_MAX`` (Slack refuses a longer one)."""
    return {"type": "mrkdwn", "text": text[:TEXT_MAX]}


def section(text: str, block_id: str | None = None) -> Block:
    """A section of mrkdwn text."""
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str) -> Block:
    """A context line: one mrkdwn element, drawn small and grey."""
    return {"type": "context", "elements": [mrkdwn(text)]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button element; ``style`` is "primary" or "danger" when given."""
    element: Block = {"type": "button", "text": plain(label), "action_id": action_id,
                      "value": value}
    if style:
        element["style"] = style
    return element


def option(value: str, label: str) -> Block:
    """An option of a select, radio buttons or checkboxes."""
    return {"text": plain(label), "value": value}
