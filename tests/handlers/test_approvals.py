"""Approvals over real HTTP, signed like Slack, against the stand-in; DMs sent by the dispatcher.

A DBT phone-coaching request from ``/contact-check coaching CODE`` to the card showing approval,
and a closure warning denied through the deny-reason modal.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.services import approvals as service
from bot.slack_ui import ids
from bot.slack_ui.approvals import REASON_ACTION, REASON_BLOCK
from handlers.approvals import nudge_approvals
from tests.handlers.conftest import (
    Bot,
    add_client,
    assert_no_private_details,
    buttons,
    click,
    dms,
    eventually,
    maria,
    send_due,
)


def _said(bot: Bot, url: str) -> str:
    return json.dumps(eventually(lambda: bot.slack.responses(url)))


def test_coaching_request_is_decided_once_by_the_approver_and_shows_on_the_card(
    bot: Bot, clock
) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    card = bot.ask("U0ANA", "C-1042")
    assert "Phone contact is for scheduling only" in json.dumps(card)

    asked = bot.ask("U0ANA", "coaching C-1042")
    assert "Asked <@U0BEDICS>" in asked["text"]

    send_due(bot)
    [request] = dms(bot, "U0BEDICS")
    assert [b["text"]["text"] for b in buttons(request)] == ["Approve", "Deny"]
    assert "DBT phone coaching for C-1042" in request["text"]

    # Someone else clicks: told who can decide; nothing changes.
    url = click(bot, "U0JAMIE", request, "Approve")
    assert "Only <@U0BEDICS> can decide" in _said(bot, url)
    send_due(bot)
    assert not bot.slack.calls_to("chat.update")

    clock.advance(timedelta(minutes=10))
    url = click(bot, "U0BEDICS", request, "Approve")
    assert "Approved by <@U0BEDICS>" in _said(bot, url)
    again = click(bot, "U0BEDICS", request, "Approve")
    assert "already decided: approved by <@U0BEDICS>" in _said(bot, again)

    send_due(bot)
    [updated] = dms(bot, "U0BEDICS")
    assert buttons(updated) == []
    assert "Approved by <@U0BEDICS> on Tuesday, November 24 at 10:10 AM" in json.dumps(updated)
    [outcome] = dms(bot, "U0ANA")
    assert "Approved by <@U0BEDICS>" in outcome["text"]
    assert len(bot.slack.calls_to("chat.update")) == 1

    card = bot.ask("U0ANA", "C-1042")
    assert "DBT phone coaching approved* by <@U0BEDICS>" in json.dumps(card)
    assert_no_private_details(bot)


def test_closure_warning_denied_through_the_reason_modal(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    with bot.deps.store.unit_of_work() as uow:
        result = service.request_closure_warning(
            uow, bot.deps.policy, client_code="C-1042", clinician="U0ANA", requested_by="U0ANA",
            no_show_dates=[datetime(2026, 11, 17, 15, tzinfo=UTC),
                           datetime(2026, 11, 24, 15, tzinfo=UTC)],
            now=clock.now())
        uow.commit()
    assert result.approver == "U0JAMIE"
    send_due(bot)
    [request] = dms(bot, "U0JAMIE")

    click(bot, "U0JAMIE", request, "Deny")
    opened = eventually(lambda: bot.slack.calls_to("views.open"))
    modal = {**opened[0].params["view"], "id": "V0DENY"}
    assert modal["callback_id"] == ids.APPROVAL_DENY_MODAL

    empty = bot.post(bot.signer.view_submission(
        "U0JAMIE", modal, {REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input",
                                                          "value": "  "}}}))
    assert empty.json()["response_action"] == "errors" and REASON_BLOCK in empty.json()["errors"]

    reason = "Maria told me she is in hospital; wait a week"
    done = bot.post(bot.signer.view_submission(
        "U0JAMIE", modal, {REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input",
                                                          "value": reason}}}))
    assert done.status == 200
    answer = done.json()
    assert answer["response_action"] == "update"
    assert "Denied by <@U0JAMIE>" in json.dumps(answer["view"])

    send_due(bot)
    [updated] = dms(bot, "U0JAMIE")
    assert buttons(updated) == [] and "Denied by <@U0JAMIE>" in json.dumps(updated)
    [outcome] = dms(bot, "U0ANA")
    assert reason not in json.dumps(outcome)
    url = click(bot, "U0ANA", outcome, "Show reason")
    shown = eventually(lambda: [c for c in bot.slack.calls_to("views.open")
                                 if "Reason for the decision" in json.dumps(c.params)])
    assert reason in json.dumps(shown[0].params["view"])
    assert bot.slack.responses(url) == []
    assert_no_private_details(bot)


def test_003_a_coaching_request_whose_approver_is_away(bot: Bot, clock) -> None:
    """Seed 003: coaching only with Dr. Bedics' approval. The requester is told who decides,
    Dr. Bedics is nudged after the wait, the backup is told but cannot decide."""
    add_client(bot.deps.store, maria(clock), clock)
    asked = bot.ask("U0ANA", "coaching C-1042")
    assert "Asked <@U0BEDICS>" in asked["text"]
    assert "Only <@U0BEDICS> can decide it" in asked["text"]
    assert "<@U0DIRECTOR> (the backup) is told it is waiting but cannot decide it" in asked["text"]
    send_due(bot)
    [request] = dms(bot, "U0BEDICS")
    assert "Who decides:* Only <@U0BEDICS> can decide it" in json.dumps(request)

    clock.advance(timedelta(hours=4))
    assert nudge_approvals(bot.deps).nudged == 1
    send_due(bot)
    [_, nudge] = dms(bot, "U0BEDICS")
    assert ("If it is still undecided on Wednesday, November 25 at 10:00 AM, <@U0DIRECTOR> (the "
            "backup) is told it is waiting; only you can decide it.") in json.dumps(nudge)
    clock.advance(timedelta(days=1))
    assert nudge_approvals(bot.deps).handed_over == 1
    send_due(bot)
    [told] = dms(bot, "U0DIRECTOR")
    assert buttons(told) == []
    assert "only <@U0BEDICS> can decide it" in json.dumps(told)
    assert len(dms(bot, "U0BEDICS")) == 2  # the request and the nudge
    [outcome_so_far] = dms(bot, "U0ANA")
    assert "still waiting for <@U0BEDICS>" in outcome_so_far["text"]

    # The backup presses Approve on the request (a button they should not have): told, and
    # nothing changes.
    url = click(bot, "U0DIRECTOR", request, "Approve")
    said = _said(bot, url)
    assert "Only <@U0BEDICS> can decide" in said and "Nothing was changed" in said
    send_due(bot)
    assert not bot.slack.calls_to("chat.update")
    with bot.deps.store.unit_of_work() as uow:
        [pending] = uow.approvals.pending()
        assert pending.decided_by is None

    url = click(bot, "U0BEDICS", request, "Approve")
    assert "Approved by <@U0BEDICS>" in _said(bot, url)
    send_due(bot)
    assert {c.params["channel"] for c in bot.slack.calls_to("chat.update")} == {
        bot.slack.dm_channel("U0BEDICS"), bot.slack.dm_channel("U0DIRECTOR")}
    assert_no_private_details(bot)


def test_a_backup_clicking_a_stale_hand_over_button_is_told_and_nothing_changes(
    bot: Bot, clock
) -> None:
    """Handed over while the clinic let the backup decide; the clinic then turned it off."""
    default = bot.deps.policy
    bot.deps.policy = replace(default, approvals=replace(default.approvals,
                                                         backup_may_decide=True))
    add_client(bot.deps.store, maria(clock), clock)
    bot.ask("U0ANA", "coaching C-1042")
    clock.advance(timedelta(days=2))
    assert nudge_approvals(bot.deps).handed_over == 1
    send_due(bot)
    [handed] = dms(bot, "U0DIRECTOR")
    assert [b["text"]["text"] for b in buttons(handed)] == ["Approve", "Deny"]

    bot.deps.policy = default
    url = click(bot, "U0DIRECTOR", handed, "Approve")
    said = _said(bot, url)
    assert "Only <@U0BEDICS> can decide" in said and "Nothing was changed" in said
    url = click(bot, "U0DIRECTOR", handed, "Deny")  # no deny-reason modal either
    assert "Nothing was changed" in _said(bot, url)
    send_due(bot)
    assert not bot.slack.calls_to("chat.update") and not bot.slack.calls_to("views.open")
    with bot.deps.store.unit_of_work() as uow:
        [pending] = uow.approvals.pending()
        assert pending.status == "pending"
    assert len(dms(bot, "U0ANA")) == 1  # the hand-over notice; no outcome
