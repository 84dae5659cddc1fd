"""HTTP mode end to end: the real bot (`python -m bot serve`, a subprocess) behind its own port.

As a clinic's host runs it by default: no SLACK_APP_TOKEN, a signing secret, Slack's requests
signed and posted to ``/slack/events``, every Web API call and every response URL at the
stand-in. The answers that need the database come through the response URL after an empty ack.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sandbox.standin import SlackRequests, SlackStandIn, sign
from tests.handlers.conftest import Reply, http
from tests.policy_yaml import open_at_midday_policy
from tests.test_socket_mode import (
    ADMIN_LINE,
    CLIENTS,
    STARTUP_SECONDS,
    WAIT_SECONDS,
    RunningBot,
    clean_environment,
    eventually,
    free_port,
    run_cli,
    stop_bot,
)

SIGNING_SECRET = "http-mode-signing-secret-5b1e"


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


def serve_http(work: Path, slack: SlackStandIn, **env_changes: str) -> RunningBot:
    """Create the database, import the clients, then `python -m bot serve` in HTTP mode;
    returns once it is healthy."""
    env = clean_environment(work, slack)
    # The bot runs on the real clock: a clinic where it is midday now, so the card is an OK.
    Path(env["CONTACT_CHECK_POLICY"]).write_text(
        open_at_midday_policy(datetime.now(UTC)) + ADMIN_LINE, encoding="utf-8")
    del env["SLACK_APP_TOKEN"]  # HTTP mode, the default
    env.update(SLACK_SIGNING_SECRET=SIGNING_SECRET, **env_changes)
    clients = work / "clients.csv"
    clients.write_text(CLIENTS, encoding="utf-8")
    migrated = run_cli(["migrate"], env, work)  # only serve and migrate create a database
    assert migrated.returncode == 0, migrated.stderr
    imported = run_cli(["import", "clients", str(clients)], env, work)
    assert imported.returncode == 0, imported.stderr
    port = free_port()
    log = work / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                                   env=env, cwd=work, stdout=sink, stderr=subprocess.STDOUT)
    running = RunningBot(process, port, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not healthy(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_bot(running)
            pytest.fail(f"the bot did not serve (exit {process.returncode}):\n{running.output()}")
        time.sleep(0.1)
    return running


def healthy(port: int, host: str = "127.0.0.1") -> bool:
    try:
        return http("GET", f"http://{host}:{port}/healthz").status == 200
    except OSError:  # not listening (yet, or any more)
        return False


@pytest.fixture(scope="module")
def signer(slack: SlackStandIn) -> SlackRequests:
    """Signs as Slack does for the workspace the stand-in names in auth.test."""
    return SlackRequests(SIGNING_SECRET, team_id=slack.team_id)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, slack: SlackStandIn) -> Iterator[RunningBot]:
    running = serve_http(tmp_path_factory.mktemp("http-mode"), slack)
    yield running
    stop_bot(running)


def post(bot: RunningBot, signed: tuple[bytes, dict[str, str]]) -> Reply:
    body, headers = signed
    return http("POST", f"http://127.0.0.1:{bot.port}/slack/events", body, headers)


def test_the_card_follows_an_empty_ack_through_the_response_url(
        bot: RunningBot, slack: SlackStandIn, signer: SlackRequests) -> None:
    url = slack.new_response_url()
    answer = post(bot, signer.slash_command("U0ANA", "C-1042", response_url=url))
    assert answer.status == 200 and answer.body == b"", bot.output()
    (card,) = eventually(lambda: slack.responses(url), "the card", bot, WAIT_SECONDS)
    assert card["response_type"] == "ephemeral"
    assert card["text"] == "OK to call: C-1042"
    assert "Robin" in json.dumps(card)  # the clinician sees the name, in the ephemeral card only


def test_help_comes_back_in_the_ack(bot: RunningBot, signer: SlackRequests) -> None:
    answer = post(bot, signer.slash_command("U0ANA", "help"))
    assert answer.status == 200
    assert answer.json()["response_type"] == "ephemeral"
    assert "/contact-check" in json.dumps(answer.json())


def test_a_request_not_signed_with_the_secret_gets_401(
        bot: RunningBot, slack: SlackStandIn, signer: SlackRequests) -> None:
    url = slack.new_response_url()
    body, headers = signer.slash_command("U0ANA", "C-1042", response_url=url)
    assert post(bot, (body, {**headers, **sign(body, "not-the-secret")})).status == 401
    time.sleep(0.5)
    assert slack.responses(url) == []


def test_a_replayed_command_runs_once(bot: RunningBot, slack: SlackStandIn,
                                      signer: SlackRequests) -> None:
    url = slack.new_response_url()
    signed = signer.slash_command("U0ANA", "C-1042", response_url=url)
    assert [post(bot, signed).status for _ in range(5)] == [200] * 5
    eventually(lambda: slack.responses(url), "the card", bot, WAIT_SECONDS)
    time.sleep(1)  # four more cards would be posted by now
    assert len(slack.responses(url)) == 1, bot.output()


def test_another_workspace_is_told_so_and_shown_nothing(bot: RunningBot,
                                                        slack: SlackStandIn) -> None:
    elsewhere = SlackRequests(SIGNING_SECRET, team_id="T0ELSEWHERE")  # the same app's secret
    url = slack.new_response_url()
    answer = post(bot, elsewhere.slash_command("U0ANA", "C-1042", response_url=url))
    assert answer.status == 200, bot.output()
    assert answer.json()["response_type"] == "ephemeral"
    assert "serves the Slack workspace Stand-in only" in answer.json()["text"]
    assert "Robin" not in answer.body.decode()
    time.sleep(0.5)
    assert slack.responses(url) == []


def test_sigterm_stops_it_cleanly(tmp_path: Path, slack: SlackStandIn) -> None:
    running = serve_http(tmp_path, slack)
    running.process.terminate()
    assert running.process.wait(timeout=20) == 0, running.output()
    assert not healthy(running.port)


def _serve_once(work: Path, slack: SlackStandIn, port: int,
                **env_changes: str) -> subprocess.CompletedProcess[str]:
    env = clean_environment(work, slack)
    del env["SLACK_APP_TOKEN"]
    env.update(SLACK_SIGNING_SECRET=SIGNING_SECRET, **env_changes)
    return subprocess.run([sys.executable, "-m", "bot", "serve", "--port", str(port)], env=env,
                          cwd=work, capture_output=True, text=True, timeout=STARTUP_SECONDS,
                          check=False)


def test_a_port_in_use_is_an_answer_not_a_traceback(bot: RunningBot, slack: SlackStandIn,
                                                    tmp_path: Path) -> None:
    started = _serve_once(tmp_path, slack, bot.port)  # the module's bot holds that port
    assert started.returncode == 2
    assert f"cannot listen on 0.0.0.0:{bot.port}" in started.stderr
    assert "--port or PORT" in started.stderr and "Traceback" not in started.stderr


def test_slack_unreachable_at_start_is_an_answer_not_a_traceback(slack: SlackStandIn,
                                                                 tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    started = _serve_once(tmp_path, slack, free_port(), SLACK_API_URL=nowhere)
    assert started.returncode == 2
    assert f"cannot reach the Slack Web API at {nowhere}" in started.stderr
    assert "SLACK_API_URL" in started.stderr and "Traceback" not in started.stderr


def test_host_chooses_the_address_it_listens_on(bot: RunningBot, slack: SlackStandIn,
                                                tmp_path: Path) -> None:
    assert healthy(bot.port, host="127.0.0.2")  # the default, 0.0.0.0, answers on every address
    running = serve_http(tmp_path, slack, HOST="127.0.0.1")
    try:
        assert healthy(running.port)
        assert not healthy(running.port, host="127.0.0.2")
        assert f"HTTP on 127.0.0.1:{running.port}" in running.output()
    finally:
        stop_bot(running)


def test_a_host_that_is_not_this_machine_is_named(slack: SlackStandIn, tmp_path: Path) -> None:
    started = _serve_once(tmp_path, slack, free_port(), HOST="192.0.2.1")  # TEST-NET-1
    assert started.returncode == 2, started.stderr
    assert "HOST: cannot listen on 192.0.2.1:" in started.stderr
    assert "--host or HOST" in started.stderr and "Traceback" not in started.stderr


def test_slack_verifying_the_request_url_gets_its_challenge_back(bot: RunningBot) -> None:
    """Setting the Event Subscriptions Request URL (docs/deploying.md), Slack posts a signed
    url_verification with a challenge; the URL is accepted once the challenge comes back."""
    body = json.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "url_verification",
                       "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
                      ).encode()
    answer = post(bot, (body, {"Content-Type": "application/json",
                               **sign(body, SIGNING_SECRET)}))
    assert answer.status == 200, bot.output()
    assert b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer.body
