"""Holding Block Kit payloads to slack_sdk's models and Slack's published limits."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 4000  # Slack truncates notification text beyond 40,000; keep far below
MAX_PRIVATE_METADATA = 3000


def assert_valid_blocks(blocks: list[dict[str, Any]]) -> None:
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, f"unknown block type {raw.get('type')}"
        block.validate_json()  # raises SlackObjectFormationError beyond a limit
        assert block.to_dict() == raw, f"slack_sdk reads the {raw['type']} block differently"


def assert_valid_message(message: dict[str, Any]) -> None:
    assert isinstance(message.get("text"), str) and message["text"].strip()
    assert len(message["text"]) <= MAX_MESSAGE_TEXT
    blocks = message.get("blocks") or []
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    assert_valid_blocks(blocks)


def assert_valid_view(view: dict[str, Any]) -> None:
    model = View(**view)
    model.validate_json()
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    assert len(view.get("private_metadata", "")) <= MAX_PRIVATE_METADATA
    assert_valid_blocks(view["blocks"])
