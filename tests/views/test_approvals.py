"""Approval messages and modals: valid Block Kit, the right buttons, codes and ids only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bot.policy.approvals import CLOSURE_WARNING, PHONE_COACHING
from bot.views import approvals as views
from bot.views import ids
from tests.handlers.conftest import contract_policy
from tests.views.blockkit import assert_valid_message, assert_valid_view

POLICY = contract_policy()
ASKED = datetime(2026, 11, 24, 15, 20, tzinfo=UTC)  # 10:20 New York
DECIDED_AT = datetime(2026, 11, 24, 16, 5, tzinfo=UTC)  # 11:05 New York
CLOSURE = views.ApprovalSummary(
    id="6f1c2d3e-0000-4000-8000-000000000001", kind=CLOSURE_WARNING, client_code="C-1042",
    clinician="U0ANA", requester="U0ANA", approver="U0JAMIE", backup="U0DIRECTOR",
    requested_at=ASKED, no_show_dates=(date(2026, 11, 17), date(2026, 11, 24)),
)
COACHING = views.ApprovalSummary(
    id="6f1c2d3e-0000-4000-8000-000000000002", kind=PHONE_COACHING, client_code="C-7",
    clinician="U0ANA", requester="U0ANA", approver="U0BEDICS", backup="U0DIRECTOR",
    requested_at=ASKED,
)
APPROVED = views.DecisionSummary("approved", "U0JAMIE", DECIDED_AT)
DENIED = views.DecisionSummary("denied", "U0JAMIE", DECIDED_AT)


def message(pair: tuple[str, list]) -> dict:
    text, blocks = pair
    return {"text": text, "blocks": blocks}


def buttons(msg: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e["text"]["text"]) for b in msg["blocks"] if b["type"] == "actions"
            for e in b["elements"]]


@pytest.mark.parametrize("summary", [CLOSURE, COACHING], ids=["closure", "coaching"])
def test_request_has_approve_and_deny_with_the_approval_id(summary) -> None:
    msg = message(views.request_message(summary, POLICY))
    assert_valid_message(msg)
    assert buttons(msg) == [(ids.APPROVAL_APPROVE, "Approve"), (ids.APPROVAL_DENY, "Deny")]
    values = {e["value"] for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert values == {summary.id}
    assert summary.client_code in msg["text"] and "<@U0ANA>" in json.dumps(msg)
    assert "Tuesday, November 24 at 10:20 AM" in json.dumps(msg)


def test_closure_request_lists_the_no_show_dates() -> None:
    shown = json.dumps(message(views.request_message(CLOSURE, POLICY)))
    assert "missed 2 appointments in a row (Tue Nov 17 and Tue Nov 24)" in shown


def test_handed_over_request_says_so_and_keeps_the_buttons() -> None:
    msg = message(views.request_message(CLOSURE, POLICY, handed_over_from="U0JAMIE"))
    assert_valid_message(msg)
    assert msg["text"].startswith("Handed over to you")
    assert len(buttons(msg)) == 2


@pytest.mark.parametrize(("decision", "mark"), [(APPROVED, "✅ Approved"), (DENIED, "❌ Denied")])
def test_decided_message_has_no_buttons_and_says_who_and_when(decision, mark) -> None:
    msg = message(views.decided_message(CLOSURE, decision, POLICY))
    assert_valid_message(msg)
    assert buttons(msg) == []
    shown = json.dumps(msg, ensure_ascii=False)
    assert f"{mark} by <@U0JAMIE> on Tuesday, November 24 at 11:05 AM" in shown


def test_denial_outcome_keeps_the_reason_behind_a_button() -> None:
    msg = message(views.outcome_message(CLOSURE, DENIED, POLICY))
    assert_valid_message(msg)
    assert buttons(msg) == [(ids.APPROVAL_SHOW_REASON, "Show reason")]


def test_coaching_approval_outcome_points_to_the_card() -> None:
    msg = message(views.outcome_message(COACHING, APPROVED, POLICY))
    assert_valid_message(msg)
    assert "/contact-check C-7" in json.dumps(msg) and buttons(msg) == []


def test_closure_approved_message_carries_script_deadline_and_note() -> None:
    deadline = datetime(2026, 11, 27, 22, tzinfo=UTC)
    note = views.closure_note(CLOSURE, APPROVED, POLICY, deadline)
    msg = message(views.closure_approved_message(
        CLOSURE, APPROVED, POLICY, script="Hi [first name] ...", deadline=deadline, note=note))
    assert_valid_message(msg)
    shown = json.dumps(msg)
    assert "Friday, November 27 at 5:00 PM" in shown and "Tue Nov 17 and Tue Nov 24" in shown
    assert note.startswith("Closure warning: approved by Jamie (supervisor) on Tuesday")


def test_asked_by_names_the_clinician_only_when_someone_else_asked() -> None:
    own = json.dumps(message(views.request_message(CLOSURE, POLICY)))
    assert "Clinician:" not in own
    by_desk = views.ApprovalSummary(**{**CLOSURE.__dict__, "requester": "U0DESK"})
    assert "Asked by <@U0DESK>" in json.dumps(message(views.request_message(by_desk, POLICY)))
    assert "Clinician: <@U0ANA>" in json.dumps(message(views.request_message(by_desk, POLICY)))


def test_nudge_and_hand_over_notice() -> None:
    nudge = message(views.nudge_message(CLOSURE, POLICY, waited_hours=4,
                                        hand_over_at=datetime(2026, 11, 25, 15, 20, tzinfo=UTC)))
    assert_valid_message(nudge)
    assert "waited 4 business hours" in json.dumps(nudge) and "<@U0DIRECTOR>" in json.dumps(nudge)
    notice = message(views.handed_over_notice(CLOSURE, POLICY, waited_hours=8))
    assert_valid_message(notice)
    assert "<@U0JAMIE>" in json.dumps(notice) and "<@U0DIRECTOR>" in json.dumps(notice)


def test_deny_modal_round_trip() -> None:
    modal = views.deny_modal(CLOSURE)
    assert_valid_view(modal)
    assert views.approval_id_of(modal) == CLOSURE.id
    values = {views.REASON_BLOCK: {views.REASON_ACTION: {"type": "plain_text_input",
                                                         "value": "  not yet  "}}}
    assert views.reason_from_values(values) == "not yet"
    assert views.reason_from_values({}) == ""
    with pytest.raises(ValueError):
        views.approval_id_of({"private_metadata": "C-1042"})


def test_reason_and_notice_views_are_valid() -> None:
    assert_valid_view(views.reason_modal(CLOSURE, DENIED, POLICY, "in hospital"))
    assert_valid_view(views.reason_modal(CLOSURE, DENIED, POLICY, None))
    assert_valid_view(views.notice_view("Recorded."))
    assert_valid_message(views.reply_message("Only <@U0JAMIE> can decide."))
