"""The Slack app: one Bolt ``App``, its Web API client, every handler module, one error handler.

``create_app`` builds the app from ``Deps``; ``bot.server`` serves it over HTTP (waitress) or
Socket Mode. Every Web API call goes through the one ``WebClient`` made here, whose ``base_url``
is ``deps.slack_api_url`` (GovSlack, the sandbox's and the tests' stand-ins).

Listeners ack first: Bolt runs each listener on ``listener_executor`` and answers Slack as soon as
the listener calls ``ack`` (``process_before_response`` stays off), so slow work after the ack
never holds Slack's 3-second limit. The single ``@app.error`` logs ids only (never payload text)
and tells the user something went wrong, with a reference to find the log line.
"""

from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.deps import Deps
from bot.logs import frames_only
from bot.views.errors import something_went_wrong
from handlers import actions, commands, events, views

log = logging.getLogger("contact_check.app")

HANDLER_MODULES = (commands, actions, views, events)  # each has register(app, deps)
LISTENER_THREADS = 32


def web_client(deps: Deps, token: str) -> WebClient:
    """The Web API client every call goes through, pointed at ``deps.slack_api_url``."""
    return WebClient(token=token, base_url=deps.slack_api_url)


def create_app(
    deps: Deps,
    *,
    signing_secret: str,
    token: str,
    verify_token: bool = True,
    listener_threads: int = LISTENER_THREADS,
) -> App:
    """The Bolt app with every handler module registered.

    ``signing_secret`` may be empty in Socket Mode only (Bolt verifies HTTP requests with it).
    ``verify_token`` calls ``auth.test`` once at start, through ``deps.slack_api_url``.
    """
    app = App(
        client=web_client(deps, token),
        signing_secret=signing_secret,
        token_verification_enabled=verify_token,
        raise_error_for_unhandled_request=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=listener_threads, thread_name_prefix="listener"
        ),
        logger=logging.getLogger("slack_bolt.contact_check"),  # a library logger: text withheld
    )
    for module in HANDLER_MODULES:
        module.register(app, deps)
    app.error(on_error)
    return app


def on_error(error: Exception, body: dict[str, Any], ack: Any, respond: Any) -> BoltResponse | None:
    """The one error handler: log ids and the stack, never values; answer the user."""
    reference = uuid.uuid4().hex[:10]
    log.error(
        "unhandled %s in %s (reference %s, ids %s)\n%s",
        type(error).__name__,
        body.get("type") or ("slash_command" if "command" in body else "unknown"),
        reference,
        json.dumps(request_ids(body), sort_keys=True),
        frames_only(error),
    )
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


def request_ids(body: dict[str, Any]) -> dict[str, Any]:
    """The identifiers of a Slack request that are safe to log (no text, no values)."""
    user = body.get("user")
    ids: dict[str, Any] = {
        "user": body.get("user_id") or (user.get("id") if isinstance(user, dict) else None),
        "team": body.get("team_id") or (body.get("team") or {}).get("id"),
        "command": body.get("command"),
        "callback_id": (body.get("view") or {}).get("callback_id"),
        "actions": [a.get("action_id") for a in body.get("actions") or []] or None,
        "event": (body.get("event") or {}).get("type"),
    }
    return {key: value for key, value in ids.items() if value}
