"""Socket Mode end to end: the real bot (`python -m bot serve`, a subprocess) against the stand-in.

The bot gets only an environment, as a clinic's host would give it: SLACK_APP_TOKEN selects
Socket Mode, SLACK_API_URL points every Web API call (apps.connections.open included) at the
stand-in, whose WebSocket pushes Slack's envelopes and records the bot's acks.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.csv_formats import CLIENT_COLUMNS
from bot.sandbox.standin import SlackStandIn, SocketAck
from bot.slack_ui import ids
from storage.crypto import generate_key
from tests.policy_yaml import POLICY_YAML

APP_TOKEN = "xapp-1-A0STANDIN-1234567890-5f1d2c3b4a"
BOT_TOKEN = "xoxb-1234567890-0987654321-standin"
# Lee the admin as well: help names the admin.
ADMIN_LINE = "  - {slack_id: U0ADMIN, role: admin, first_name: Lee}\n"
POLICY = POLICY_YAML + ADMIN_LINE
CLIENTS = f"""{",".join(CLIENT_COLUMNS)}
C-1042,U0ANA,Robin,yes,cell,(215) 555-0142,,,,,cell,yes,00:00,23:59,,,active
C-1043,U0ANA,Kim,no,,,,,,,,,,,,,active
"""
STARTUP_SECONDS = 60  # a cold interpreter, migrations, auth.test, the connection
WAIT_SECONDS = 30  # any one answer from the running bot (generous: CI machines are busy)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_environment(work: Path, slack: SlackStandIn) -> dict[str, str]:
    """The bot's environment: nothing inherited that could point it elsewhere (proxies, Slack)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CONTACT_CHECK_", "DATABASE_URL", "PORT"))
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    policy = work / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    env.update(
        CONTACT_CHECK_KEYS=generate_key(),
        CONTACT_CHECK_POLICY=str(policy),
        DATABASE_URL=f"sqlite:///{work / 'contact-check.db'}",
        SLACK_API_URL=slack.api_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        PYTHONUNBUFFERED="1",
    )
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class RunningBot:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def start_bot(env: dict[str, str], cwd: Path, slack: SlackStandIn, *,
              args: tuple[str, ...] = ()) -> RunningBot:
    """`python -m bot serve` in a subprocess; returns once its Socket Mode connection is open."""
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port),
                                    *args], env=env, cwd=cwd, stdout=sink,
                                   stderr=subprocess.STDOUT)
    bot = RunningBot(process, port, log)
    opened = len(slack.connections)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            slack.wait_connected(0.25, count=opened + 1)
            return bot
        except TimeoutError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_bot(bot)
                pytest.fail(f"the bot did not connect (exit {process.returncode}):\n"
                            f"{bot.output()}")


def stop_bot(bot: RunningBot) -> None:
    """SIGTERM, as a host stops it; killed if it does not stop in time."""
    if bot.process.poll() is None:
        bot.process.terminate()
        try:
            bot.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.process.kill()
            bot.process.wait(timeout=10)


def eventually(check: Callable[[], object], what: str, bot: RunningBot | None = None,
               timeout: float = WAIT_SECONDS) -> object:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``
    (with the bot's log, when given)."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout}s" + (f"\n{bot.output()}" if bot else ""))
        time.sleep(0.05)
    return result


def acked(slack: SlackStandIn, bot: RunningBot, envelope_id: str) -> SocketAck:
    """The bot's ack of an envelope; on a timeout the failure shows the bot's log."""
    try:
        return slack.wait_for_ack(envelope_id, timeout=WAIT_SECONDS)
    except TimeoutError as missing:
        alive = "running" if bot.process.poll() is None else f"exited {bot.process.returncode}"
        pytest.fail(f"{missing} (the bot is {alive}):\n{bot.output()}")


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.app_token = APP_TOKEN
        yield standin


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("socket-mode")


@pytest.fixture(scope="module")
def env(workdir: Path, slack: SlackStandIn) -> dict[str, str]:
    clients = workdir / "clients.csv"
    clients.write_text(CLIENTS, encoding="utf-8")
    env = clean_environment(workdir, slack)
    migrated = run_cli(["migrate"], env, workdir)  # only serve and migrate create a database
    assert migrated.returncode == 0, migrated.stderr
    imported = run_cli(["import", "clients", str(clients)], env, workdir)
    assert imported.returncode == 0, imported.stderr
    assert "imported 2 clients" in imported.stdout
    return env


@pytest.fixture(scope="module")
def bot(env: dict[str, str], workdir: Path, slack: SlackStandIn) -> Iterator[RunningBot]:
    running = start_bot(env, workdir, slack)  # no --socket: SLACK_APP_TOKEN selects it
    yield running
    stop_bot(running)


def command(slack: SlackStandIn, bot: RunningBot, user: str, text: str) -> dict:
    """Push `/contact-check text` and return its one ephemeral reply: the ack's payload when the
    answer comes from memory, else what reached the response_url after an empty ack."""
    response_url = slack.new_response_url()
    ack = acked(slack, bot, slack.push_slash_command(user, text, response_url=response_url))
    if ack.payload is not None:
        return ack.payload
    (reply,) = eventually(lambda: slack.responses(response_url), f"the reply to `{text}`", bot)
    return reply


def test_help_comes_back_in_the_ack(bot: RunningBot, slack: SlackStandIn) -> None:
    reply = command(slack, bot, "U0ANA", "help")
    assert reply["response_type"] == "ephemeral"
    assert "Contact Check" in reply["text"] + json.dumps(reply.get("blocks", []))
    shown = json.dumps(reply["blocks"])
    assert "/contact-check missed" in shown and "<@U0ADMIN>" in shown
    assert acked(slack, bot, slack.push_slash_command("U0ANA", "")).payload == reply  # no text



def test_card_verdicts_for_imported_clients(bot: RunningBot, slack: SlackStandIn) -> None:
    refused = command(slack, bot, "U0ANA", "C-1043")
    assert refused["response_type"] == "ephemeral"
    assert refused["text"].startswith("Do not call")
    consented = command(slack, bot, "U0ANA", "C-1042")
    assert consented["text"].startswith(("OK to call", "Not now"))  # which one: the hour
    unknown = command(slack, bot, "U0ANA", "C-9999")
    assert unknown["text"].startswith("No consent on file")
    bad = command(slack, bot, "U0ANA", "C 1042!")
    assert bad["response_type"] == "ephemeral" and "/contact-check" in json.dumps(bad)


def test_button_clicks_reach_the_web_api_through_the_stand_in(bot: RunningBot,
                                                             slack: SlackStandIn) -> None:
    opened = len(slack.calls_to("views.open"))
    click = slack.push_block_action("U0ANA", ids.CARD_RECORD_CONSENT, "C-1043",
                                    message={"ts": "1.000001"}, channel_id="C0GENERAL")
    ack = acked(slack, bot, click)
    assert ack.payload is None  # a bare ack; the modal goes through views.open
    assert ack.envelope["accepts_response_payload"] is False
    calls = eventually(lambda: slack.calls_to("views.open")[opened:], "views.open", bot)
    assert calls[0].status == 200 and calls[0].params["view"]["callback_id"] == ids.CONSENT_MODAL
    assert calls[0].params["trigger_id"] == ack.envelope["payload"]["trigger_id"]

    response_url = slack.new_response_url()
    shown = slack.push_block_action("U0ANA", ids.CARD_SHOW_DETAILS, "C-1043",
                                    message={"ts": "1.000002"}, channel_id="C0GENERAL",
                                    response_url=response_url)
    acked(slack, bot, shown)
    replies = eventually(lambda: slack.responses(response_url), "the card on the response_url",
                         bot)
    assert replies[0]["text"].startswith("Do not call")
    assert replies[0]["response_type"] == "ephemeral"


def test_events_arrive_over_the_socket(bot: RunningBot, slack: SlackStandIn) -> None:
    event = slack.push_event({"type": "app_home_opened", "user": "U0ANA", "tab": "home",
                              "channel": "D0ANA"})
    assert acked(slack, bot, event).payload is None
    home = eventually(lambda: slack.home("U0ANA"), "the App Home published", bot)
    assert home["type"] == "home"


def test_another_workspace_is_refused_over_the_socket_too(bot: RunningBot,
                                                          slack: SlackStandIn) -> None:
    before = len(slack.calls)
    url = slack.new_response_url()
    ack = acked(slack, bot, slack.push_slash_command("U0ANA", "C-1042", response_url=url,
                                                     team_id="T0ELSEWHERE"))
    assert ack.payload is not None and ack.payload["response_type"] == "ephemeral"
    assert "serves the Slack workspace Stand-in only" in ack.payload["text"]
    assert "Robin" not in json.dumps(ack.payload)
    click = slack.push_block_action("U0ANA", ids.CARD_SHOW_DETAILS, "C-1042",
                                    message={"ts": "1.000003"}, channel_id="C0GENERAL",
                                    response_url=url, team_id="T0ELSEWHERE")
    event = slack.push_event({"type": "app_home_opened", "user": "U0ANA", "tab": "home",
                              "channel": "D0ANA"}, team_id="T0ELSEWHERE")
    assert acked(slack, bot, click).payload is None and acked(slack, bot, event).payload is None
    time.sleep(1)  # the card or the Home would have gone out by now
    assert slack.responses(url) == []
    assert slack.calls[before:] == []


def test_every_web_api_call_went_to_slack_api_url(bot: RunningBot, slack: SlackStandIn) -> None:
    methods = {call.method for call in slack.calls}
    assert {"auth.test", "apps.connections.open", "views.open", "views.publish"} <= methods
    opened = slack.calls_to("apps.connections.open")
    assert opened and all(c.status == 200 and c.error is None for c in opened)
    assert opened[0].params["token"] == APP_TOKEN
    assert not [c for c in slack.calls if c.error == "not_authed"]


def test_healthz_still_answers_on_the_port(bot: RunningBot) -> None:
    def healthy() -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/healthz",
                                        timeout=5) as answer:
                return json.loads(answer.read())
        except OSError:
            return None

    assert eventually(healthy, "/healthz 200", bot)["status"] == "ok"


def test_slack_refreshing_the_connection_loses_nothing(bot: RunningBot,
                                                       slack: SlackStandIn) -> None:
    before = len(slack.connections)
    assert slack.disconnect("refresh_requested") == 1
    slack.wait_connected(WAIT_SECONDS, count=before + 1)
    response_url = slack.new_response_url()
    ack = acked(slack, bot, slack.push_slash_command("U0ANA", "C-1043", response_url=response_url))
    assert ack.connection == before + 1 and ack.payload is None  # acknowledged first
    (reply,) = eventually(lambda: slack.responses(response_url), "the card", bot)
    assert reply["text"].startswith("Do not call")
    assert len(slack.calls_to("apps.connections.open")) == before + 1
    eventually(lambda: not slack.connections[before - 1].is_open, "the old connection closed",
               bot)


def test_stopping_the_bot_closes_its_connection(env: dict[str, str], workdir: Path,
                                                slack: SlackStandIn) -> None:
    second = start_bot(env, workdir, slack, args=("--socket",))
    connection = slack.connections[-1]
    stop_bot(second)
    assert second.process.returncode == 0, second.output()
    eventually(lambda: not connection.is_open, "the connection closed on SIGTERM", second)


def test_socket_flag_without_app_token_exits_2_naming_it(env: dict[str, str],
                                                         workdir: Path) -> None:
    without = {k: v for k, v in env.items() if k != "SLACK_APP_TOKEN"}
    result = run_cli(["serve", "--socket"], without, workdir)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_refused_app_token_exits_2_naming_it(env: dict[str, str], workdir: Path,
                                             slack: SlackStandIn) -> None:
    before = len(slack.calls_to("apps.connections.open"))
    refused = {**env, "SLACK_APP_TOKEN": APP_TOKEN + "-revoked"}
    result = run_cli(["serve", "--port", str(free_port())], refused, workdir, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "SLACK_APP_TOKEN" in result.stderr and "invalid_auth" in result.stderr
    assert "Traceback" not in result.stderr and "-revoked" not in result.stderr
    assert len(slack.calls_to("apps.connections.open")) == before + 1  # asked the stand-in


def test_refused_bot_token_exits_2_naming_it(env: dict[str, str], workdir: Path,
                                            slack: SlackStandIn) -> None:
    slack.fail("auth.test", error="invalid_auth")
    result = run_cli(["serve", "--port", str(free_port())], env, workdir, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "SLACK_BOT_TOKEN" in result.stderr and "invalid_auth" in result.stderr
    assert "Traceback" not in result.stderr and BOT_TOKEN not in result.stderr
    assert slack.calls_to("auth.test")[-1].error == "invalid_auth"
