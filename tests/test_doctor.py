"""``python -m bot doctor`` against the Slack stand-in: one ✔/✘ line a check, exit 0 or 2."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.ops.doctor import CHECKS, Finding, Probe, run_checks
from bot.ops.manifest import bot_scopes
from bot.runtime import build_deps
from bot.sandbox.standin import SlackStandIn
from bot.services import imports
from storage.crypto import generate_key
from tests.handlers.test_imports import clients_csv
from tests.policy_yaml import POLICY_YAML
from tests.storage.rows import silence_imports

TOKEN = "xoxb-doctor-1"
PEOPLE = {"U0JAMIE": {"name": "jamie"}, "U0ANA": {"name": "ana"}}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users=PEOPLE) as standin:
        standin.bot_token = TOKEN
        yield standin


@pytest.fixture
def env(tmp_path: Path, slack: SlackStandIn) -> dict[str, str]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_YAML, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLACK_", "CONTACT_CHECK_", "DATABASE_URL", "PORT", "LOG_"))}
    clean.update(CONTACT_CHECK_KEYS=generate_key(), CONTACT_CHECK_POLICY=str(policy),
                 DATABASE_URL=f"sqlite:///{tmp_path / 'cc.db'}", SLACK_BOT_TOKEN=TOKEN,
                 SLACK_SIGNING_SECRET="a-signing-secret", SLACK_API_URL=slack.api_url)
    return clean


@pytest.fixture
def served(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The database as `serve` leaves it: migrated, keys registered, team recorded."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    build_deps(load_settings()).store.engine.dispose()
    return env


def doctor(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "doctor"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    found = {}
    for line in result.stdout.splitlines():
        mark, rest = line.split(" ", 1)
        name, says = rest.split(": ", 1)
        found[name] = f"{mark} {says}"
    return found


def test_all_checks_pass_against_the_standin(served: dict[str, str], tmp_path: Path) -> None:
    result = doctor(served, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    found = lines(result)
    assert list(found) == ["settings", "database", "keys", "policy", "Slack", "scopes", "team",
                           "calendars", "imports"]
    assert found["imports"] == "✔ no import is half-written"
    assert all(v.startswith("✔") for v in found.values()), result.stdout
    assert "T0STANDIN" in found["Slack"]
    assert "users:read" in found["scopes"]


def test_a_wrong_token_is_a_cross_with_the_fix(served: dict[str, str], tmp_path: Path) -> None:
    result = doctor({**served, "SLACK_BOT_TOKEN": "xoxb-revoked-2"}, tmp_path)
    assert result.returncode == 2
    found = lines(result)
    assert found["Slack"].startswith("✘ Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth)")
    assert "OAuth & Permissions" in found["Slack"]
    assert found["scopes"].startswith("✘ not checked until Slack accepts the token")
    assert found["database"].startswith("✔") and found["policy"].startswith("✔")


def test_a_missing_scope_is_named(served: dict[str, str], slack: SlackStandIn,
                                  tmp_path: Path) -> None:
    slack.scopes = tuple(s for s in bot_scopes() if s != "im:history")
    result = doctor(served, tmp_path)
    assert result.returncode == 2
    found = lines(result)
    assert found["scopes"].startswith("✘ the token lacks im:history;")
    assert "reinstall" in found["scopes"]
    assert found["Slack"].startswith("✔")


def test_without_users_read_the_team_cannot_be_checked(served: dict[str, str],
                                                       slack: SlackStandIn,
                                                       tmp_path: Path) -> None:
    slack.scopes = tuple(s for s in bot_scopes() if s != "users:read")
    found = lines(doctor(served, tmp_path))
    assert found["team"].startswith("✘ the token lacks users:read")


def test_team_members_not_in_the_workspace_are_named(served: dict[str, str],
                                                     slack: SlackStandIn,
                                                     tmp_path: Path) -> None:
    del slack.users["U0ANA"]
    slack.users["U0JAMIE"]["deleted"] = True
    result = doctor(served, tmp_path)
    assert result.returncode == 2
    team = lines(result)["team"]
    assert team.startswith("✘ not in this workspace: U0ANA; deactivated: U0JAMIE;")
    assert "slack_id" in team


def test_unreachable_slack_says_so(served: dict[str, str], tmp_path: Path) -> None:
    found = lines(doctor({**served, "SLACK_API_URL": "http://127.0.0.1:9/api/"}, tmp_path))
    assert found["Slack"].startswith("✘ cannot reach the Slack Web API at http://127.0.0.1:9/")


def test_no_database_is_not_created(env: dict[str, str], tmp_path: Path) -> None:
    result = doctor(env, tmp_path)
    assert result.returncode == 2
    found = lines(result)
    assert found["database"].startswith("✘ there is no database at ")
    assert found["keys"] == "✘ not checked until the database can be reached"
    assert not (tmp_path / "cc.db").exists()


def test_pending_migrations_and_wrong_keys(served: dict[str, str], tmp_path: Path) -> None:
    found = lines(doctor({**served, "CONTACT_CHECK_KEYS": generate_key()}, tmp_path))
    assert found["keys"].startswith("✘ CONTACT_CHECK_KEYS does not hold the key(s)")
    fresh = tmp_path / "old.db"
    from storage.db import make_engine
    from storage.migrate import alembic_config

    engine = make_engine(f"sqlite:///{fresh}")
    from alembic import command

    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    engine.dispose()
    found = lines(doctor({**served, "DATABASE_URL": f"sqlite:///{fresh}"}, tmp_path))
    assert found["database"].startswith("✘ sqlite:///")
    assert "migration(s) are not applied (0004" in found["database"]


def test_bad_settings_and_an_empty_team(env: dict[str, str], tmp_path: Path) -> None:
    result = doctor({**env, "CONTACT_CHECK_SEND_RATE": "0"}, tmp_path)
    found = lines(result)
    assert result.returncode == 2
    assert found["settings"].startswith("✘ CONTACT_CHECK_SEND_RATE")
    assert found["database"] == "✘ not checked until the settings are fixed"
    no_policy = {k: v for k, v in env.items() if k != "CONTACT_CHECK_POLICY"}
    assert lines(doctor(no_policy, tmp_path))["policy"].startswith(
        "✘ the built-in policy names no team")


def test_a_check_that_raises_is_a_cross_not_a_traceback() -> None:
    def check_broken(_probe: Probe) -> Finding:
        raise RuntimeError("boom")

    found = list(run_checks(Probe(load=lambda: None), (check_broken,)))  # type: ignore[arg-type]
    assert [f.line() for f in found] == ["✘ broken: the check itself failed (RuntimeError)"]
    assert len(CHECKS) == 9  # with the calendar feeds and the imports


FEED = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Clinic EHR//EN\r
BEGIN:VEVENT\r
UID:one@ehr\r
DTSTAMP:20261101T000000Z\r
DTSTART:{start}\r
DTEND:{end}\r
SUMMARY:Session C-1042\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _with_feeds(env: dict[str, str], tmp_path: Path, *files: str) -> dict[str, str]:
    feeds = "".join(f"  - {{name: {Path(f).stem}, file: {f}, client_code: '([A-Z]-[0-9]{{4}})'}}\n"
                    for f in files)
    policy = POLICY_YAML.replace("team:\n", f"calendars:\n{feeds}team:\n", 1)
    (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
    return env


def test_calendar_feeds_are_read_and_a_broken_one_is_named(served: dict[str, str],
                                                           tmp_path: Path) -> None:
    start = datetime.now(UTC) + timedelta(days=1)
    (tmp_path / "front-office.ics").write_text(FEED.format(
        start=f"{start:%Y%m%dT%H0000Z}", end=f"{start + timedelta(hours=1):%Y%m%dT%H0000Z}"),
        encoding="utf-8")
    env = _with_feeds(served, tmp_path, "front-office.ics")
    result = doctor(env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines(result)["calendars"].startswith("✔ front-office readable: 1 event(s)")
    (tmp_path / "broken.ics").write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", encoding="utf-8")
    result = doctor(_with_feeds(served, tmp_path, "front-office.ics", "broken.ics"), tmp_path)
    assert result.returncode == 2
    calendars = lines(result)["calendars"]
    assert calendars.startswith("✘ broken: ") and "front-office" not in calendars
    assert "calendars check" in calendars


def test_an_import_half_written_is_told_with_what_becomes_of_it(served: dict[str, str],
                                                                tmp_path: Path) -> None:
    deps = build_deps(load_settings())
    rows = imports.read_clients_csv(clients_csv(30), deps.policy)
    with deps.store.unit_of_work(consistent=True) as uow:
        prepared = imports.prepare_clients(uow, deps.policy, rows, actor="cli:admin",
                                           source="clients.csv", now=deps.clock.now())
    with deps.store.unit_of_work() as uow:
        imports.stage_clients(uow, prepared, 20)
        uow.commit()
    said = lines(doctor(served, tmp_path))["imports"]
    assert said == ("✔ clients.csv by cli:admin, 20 new client(s) hidden, last wrote 0 min ago: "
                    "being written now")
    silence_imports(deps.store, 20)
    deps.store.engine.dispose()
    said = lines(doctor(served, tmp_path))["imports"]
    assert said.endswith("last wrote 20 min ago: stopped half-way: `serve` deletes its clients "
                         "within 10 minutes")
