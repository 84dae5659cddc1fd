"""Modal submissions. ``VIEW_HANDLERS`` maps a callback id (``bot.views.ids``) to a handler.

A handler is ``handle(deps, ack, body, view, client) -> None`` and must ``ack`` (with
``response_action: errors`` for inline validation errors, ``update`` for a confirmation, or
nothing to close the modal). To add one, add ``ids.YOUR_MODAL: your_function`` to
``VIEW_HANDLERS``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.policy.model import is_client_code
from bot.services.consent import ConsentRefused, record_consent
from bot.views import ids
from bot.views.consent_modal import B_MAY_CALL, consent_saved_view, read_submission
from handlers.approvals import handle_deny_submission
from handlers.runins import handle_runin_submission

log = logging.getLogger("contact_check.views")

ViewHandler = Callable[[Deps, Ack, dict[str, Any], dict[str, Any], WebClient], None]


def handle_consent_submission(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                              client: WebClient) -> None:
    user_id = (body.get("user") or {}).get("id", "")
    code = view.get("private_metadata", "")
    if not is_client_code(code):
        ack(response_action="errors",
            errors={B_MAY_CALL: "This form lost track of its client. Close it and run "
                                "/contact-check consent CODE again."})
        return
    draft = read_submission((view.get("state") or {}).get("values") or {}, deps.policy)
    if isinstance(draft, dict):
        ack(response_action="errors", errors=draft)
        return
    try:
        recorded = record_consent(deps.store, deps.policy, code=code, draft=draft,
                                  actor=user_id, now=deps.clock.now())
    except ConsentRefused as refused:
        ack(response_action="errors", errors={B_MAY_CALL: str(refused)[:150]})
        return
    ack(response_action="update", view=consent_saved_view(recorded.code,
                                                          new_client=recorded.new_client))


VIEW_HANDLERS: dict[str, ViewHandler] = {
    ids.APPROVAL_DENY_MODAL: handle_deny_submission,
    ids.RUNIN_MODAL: handle_runin_submission,
    ids.CONSENT_MODAL: handle_consent_submission,
}


def register(app: App, deps: Deps) -> None:
    for callback_id, handler in VIEW_HANDLERS.items():
        app.view_submission(callback_id)(_listener(deps, handler))


def _listener(deps: Deps, handler: ViewHandler) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any],
                 client: WebClient) -> None:
        handler(deps, ack, body, view, client)

    listener.__name__ = f"view_{handler.__name__}"
    return listener
