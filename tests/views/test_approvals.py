"""Approval messages and modals: valid Block Kit, the right buttons, codes and ids only."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.policy.approvals import CLOSURE_WARNING, PHONE_COACHING
from bot.slack_ui import approvals as views
from bot.slack_ui import ids
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


OPTED_IN = replace(POLICY, approvals=replace(POLICY.approvals, backup_may_decide=True))
NO_BACKUP = views.ApprovalSummary(**{**COACHING.__dict__, "backup": None})

# Seed 003 names who decides ("phone coaching only with Dr. Bedics' approval"): the request says
# who may decide, the backup only where the clinic lets the backup decide.
WHO_DECIDES = {
    "003: only the approver; the backup is told": (
        COACHING, POLICY,
        "Only <@U0BEDICS> can decide it; if it is still undecided after 8 business hours, "
        "<@U0DIRECTOR> (the backup) is told it is waiting but cannot decide it.",
    ),
    "003: only the approver, no backup": (NO_BACKUP, POLICY, "Only <@U0BEDICS> can decide it."),
    "opt-in: the backup too, after the hand-over": (
        COACHING, OPTED_IN,
        "<@U0BEDICS> decides; if it is still undecided after 8 business hours, <@U0DIRECTOR> "
        "(the backup) may decide it too.",
    ),
}


@pytest.mark.parametrize(("summary", "policy", "said"), WHO_DECIDES.values(), ids=WHO_DECIDES)
def test_the_request_and_the_reply_say_who_decides(summary, policy, said: str) -> None:
    assert views.who_decides(summary, policy) == said
    msg = message(views.request_message(summary, policy))
    assert_valid_message(msg)
    assert f"*Who decides:* {said}" in json.dumps(msg)
    reply = views.requested_reply(summary, policy, already_pending=False)
    assert reply.startswith(f"Asked <@U0BEDICS> to approve DBT phone coaching for C-7. {said}")
    again = views.requested_reply(summary, policy, already_pending=True)
    assert said in again


def test_the_backup_told_message_has_no_buttons_and_says_who_decides() -> None:
    msg = message(views.backup_told_message(COACHING, POLICY))
    assert_valid_message(msg)
    assert buttons(msg) == []
    shown = json.dumps(msg)
    assert msg["text"] == "Waiting for <@U0BEDICS>'s decision: DBT phone coaching for C-7"
    assert "only <@U0BEDICS> can decide it" in shown and "8 business hours" in shown
    assert "remind <@U0BEDICS>" in shown and "tell <@U0ANA>" in shown
    assert "scheduling only" in shown
    closure = json.dumps(message(views.backup_told_message(CLOSURE, POLICY)))
    assert "not warned about closing the file" in closure


HAND_OVER_AT = datetime(2026, 11, 25, 15, 20, tzinfo=UTC)  # Wednesday 10:20 New York
# policy, summary, now -> what the nudge says comes next
NUDGES = {
    "003: the backup will be told": (
        POLICY, CLOSURE, ASKED,
        "If it is still undecided on Wednesday, November 25 at 10:20 AM, <@U0DIRECTOR> (the "
        "backup) is told it is waiting; only you can decide it.",
    ),
    "003: the backup was told already": (
        POLICY, CLOSURE, HAND_OVER_AT,
        "<@U0DIRECTOR> (the backup) has been told it is waiting; only you can decide it.",
    ),
    "003: no backup": (POLICY, NO_BACKUP, ASKED, "Only you can decide it."),
    "opt-in: it goes to the backup": (
        OPTED_IN, CLOSURE, ASKED,
        "If it is still undecided on Wednesday, November 25 at 10:20 AM, it goes to "
        "<@U0DIRECTOR>, who may then decide it too.",
    ),
}


@pytest.mark.parametrize(("policy", "summary", "now", "then"), NUDGES.values(), ids=NUDGES)
def test_nudge_says_what_comes_next(policy, summary, now: datetime, then: str) -> None:
    nudge = message(views.nudge_message(summary, policy, waited_hours=4,
                                        hand_over_at=HAND_OVER_AT if summary.backup else None,
                                        now=now))
    assert_valid_message(nudge)
    assert "waited 4 business hours" in json.dumps(nudge) and then in json.dumps(nudge)


@pytest.mark.parametrize(
    ("policy", "words"),
    [(POLICY, "(the backup) has been told it is waiting. Only <@U0JAMIE> can decide it"),
     (OPTED_IN, "so it went to the backup approver, <@U0DIRECTOR>")],
    ids=["003: the backup is told", "opt-in: handed over"],
)
def test_hand_over_notice_to_the_requester(policy, words: str) -> None:
    notice = message(views.handed_over_notice(CLOSURE, policy, waited_hours=8))
    assert_valid_message(notice)
    assert words in json.dumps(notice) and "8 business hours" in json.dumps(notice)


# clicker is the backup?, backup_may_decide -> the reply after "Only <@U0JAMIE> can decide …"
NOT_ALLOWED = {
    "003: someone else": (False, False, ""),
    "003: the backup": (True, False, " The clinic's policy lets only the named approver decide: "
                                     "as the backup you are told when it waits, and can remind "
                                     "<@U0JAMIE>. Nothing was changed."),
    "opt-in: the backup before the hand-over": (
        True, True, " As the backup you may decide it once it is handed over to you. Nothing was "
                    "changed."),
}


@pytest.mark.parametrize(("backup", "backup_may_decide", "tail"), NOT_ALLOWED.values(),
                         ids=NOT_ALLOWED)
def test_not_allowed_reply(backup: bool, backup_may_decide: bool, tail: str) -> None:
    reply = views.not_allowed_reply(CLOSURE, ("U0JAMIE",), backup=backup,
                                    backup_may_decide=backup_may_decide)
    only = "Only <@U0JAMIE> can decide the request for a closure warning for C-1042."
    assert reply == only + tail


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
