"""``backup FILE`` while the bot writes, ``restore FILE`` into a fresh place: the trail verifies
and a card's details decrypt; and everything a restore must refuse."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import load_settings
from bot.deps import Deps
from bot.runtime import build_deps
from storage.crypto import generate_key
from storage.tables import AuditEvent
from tests.policy_yaml import POLICY_YAML
from tests.storage.seeding import AT, seed_every_sealed_field


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_YAML, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLACK_", "CONTACT_CHECK_", "DATABASE_URL", "PORT", "LOG_"))}
    clean.update(CONTACT_CHECK_KEYS=generate_key(), CONTACT_CHECK_POLICY=str(policy),
                 DATABASE_URL=f"sqlite:///{tmp_path / 'live.db'}")
    return clean


@pytest.fixture
def deps(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Deps]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    deps = build_deps(load_settings())
    yield deps
    deps.store.engine.dispose()


def _seed(deps: Deps) -> dict[str, str]:
    with deps.store.unit_of_work() as uow:
        seeded = seed_every_sealed_field(uow, "C-1042")
        uow.commit()
    return seeded


def test_backup_while_writing_then_restore_verifies_and_decrypts(
        deps: Deps, env: dict[str, str], tmp_path: Path, set_umask) -> None:
    set_umask(0o022)
    seeded = _seed(deps)
    stop = threading.Event()
    written = []

    def keep_writing() -> None:  # what a serving bot does: audited reads, one after another
        while not stop.is_set():
            deps.store.audit_writer.append("U0ANA", "card.viewed", "C-1042", {}, at=AT)
            written.append(1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        backups = [tmp_path / f"backup-{n}.db" for n in range(3)]
        for path in backups:
            result = run(["backup", str(path)], env, tmp_path)
            assert result.returncode == 0, result.stderr
            assert "backed up the database" in result.stdout
    finally:
        stop.set()
        writer.join()
    assert len(written) > 20  # the writer kept going while the copies were taken
    for path in backups:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not Path(f"{path}-wal").exists()
    assert not list(tmp_path.glob(".backup-*"))  # no staging file left behind

    fresh = tmp_path / "restored"
    fresh.mkdir()
    there = {**env, "DATABASE_URL": f"sqlite:///{fresh / 'cc.db'}"}
    result = run(["restore", str(backups[-1])], there, tmp_path)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((fresh / "cc.db").stat().st_mode) == 0o600
    verified = run(["verify-audit"], there, tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "Audit trail intact" in verified.stdout

    restored = build_deps(load_settings().model_copy(
        update={"database_url": there["DATABASE_URL"]}))
    try:
        with restored.store.unit_of_work(read_only=True) as uow:
            card = uow.clients.get("C-1042")
            events = [e.details for e in uow.session.exec(
                select(AuditEvent).where(AuditEvent.action == "database.restored")).all()]
        assert card is not None and card.preferred_name == seeded["clients.preferred_name"]
        assert len(events) == 1 and events[0]["from"] == backups[-1].name
    finally:
        restored.store.engine.dispose()


def test_restore_refuses_a_database_that_holds_data_without_force(
        deps: Deps, env: dict[str, str], tmp_path: Path) -> None:
    _seed(deps)
    copy = tmp_path / "copy.db"
    assert run(["backup", str(copy)], env, tmp_path).returncode == 0
    refused = run(["restore", str(copy)], env, tmp_path)
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    with deps.store.unit_of_work() as uow:  # the live database changes after the backup
        uow.audit.append("U0ANA", "card.viewed", "C-1042", {}, at=AT)
        uow.commit()
    deps.store.engine.dispose()
    forced = run(["restore", "--force", str(copy)], env, tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert run(["verify-audit"], env, tmp_path).returncode == 0


def test_restore_refuses_what_is_not_a_contact_check_backup(env: dict[str, str],
                                                           tmp_path: Path) -> None:
    there = {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database", encoding="utf-8")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE things (id INTEGER)")
    cases = {
        str(text_file): "is not a SQLite database",
        str(other): "not a Contact Check one (no alembic_version, clients, audit_events, "
                    "encryption_keys table)",
        str(tmp_path / "missing.db"): "there is no file",
    }
    for path, message in cases.items():
        result = run(["restore", path], there, tmp_path)
        assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "empty.db").exists()


def test_restore_refuses_a_backup_the_keys_cannot_open(deps: Deps, env: dict[str, str],
                                                      tmp_path: Path) -> None:
    _seed(deps)
    copy = tmp_path / "copy.db"
    assert run(["backup", str(copy)], env, tmp_path).returncode == 0
    there = {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}",
             "CONTACT_CHECK_KEYS": generate_key()}
    result = run(["restore", str(copy)], there, tmp_path)
    assert result.returncode == 2
    assert "cannot be opened with the configured keys" in result.stderr
    assert "Nothing was restored" in result.stderr


def test_backup_refusals(env: dict[str, str], tmp_path: Path) -> None:
    missing = run(["backup", str(tmp_path / "b.db")], env, tmp_path)
    assert missing.returncode == 2 and "there is no database at" in missing.stderr
    postgres = run(["backup", str(tmp_path / "b.db")],
                   {**env, "DATABASE_URL": "postgresql+psycopg://cc@127.0.0.1:1/cc"}, tmp_path)
    assert postgres.returncode == 2 and "pg_dump --format=custom" in postgres.stderr
    assert not (tmp_path / "b.db").exists()


def test_backup_never_writes_through_a_link(deps: Deps, env: dict[str, str],
                                           tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.db"
    link = tmp_path / "link.db"
    link.symlink_to(elsewhere)
    result = run(["backup", str(link)], env, tmp_path)
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert not elsewhere.exists()
