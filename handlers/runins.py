"""Run-ins in Slack: ``runin CODE`` opens the modal, its submission is stored; the reminder's
buttons.

Registered through the dispatch tables of ``handlers.commands`` (``RunIn``), ``handlers.modals``
(``ids.RUNIN_MODAL``) and ``handlers.actions`` (``ids.RUNIN_VIEW``, ``ids.RUNIN_DONE``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from bot.grammar import RunIn
from bot.services import runins
from bot.services.authorise import Refused
from bot.slack_ui.errors import refusal
from bot.slack_ui.runin_modal import (
    BLOCKS,
    client_code_of,
    field_errors,
    form_from_values,
    runin_details_view,
    runin_modal,
    runin_saved_view,
)
from handlers.context import ActionContext, CommandContext, ViewContext

log = logging.getLogger("contact_check.runins")
T = TypeVar("T")


def handle_runin(form: RunIn, ctx: CommandContext) -> None:
    """``runin CODE``: check who may, then open the modal with the trigger id."""
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            draft = runins.start_runin(uow, deps.policy, actor=ctx.user_id,
                                       client_code=form.code, now=deps.clock.now())
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=runin_modal(draft))


def handle_runin_submission(ctx: ViewContext) -> None:
    """``RUNIN_MODAL``: inline errors, or the run-in stored (once per view) and a confirmation."""
    deps = ctx.deps
    code = client_code_of(ctx.view)
    form = form_from_values(ctx.values)
    try:
        with deps.store.unit_of_work() as uow:
            saved = runins.record_runin(uow, deps.policy, actor=ctx.user_id, client_code=code,
                                        form=form, now=deps.clock.now(),
                                        submission_id=ctx.view.get("id") or None)
            uow.commit()
    except Refused as refused:
        ctx.ack(response_action="errors", errors={BLOCKS["place"]: refused.message[:150]})
        return
    if not saved.ok:
        ctx.ack(response_action="errors", errors=field_errors(saved.errors))
        return
    log.info("run-in recorded (duplicate=%s)", saved.duplicate)
    ctx.ack(response_action="update", view=runin_saved_view(
        saved.client_code, saved.occurred_at or deps.clock.now(), saved.followup_at,
        saved.initiated_by, deps.policy.clinic.timezone))


def _on_run_in(ctx: ActionContext, use_case: Callable[..., T]) -> T | None:
    """A run-in reminder's button (value: the run-in id): ack, run ``use_case`` for that run-in
    in a unit of work it commits, and its result; None (the clicker told why, if refused)
    otherwise."""
    ctx.ack()
    run_in_id = ctx.value_uuid()
    if run_in_id is None:
        return None
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            result = use_case(uow, deps.policy, actor=ctx.user_id, run_in_id=run_in_id,
                              now=deps.clock.now())
            uow.commit()
            return result
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return None


def show_runin(ctx: ActionContext) -> None:
    """``RUNIN_VIEW`` on the reminder: the run-in's details in a modal, for the treating team."""
    record = _on_run_in(ctx, runins.read_runin)
    if record is not None:
        ctx.client.views_open(trigger_id=ctx.body.get("trigger_id", ""),
                              view=runin_details_view(record, ctx.deps.policy.clinic.timezone))


def runin_asked(ctx: ActionContext) -> None:
    """``RUNIN_DONE`` on the reminder: the clinician asked the client; say so, once."""
    done = _on_run_in(ctx, runins.mark_followed_up)
    if done is None:
        return
    code, changed = done
    text = (f"Noted: the run-in with {code} was revisited. No more reminders about it."
            if changed else f"The run-in with {code} was already marked as revisited.")
    ctx.reply({"text": text,
               "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]})
