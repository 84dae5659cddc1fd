"""The run-in Block Kit: valid for Slack, round-trips its form, keeps details out of the DM."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.services.runins import RunInDraft
from bot.slack_ui import ids
from bot.slack_ui.runin_modal import (
    BLOCKS,
    client_code_of,
    field_errors,
    form_from_values,
    runin_details_view,
    runin_followup_message,
    runin_modal,
    runin_saved_view,
)
from storage.repositories.runins import RunInRecord

NY = ZoneInfo("America/New_York")


def assert_valid_view(view: dict[str, Any]) -> None:
    """slack_sdk's models validate every part, and drop nothing they do not know."""
    assert View(**view).to_dict() == view


def test_the_modal_is_valid_and_opens_on_now() -> None:
    view = runin_modal(RunInDraft("C-1042", "2026-11-24", "10:00"))
    assert_valid_view(view)
    assert view["callback_id"] == ids.RUNIN_MODAL
    assert client_code_of(view) == "C-1042"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[BLOCKS["date"]]["element"]["initial_date"] == "2026-11-24"
    assert blocks[BLOCKS["time"]]["element"]["initial_time"] == "10:00"
    assert "initial_option" not in blocks[BLOCKS["initiated_by"]]["element"]  # a real choice


def test_submitted_values_become_the_form() -> None:
    values = {
        BLOCKS["date"]: {"value": {"type": "datepicker", "selected_date": "2026-11-21"}},
        BLOCKS["time"]: {"value": {"type": "timepicker", "selected_time": "11:30"}},
        BLOCKS["place"]: {"value": {"type": "plain_text_input", "value": "park"}},
        BLOCKS["initiated_by"]: {"value": {"type": "radio_buttons",
                                           "selected_option": {"value": "client"}}},
        BLOCKS["summary"]: {"value": {"type": "plain_text_input", "value": None}},
    }
    form = form_from_values(values)
    assert (form.date, form.time, form.place, form.initiated_by, form.summary, form.revisit) == (
        "2026-11-21", "11:30", "park", "client", "", "")
    assert form_from_values({}).initiated_by == ""


def test_errors_are_keyed_by_block() -> None:
    assert field_errors({"place": "Say where", "date": "Future"}) == {
        "runin_place": "Say where", "runin_date": "Future"}


@pytest.mark.parametrize("metadata", ["", "not json", "[]", json.dumps({"client_code": 5})])
def test_unreadable_metadata_gives_no_code(metadata: str) -> None:
    assert client_code_of({"private_metadata": metadata}) == ""


@pytest.mark.parametrize(("followup", "initiated_by"), [
    (datetime(2026, 11, 25, 18, 50, tzinfo=UTC), "client"),
    (None, "clinician"),
])
def test_the_confirmation_is_valid(followup: datetime | None, initiated_by: str) -> None:
    view = runin_saved_view("C-1042", datetime(2026, 11, 21, 16, 30, tzinfo=UTC), followup,
                            initiated_by, NY)
    assert_valid_view(view)
    text = json.dumps(view)
    assert "Sat 21 Nov 11:30" in text
    assert ("Wed 25 Nov 13:50" in text) == (followup is not None)
    assert ("let the client lead" in text) == (initiated_by == "clinician")


def test_the_details_modal_shows_the_details() -> None:
    record = RunInRecord(
        id=uuid.uuid4(), client_code="C-1042", clinician="U0ANA",
        occurred_at=datetime(2026, 11, 21, 16, 30, tzinfo=UTC), place="the park",
        initiated_by="client", summary="said hi", revisit=None, created_by="U0ANA",
        created_at=datetime(2026, 11, 21, 17, 0, tzinfo=UTC), followed_up_at=None)
    view = runin_details_view(record, NY)
    assert_valid_view(view)
    assert "the park" in json.dumps(view) and "said hi" in json.dumps(view)


def test_the_reminder_dm_is_valid_and_carries_codes_and_times_only() -> None:
    run_in_id = str(uuid.uuid4())
    text, blocks = runin_followup_message(
        "C-1042", run_in_id, datetime(2026, 11, 21, 16, 30, tzinfo=UTC),
        datetime(2026, 11, 25, 19, 0, tzinfo=UTC), NY)
    for block in blocks:
        assert Block.parse(block).to_dict() == block
    assert text.startswith("Run-in follow-up: C-1042 has an appointment at Wed 25 Nov 14:00")
    buttons = blocks[-1]["elements"]
    assert [b["action_id"] for b in buttons] == [ids.RUNIN_VIEW, ids.RUNIN_DONE]
    assert {b["value"] for b in buttons} == {run_in_id}
