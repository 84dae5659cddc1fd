"""Modal submissions. ``VIEW_HANDLERS`` maps a callback id (``bot.slack_ui.ids``) to a handler.

A handler is ``handle(ctx: ViewContext) -> None`` and must ``ctx.ack`` (with
``response_action: errors`` for inline validation errors, ``update`` for a confirmation, or
nothing to close the modal). To add one, add ``ids.YOUR_MODAL: your_function`` to
``VIEW_HANDLERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack_ui import ids
from handlers.approvals import handle_deny_submission
from handlers.consent import handle_consent_submission
from handlers.context import ViewContext
from handlers.reminders import handle_note_time_submission
from handlers.runins import handle_runin_submission

ViewHandler = Callable[[ViewContext], None]

VIEW_HANDLERS: dict[str, ViewHandler] = {
    ids.APPROVAL_DENY_MODAL: handle_deny_submission,
    ids.RUNIN_MODAL: handle_runin_submission,
    ids.CONSENT_MODAL: handle_consent_submission,
    ids.NOTE_TIME_MODAL: handle_note_time_submission,
}


def register(app: App, deps: Deps) -> None:
    for callback_id, handler in VIEW_HANDLERS.items():
        app.view_submission(callback_id)(_listener(deps, handler))


def _listener(deps: Deps, handler: ViewHandler) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any],
                 client: WebClient) -> None:
        user_id = (body.get("user") or {}).get("id", "")
        handler(ViewContext(deps=deps, user_id=user_id, view=view, ack=ack, client=client))

    listener.__name__ = f"view_{handler.__name__}"
    return listener
