"""A request Slack signed runs once: replayed within its window, sent to another replica, or
retried by Slack with a new signature, it is answered and not run again (bot.gate)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from bot.sandbox.standin import sign
from tests.handlers.conftest import (
    SIGNING_SECRET,
    Bot,
    add_client,
    audit_count,
    maria,
    serving,
    wait_for,
)


@pytest.fixture
def replica(bot: Bot) -> Iterator[Bot]:
    """A second bot process on the same database: another replica behind the load balancer."""
    with serving(bot.deps, bot.slack) as second:
        yield second


def _cards_shown(bot: Bot, url: str, expected: int) -> list[dict]:
    """The cards posted to ``url`` once ``expected`` of them came (or a little after)."""
    wait_for(lambda: len(bot.slack.responses(url)) >= expected, timeout=5)
    time.sleep(0.3)  # a replay that ran would post its card by now
    return bot.slack.responses(url)


def test_a_replayed_command_is_answered_but_not_run_again(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    url = bot.slack.new_response_url()
    signed = bot.signer.slash_command("U0ANA", "C-1042", response_url=url)
    answers = [bot.post(signed) for _ in range(6)]
    assert [(a.status, a.body) for a in answers] == [(200, b"")] * 6
    (card,) = _cards_shown(bot, url, 1)
    assert card["text"] == "OK to call: C-1042"
    assert audit_count(bot.deps.store) == 1  # one look at Maria's details, not six


def test_the_same_command_signed_again_is_a_new_request(bot: Bot, clock) -> None:
    """What makes a repeat is the signature: typing the command twice shows two cards."""
    add_client(bot.deps.store, maria(clock), clock)
    url = bot.slack.new_response_url()
    for _ in range(2):
        assert bot.command("U0ANA", "C-1042", response_url=url).status == 200
    assert len(_cards_shown(bot, url, 2)) == 2


def test_a_replay_to_another_replica_is_not_run_again(bot: Bot, replica: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    url = bot.slack.new_response_url()
    signed = bot.signer.slash_command("U0ANA", "C-1042", response_url=url)
    assert bot.post(signed).status == 200
    assert replica.post(signed).status == 200
    assert replica.post(signed).body == b""
    assert len(_cards_shown(bot, url, 1)) == 1
    assert audit_count(bot.deps.store) == 1


def _home_opened(bot: Bot, event_id: str) -> bytes:
    return json.dumps({
        "token": "standin", "team_id": bot.slack.team_id, "api_app_id": "A0STANDIN",
        "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": "U0ANA", "channel": "D0ANA",
                  "tab": "home", "event_ts": f"{time.time():.6f}"},
    }).encode()


def _publishes(bot: Bot, expected: int) -> int:
    wait_for(lambda: len(bot.slack.calls_to("views.publish")) >= expected, timeout=5)
    time.sleep(0.3)
    return len(bot.slack.calls_to("views.publish"))


def test_slacks_retries_of_an_event_run_it_once(bot: Bot, replica: Bot, caplog) -> None:
    """Slack retries an event it got no answer to in 3 s, with a new timestamp and signature
    and ``X-Slack-Retry-Num``; the event id is the same."""
    caplog.set_level(logging.INFO, logger="contact_check.gate")
    body = _home_opened(bot, "Ev0RETRIED")
    json_type = {"Content-Type": "application/json"}
    first = int(time.time()) - 2
    assert bot.post((body, {**json_type, **sign(body, SIGNING_SECRET, first)})).status == 200
    for attempt, target in ((1, bot), (2, replica)):
        retry = {**json_type, **sign(body, SIGNING_SECRET, first + attempt),
                 "X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        answer = target.post((body, retry))
        assert (answer.status, answer.body) == (200, b"")
    assert _publishes(bot, 1) == 1
    retried = [r for r in caplog.records if "retry" in r.getMessage()]
    assert retried and all(r.levelno == logging.INFO for r in retried)
    other = _home_opened(bot, "Ev0ANOTHER")  # another event runs
    assert bot.post((other, {**json_type, **sign(other, SIGNING_SECRET)})).status == 200
    assert _publishes(bot, 2) == 2


def test_a_stalled_database_holds_no_ack_and_a_replay_is_still_refused(
        bot: Bot, stalled_database: threading.Event, caplog) -> None:
    """The replay claim waits at most a second for the database; meanwhile this replica
    remembers the request, so a replay to it is refused all the same."""
    caplog.set_level(logging.WARNING, logger="contact_check.gate")
    url = bot.slack.new_response_url()
    signed = bot.signer.slash_command("U0ANA", "C-1042", response_url=url)
    started = time.monotonic()
    answer = bot.post(signed)
    assert (answer.status, answer.body) == (200, b"")
    assert time.monotonic() - started < 2.5  # Slack waits 3 s
    assert bot.post(signed).body == b""
    assert any("waited" in r.getMessage() for r in caplog.records)
    stalled_database.set()
    assert len(_cards_shown(bot, url, 1)) == 1
