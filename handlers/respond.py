"""Replies through a ``response_url`` that outlast Slack's brief refusals.

A command's card, a button's answer: after the ack they exist only in one POST to the request's
``response_url``. Bolt's own ``respond`` tries that POST once (once more on a dropped connection)
and hands back whatever Slack answered. Ours, put in place of it for every listener by the
middleware ``register`` adds, also retries a rate limit (honouring ``Retry-After``) and a server
error, with backoff, and logs a reply Slack still refused (the status only, never the message).
Listeners keep asking for ``respond`` as Bolt documents it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient, WebhookResponse

log = logging.getLogger("contact_check.respond")

RETRIES = 2  # of each kind: three tries in all, over a few seconds (Retry-After aside)


class PatientRespond(Respond):
    """``respond(text=..., blocks=..., response_type=..., replace_original=...)``, retried."""

    def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        if self.response_url is None:
            raise ValueError("there is no response_url to reply to")
        message = dict(text) if isinstance(text, dict) else {"text": text}
        message.update({key: value for key, value in fields.items() if value is not None})
        webhook = WebhookClient(
            url=self.response_url,
            proxy=self.proxy,
            ssl=self.ssl,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=RETRIES),
                RateLimitErrorRetryHandler(max_retry_count=RETRIES),
                ServerErrorRetryHandler(max_retry_count=RETRIES),
            ],
        )
        answer = webhook.send_dict(message)
        if answer.status_code != 200:
            log.warning("a reply through a response_url was refused after %d tries: HTTP %s",
                        RETRIES + 1, answer.status_code)
        return answer


def register(app: App) -> None:
    @app.middleware
    def patient_respond(context: BoltContext, next: Callable[[], None]) -> None:
        context["respond"] = PatientRespond(response_url=context.response_url,
                                            proxy=context.client.proxy if context.client else None,
                                            ssl=context.client.ssl if context.client else None)
        next()
