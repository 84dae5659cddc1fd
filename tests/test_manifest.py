"""manifest.yml: valid against Slack's official schema, and the same app the code registers."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from slack_bolt.request import BoltRequest

from bot.app import create_app
from bot.deps import Deps
from bot.grammar import COMMAND
from bot.sandbox.standin import TEAM_ID, SlackStandIn
from handlers.events import EVENT_HANDLERS
from storage.db import make_engine
from storage.uow import Store
from tests.handlers.conftest import contract_policy

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = Path("/work/shared/slack-fixtures/manifest-schema")
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# Web API method (as slack_sdk spells it) -> the bot scope it needs; None: needs none.
METHOD_SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "conversations_open": "im:write",
    "files_upload_v2": "files:write",  # the weekly digest's chart
    "conversations_history": "im:history",
    "users_info": "users:read",
    "views_open": None,
    "views_update": None,
    "views_push": None,
    "views_publish": None,
    "auth_test": None,
}
COMMAND_SCOPE = "commands"


def validator() -> Draft7Validator:
    schema = json.loads((SCHEMAS / "schemas/manifest.schema.1.0.0.json").read_text())
    return Draft7Validator(schema)


def test_manifest_is_valid_against_slacks_schema():
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator().iter_errors(
        MANIFEST)]
    assert errors == []


def test_the_schema_does_catch_slacks_invalid_example():
    invalid = json.loads((SCHEMAS / "examples/v1/manifest.invalid.json").read_text())
    valid = json.loads((SCHEMAS / "examples/v1/manifest.valid.json").read_text())
    assert list(validator().iter_errors(invalid))
    assert not list(validator().iter_errors(valid))


def test_http_mode_by_default_with_every_request_url_on_slack_events():
    settings = MANIFEST["settings"]
    assert settings["socket_mode_enabled"] is False
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [settings["interactivity"]["request_url"],
             settings["event_subscriptions"]["request_url"]]
    assert set(urls) == {"https://YOUR-HOST/slack/events"}
    assert settings["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


@pytest.fixture
def app(sqlite_url, keyring, clock):
    with SlackStandIn() as slack:
        deps = Deps(store=Store(make_engine(sqlite_url), keyring), policy=contract_policy(),
                    clock=clock, slack_api_url=slack.api_url)
        yield create_app(deps, signing_secret="unused-in-socket-mode", token="xoxb-test")


def _dispatch(app, body: dict) -> int:
    request = BoltRequest(body=json.dumps(body), mode="socket_mode",
                          headers={"content-type": ["application/json"]})
    return app.dispatch(request).status


def _command_body(command: str) -> dict:
    return {"command": command, "text": "help", "user_id": "U0ANA", "team_id": TEAM_ID,
            "channel_id": "C1", "response_url": "", "trigger_id": "1.1.x", "api_app_id": "A1"}


def _event_body(event_type: str) -> dict:
    return {"type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A1",
            "event": {"type": event_type, "user": "U0ANA", "tab": "home",
                      "event_ts": f"{time.time():.6f}"},
            "event_id": "Ev1", "event_time": int(time.time())}


def test_the_app_handles_exactly_the_manifests_commands(app):
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [COMMAND]
    assert _dispatch(app, _command_body(COMMAND)) == 200
    assert _dispatch(app, _command_body("/something-else")) == 404


def test_the_app_handles_exactly_the_manifests_events(app):
    declared = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert declared == set(EVENT_HANDLERS)
    for event_type in declared:
        assert _dispatch(app, _event_body(event_type)) == 200
    assert _dispatch(app, _event_body("reaction_added")) == 404


def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses():
    sources = [p for d in ("bot", "handlers") for p in (ROOT / d).rglob("*.py")
               if p.name != "standin.py"]
    called = set()
    for path in sources:
        called |= set(re.findall(r"\bclient\.(\w+)\(", path.read_text()))
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {unknown} to METHOD_SCOPES and the manifest"
    needed = {METHOD_SCOPES[m] for m in called} - {None} | {COMMAND_SCOPE}
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed
