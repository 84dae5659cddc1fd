"""Writing a file that holds client details in clear (``export clients``): owner-only, atomically.

``write_private(path, text, before_publish)``:

- refuses a target that is a symbolic link (or a directory), so the export can never be written
  through a link into somewhere else;
- writes ``text`` to a new file in the target's folder, created exclusively (``O_EXCL``), without
  following links (``O_NOFOLLOW``) and with mode 0600 whatever the umask, then fsyncs it;
- calls ``before_publish`` (the caller commits the export's audit event there) and only then
  renames the new file over the target and fsyncs the folder. If ``before_publish`` raises, the
  new file is removed and the target is left as it was: a failed commit leaves no file.

A rename replaces a link that appeared at the target after the check rather than following it,
so there is no window in which the details land anywhere but ``path``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

PRIVATE_MODE = 0o600


class PrivateFileError(Exception):
    """The target cannot be written; the message says what to fix."""


def write_private(path: str | Path, text: str, before_publish: Callable[[], None]) -> None:
    target = Path(path)
    _check_target(target)
    folder = target.parent
    staged, fd = _create_staged(target)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        before_publish()
        os.replace(staged, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
        if isinstance(error, OSError):
            raise PrivateFileError(f"cannot write {target}: {error.strerror or error}") from None
        raise
    _fsync_folder(folder)


@contextlib.contextmanager
def private_staging(path: str | Path) -> Iterator[Path]:
    """A new, empty owner-only file beside ``path`` for the caller to fill (a database backup);
    renamed over ``path`` when the block ends without error, removed when it raises. The same
    checks as ``write_private``: never through a link, never into a folder."""
    target = Path(path)
    _check_target(target)
    staged, fd = _create_staged(target)
    os.close(fd)
    try:
        yield staged
        with open(staged, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staged, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
        if isinstance(error, OSError):
            raise PrivateFileError(f"cannot write {target}: {error.strerror or error}") from None
        raise
    _fsync_folder(target.parent)


def _create_staged(target: Path) -> tuple[Path, int]:
    """A new file in ``target``'s folder, created exclusively, never through a link, 0600."""
    staged = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(staged, flags, PRIVATE_MODE)
    except OSError as error:
        raise PrivateFileError(f"cannot write {target}: {error.strerror or error}") from None
    os.fchmod(fd, PRIVATE_MODE)  # the umask may only have narrowed it, but say it exactly
    return staged, fd


def _check_target(target: Path) -> None:
    try:
        status = target.lstat()
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise PrivateFileError(
                f"cannot write {target}: the folder {target.parent} does not exist"
            ) from None
        return
    except OSError as error:
        raise PrivateFileError(f"cannot write {target}: {error.strerror or error}") from None
    if stat.S_ISLNK(status.st_mode):
        raise PrivateFileError(
            f"{target} is a symbolic link; the export is never written through a link: "
            "give the path of a regular file"
        )
    if stat.S_ISDIR(status.st_mode):
        raise PrivateFileError(f"{target} is a folder; give the path of the file to write")


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort where a folder cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
