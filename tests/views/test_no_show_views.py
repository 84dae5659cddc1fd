"""The no-show reply, the note-time modal and withdrawn closure warnings: valid Block Kit, the
wording issue 17 and issue 11 ask for, codes and Slack ids only in what Slack keeps."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.slack_ui import approvals as views
from bot.slack_ui import ids
from bot.slack_ui.reminders import (
    ChaseFacts,
    NoShowFacts,
    arrived_reply,
    no_show_chase,
    noshow_reply,
    note_shown_view,
    note_time_modal,
    note_time_values,
)
from tests.handlers.conftest import contract_policy
from tests.views.blockkit import assert_valid_message, assert_valid_view
from tests.views.test_approvals import CLOSURE, message

POLICY = contract_policy()
AT = datetime(2026, 12, 1, 17, 5, tzinfo=UTC)  # Tuesday, December 1, 12:05 PM New York
CAUSE = views.withdrawal_cause("C-1042", date(2026, 11, 24), "U0DESK", corrected=True)
WITHDRAWN = views.DecisionSummary("withdrawn", "U0DESK", AT, CAUSE)
FACTS = NoShowFacts(
    appointment_id="6f1c2d3e-0000-4000-8000-00000000000a", client_code="C-1042",
    start_text="Tuesday, November 24 at 11:00 AM", consecutive=2, others_text="Tue Dec 1",
    already=False, voicemail_script="Hi, this is Ana.", note="Client C-1042 did not come.",
)

REPLY_ROWS = [
    # (what, facts, said)
    ("the mark that completes the run says so", FACTS,
     "No-show recorded for C-1042 (Tuesday, November 24 at 11:00 AM): 2 in a row, with Tue Dec 1."),
    ("a lone no-show", replace(FACTS, consecutive=1, others_text=None), "the first in a row."),
    ("three, the others in time order", replace(FACTS, consecutive=3,
                                                others_text="Tue Nov 17 and Tue Dec 1"),
     "3 in a row, with Tue Nov 17 and Tue Dec 1."),
    ("recorded again", replace(FACTS, already=True), "was already recorded; 2 in a row"),
    ("noshow after arrived replaces the arrival",
     replace(FACTS, replaced_text="by <@U0DESK> on Tuesday, November 24 at 11:02 AM"),
     "This replaces the arrival recorded by <@U0DESK> on Tuesday, November 24 at 11:02 AM."),
    ("a run long enough, but the client came since", replace(FACTS, came_back_text="Tue Dec 8"),
     "The client came on Tue Dec 8, after this run, so no closure warning is asked for."),
    ("no voicemail allowed", replace(FACTS, voicemail_script=None), "*No voicemail:*"),
]


@pytest.mark.parametrize(("facts", "said"), [row[1:] for row in REPLY_ROWS],
                         ids=[row[0] for row in REPLY_ROWS])
def test_noshow_reply(facts: NoShowFacts, said: str) -> None:
    reply = noshow_reply(facts)
    assert_valid_message(reply)
    assert said in json.dumps(reply, ensure_ascii=False).replace("\\n", "\n")
    [button] = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == (ids.CHASE_NOTE_TIME, facts.appointment_id)


def test_arrived_reply_carries_what_became_of_the_request() -> None:
    reply = arrived_reply(client_code="C-1042", start_text="Tuesday, November 24 at 11:00 AM",
                          already=False, corrected=True, closure_text="withdrawn (because)")
    assert_valid_message(reply)
    assert "corrected" in reply["text"] and "withdrawn (because)" in json.dumps(reply)


def test_note_time_modal_round_trip() -> None:
    modal = note_time_modal(appointment_id=FACTS.appointment_id, client_code="C-1042",
                            start_text=FACTS.start_text, day="2026-11-24", at="11:25")
    assert_valid_view(modal)
    assert modal["callback_id"] == ids.NOTE_TIME_MODAL
    submitted = {**modal, "state": {"values": {
        "note_day": {"value": {"type": "datepicker", "selected_date": "2026-11-24"}},
        "note_time": {"value": {"type": "timepicker", "selected_time": "11:05"}},
    }}}
    assert note_time_values(submitted) == (FACTS.appointment_id, "2026-11-24", "11:05")
    assert note_time_values({"private_metadata": "not json"}) == (None, "", "")
    assert_valid_view(note_shown_view(client_code="C-1042", note="Client C-1042 did not come."))


def test_withdrawn_request_message_says_why_and_has_no_buttons() -> None:
    msg = message(views.decided_message(CLOSURE, WITHDRAWN, POLICY))
    assert_valid_message(msg)
    shown = json.dumps(msg, ensure_ascii=False)
    assert [b for b in msg["blocks"] if b["type"] == "actions"] == []
    assert ("Withdrawn on Tuesday, December 1 at 12:05 PM: the no-show on Tue Nov 24 was "
            "corrected to arrived by <@U0DESK>. Nothing to decide any more.") in shown


def test_withdrawn_outcome_and_replies() -> None:
    outcome = message(views.outcome_message(CLOSURE, WITHDRAWN, POLICY))
    assert_valid_message(outcome)
    assert "Don't warn the client" in json.dumps(outcome)
    late = views.already_decided_reply(CLOSURE, WITHDRAWN, POLICY)
    assert late == ("The request for a closure warning for C-1042 was withdrawn on Tuesday, "
                    f"December 1 at 12:05 PM: {CAUSE}. There is nothing to decide.")
    told = views.withdrawn_reply(CLOSURE, WITHDRAWN, POLICY)
    assert "withdrawn" in told and "<@U0JAMIE>" in told and "can no longer be approved" in told
    came = views.withdrawal_cause("C-1042", date(2026, 12, 1), "U0DESK", corrected=False)
    assert came == "C-1042 was marked arrived for Tue Dec 1 by <@U0DESK>"


def test_the_request_lists_the_missed_days_in_time_order_and_updates_say_so() -> None:
    shuffled = replace(CLOSURE, no_show_dates=(date(2026, 11, 24), date(2026, 11, 10),
                                               date(2026, 11, 17)))
    shown = json.dumps(message(views.request_message(shuffled, POLICY)))
    assert "missed 3 appointments in a row (Tue Nov 10, Tue Nov 17 and Tue Nov 24)" in shown
    assert "now lists 3 missed appointments in a row (Tue Nov 10, Tue Nov 17 and Tue Nov 24)" \
        in views.facts_updated_reply(shuffled)


def test_closure_note_asks_to_confirm_the_next_appointment() -> None:
    note = views.closure_note(CLOSURE, views.DecisionSummary("approved", "U0JAMIE", AT), POLICY,
                              datetime(2026, 12, 4, 22, tzinfo=UTC))
    assert "confirm their next appointment by Friday, December 4 at 5:00 PM" in note
    assert "start treatment again at any time" in note


@pytest.mark.parametrize(("minutes", "said"), [(1, "1 minute ago"), (20, "20 minutes ago"),
                                               (119, "119 minutes ago"), (180, "3 hours ago"),
                                               (7 * 24 * 60 + 5, "7 days ago")])
def test_the_chase_says_how_long_ago_the_appointment_started(minutes: int, said: str) -> None:
    chase = no_show_chase(ChaseFacts(
        appointment_id=FACTS.appointment_id, client_code="C-1042",
        start_text="Tuesday, November 17 at 11:00 AM", minutes_since_start=minutes,
        verdict="OK to call", verdict_reason="", voicemail_script=None,
        note="Called the client at [time of your call]"))
    assert_valid_message(chase)
    assert f"(it started {said})" in chase["text"]
    assert "press *No-show* once you have called" in json.dumps(chase)
