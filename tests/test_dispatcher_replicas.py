"""Dispatcher replicas against one PostgreSQL database and the Slack stand-in share
``CONTACT_CHECK_SEND_RATE`` and Slack's Retry-After (``bot.pacing``); SQLite paces in memory.

The replicas are separate processes (``tests.dispatcher_process``); rates are measured from the
stand-in's call times.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.deps import Deps
from bot.dispatcher import METADATA_EVENT, Dispatcher
from bot.pacing import LocalPace, SharedPace, pace_for
from bot.policy_file.validation import parse_policy
from bot.sandbox.standin import ApiCall, SlackStandIn
from storage.uow import Store
from tests.dispatcher_process import KINDS, NOTE_KIND

ROOT = Path(__file__).resolve().parents[1]
RATE = 25  # messages a second, all replicas together
BURST = 2  # allowed above RATE in any one second: jitter between a slot and Slack seeing it


def enqueue(store: Store, n: int, recipients: int) -> list[str]:
    due = datetime.now(UTC) - timedelta(seconds=1)
    with store.unit_of_work() as uow:
        ids = [str(uow.outbox.enqueue(NOTE_KIND, f"U{i % recipients:04d}", due, {"n": i}).id)
               for i in range(n)]
        uow.commit()
    return ids


def spawn(database_url: str, api_url: str, key: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CONTACT_CHECK_KEYS": key, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.dispatcher_process", database_url, api_url,
         "--rate", str(RATE), "--print-posts", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def start(n: int, database_url: str, api_url: str, key: str, *args: str
          ) -> list[subprocess.Popen[str]]:
    """``n`` replicas, each ready (connected, waiting for work) when this returns."""
    workers = [spawn(database_url, api_url, key, *args) for _ in range(n)]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    return workers


def finish(worker: subprocess.Popen[str]) -> str:
    """What ``worker`` printed, once it has exited 0 (its stderr in the failure if not)."""
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    return out


def accepted(slack: SlackStandIn) -> list[ApiCall]:
    return [c for c in slack.calls_to("chat.postMessage") if c.status == 200 and c.error is None]


def outbox_id(call: ApiCall) -> str:
    meta = call.params["metadata"]
    assert meta["event_type"] == METADATA_EVENT
    return meta["event_payload"]["outbox_id"]


def posted_by(stdout: str) -> set[str]:
    return {line.split()[1] for line in stdout.splitlines() if line.startswith("posted ")}


def busiest_second(times: list[float]) -> int:
    """The most calls in any one-second window."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def between(calls: list[ApiCall], start: float, end: float) -> list[ApiCall]:
    return [c for c in calls if start <= c.at < end]


@pytest.fixture
def pg(store: Store, database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share a PostgreSQL database (SQLite runs one dispatcher)")
    return database_url


# --- one process ---------------------------------------------------------------------------------


def test_the_database_decides_how_the_dispatcher_paces(store: Store) -> None:
    pace = pace_for(store, 10, "replica-a", time.monotonic)
    if store.engine.dialect.name == "postgresql":
        assert isinstance(pace, SharedPace)
    else:  # one dispatcher, no database round trip per message
        assert isinstance(pace, LocalPace)
        with store.unit_of_work() as uow, pytest.raises(RuntimeError, match="PostgreSQL"):
            uow.send_pace.take(timedelta(seconds=0.1))


def test_local_pace_spaces_sends_and_holds_back_after_a_429() -> None:
    now = [100.0]
    pace = LocalPace(4, lambda: now[0])
    assert pace.take() is None
    assert pace.take() == 100.25  # not yet: try again then
    now[0] = 100.3  # a send made late pushes the next one back
    assert pace.take() is None and pace.take() == 100.55
    now[0] = 200.0  # idle for a while: no saved-up burst
    assert pace.take() is None and pace.take() == 200.25
    pace.rate_limited(3)
    now[0] = 201.0
    assert pace.unblocked_at() == 203.0 and pace.take() == 203.0


def test_replicas_in_one_process_share_the_slot_and_retry_after(
    store: Store, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share a PostgreSQL database (SQLite runs one dispatcher)")
    a = pace_for(store, 10, "replica-a", time.monotonic)
    b = pace_for(store, 10, "replica-b", time.monotonic)
    assert a.take() is None
    retry_at = b.take()
    assert retry_at is not None and 0.05 < retry_at - time.monotonic() <= 0.1
    a.rate_limited(2)
    assert b.unblocked_at() - time.monotonic() > 1.9
    assert b.take() - time.monotonic() > 1.9


# --- separate processes -------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_replicas_together_keep_to_the_send_rate(pg: str, store: Store, key: str) -> None:
    with SlackStandIn() as slack:
        workers = start(2, pg, slack.api_url, key, "--idle", "3")
        ids = enqueue(store, 150, recipients=75)
        outs = [finish(worker) for worker in workers]
        calls = accepted(slack)
    assert Counter(outbox_id(c) for c in calls) == Counter(ids), "each message exactly once"
    shares = [len(posted_by(out)) for out in outs]
    assert min(shares) >= 30, f"both replicas sent: {shares}"
    times = sorted(c.at for c in calls)
    # Each replica alone would send RATE a second: 2 x RATE together without a shared budget.
    assert busiest_second(times) <= RATE + BURST
    mean = (len(times) - 1) / (times[-1] - times[0])
    assert 0.75 * RATE <= mean <= 1.05 * RATE, f"{mean:.1f} messages/s"


@pytest.mark.postgres
def test_a_429_seen_by_one_replica_stops_the_other_inside_retry_after(
    pg: str, store: Store, key: str
) -> None:
    retry_after, grace = 3, 0.25  # grace: a slot the other took just before the 429 was shared
    with SlackStandIn() as slack:
        posts = [0]

        def refuse_once(call: ApiCall) -> None:
            if call.method == "chat.postMessage" and call.status == 200:
                posts[0] += 1
                if posts[0] == 50:  # both replicas are sending by now
                    slack.fail("chat.postMessage", status=429, times=1, retry_after=retry_after)

        slack.on_call = refuse_once
        workers = start(2, pg, slack.api_url, key, "--idle", "3")
        ids = enqueue(store, 150, recipients=75)
        outs = [finish(worker) for worker in workers]
        [limited] = [c for c in slack.calls_to("chat.postMessage") if c.status == 429]
        calls = accepted(slack)
        everything = slack.calls
    assert Counter(outbox_id(c) for c in calls) == Counter(ids), "0 lost, 0 doubled"
    just_before = {outbox_id(c) for c in between(calls, limited.at - 1.0, limited.at)}
    assert all(posted_by(out) & just_before for out in outs), "both replicas were sending"
    inside = between(everything, limited.at + grace, limited.at + retry_after)
    assert inside == [], f"{len(inside)} calls inside Retry-After"
    assert between(calls, limited.at + retry_after, limited.at + retry_after + 2), "resumed"


@pytest.mark.postgres
def test_a_killed_replica_stops_counting_and_the_survivor_speeds_up(
    pg: str, store: Store, key: str
) -> None:
    with SlackStandIn() as slack:
        killed_at: list[float] = []
        holder: dict[str, subprocess.Popen[str]] = {}
        posts = [0]

        def kill_first(call: ApiCall) -> None:
            if call.method == "chat.postMessage" and call.status == 200:
                posts[0] += 1
                if posts[0] == 100 and not killed_at:
                    os.kill(holder["doomed"].pid, signal.SIGKILL)
                    killed_at.append(call.at)

        slack.on_call = kill_first
        # A short lease: the survivor takes the dead replica's claimed rows over soon after.
        holder["doomed"], survivor = start(2, pg, slack.api_url, key, "--lease", "3",
                                           "--idle", "6")
        ids = enqueue(store, 260, recipients=130)
        assert holder["doomed"].wait(60) == -signal.SIGKILL
        doomed_out = holder["doomed"].stdout.read()
        survivor_out = finish(survivor)
        slack.on_call = None
        calls = accepted(slack)
    [kill] = killed_at
    assert Counter(outbox_id(c) for c in calls) == Counter(ids), "0 lost, 0 doubled"
    mine = posted_by(survivor_out)
    assert posted_by(doomed_out), "the killed replica had been sending"
    both = between(calls, kill - 1.5, kill)
    before = [c for c in both if outbox_id(c) in mine]
    after = [c for c in between(calls, kill + 0.2, kill + 2.2) if outbox_id(c) in mine]
    # While both sent they shared one budget (per-process pacing: about twice RATE together),
    # in whatever split their slot-taking fell into; once alone the survivor had all of it.
    assert len(both) <= RATE * 1.5 + BURST, f"one budget for both: {len(both)} in 1.5 s"
    assert 0 < len(before) < len(both), f"both sending before: {len(before)} of {len(both)}"
    assert len(after) >= 0.75 * RATE * 2, f"the whole budget after: {len(after)} in 2 s"
    assert busiest_second([c.at for c in calls]) <= RATE + BURST


def test_a_long_wait_for_a_slot_keeps_the_batch_leased(
    store: Store, clock: ManualClock
) -> None:
    """Waiting out a Retry-After another replica met, a dispatcher keeps its rows: their lease
    covers the wait, so no other replica takes and sends them meanwhile."""
    policy = parse_policy({"clinic": {"name": "Great Agency", "timezone": "America/New_York"},
                           "team": [{"slack_id": "U0ADMIN", "role": "admin", "first_name": "Lee"}]})
    with store.unit_of_work() as uow:
        row = uow.outbox.enqueue(NOTE_KIND, "U0ANA", clock.now(), {"n": 1})
        uow.commit()
    pace = LocalPace(10, time.monotonic)
    leased_until: list[datetime] = []
    with SlackStandIn() as slack:

        def look(call: ApiCall) -> None:
            with store.unit_of_work() as uow:
                leased_until.append(uow.outbox.get(row.id).lease_until)

        slack.on_call = look
        deps = Deps(store=store, policy=policy, clock=clock, bot_token="xoxb-test",
                    slack_api_url=slack.api_url, send_rate=10)
        lease = timedelta(seconds=4)
        dispatcher = Dispatcher(deps, kinds=KINDS, pace=pace, lease=lease,
                                per_channel_interval=0.0)
        # As a SharedPace refuses after another replica's 429: a wait longer than the lease,
        # started just before the batch is claimed. The margin allows up to 2 s of a loaded
        # machine between the two (the wait is on the wall clock).
        pace.rate_limited(5.0)
        report = dispatcher.drain()
    assert report.sent == 1
    assert leased_until[0] >= clock.now() + lease + timedelta(seconds=3)
