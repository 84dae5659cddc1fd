"""``export clients`` writes an owner-only file, atomically, never through a link (issue 12.8)."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.private_file import PrivateFileError, write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_new_file_is_owner_only_whatever_the_umask(
    tmp_path: Path, set_umask: Callable[[int], int]
) -> None:
    set_umask(0)
    target = tmp_path / "export.csv"
    write_private(target, "code\nC-1\n", before_publish=lambda: None)
    assert target.read_text(encoding="utf-8") == "code\nC-1\n"
    assert _mode(target) == 0o600
    assert _leftovers(tmp_path) == []


def test_an_existing_world_readable_file_is_replaced_by_an_owner_only_one(
    tmp_path: Path, set_umask: Callable[[int], int]
) -> None:
    set_umask(0)
    target = tmp_path / "export.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    write_private(target, "new", before_publish=lambda: None)
    assert target.read_text(encoding="utf-8") == "new"
    assert _mode(target) == 0o600


def test_a_symbolic_link_is_refused_and_its_destination_untouched(tmp_path: Path) -> None:
    destination = tmp_path / "elsewhere.txt"
    destination.write_text("keep me", encoding="utf-8")
    link = tmp_path / "export.csv"
    link.symlink_to(destination)
    published = []
    with pytest.raises(PrivateFileError, match="symbolic link"):
        write_private(link, "secret", before_publish=lambda: published.append(1))
    assert destination.read_text(encoding="utf-8") == "keep me"
    assert link.is_symlink() and published == []
    assert _leftovers(tmp_path) == []


def test_a_dangling_link_is_refused_too(tmp_path: Path) -> None:
    link = tmp_path / "export.csv"
    link.symlink_to(tmp_path / "not-yet.csv")
    with pytest.raises(PrivateFileError, match="symbolic link"):
        write_private(link, "secret", before_publish=lambda: None)
    assert not (tmp_path / "not-yet.csv").exists()


def test_the_file_appears_only_after_the_commit(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    seen_at_commit = []
    write_private(target, "x", before_publish=lambda: seen_at_commit.append(target.exists()))
    assert seen_at_commit == [False] and target.exists()


def test_a_failed_commit_leaves_no_file_and_the_old_one_as_it_was(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.csv"
    kept = tmp_path / "kept.csv"
    kept.write_text("yesterday's export", encoding="utf-8")

    def fail() -> None:
        raise RuntimeError("database is locked")

    for target in (fresh, kept):
        with pytest.raises(RuntimeError):
            write_private(target, "today's export", before_publish=fail)
    assert not fresh.exists()
    assert kept.read_text(encoding="utf-8") == "yesterday's export"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("where", "message"),
    [("missing-folder/export.csv", "does not exist"), (".", "is a folder")],
)
def test_an_unusable_target_says_what_to_fix(tmp_path: Path, where: str, message: str) -> None:
    with pytest.raises(PrivateFileError, match=message):
        write_private(tmp_path / where, "x", before_publish=lambda: None)
