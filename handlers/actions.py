"""Button clicks. ``ACTION_HANDLERS`` maps an action id (``bot.slack_ui.ids``) to a handler.

A handler is ``handle(ctx: ActionContext) -> None``; it must ``ctx.ack()`` first (Bolt answers
Slack then) and reply with ``ctx.respond`` (ephemeral, through the response_url) or a Web API
call. To add one, add ``ids.YOUR_ACTION: your_function`` to ``ACTION_HANDLERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack_ui import ids
from handlers.approvals import approve_clicked, deny_clicked, show_reason_clicked
from handlers.card import show_card
from handlers.consent import open_consent
from handlers.context import ActionContext
from handlers.home import refresh_home
from handlers.reminders import (
    arrived_clicked,
    details_clicked,
    noshow_clicked,
    note_time_clicked,
    returned_clicked,
)
from handlers.runins import runin_asked, show_runin

ActionHandler = Callable[[ActionContext], None]


ACTION_HANDLERS: dict[str, ActionHandler] = {
    ids.APPROVAL_APPROVE: approve_clicked,
    ids.APPROVAL_DENY: deny_clicked,
    ids.APPROVAL_SHOW_REASON: show_reason_clicked,
    ids.CALLBACK_RETURNED: returned_clicked,
    ids.CHASE_ARRIVED: arrived_clicked,
    ids.CHASE_NO_SHOW: noshow_clicked,
    ids.CHASE_NOTE_TIME: note_time_clicked,
    ids.REMINDER_DETAILS: details_clicked,
    ids.RUNIN_VIEW: show_runin,
    ids.RUNIN_DONE: runin_asked,
    ids.HOME_PENDING_REFRESH: refresh_home,
    ids.CARD_SHOW_DETAILS: show_card,
    ids.CARD_RECORD_CONSENT: open_consent,
}


def register(app: App, deps: Deps) -> None:
    for action_id, handler in ACTION_HANDLERS.items():
        app.action(action_id)(_listener(deps, handler))


def _listener(deps: Deps, handler: ActionHandler) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                 respond: Respond) -> None:
        user_id = (body.get("user") or {}).get("id", "")
        handler(ActionContext(deps=deps, user_id=user_id, action=action, body=body,
                              client=client, ack=ack, respond=respond))

    listener.__name__ = f"action_{handler.__name__}"
    return listener
