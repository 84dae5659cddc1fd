"""No silent traps at start (issue 15, item 4), and the version (item 11).

``serve`` refuses a policy with no team (everyone would be refused). Only ``serve`` and
``migrate`` create a database: another command run where ``DATABASE_URL`` names none (a relative
SQLite path from another folder, an empty PostgreSQL database) says so and creates nothing.
"""

from __future__ import annotations

import os
import warnings
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect
from sqlalchemy.exc import SAWarning

from storage.crypto import generate_key
from storage.db import make_engine
from tests.policy_yaml import POLICY_YAML
from tests.test_cli import GOOD_CLIENTS, run


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    """The command line's environment (nothing inherited that names the bot's settings) with a
    Slack configuration `serve` accepts."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLACK_", "CONTACT_CHECK_", "DATABASE_URL", "PORT", "HOST"))}
    clean.update(CONTACT_CHECK_KEYS=generate_key(), DATABASE_URL=sqlite_url,
                 SLACK_BOT_TOKEN="xoxb-1234567890-0987654321-abcdefghij",
                 SLACK_SIGNING_SECRET="start-traps-signing-secret-77")
    return clean


def test_version_comes_from_the_package_metadata(tmp_path: Path) -> None:
    result = run(["--version"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"python -m bot {version('contact-check')}"


def test_serve_without_a_policy_refuses_naming_the_variable_and_the_example(
        env: dict[str, str], tmp_path: Path) -> None:
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "CONTACT_CHECK_POLICY is not set" in result.stderr
    assert "no team" in result.stderr and "examples/policy.yml" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_policy_that_lists_nobody_refuses(env: dict[str, str],
                                                      tmp_path: Path) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("clinic:\n  name: Empty Clinic\n  timezone: America/New_York\nteam: []\n",
                      encoding="utf-8")
    env["CONTACT_CHECK_POLICY"] = str(policy)
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"CONTACT_CHECK_POLICY ({policy}) lists no team" in result.stderr
    assert "examples/policy.yml" in result.stderr


@pytest.mark.parametrize("command", [
    ["import", "clients", "clients.csv"],
    ["export", "clients", "out.csv"],
    ["rotate-keys"],
    ["verify-audit"],
])
def test_a_command_run_elsewhere_does_not_start_a_second_database(
        env: dict[str, str], tmp_path: Path, command: list[str]) -> None:
    """The clinic's database is in one folder; the admin runs a command from another one with the
    default, relative DATABASE_URL."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "clients.csv").write_text(GOOD_CLIENTS, encoding="utf-8")
    env["DATABASE_URL"] = "sqlite:///contact-check.db"
    result = run(command, env, elsewhere)
    assert result.returncode == 2, result.stdout
    assert f"there is no database at {elsewhere / 'contact-check.db'}" in result.stderr
    assert "relative to the folder the command runs in" in result.stderr
    assert "python -m bot migrate" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["clients.csv"]  # nothing created


def test_an_absolute_path_is_not_called_relative(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "contact-check.db"
    env["DATABASE_URL"] = f"sqlite:///{missing}"
    result = run(["verify-audit"], env, tmp_path)
    assert result.returncode == 2
    assert f"there is no database at {missing}" in result.stderr
    assert "relative" not in result.stderr


def test_migrate_creates_the_database_then_commands_use_it(env: dict[str, str],
                                                          tmp_path: Path) -> None:
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    env["DATABASE_URL"] = "sqlite:///contact-check.db"
    migrated = run(["migrate"], env, clinic)
    assert migrated.returncode == 0, migrated.stderr
    assert "is ready" in migrated.stdout
    assert (clinic / "contact-check.db").stat().st_mode & 0o077 == 0  # owner-only
    again = run(["migrate"], env, clinic)  # nothing pending: still fine
    assert again.returncode == 0, again.stderr
    (clinic / "clients.csv").write_text(GOOD_CLIENTS, encoding="utf-8")
    imported = run(["import", "clients", "clients.csv"], env, clinic)
    assert imported.returncode == 0, imported.stderr
    assert "imported 2 clients" in imported.stdout


def test_an_empty_database_is_not_set_up_by_the_way(env: dict[str, str], tmp_path: Path,
                                                    database_url: str) -> None:
    """A database that exists without Contact Check's tables (a new PostgreSQL database, an
    empty SQLite file) is named, not silently filled."""
    engine = make_engine(database_url)
    tables = MetaData()
    with warnings.catch_warnings():  # SQLite's expression index is not reflected: not needed
        warnings.simplefilter("ignore", SAWarning)
        tables.reflect(engine)
    tables.drop_all(engine)
    engine.dispose()
    env["DATABASE_URL"] = database_url
    result = run(["export", "clients", str(tmp_path / "out.csv")], env, tmp_path)
    assert result.returncode == 2, result.stdout
    assert "has no Contact Check tables" in result.stderr
    assert "python -m bot migrate" in result.stderr
    engine = make_engine(database_url)
    assert inspect(engine).get_table_names() == []  # nothing was set up
    engine.dispose()
    env["CONTACT_CHECK_POLICY"] = str(tmp_path / "policy.yml")
    (tmp_path / "policy.yml").write_text(POLICY_YAML, encoding="utf-8")
    assert run(["migrate"], env, tmp_path).returncode == 0
    exported = run(["export", "clients", str(tmp_path / "out.csv")], env, tmp_path)
    assert exported.returncode == 0, exported.stderr
