"""PatientRespond takes what Bolt's Respond takes, so it stands in wherever Bolt hands one out."""

from __future__ import annotations

from slack_sdk.models.blocks import SectionBlock

from bot.sandbox.standin import SlackStandIn
from handlers.respond import PatientRespond


def test_blocks_given_as_objects_or_by_position_reach_the_response_url() -> None:
    with SlackStandIn() as slack:
        url = slack.new_response_url()
        PatientRespond(response_url=url)("Saved.", [SectionBlock(text="Saved.")],
                                         response_type="ephemeral")
        PatientRespond(response_url=url)(text={"text": "Again."}, replace_original=False)
        first, second = slack.responses(url)
    assert first["text"] == "Saved." and first["response_type"] == "ephemeral"
    assert first["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": "Saved."}}]
    assert second == {"text": "Again.", "replace_original": False}
