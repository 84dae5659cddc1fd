"""Contact consent: ``consent CODE``, the card's "Record consent" button, the modal's submission.

Registered through the dispatch tables of ``handlers.commands`` (``ConsentForm``),
``handlers.actions`` (``ids.CARD_RECORD_CONSENT``) and ``handlers.modals``
(``ids.CONSENT_MODAL``). Who may open the modal, and whether it shows what is on file, is
``bot.policy.access.consent_access`` (in ``bot.services.consent``); the submission is checked
again when it is saved.
"""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.grammar import ConsentForm
from bot.policy.model import is_client_code
from bot.services.authorise import Refused
from bot.services.consent import record_consent, shown_in_modal
from bot.slack_ui.consent_modal import (
    B_MAY_CALL,
    consent_modal,
    consent_saved_view,
    read_submission,
)
from bot.slack_ui.errors import refusal
from handlers.context import ActionContext, CommandContext, ViewContext


def consent_view(deps: Deps, user_id: str, code: str) -> dict[str, Any]:
    """The consent modal for ``code`` as ``user_id`` may see it; raises ``Refused``."""
    with deps.store.unit_of_work(read_only=True) as uow:
        shown = shown_in_modal(uow, deps.store.audit_writer, deps.policy, code=code,
                               viewer=user_id, now=deps.clock.now())
    return consent_modal(shown.code if shown else code, shown, deps.policy, recorder=user_id)


def handle_consent(form: ConsentForm, ctx: CommandContext) -> None:
    """``consent CODE``: the modal, opened with the command's trigger id."""
    try:
        view = consent_view(ctx.deps, ctx.user_id, form.code)
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)


def open_consent(ctx: ActionContext) -> None:
    """``CARD_RECORD_CONSENT`` (value: a client code): the modal, from the card's button."""
    ctx.ack()
    if not is_client_code(ctx.value):
        return
    try:
        view = consent_view(ctx.deps, ctx.user_id, ctx.value)
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    ctx.client.views_open(trigger_id=ctx.body.get("trigger_id", ""), view=view)


def handle_consent_submission(ctx: ViewContext) -> None:
    """``CONSENT_MODAL``: inline errors, or the consent saved and a confirmation."""
    code = ctx.view.get("private_metadata", "")
    if not is_client_code(code):
        ctx.ack(response_action="errors",
                errors={B_MAY_CALL: "This form lost track of its client. Close it and run "
                                    "/contact-check consent CODE again."})
        return
    deps = ctx.deps
    draft = read_submission(ctx.values, deps.policy)
    if isinstance(draft, dict):
        ctx.ack(response_action="errors", errors=draft)
        return
    try:
        with deps.store.unit_of_work() as uow:
            recorded = record_consent(uow, deps.policy, code=code, draft=draft,
                                      actor=ctx.user_id, now=deps.clock.now())
            uow.commit()
    except Refused as refused:
        ctx.ack(response_action="errors", errors={B_MAY_CALL: refused.message[:150]})
        return
    ctx.ack(response_action="update",
            view=consent_saved_view(recorded.code, new_client=recorded.new_client))
