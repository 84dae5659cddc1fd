"""One workspace: the one auth.test names at start. A request Slack signed for any other workspace
the app is installed in is refused: commands are told so, anything else is ignored; nothing is
read, written or sent. And the error handler answers admitted requests only."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import BoltContext

from bot.sandbox.standin import SlackRequests, SlackStandIn, sign
from bot.slack_ui import ids
from bot.slack_ui.runin_modal import BLOCKS
from handlers.errors import on_error
from handlers.workspace import ADMITTED, Workspace
from tests.handlers.conftest import (
    SIGNING_SECRET,
    Bot,
    add_client,
    audit_count,
    maria,
    serving,
    wait_for,
)

ELSEWHERE = "T0ELSEWHERE"


def _nothing_happened(bot: Bot, url: str | None = None) -> None:
    time.sleep(0.3)  # work after an ack would have happened by now
    assert [c.method for c in bot.slack.calls] == ["auth.test"]
    assert audit_count(bot.deps.store) == 0
    if url is not None:
        assert bot.slack.responses(url) == []


@pytest.fixture
def elsewhere() -> SlackRequests:
    """The same app, installed in another workspace: Slack signs its requests with the same
    signing secret."""
    return SlackRequests(SIGNING_SECRET, team_id=ELSEWHERE)


def test_a_command_from_another_workspace_is_told_whom_the_bot_serves(bot: Bot, elsewhere,
                                                                      clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    url = bot.slack.new_response_url()
    answer = bot.post(elsewhere.slash_command("U0ANA", "C-1042", response_url=url))
    assert answer.status == 200
    reply = answer.json()
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == (":lock: Contact Check serves the Slack workspace Stand-in only. "
                             "Nothing was looked up or changed.")
    assert "Maria" not in answer.body.decode()
    _nothing_happened(bot, url)


def test_a_click_a_submission_and_an_event_from_another_workspace_do_nothing(
        bot: Bot, elsewhere, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    url = bot.slack.new_response_url()
    click = bot.post(elsewhere.block_action("U0ANA", ids.CARD_SHOW_DETAILS, "C-1042",
                                            message={"ts": "1.1"}, channel_id="D0ANA",
                                            response_url=url))
    view = {"type": "modal", "id": "V0RUNIN", "callback_id": ids.RUNIN_MODAL,
            "private_metadata": json.dumps({"client_code": "C-1042"})}
    submitted = bot.post(elsewhere.view_submission("U0ANA", view, {
        BLOCKS["place"]: {"value": {"type": "plain_text_input", "value": "park"}}}))
    event = json.dumps({"type": "event_callback", "team_id": ELSEWHERE, "event_id": "Ev0X",
                        "event": {"type": "app_home_opened", "user": "U0ANA",
                                  "tab": "home"}}).encode()
    opened = bot.post((event, {"Content-Type": "application/json",
                               **sign(event, SIGNING_SECRET)}))
    assert [(a.status, a.body) for a in (click, submitted, opened)] == [(200, b"")] * 3
    _nothing_happened(bot, url)


def test_the_same_requests_from_the_workspace_served_do_run(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    url = bot.slack.new_response_url()
    assert bot.post(bot.signer.block_action("U0ANA", ids.CARD_SHOW_DETAILS, "C-1042",
                                            message={"ts": "1.1"}, channel_id="D0ANA",
                                            response_url=url)).status == 200
    assert wait_for(lambda: bot.slack.responses(url))
    assert audit_count(bot.deps.store) == 1


@pytest.fixture
def clinic_bot(deps) -> Iterator[Bot]:
    """The bot installed in workspace T0CLINIC of the Enterprise Grid org E0HEALTH."""
    with SlackStandIn(team_id="T0CLINIC", team_name="Great Agency",
                      enterprise_id="E0HEALTH") as slack:
        deps.slack_api_url = slack.api_url
        with serving(deps, slack) as running:
            yield running


def _command_in(bot: Bot, team_id: str, enterprise_id: str | None) -> dict[str, Any]:
    body, headers = SlackRequests(SIGNING_SECRET, team_id=team_id).slash_command("U0ANA", "help")
    if enterprise_id is not None:
        body += f"&enterprise_id={enterprise_id}".encode()
    return bot.post((body, {**headers, **sign(body, SIGNING_SECRET)})).json()


def test_the_workspace_is_the_one_auth_test_names(clinic_bot: Bot) -> None:
    assert [c.method for c in clinic_bot.slack.calls] == ["auth.test"]  # once, at start
    assert "Contact Check help" in _command_in(clinic_bot, "T0CLINIC", "E0HEALTH")["text"]
    assert "Contact Check help" in _command_in(clinic_bot, "T0CLINIC", None)["text"]
    for team, org in (("T0STANDIN", None), ("T0CLINIC", "E0OTHER"), ("T0SISTER", "E0HEALTH")):
        refused = _command_in(clinic_bot, team, org)["text"]
        assert refused.startswith(":lock: Contact Check serves the Slack workspace Great Agency")


@pytest.mark.parametrize(("served", "team", "org", "serves"), [
    (Workspace("T1"), "T1", None, True),
    (Workspace("T1"), "T2", None, False),
    (Workspace("T1"), None, None, False),
    (Workspace("T1"), "T1", "E9", False),  # a workspace outside Grid is in no org
    (Workspace("T1", "E1"), "T1", "E1", True),
    (Workspace("T1", "E1"), "T1", None, True),
    (Workspace("T1", "E1"), "T1", "E2", False),
    (Workspace("T1", "E1"), "T2", "E1", False),  # another workspace of the same org
    (Workspace(None, "E1", enterprise_install=True), "T2", "E1", True),  # org-wide install
    (Workspace(None, "E1", enterprise_install=True), None, "E1", True),
    (Workspace(None, "E1", enterprise_install=True), "T2", "E2", False),
    (Workspace(None, "E1", enterprise_install=True), "T2", None, False),
])
def test_which_requests_a_workspace_serves(served, team, org, serves):
    assert served.serves(team, org) is serves


def test_the_workspace_is_read_from_auth_test():
    assert Workspace.from_auth_test({"ok": True, "team_id": "T1", "team": "Great Agency",
                                     "enterprise_id": "E1", "is_enterprise_install": False}) == (
        Workspace("T1", "E1", "Great Agency", False))
    assert Workspace.from_auth_test({"ok": True, "team_id": "T1"}).name == "T1"


# --- the error handler ----------------------------------------------------------------------


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.response = None

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.mark.parametrize("context", [None, BoltContext()])
def test_the_error_handler_never_answers_a_request_that_was_not_admitted(context) -> None:
    """Whatever failed before Bolt verified a request and its workspace was checked, the
    response_url its body names is not posted to, and nothing is acknowledged with an apology."""
    ack, respond = _Recorder(), _Recorder()
    body = {"type": "block_actions", "response_url": "https://attacker.example/hook",
            "actions": [{"action_id": "x"}]}
    answer = on_error(RuntimeError("boom"), body, ack, respond, context)
    assert answer is not None and answer.status == 500 and answer.body == ""
    assert ack.calls == [] and respond.calls == []


def test_the_error_handler_answers_an_admitted_request() -> None:
    ack, respond = _Recorder(), _Recorder()
    context = BoltContext()
    context[ADMITTED] = True
    body = {"type": "block_actions", "response_url": "https://hooks.slack.com/x"}
    assert on_error(RuntimeError("boom"), body, ack, respond, context) is None
    assert ack.calls == [{}] and "something went wrong" in respond.calls[0]["text"]


def test_a_click_that_fails_is_answered_through_its_response_url(bot: Bot, monkeypatch,
                                                                 clock) -> None:
    from handlers import actions

    def explode(ctx: Any) -> None:
        ctx.ack()
        raise RuntimeError("Maria")

    monkeypatch.setitem(actions.ACTION_HANDLERS, ids.CARD_SHOW_DETAILS, explode)
    with serving(bot.deps, bot.slack) as failing:  # an app built with the failing handler
        url = bot.slack.new_response_url()
        assert failing.post(failing.signer.block_action(
            "U0ANA", ids.CARD_SHOW_DETAILS, "C-1042", message={"ts": "1.1"},
            channel_id="D0ANA", response_url=url)).status == 200
        (apology,) = wait_for(lambda: bot.slack.responses(url))
        assert "something went wrong" in apology["text"]
