"""The guidance card: ``/contact-check CODE`` and the card's "Show details" button.

Registered through the dispatch tables of ``handlers.commands`` (``Card``) and
``handlers.actions`` (``ids.CARD_SHOW_DETAILS``). Both reply ephemerally with the same message.
"""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.grammar import Card
from bot.policy.model import is_client_code
from bot.services.guidance import client_card
from bot.slack_ui.card import card_message
from bot.slack_ui.errors import refusal
from handlers.context import ActionContext, CommandContext


def card_reply(deps: Deps, viewer: str, code: str) -> dict[str, Any]:
    """The card ``viewer`` may see for ``code`` now, or the polite refusal."""
    with deps.store.unit_of_work(read_only=True) as uow:
        card = client_card(uow, deps.store.audit_writer, deps.policy, code=code, viewer=viewer,
                           now=deps.clock.now())
    if not card.access.allowed:
        return refusal(card.access.reason)
    return card_message(card, deps.policy)


def handle_card(form: Card, ctx: CommandContext) -> None:
    """``/contact-check CODE``."""
    ctx.reply(card_reply(ctx.deps, ctx.user_id, form.code))


def show_card(ctx: ActionContext) -> None:
    """``CARD_SHOW_DETAILS`` (value: a client code): the card, as ``/contact-check CODE``."""
    ctx.ack()
    if is_client_code(ctx.value):
        ctx.reply(card_reply(ctx.deps, ctx.user_id, ctx.value))
