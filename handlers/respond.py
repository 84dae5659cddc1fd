"""Replies through a ``response_url`` that outlast Slack's brief refusals.

A command's card, a button's answer: after the ack they exist only in one POST to the request's
``response_url``. Bolt's own ``respond`` tries that POST once (once more on a dropped connection)
and hands back whatever Slack answered. Ours, put in place of it for every listener by the
middleware ``register`` adds, also retries a rate limit (honouring a short ``Retry-After``) and a
server error, with backoff, and logs a reply Slack still refused (the status only, never the
message). Listeners keep asking for ``respond`` as Bolt documents it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookClient, WebhookResponse

log = logging.getLogger("contact_check.respond")

RETRIES = 2  # of each kind: three tries in all, over a few seconds
LONGEST_WAIT = 5  # seconds of Retry-After worth waiting: longer would hold a command thread


class _ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """A 429 is retried only when Slack asks for a short wait (``LONGEST_WAIT``)."""

    def can_retry(self, *, state: RetryState, request: HttpRequest,
                  response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        # The public check the clients call (it counts the tries, then asks the handler's own
        # rule): a 429 it would retry is retried only when the wait asked for is short.
        if response is None or not super().can_retry(state=state, request=request,
                                                      response=response, error=error):
            return False
        asked = [v for k, v in response.headers.items() if k.lower() == "retry-after"]
        try:
            return not asked or int(asked[0][0]) <= LONGEST_WAIT
        except (IndexError, ValueError):
            return False


def _as_json(items: Sequence[dict[str, Any] | Block] | Sequence[dict[str, Any] | Attachment],
             ) -> list[dict[str, Any]]:
    return [item.to_dict() if isinstance(item, JsonObject) else item for item in items]


class PatientRespond(Respond):
    """``respond(text=..., blocks=..., response_type=..., replace_original=...)``, retried."""

    def __call__(  # Respond's parameters, so it stands in wherever Bolt hands out a Respond
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
        **more: Any,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("there is no response_url to reply to")
        message = dict(text) if isinstance(text, dict) else {"text": text}
        fields = {
            "blocks": None if blocks is None else _as_json(blocks),
            "attachments": None if attachments is None else _as_json(attachments),
            "response_type": response_type, "replace_original": replace_original,
            "delete_original": delete_original, "unfurl_links": unfurl_links,
            "unfurl_media": unfurl_media, "thread_ts": thread_ts, "metadata": metadata, **more,
        }
        message.update({key: value for key, value in fields.items() if value is not None})
        webhook = WebhookClient(
            url=self.response_url,
            proxy=self.proxy,
            ssl=self.ssl,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=RETRIES),
                _ShortRateLimitRetry(max_retry_count=RETRIES),
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
