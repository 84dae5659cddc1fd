"""The admin's input files, as the command line and the sandbox read and report them.

``read_csv_file`` gives a CSV file's text or an ``InputFileError`` whose message names the file
and what to fix (missing, a directory, not UTF-8, unreadable). ``policy_refused`` and
``import_refused`` are the lines ``check-policy`` and ``import`` print when a file is refused, so
the sandbox reports the same files the same way. Problems never echo a client's details: the
CSV parser describes a bad name, number or reason instead of quoting it.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.policy.model import ImportErrors


class InputFileError(Exception):
    """A file that cannot be read; the message says which and what to do."""


def read_csv_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputFileError(f"{path} is a directory; give the path of the CSV file") from None
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path} is not UTF-8 text (bad byte at offset {error.start}); "
                             "save it as CSV UTF-8") from None
    except OSError as error:
        raise InputFileError(f"cannot read {path}: {error.strerror or error}") from None


def policy_refused(path: str, errors: Sequence[object]) -> list[str]:
    """``check-policy``'s report of a policy file with errors (each names its key)."""
    return [f"{path}: {len(errors)} error(s):", *(f"  {error}" for error in errors)]


def import_refused(path: str, errors: ImportErrors) -> list[str]:
    """``import``'s report of a refused CSV file: nothing imported, every line at fault."""
    return [f"{path}: nothing imported; {len(errors.problems)} problem(s) to fix:",
            *(f"  {problem}" for problem in errors.problems)]
