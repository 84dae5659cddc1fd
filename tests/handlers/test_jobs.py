"""The scheduler wakes the dispatcher; /healthz's worker is alive while both run."""

from __future__ import annotations

import time
from datetime import timedelta

from bot.clock import ManualClock
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.policy_file import load_policy
from bot.sandbox.standin import SlackStandIn
from bot.scheduling import Jobs
from bot.services.deliveries import DELIVERY_FAILED
from storage.uow import Store


def test_the_scheduler_wakes_the_dispatcher_for_rows_that_fall_due(store: Store,
                                                                     clock: ManualClock) -> None:
    ticks: list[str] = []
    with SlackStandIn() as slack:
        deps = Deps(store=store, policy=load_policy(None), clock=clock, bot_token="xoxb-test",
                    slack_api_url=slack.api_url, send_rate=50)
        jobs = Jobs(deps, dispatcher=Dispatcher(deps, per_channel_interval=0.0),
                    wake_every=0.2, periodic=(("tick", 0.2, lambda d: ticks.append("x")),))
        jobs.start()
        try:
            assert jobs.is_alive()
            with store.unit_of_work() as uow:  # due one minute from now: no wake-up sends it yet
                uow.outbox.enqueue(DELIVERY_FAILED, "U0ADMIN", clock.now() + timedelta(minutes=1),
                                   {"kind": "x", "recipient": "U1", "error": "user_not_found"})
                uow.commit()
            time.sleep(0.5)
            assert slack.calls_to("chat.postMessage") == []
            clock.advance(timedelta(minutes=1))
            deadline = time.monotonic() + 10
            while not slack.calls_to("chat.postMessage") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(slack.calls_to("chat.postMessage")) == 1
            assert ticks
        finally:
            jobs.stop()
        assert not jobs.is_alive()
