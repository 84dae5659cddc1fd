"""The dispatcher against the Slack stand-in, on SQLite and PostgreSQL.

Restarts with overdue rows, kill -9 mid-send in a subprocess, two dispatcher processes, 429 and
5xx storms, permanent errors, the send-time re-check, late marking, reconciliation.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import ManualClock, SystemClock
from bot.deps import Deps
from bot.dispatcher import METADATA_EVENT, Dispatcher
from bot.outbox_kinds import OutboxKind
from bot.policy_file.validation import parse_policy
from bot.sandbox.standin import SlackStandIn
from bot.services.deliveries import DELIVERY_FAILED
from bot.slack_ui.outbox import Rendered
from storage.audit import verify_chain
from storage.tables import AuditEvent
from storage.uow import Store
from tests.dispatcher_process import KINDS, NOTE_KIND

ROOT = Path(__file__).resolve().parents[1]
WANTED_KIND = "test_wanted"
_unwanted: set[str] = set()


def _still_wanted(uow, row, now):
    return "the test said so" if row.payload.get("n") in _unwanted else None


TEST_KINDS = {**KINDS, WANTED_KIND: OutboxKind(
    WANTED_KIND, _still_wanted, lambda uow, policy, row, now: row.payload,
    lambda payload, policy: Rendered(text=f"wanted {payload['n']}"))}


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


POLICY = parse_policy({
    "clinic": {"name": "Great Agency", "timezone": "America/New_York",
               "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}},
    "team": [
        {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
        {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
        {"slack_id": "U0ADMIN", "role": "admin", "first_name": "Lee"},
    ],
})


@pytest.fixture
def policy():
    return POLICY


@pytest.fixture
def deps(store: Store, policy, clock: ManualClock, slack: SlackStandIn) -> Deps:
    return Deps(store=store, policy=policy, clock=clock, bot_token="xoxb-test",
                slack_api_url=slack.api_url, send_rate=100)


def make(deps: Deps, **kw) -> Dispatcher:
    kw.setdefault("per_channel_interval", 0.0)
    kw.setdefault("kinds", TEST_KINDS)
    return Dispatcher(deps, **kw)


def enqueue(store: Store, due: datetime, n: int, *, kind: str = NOTE_KIND, priority: int = 5,
            recipients: int = 5, start: int = 0) -> list[uuid.UUID]:
    ids = []
    with store.unit_of_work() as uow:
        for i in range(start, start + n):
            row = uow.outbox.enqueue(kind, f"U{i % recipients:04d}", due, {"n": i},
                                     priority=priority)
            ids.append(row.id)
        uow.commit()
    return ids


def posted(slack: SlackStandIn) -> list[str]:
    """Outbox ids of every message Slack accepted, in order (duplicates kept)."""
    ids = []
    for call in slack.calls_to("chat.postMessage"):
        if call.status == 200 and call.error is None:
            meta = call.params.get("metadata") or {}
            assert meta.get("event_type") == METADATA_EVENT
            ids.append(meta["event_payload"]["outbox_id"])
    return ids


def statuses(store: Store) -> dict[str, int]:
    with store.unit_of_work() as uow:
        return uow.outbox.count_by_status()


def test_sends_what_is_due_tagged_with_its_id_and_records_it(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    due = enqueue(store, clock.now() - timedelta(seconds=5), 3)
    later = enqueue(store, clock.now() + timedelta(minutes=1), 1, start=3)
    report = make(deps).drain()
    assert report.sent == 3
    assert sorted(posted(slack)) == sorted(str(i) for i in due)
    with store.unit_of_work() as uow:
        row = uow.outbox.get(due[0])
        assert row.status == "sent" and row.ts and row.channel.startswith("D")
        assert row.sent_at == clock.now()
        assert uow.outbox.get(later[0]).status == "pending"
    clock.advance(timedelta(minutes=1))
    assert make(deps).drain().sent == 1


def test_restart_with_overdue_rows_sends_them_soon_after_start_marked_late(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    overdue = enqueue(store, clock.now() - timedelta(hours=2), 20)
    started = time.monotonic()
    dispatcher = make(deps).start()  # start() wakes it once: no scheduler needed for the first run
    try:
        deadline = started + 30
        while len(posted(slack)) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
    finally:
        dispatcher.stop()
    assert sorted(posted(slack)) == sorted(str(i) for i in overdue)
    assert elapsed < 30
    texts = [c.params["text"] for c in slack.calls_to("chat.postMessage")]
    assert all(t.startswith("[Late] note") for t in texts)
    first_block = slack.calls_to("chat.postMessage")[0].params["blocks"][0]
    assert "Sent late" in first_block["elements"][0]["text"]
    assert "2 h late" in first_block["elements"][0]["text"]


def test_a_message_on_time_is_not_marked_late(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    enqueue(store, clock.now() - timedelta(minutes=1), 1)
    make(deps).drain()
    assert slack.calls_to("chat.postMessage")[0].params["text"] == "note 0"


def test_chases_go_before_bulk_reminders(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    enqueue(store, clock.now() - timedelta(minutes=5), 30, priority=5)
    [chase] = enqueue(store, clock.now(), 1, priority=1, start=30)
    make(deps, batch=10).drain()
    assert posted(slack)[0] == str(chase)
    assert len(posted(slack)) == 31


def test_the_send_time_recheck_cancels_without_sending(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    _unwanted.add(1)
    try:
        ids = enqueue(store, clock.now(), 3, kind=WANTED_KIND)
        report = make(deps).drain()
    finally:
        _unwanted.discard(1)
    assert report.sent == 2 and report.cancelled == 1
    assert str(ids[1]) not in posted(slack)
    with store.unit_of_work() as uow:
        row = uow.outbox.get(ids[1])
        assert row.status == "cancelled" and "the test said so" in row.last_error


def test_429_storm_nothing_sent_inside_retry_after_nothing_lost(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    ids = enqueue(store, clock.now(), 12)
    slack.fail("chat.postMessage", status=429, times=3, retry_after=1)
    report = make(deps).drain()
    assert report.rate_limited == 3 and report.sent == 12
    assert Counter(posted(slack)) == Counter(str(i) for i in ids)
    calls = slack.calls
    for i, call in enumerate(calls):
        if call.status == 429:
            after = [c for c in calls[i + 1:]]
            assert after, "the message was retried"
            assert after[0].at - call.at >= 1.0, "a call was made inside Retry-After"


def test_rolling_rate_limit_beyond_capacity_loses_and_doubles_nothing(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    slack.rate_limit_per_second = 20
    ids = enqueue(store, clock.now(), 60, recipients=30)
    report = make(deps).drain()  # paced at 100/s: Slack pushes back
    assert report.rate_limited >= 1
    assert Counter(posted(slack)) == Counter(str(i) for i in ids)
    calls = slack.calls
    for i, call in enumerate(calls):
        if call.status == 429 and i + 1 < len(calls):
            assert calls[i + 1].at - call.at >= 1.0


def test_5xx_storm_retries_with_backoff_and_delivers_each_once(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    ids = enqueue(store, clock.now(), 5)
    slack.fail("chat.postMessage", status=503, times=8)
    dispatcher = make(deps)
    first = dispatcher.drain()
    assert first.retried == 5 and first.sent == 0
    with store.unit_of_work() as uow:
        row = uow.outbox.get(ids[0])
        assert row.status == "pending" and row.available_at > clock.now()
        assert row.attempted_at is not None  # outcome unknown: reconcile before resending
    for _ in range(6):
        clock.advance(timedelta(minutes=5))
        dispatcher.drain()
    assert Counter(posted(slack)) == Counter(str(i) for i in ids)
    assert statuses(store) == {"sent": 5}
    assert slack.calls_to("conversations.history"), "retries after a 5xx reconcile first"


def test_connection_errors_are_retried(
    deps: Deps, store: Store, clock: ManualClock, policy
) -> None:
    with SlackStandIn() as slack:
        dead_url = slack.api_url
    ids = enqueue(store, clock.now(), 2)
    down = Deps(store=store, policy=policy, clock=clock, slack_api_url=dead_url, send_rate=100,
                bot_token="xoxb-test")
    report = make(down, timeout=2).drain()
    assert report.retried == 2
    with SlackStandIn() as slack:
        up = Deps(store=store, policy=policy, clock=clock, slack_api_url=slack.api_url,
                  send_rate=100, bot_token="xoxb-test")
        clock.advance(timedelta(minutes=1))
        make(up).drain()
        assert Counter(posted(slack)) == Counter(str(i) for i in ids)


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive", "missing_scope",
                                   "channel_not_found"])
def test_permanent_errors_stop_are_recorded_and_reported_to_the_admin(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock, error: str
) -> None:
    with store.unit_of_work() as uow:
        bad = uow.outbox.enqueue(NOTE_KIND, "U0GONE", clock.now(), {"n": 1,
                                                                    "client_code": "C-1042"})
        uow.commit()
    slack.fail("chat.postMessage", error=error)
    report = make(deps).drain()
    assert report.failed == 1 and report.sent == 1  # the report to the admin
    with store.unit_of_work() as uow:
        row = uow.outbox.get(bad.id)
        assert row.status == "failed" and row.last_error == error
        events = uow.session.exec(
            select(AuditEvent).where(AuditEvent.action == "outbox.failed")).all()
        assert [e.details["error"] for e in events] == [error]
        assert verify_chain(uow.session).ok
    [note] = slack.messages(slack.dm_channel("U0ADMIN"))
    assert error in note["text"] and "C-1042" in note["text"]
    assert note["metadata"]["event_payload"]["kind"] == DELIVERY_FAILED
    # never retried
    clock.advance(timedelta(hours=1))
    make(deps).drain()
    assert len([c for c in slack.calls_to("chat.postMessage")
                if c.params["channel"] == "U0GONE"]) == 1


def test_one_message_a_second_per_dm(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    enqueue(store, clock.now(), 3, recipients=1)
    enqueue(store, clock.now(), 4, recipients=4, start=3)
    make(deps, per_channel_interval=1.0).drain()
    by_channel: dict[str, list[float]] = {}
    for call in slack.calls_to("chat.postMessage"):
        by_channel.setdefault(call.params["channel"], []).append(call.at)
    for times in by_channel.values():
        assert all(b - a >= 0.95 for a, b in pairwise(times))
    # other DMs were not held up behind the busy one
    assert by_channel["U0001"][0] - by_channel["U0000"][0] < 0.5


def test_overall_pace_follows_send_rate(
    store: Store, slack: SlackStandIn, clock: ManualClock, policy
) -> None:
    paced = Deps(store=store, policy=policy, clock=clock, slack_api_url=slack.api_url,
                 send_rate=10, bot_token="xoxb-test")
    enqueue(store, clock.now(), 11, recipients=11)
    make(paced).drain()
    times = [c.at for c in slack.calls_to("chat.postMessage")]
    assert times[-1] - times[0] >= 0.95  # 11 messages at 10/s: at least 1 s
    for i in range(len(times) - 10):
        assert times[i + 10] - times[i] >= 0.95


def test_a_crashed_attempt_already_in_slack_is_recorded_not_resent(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock
) -> None:
    sent_before, never_sent = enqueue(store, clock.now(), 2)
    with store.unit_of_work() as uow:  # a dispatcher that then died
        uow.outbox.claim("dead", clock.now(), 10, timedelta(seconds=60))
        uow.commit()
    from slack_sdk import WebClient

    WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(
        channel="U0000", text="note 0",
        metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": str(sent_before)}},
    )
    assert make(deps).drain().sent == 0  # still leased
    clock.advance(timedelta(seconds=61))
    report = make(deps).drain()
    assert report.reconciled == 1 and report.sent == 1
    assert Counter(posted(slack)) == Counter([str(sent_before), str(never_sent)])
    with store.unit_of_work() as uow:
        assert uow.outbox.get(sent_before).status == "sent"
        assert uow.outbox.get(sent_before).ts == slack.messages(slack.dm_channel("U0000"))[0]["ts"]


def test_healthy_while_running(deps: Deps) -> None:
    dispatcher = make(deps)
    assert not dispatcher.healthy()
    dispatcher.start()
    try:
        assert dispatcher.healthy()
    finally:
        dispatcher.stop()
    assert not dispatcher.healthy()


def test_stop_hands_back_unsent_rows(
    deps: Deps, store: Store, slack: SlackStandIn, clock: ManualClock, policy
) -> None:
    slow = Deps(store=store, policy=policy, clock=clock, slack_api_url=slack.api_url,
                send_rate=5, bot_token="xoxb-test")
    enqueue(store, clock.now(), 10, recipients=10)
    dispatcher = make(slow, batch=10)
    seen = threading.Event()
    slack.on_call = lambda call: seen.set()
    dispatcher.start()
    assert seen.wait(10)
    dispatcher.stop()
    counts = statuses(store)
    assert counts.get("sending", 0) == 0
    assert counts["sent"] + counts["pending"] == 10
    slack.on_call = None
    make(deps).drain()
    assert Counter(posted(slack)).most_common(1)[0][1] == 1
    assert statuses(store) == {"sent": 10}


# --- separate processes ---------------------------------------------------------------------------


def _worker(database_url: str, api_url: str, key: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CONTACT_CHECK_KEYS": key, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.dispatcher_process", database_url, api_url, *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


class _ShiftedClock:
    """System clock moved forward: a restarted dispatcher finds the dead one's leases expired."""

    def __init__(self, shift: timedelta):
        self.shift = shift

    def now(self) -> datetime:
        return SystemClock().now() + self.shift


@pytest.mark.parametrize("kill_after", [7, 23])
def test_kill_9_mid_dispatch_loses_nothing_and_doubles_nothing(
    database_url: str, store: Store, key: str, policy, kill_after: int
) -> None:
    ids = enqueue(store, datetime.now(UTC) - timedelta(seconds=1), 40, recipients=8)
    with SlackStandIn() as slack:
        killed = threading.Event()
        holder: dict[str, subprocess.Popen[str]] = {}
        count = [0]

        def kill_mid_send(call) -> None:
            # Runs after Slack stored the message and before the answer reaches the worker:
            # the worst moment, between Slack's answer and the worker recording it.
            if call.method == "chat.postMessage" and call.status == 200:
                count[0] += 1
                if count[0] == kill_after and not killed.is_set():
                    os.kill(holder["p"].pid, signal.SIGKILL)
                    killed.set()

        slack.on_call = kill_mid_send
        holder["p"] = _worker(database_url, slack.api_url, key, "--lease", "30", "--idle", "30")
        assert holder["p"].wait(60) == -signal.SIGKILL
        assert killed.is_set()
        slack.on_call = None
        before = Counter(posted(slack))
        assert sum(before.values()) == kill_after
        counts = statuses(store)
        assert counts.get("sending", 0) >= 1  # the dead worker's claim is still leased

        restarted = Deps(store=store, policy=policy, clock=_ShiftedClock(timedelta(minutes=2)),
                         slack_api_url=slack.api_url, send_rate=100, bot_token="xoxb-test")
        report = make(restarted).drain()
        after = Counter(posted(slack))
    assert set(after) == {str(i) for i in ids}, "0 lost"
    duplicates = sum(n - 1 for n in after.values())
    assert duplicates == 0, f"{duplicates} duplicates"
    assert report.reconciled >= 1
    assert statuses(store) == {"sent": 40}


@pytest.mark.postgres
def test_two_dispatcher_processes_send_each_message_exactly_once(
    database_url: str, store: Store, key: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two replicas share a PostgreSQL database (SQLite runs one dispatcher)")
    ids = enqueue(store, datetime.now(UTC) - timedelta(seconds=1), 300, recipients=60)
    with SlackStandIn() as slack:
        workers = [_worker(database_url, slack.api_url, key, "--rate", "200", "--idle", "1")
                   for _ in range(2)]
        for worker in workers:
            _out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
        sent = Counter(posted(slack))
        owners = Counter(c.params["channel"] for c in slack.calls_to("chat.postMessage"))
    assert sent == Counter(str(i) for i in ids)
    assert len(owners) == 60
    assert statuses(store) == {"sent": 300}
