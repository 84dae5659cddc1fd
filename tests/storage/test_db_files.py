"""The SQLite database is owner-only from its first byte; serve warns about a looser one (12.7)."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import _warn_if_others_may_read
from storage.db import DatabaseConfigError, loose_permissions, make_engine, sqlite_file
from storage.migrate import upgrade


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_and_shm_are_owner_only(
    tmp_path: Path, set_umask: Callable[[int], int]
) -> None:
    set_umask(0o022)
    path = tmp_path / "contact-check.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with engine.begin() as connection:  # leaves the -wal and -shm files in place
            connection.execute(text("SELECT count(*) FROM audit_events"))
            companions = [Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(p.exists() for p in companions)
            assert [_mode(p) for p in (path, *companions)] == [0o600, 0o600, 0o600]
    finally:
        engine.dispose()
    assert loose_permissions(f"sqlite:///{path}") == []


def test_an_existing_file_is_left_as_it_is_and_reported(
    tmp_path: Path, set_umask: Callable[[int], int]
) -> None:
    set_umask(0o022)
    path = tmp_path / "contact-check.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o644
    assert loose_permissions(f"sqlite:///{path}") == [path]


def test_serve_warns_about_a_file_others_may_read(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "contact-check.db"
    path.write_bytes(b"")
    path.chmod(0o640)
    with caplog.at_level(logging.WARNING):
        _warn_if_others_may_read(f"sqlite:///{path}")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert f"chmod 600 {path}" in caplog.records[0].getMessage()
    caplog.clear()
    path.chmod(0o600)
    _warn_if_others_may_read(f"sqlite:///{path}")
    assert caplog.records == []


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatabaseConfigError, match=r"folder .* does not exist"):
        make_engine(f"sqlite:///{tmp_path}/no-such-folder/contact-check.db")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///contact-check.db", Path("contact-check.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://cc@localhost/cc", None),
    ],
)
def test_which_urls_name_a_file(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected
