"""build_deps: migrations, keys, policy and team, each failure a ConfigError naming the fix."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import ConfigError, Settings
from bot.policy.clinic import TeamMember
from bot.policy_file import load_policy
from bot.runtime import build_deps, sync_team
from storage.audit import verify_chain
from storage.crypto import generate_key
from storage.migrate import pending
from storage.tables import AuditEvent, TeamMemberRow
from tests.policy_yaml import POLICY_YAML


def _settings(database_url: str, key: str, **more: object) -> Settings:
    return Settings(database_url=database_url, contact_check_keys=key, **more)


def test_build_deps_on_an_empty_database(tmp_path: Path, key: str, clock: ManualClock) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_YAML, encoding="utf-8")
    url = f"sqlite:///{tmp_path}/new.db"
    deps = build_deps(_settings(url, key, contact_check_policy=policy,
                                slack_bot_token="xoxb-1234567890-0987654321-abc",
                                contact_check_send_rate=2), clock=clock)
    assert pending(deps.store.engine) == []
    assert deps.policy.clinic.name == "Great Agency"
    assert (deps.bot_token, deps.send_rate, deps.clock) == (
        "xoxb-1234567890-0987654321-abc", 2, clock)
    with deps.store.unit_of_work() as uow:
        team = {r.slack_id: (r.role, r.supervisor, r.active)
                for r in uow.session.exec(select(TeamMemberRow)).all()}
        assert team == {"U0JAMIE": ("supervisor", None, True),
                        "U0ANA": ("clinician", "U0JAMIE", True)}
        assert verify_chain(uow.session).ok
    deps.store.engine.dispose()
    again = build_deps(_settings(url, key, contact_check_policy=policy), clock=clock)
    with again.store.unit_of_work() as uow:  # an unchanged team is not re-audited
        synced = uow.session.exec(select(AuditEvent).where(AuditEvent.action == "team.synced"))
        assert len(synced.all()) == 1
    again.store.engine.dispose()


def test_team_changes_are_synced_and_audited(store, clock: ManualClock) -> None:
    policy = load_policy(None)
    first = replace(policy, team=(TeamMember("U0ANA", "clinician", "Ana"),
                                  TeamMember("U0BEA", "clinician", "Bea")))
    second = replace(policy, team=(TeamMember("U0ANA", "supervisor", "Ana"),
                                   TeamMember("U0CAL", "admin", "Cal")))
    with store.unit_of_work() as uow:
        assert sync_team(uow.session, uow.audit, first, clock.now())
        uow.commit()
    with store.unit_of_work() as uow:
        assert sync_team(uow.session, uow.audit, second, clock.now())
        assert not sync_team(uow.session, uow.audit, second, clock.now())
        uow.commit()
    with store.unit_of_work() as uow:
        rows = {r.slack_id: (r.role, r.active)
                for r in uow.session.exec(select(TeamMemberRow)).all()}
        events = [e.details for e in uow.session.exec(
            select(AuditEvent).where(AuditEvent.action == "team.synced").order_by(AuditEvent.seq))]
    assert rows == {"U0ANA": ("supervisor", True), "U0BEA": ("clinician", False),
                    "U0CAL": ("admin", True)}
    assert events[1] == {"added": ["U0CAL"], "changed": ["U0ANA"], "removed": ["U0BEA"]}


def test_a_bad_policy_names_the_variable_and_every_error(tmp_path: Path, key: str) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("clinic:\n  name: X\n  timezone: Mars/Base\nno_show:\n  wait_minutes: -1\n",
                      encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        build_deps(_settings(f"sqlite:///{tmp_path}/x.db", key, contact_check_policy=policy))
    text = str(caught.value)
    assert "CONTACT_CHECK_POLICY" in text and "clinic.timezone" in text
    assert "no_show.wait_minutes" in text
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


def test_the_wrong_key_is_refused(tmp_path: Path, key: str) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    build_deps(_settings(url, key)).store.engine.dispose()
    with pytest.raises(ConfigError, match="CONTACT_CHECK_KEYS"):
        build_deps(_settings(url, generate_key()))


def test_an_unreachable_database_names_database_url(key: str) -> None:
    url = "postgresql+psycopg://cc:hunter2@127.0.0.1:1/nothing"
    with pytest.raises(ConfigError) as caught:
        build_deps(_settings(url, key))
    assert "DATABASE_URL" in str(caught.value) and "hunter2" not in str(caught.value)


def test_an_unsupported_database_names_database_url(key: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        build_deps(_settings("mysql://x/y", key))
