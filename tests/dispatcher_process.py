"""A dispatcher in a process of its own, for the crash and two-replica tests.

``python -m tests.dispatcher_process DATABASE_URL API_URL [--lease S] [--rate N] [--idle S]
[--print-posts]`` (keys from ``CONTACT_CHECK_KEYS``): drains the outbox until nothing has been due
for ``--idle`` seconds, then exits 0. The tests kill it with SIGKILL mid-send, or run two at once.
``--print-posts`` prints ``posted <outbox id>`` as each message Slack accepted comes back, so a
test can tell which replica sent what (even of one it killed).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.clock import SystemClock
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.outbox_kinds import OUTBOX_KINDS, OutboxKind
from bot.policy_file import load_policy
from bot.services.deliveries import always_wanted
from bot.slack_ui.outbox import Rendered
from storage.crypto import Keyring
from storage.db import make_engine
from storage.uow import Store

NOTE_KIND = "test_note"


def render_note(payload, policy) -> Rendered:
    return Rendered(text=f"note {payload.get('n')}")


# The product's kinds and the tests' own note, read straight from the row's payload.
KINDS = {**OUTBOX_KINDS, NOTE_KIND: OutboxKind(
    NOTE_KIND, always_wanted, lambda uow, policy, row, now: row.payload, render_note)}


class PrintingClient(WebClient):
    """Prints the outbox id of every message Slack accepted."""

    def chat_postMessage(self, **kwargs) -> SlackResponse:
        response = super().chat_postMessage(**kwargs)
        print("posted", kwargs["metadata"]["event_payload"]["outbox_id"], flush=True)
        return response


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("api_url")
    parser.add_argument("--lease", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--idle", type=float, default=1.0)
    parser.add_argument("--print-posts", action="store_true")
    args = parser.parse_args()
    store = Store(make_engine(args.database_url),
                  Keyring.from_env(os.environ["CONTACT_CHECK_KEYS"]))
    deps = Deps(store=store, policy=load_policy(None), clock=SystemClock(), bot_token="xoxb-test",
                slack_api_url=args.api_url, send_rate=args.rate)
    client = None
    if args.print_posts:
        client = PrintingClient(token=deps.bot_token, base_url=deps.slack_api_url, timeout=10,
                                retry_handlers=[])
    dispatcher = Dispatcher(deps, kinds=KINDS, client=client, lease=timedelta(seconds=args.lease),
                            per_channel_interval=0.0)
    print("ready", flush=True)
    idle_since = time.monotonic()
    sent = 0
    while time.monotonic() - idle_since < args.idle:
        report = dispatcher.drain()
        sent += report.sent + report.reconciled
        if report.sent or report.reconciled or report.retried or report.rate_limited:
            idle_since = time.monotonic()
        else:
            time.sleep(0.05)
    print(f"sent {sent}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
