"""``/metrics`` and the request log lines: the figures a clinic's admin watches, and never a
private value (the canaries of the privacy tests) in a label, a line or anywhere else."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError

from bot import logs
from bot.metrics import METRICS_PATH, ObservedWebClient
from tests.handlers.conftest import TOKEN, Bot, http, send_due, wait_for
from tests.storage.seeding import canary, client_record


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure(logging.INFO, stream=stream, fmt="json")
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_metrics_count_what_happened_and_hold_no_private_value(bot: Bot, clock,
                                                              json_log) -> None:
    record, values = client_record("C-1042")
    with bot.deps.store.unit_of_work() as uow:
        uow.clients.save(record, now=clock.now())
        uow.commit()
    typed = canary("typed")
    bot.ask("U0ANA", "C-1042")  # a card
    bot.ask("U0ANA", f"missed {typed}!")  # bad input, with text a person typed
    wait_for(lambda: bot.command("U0DESK", "missed C-1042 voicemail").status == 200)
    bot.ask("U0ANA", "coaching C-1042")
    bot.ask("U0NOBODY", "C-1042")  # not on the team
    send_due(bot)

    answer = http("GET", bot.url + METRICS_PATH)
    assert answer.status == 200
    text = answer.body.decode()
    for secret in [*values.values(), typed, "C-1042", "c-1042"]:
        assert secret not in text, secret
    assert 'contact_check_requests_total{kind="command:card",outcome="ok"}' in text
    assert 'contact_check_requests_total{kind="command",outcome="bad_input"}' in text
    assert 'contact_check_requests_total{kind="command",outcome="refused"}' in text
    assert 'contact_check_ack_seconds_bucket{kind="command:card",le="3.0"}' in text
    assert "contact_check_card_seconds_count" in text
    assert 'contact_check_approvals_pending{kind="phone_coaching"} 1.0' in text
    assert "contact_check_outbox_depth{" in text
    assert "contact_check_send_lateness_seconds_bucket{" in text

    lines = [line for line in _lines(json_log) if line["logger"] == "contact_check.requests"]
    card = next(line for line in lines if line["kind"] == "command:card")
    assert card["outcome"] == "ok" and card["latency_ms"] > 0
    assert card["ids"]["user"] == "U0ANA"
    logged = json_log.getvalue()
    for secret in [*values.values(), typed]:
        assert secret not in logged, secret


def test_slack_api_errors_are_logged_with_method_and_code(bot: Bot, json_log) -> None:
    client = ObservedWebClient(token=TOKEN, base_url=bot.slack.api_url)
    bot.slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="U0ANA", text=canary("text"))
    bot.slack.fail("chat.postMessage", status=429)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="U0ANA", text="x")
    errors = [line for line in _lines(json_log) if line["logger"] == "contact_check.slack"]
    assert [(e["slack_method"], e["slack_error"]) for e in errors] == [
        ("chat.postMessage", "channel_not_found"), ("chat.postMessage", "ratelimited")]
    assert "canary" not in json_log.getvalue()
    text = http("GET", bot.url + METRICS_PATH).body.decode()
    assert 'contact_check_slack_rate_limited_total{method="chat.postMessage"}' in text
    assert ('contact_check_slack_api_errors_total{error="channel_not_found",'
            'method="chat.postMessage"}') in text


def test_json_lines_and_no_alembic_noise(json_log) -> None:
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    logging.getLogger("alembic.runtime.migration").info("Will assume non-transactional DDL.")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0005 -> 0006")
    try:
        raise ValueError(canary("in-an-error"))
    except ValueError:
        logging.getLogger("bot.x").exception("failed for outbox %s", "row-1")
    lines = _lines(json_log)
    assert [line["message"] for line in lines] == ["Running upgrade 0005 -> 0006",
                                                   "failed for outbox row-1"]
    assert "ValueError (message withheld)" in lines[1]["error"]
    assert "in-an-error" not in json_log.getvalue()
