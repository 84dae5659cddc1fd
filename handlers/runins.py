"""Run-ins in Slack: ``runin CODE`` opens the modal, its submission is stored, the reminder's buttons.

Registered through the dispatch tables of ``handlers.commands`` (``RunIn``), ``handlers.views``
(``ids.RUNIN_MODAL``) and ``handlers.actions`` (``ids.RUNIN_VIEW``, ``ids.RUNIN_DONE``).
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.commands import RunIn
from bot.deps import Deps
from bot.services import runins
from bot.services.runins import RunInRefused
from bot.views.errors import refusal
from bot.views.runin_modal import (
    BLOCKS,
    client_code_of,
    field_errors,
    form_from_values,
    runin_details_view,
    runin_modal,
    runin_saved_view,
)

if TYPE_CHECKING:
    from handlers.actions import ActionContext
    from handlers.commands import CommandContext

log = logging.getLogger("contact_check.runins")


def handle_runin(form: RunIn, ctx: CommandContext) -> None:
    """``runin CODE``: check who may, then open the modal with the trigger id."""
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            draft = runins.start_runin(uow, deps.policy, actor=ctx.user_id,
                                       client_code=form.code, now=deps.clock.now())
    except RunInRefused as refused:
        ctx.reply(refusal(str(refused)))
        return
    ctx.ack_now()
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=runin_modal(draft))


def handle_runin_submission(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                            client: WebClient) -> None:
    user_id = (body.get("user") or {}).get("id", "")
    code = client_code_of(view)
    form = form_from_values((view.get("state") or {}).get("values") or {})
    try:
        with deps.store.unit_of_work() as uow:
            saved = runins.record_runin(uow, deps.policy, actor=user_id, client_code=code,
                                        form=form, now=deps.clock.now(),
                                        submission_id=view.get("id") or None)
    except RunInRefused as refused:
        ack(response_action="errors", errors={BLOCKS["place"]: str(refused)[:150]})
        return
    if not saved.ok:
        ack(response_action="errors", errors=field_errors(saved.errors))
        return
    log.info("run-in recorded (duplicate=%s)", saved.duplicate)
    ack(response_action="update", view=runin_saved_view(
        saved.client_code, saved.occurred_at or deps.clock.now(), saved.followup_at,
        saved.initiated_by, deps.policy.clinic.timezone))


def _run_in_id(ctx: ActionContext) -> uuid.UUID | None:
    try:
        return uuid.UUID(ctx.value)
    except ValueError:
        return None


def show_runin(ctx: ActionContext) -> None:
    """``RUNIN_VIEW`` on the reminder: the run-in's details in a modal, for the treating team."""
    ctx.ack()
    run_in_id = _run_in_id(ctx)
    if run_in_id is None:
        return
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            record = runins.read_runin(uow, deps.policy, actor=ctx.user_id,
                                       run_in_id=run_in_id, now=deps.clock.now())
    except RunInRefused as refused:
        ctx.reply(refusal(str(refused)))
        return
    ctx.client.views_open(trigger_id=ctx.body.get("trigger_id", ""),
                          view=runin_details_view(record, deps.policy.clinic.timezone))


def runin_asked(ctx: ActionContext) -> None:
    """``RUNIN_DONE`` on the reminder: the clinician asked the client; say so, once."""
    ctx.ack()
    run_in_id = _run_in_id(ctx)
    if run_in_id is None:
        return
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            code, changed = runins.mark_followed_up(uow, deps.policy, actor=ctx.user_id,
                                                    run_in_id=run_in_id, now=deps.clock.now())
    except RunInRefused as refused:
        ctx.reply(refusal(str(refused)))
        return
    text = (f"Noted: the run-in with {code} was revisited. No more reminders about it."
            if changed else f"The run-in with {code} was already marked as revisited.")
    ctx.reply({"text": text,
               "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]})
