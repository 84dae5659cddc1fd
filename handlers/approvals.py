"""Approvals in Slack: ``coaching CODE``, the Approve / Deny / Show reason buttons, the deny modal,
and the job that nudges undecided approvers and tells the backup (who decides only where the
clinic sets ``approvals.backup_may_decide``).

Registered through the dispatch tables of ``handlers.commands`` (``Coaching``),
``handlers.actions`` (``ids.APPROVAL_APPROVE``, ``ids.APPROVAL_DENY``,
``ids.APPROVAL_SHOW_REASON``), ``handlers.modals`` (``ids.APPROVAL_DENY_MODAL``) and
``bot.scheduling``. Each calls one use case of ``bot.services.approvals`` in one unit of work; the
messages it queues are sent by the dispatcher.
"""

from __future__ import annotations

import logging

from bot.deps import Deps
from bot.grammar import Coaching
from bot.services import approvals
from bot.services.approvals import APPROVE, DENY, Decision, JobReport
from bot.slack_ui.approvals import (
    approval_id_of,
    decide_reply,
    deny_modal,
    notice_view,
    reason_errors,
    reason_from_values,
    reason_view,
    reply_message,
    request_reply,
)
from handlers.context import ActionContext, CommandContext, ViewContext

log = logging.getLogger("contact_check.approvals")


def handle_coaching(form: Coaching, ctx: CommandContext) -> None:
    """``coaching CODE``: ask the clinic's DBT phone-coaching approver."""
    deps = ctx.deps
    with deps.store.unit_of_work() as uow:
        result = approvals.request_coaching(uow, deps.policy, client_code=form.code,
                                            requested_by=ctx.user_id, now=deps.clock.now())
        uow.commit()
    log.info("coaching request: %s", result.outcome.value)
    ctx.reply(reply_message(request_reply(result, deps.policy)))


def _click(ctx: ActionContext, decision: str) -> None:
    ctx.ack()
    deps = ctx.deps
    with deps.store.unit_of_work() as uow:
        result = approvals.decide(uow, deps.policy, approval_id=ctx.value, user=ctx.user_id,
                                  decision=decision, now=deps.clock.now())
        uow.commit()
    log.info("approval click %s: %s", decision, result.outcome.value)
    if result.outcome is Decision.REASON_NEEDED and result.summary is not None:
        ctx.client.views_open(trigger_id=ctx.body.get("trigger_id", ""),
                              view=deny_modal(result.summary))
        return
    ctx.reply(reply_message(decide_reply(result, deps.policy)))


def approve_clicked(ctx: ActionContext) -> None:
    """``APPROVAL_APPROVE`` (value: the approval id)."""
    _click(ctx, APPROVE)


def deny_clicked(ctx: ActionContext) -> None:
    """``APPROVAL_DENY`` (value: the approval id): the deny-reason modal, for a decider."""
    _click(ctx, DENY)


def show_reason_clicked(ctx: ActionContext) -> None:
    """``APPROVAL_SHOW_REASON`` (value: the approval id): the reason, in a modal."""
    ctx.ack()
    deps = ctx.deps
    with deps.store.unit_of_work() as uow:
        result = approvals.show_reason(uow, deps.policy, approval_id=ctx.value,
                                       user=ctx.user_id, now=deps.clock.now())
        uow.commit()
    view = reason_view(result, deps.policy)
    if view is not None:
        ctx.client.views_open(trigger_id=ctx.body.get("trigger_id", ""), view=view)
    else:
        ctx.reply(reply_message(result.refused.message))


def handle_deny_submission(ctx: ViewContext) -> None:
    """The deny-reason modal: the decision is made (or lost to a faster one) here."""
    reason = reason_from_values(ctx.values)
    if not reason:
        ctx.ack(response_action="errors", errors=reason_errors("Say why, in a few words."))
        return
    try:
        approval_id = approval_id_of(ctx.view)
    except ValueError:
        ctx.ack(response_action="update", view=notice_view(
            "This form lost track of its request. Close it and use Deny on the request again."))
        return
    deps = ctx.deps
    with deps.store.unit_of_work() as uow:
        result = approvals.decide(uow, deps.policy, approval_id=approval_id, user=ctx.user_id,
                                  decision=DENY, now=deps.clock.now(), reason=reason)
        uow.commit()
    log.info("approval deny submitted: %s", result.outcome.value)
    ctx.ack(response_action="update", view=notice_view(decide_reply(result, deps.policy)))


def nudge_approvals(deps: Deps) -> JobReport:
    """The job: nudge approvers who have waited too long, tell the backup of longer waits."""
    with deps.store.unit_of_work() as uow:
        report = approvals.nudge_and_hand_over(uow, deps.policy, deps.clock.now())
        uow.commit()
    if report.nudged or report.handed_over:
        log.info("approvals: %d nudged, %d told to the backup", report.nudged,
                 report.handed_over)
    return report
