"""The commands that run an installation: ``doctor``, ``backup``, ``restore``, ``purge``.

``add_commands`` adds them to ``bot.cli``'s parser; each ``cmd_*`` returns the exit code (0, or 2
when something must be fixed) and raises ``OperationRefused`` with the message to print when
nothing was done.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date

from bot.clock import SystemClock
from bot.config import load_settings
from bot.ops.backup import BackupRefused, backup, restore
from bot.ops.doctor import doctor
from bot.private_file import PrivateFileError

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EARLIEST_CUTOFF = date(1970, 1, 1)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class OperationRefused(Exception):
    """Nothing was done; the message says what to fix."""


def cmd_doctor(_args: argparse.Namespace) -> int:
    return EXIT_OK if doctor(sys.stdout) else EXIT_BAD_INPUT


def cmd_backup(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        report = backup(settings.database_url, args.file)
    except (BackupRefused, PrivateFileError) as error:
        raise OperationRefused(str(error)) from None
    print(f"{report.path}: backed up the database ({report.size} bytes, schema "
          f"{report.revision}), owner-only. It is encrypted under CONTACT_CHECK_KEYS, which it "
          "does not contain: keep the keys escrowed apart from the backups.")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, actor: str) -> int:
    from bot.runtime import load_keyring

    settings = load_settings()
    keyring = load_keyring(settings)
    try:
        revision = restore(settings.database_url, args.file, keyring, force=args.force,
                           actor=actor, now=SystemClock().now())
    except BackupRefused as error:
        raise OperationRefused(str(error)) from None
    print(f"{args.file}: restored into the database (schema {revision}). Check it with "
          "`python -m bot verify-audit`; `serve` applies any newer migrations when it starts.")
    return EXIT_OK


def closed_before_date(text: str, today: date) -> date:
    """The date of ``--closed-before``: YYYY-MM-DD, not after today."""
    text = text.strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise OperationRefused(f"--closed-before takes a date as YYYY-MM-DD, such as "
                               f"{today.replace(year=today.year - 7).isoformat()}; "
                               f"{text!r} is not one") from None
    if day > today:
        raise OperationRefused(f"--closed-before {day.isoformat()} is after today "
                               f"({today.isoformat()}); give the date before which closed files "
                               "are let go, today at the latest")
    if day < EARLIEST_CUTOFF:
        raise OperationRefused(f"--closed-before {day.isoformat()} is before "
                               f"{EARLIEST_CUTOFF.isoformat()}; no file closed that early")
    return day


def cmd_purge(args: argparse.Namespace, actor: str) -> int:
    from bot.runtime import build_deps
    from bot.services.retention import purge_closed

    deps = build_deps(load_settings())
    now = deps.clock.now()
    day = closed_before_date(args.closed_before, now.astimezone(deps.policy.clinic.timezone)
                             .date())
    with deps.store.unit_of_work() as uow:
        outcome = purge_closed(uow, deps.policy, day, dry_run=args.dry_run, actor=actor,
                               now=now)
        if not outcome.dry_run:
            uow.commit()
    counts = ", ".join(f"{n} {name.replace('_', ' ')}"
                       for name, n in outcome.counts.as_details().items())
    if outcome.dry_run:
        print(f"Dry run: files closed before {day.isoformat()} hold {counts}. Nothing was "
              "deleted; run again without --dry-run to delete them.")
    else:
        print(f"Deleted the files closed before {day.isoformat()}: {counts}. The audit trail "
              "keeps its events (codes only) and one clients.purged event with these counts.")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                 actor: str) -> None:
    """Add ``doctor``, ``backup``, ``restore`` and ``purge`` to the CLI's subcommands."""
    doc = commands.add_parser(
        "doctor", help="check settings, database, keys, policy, the Slack token and its scopes "
                       "and the team: one line each, ✔ or ✘ with what to fix; exit 0 or 2")
    doc.set_defaults(run=cmd_doctor)

    back = commands.add_parser(
        "backup", help="a consistent owner-only copy of the SQLite database, taken while the "
                       "bot serves (PostgreSQL: pg_dump)")
    back.add_argument("file", metavar="FILE")
    back.set_defaults(run=cmd_backup)

    rest = commands.add_parser(
        "restore", help="restore a backup into the database: refuses a non-empty database "
                        "without --force, and a file that is not a Contact Check database")
    rest.add_argument("file", metavar="FILE")
    rest.add_argument("--force", action="store_true",
                      help="replace a database that already holds data (stop the bot first)")
    rest.set_defaults(run=lambda args: cmd_restore(args, actor))

    purge = commands.add_parser(
        "purge", help="delete the contact details, appointments, call-backs and run-ins of "
                      "files closed (former, closed) before a date; the audit trail is kept")
    purge.add_argument("--closed-before", required=True, metavar="YYYY-MM-DD",
                       help="files closed before this date (the clinic's time zone)")
    purge.add_argument("--dry-run", action="store_true", help="print the counts only")
    purge.set_defaults(run=lambda args: cmd_purge(args, actor))
