"""The Block Kit pieces every ``bot.slack_ui`` builder draws with, and that there is one copy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.slack_ui import blocks
from bot.slack_ui.blocks import TEXT_MAX, button, context, mrkdwn, option, plain, section

SLACK_UI = Path(blocks.__file__).parent


def test_the_pieces_have_slacks_shape() -> None:
    assert plain("Save") == {"type": "plain_text", "text": "Save", "emoji": True}
    assert section("*Hi*") == {"type": "section", "text": {"type": "mrkdwn", "text": "*Hi*"}}
    assert section("x", "b1")["block_id"] == "b1"
    assert context("small") == {"type": "context",
                                "elements": [{"type": "mrkdwn", "text": "small"}]}
    assert button("Go", "act", "v") == {"type": "button", "text": plain("Go"),
                                        "action_id": "act", "value": "v"}
    assert button("Go", "act", "v", "danger")["style"] == "danger"
    assert option("yes", "Yes") == {"text": plain("Yes"), "value": "yes"}


@pytest.mark.parametrize("piece", [section, context])
def test_text_longer_than_slack_takes_is_cut_at_its_limit(piece) -> None:
    drawn = piece("a" * (TEXT_MAX + 10))
    text = drawn["text"]["text"] if "text" in drawn else drawn["elements"][0]["text"]
    assert text == "a" * TEXT_MAX
    assert mrkdwn("b" * TEXT_MAX)["text"] == "b" * TEXT_MAX


HELPER_NAMES = {"_plain", "_text", "_section", "_context", "_button", "_option", "_mrkdwn"}


@pytest.mark.parametrize("module", sorted(p.name for p in SLACK_UI.glob("*.py")))
def test_no_builder_keeps_its_own_copy_of_a_piece(module: str) -> None:
    tree = ast.parse((SLACK_UI / module).read_text())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert defined & HELPER_NAMES == set(), f"use bot.slack_ui.blocks in {module}"
