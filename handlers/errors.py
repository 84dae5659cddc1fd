"""The one error handler: whatever a listener raised, before or after its ack.

Bolt calls ``on_error`` for a listener that raised; ``handlers.commands`` calls it for a form's
handler that raised after the ack (on its own threads). It logs ids and the stack, never payload
text or values, and tells the user something went wrong, with a reference to find the log line.

It answers only a request that was admitted (``handlers.workspace.ADMITTED``: verified by Bolt,
from the workspace served). Anything that failed before that is logged and answered with a bare
error status: its response_url was named by a body nobody vouched for, and is never posted to.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import BoltContext, BoltResponse

from bot.logs import frames_only
from bot.metrics import OUTCOME, request_ids
from bot.slack_ui.errors import something_went_wrong
from handlers.workspace import ADMITTED

log = logging.getLogger("contact_check.app")


def on_error(error: Exception, body: dict[str, Any], ack: Any, respond: Any,
             context: BoltContext | None = None) -> BoltResponse | None:
    """The one error handler: log ids and the stack, never values; answer the user of an
    admitted request (``context`` is the request's: Bolt passes it, as ``handlers.commands``
    does for work after the ack)."""
    reference = uuid.uuid4().hex[:10]
    log.error(
        "unhandled %s in %s (reference %s, ids %s)\n%s",
        type(error).__name__,
        body.get("type") or ("slash_command" if "command" in body else "unknown"),
        reference,
        json.dumps(request_ids(body), sort_keys=True),
        frames_only(error),
    )
    if context is not None:
        context[OUTCOME] = "error"
    if context is None or not context.get(ADMITTED):
        return BoltResponse(status=500, body="")
    message = {**something_went_wrong(reference), "response_type": "ephemeral"}
    if getattr(ack, "response", None) is None:
        if body.get("type") == "view_submission":
            errors_view = {"response_action": "errors", "errors": {}}
            return BoltResponse(status=200, body=json.dumps(errors_view | _view_error(body,
                                                                                    reference)))
        if "command" in body:
            return BoltResponse(status=200, body=json.dumps(message),
                                headers={"content-type": "application/json"})
        ack()
    if body.get("response_url") or body.get("response_urls"):
        try:
            respond(**message)
        except Exception as failed:  # the user cannot be told; the log line above stands
            log.error("could not tell the user about %s: %s", reference, type(failed).__name__)
    return None


def _view_error(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Show the failure on the modal's first input block, so the modal stays open."""
    blocks = (body.get("view") or {}).get("blocks") or []
    first_input = next((b.get("block_id") for b in blocks if b.get("type") == "input"), None)
    if first_input is None:
        return {"response_action": "clear"}
    return {
        "errors": {
            first_input: "Something went wrong and nothing was saved. Try again; if it keeps "
            f"happening, tell your admin: {reference}"
        }
    }
