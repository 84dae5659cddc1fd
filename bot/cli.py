"""The command line: ``python -m bot COMMAND`` (also installed as ``contact-check``).

Exit codes: 0 success; 2 bad input or configuration, with a message on stderr naming what to fix.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.deps import Deps
from bot.input_files import InputFileError, import_refused, policy_refused, read_csv_file
from bot.ops.commands import OperationRefused, add_commands
from bot.policy.model import ImportErrors
from bot.policy_file import check_policy_file
from bot.version import version
from storage.audit import AuditRefused, TrailBroken
from storage.crypto import DecryptionError, KeyConfigError, generate_key

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """Something the person running the command must fix; the message says what."""


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _deps(settings: Settings | None = None, *, create: bool = False) -> Deps:
    """The checked deps; ``create``: only ``serve`` and ``migrate`` may start a new database
    (the others refuse, naming DATABASE_URL: see ``bot.runtime``)."""
    from bot.runtime import build_deps

    return build_deps(settings or load_settings(), create=create)


def _read_csv(path: str) -> str:
    try:
        return read_csv_file(path)
    except InputFileError as error:
        raise BadInput(str(error)) from None


# -- commands --------------------------------------------------------------------------------------


def cmd_keygen(_args: argparse.Namespace) -> int:
    print(generate_key())
    return EXIT_OK


def cmd_check_policy(args: argparse.Namespace) -> int:
    errors = check_policy_file(args.file)
    if not errors and args.serve:
        import os

        from bot.policy_file import load_policy
        from bot.policy_file.validation import calendar_setting_problems

        errors = [str(e) for e in calendar_setting_problems(load_policy(args.file), os.environ)]
    if errors:
        _fail(policy_refused(args.file, errors))
        return EXIT_BAD_INPUT
    from bot.policy_file import load_policy

    policy = load_policy(args.file)
    print(f"{args.file}: OK ({policy.clinic.name}, {policy.clinic.timezone.key}, "
          f"{len(policy.team)} team member(s))")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    mode = settings.serve_mode(args.mode)
    settings.require_slack(mode)
    port = args.port if args.port is not None else settings.port
    host = args.host if args.host is not None else settings.host
    from bot.runtime import load_clinic_policy, require_team

    require_team(settings, load_clinic_policy(settings))
    deps = _deps(settings, create=True)
    _refuse_unready_feeds(deps)
    _warn_if_others_may_read(settings.database_url)
    from bot import server
    from bot.scheduling import build_jobs

    server.serve(deps, settings, mode=mode, port=port, host=host, dispatcher=build_jobs(deps))
    return EXIT_OK


def cmd_migrate(_args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    settings = load_settings()
    deps = _deps(settings, create=True)
    deps.store.engine.dispose()
    _warn_if_others_may_read(settings.database_url)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"The database at {shown} is ready: every migration applied.")
    return EXIT_OK


def _refuse_unready_feeds(deps: Deps) -> None:
    """A feed whose URL variable is unset (or file missing) stops serve, naming the key."""
    import os

    from bot.policy_file.validation import calendar_setting_problems

    problems = calendar_setting_problems(deps.policy, os.environ)
    if problems:
        raise ConfigError([str(p) for p in problems])


def _warn_if_others_may_read(database_url: str) -> None:
    from storage.db import loose_permissions

    for path in loose_permissions(database_url):
        logging.getLogger("bot.serve").warning(
            "%s may be read by others than its owner (it holds encrypted client data and the "
            "audit trail): chmod 600 %s", path, path)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import session as sandbox
    from bot.sandbox.setup import SetupError, load_setup

    try:
        setup = load_setup(policy=args.policy, clients=args.clients,
                           appointments=args.appointments, start=args.start)
        return int(sandbox.main(setup=setup) or 0)
    except SetupError as error:
        raise BadInput("\n".join([*error.lines, "The sandbox did not start; fix what is listed "
                                                "above and run it again."])) from None


def cmd_rotate_keys(_args: argparse.Namespace) -> int:
    from bot.services.keys import rotate_keys

    deps = _deps()
    with deps.store.unit_of_work() as uow:
        report = rotate_keys(uow, actor=_actor(), now=deps.clock.now())
        uow.commit()
    print(f"Re-encrypted {report.resealed} value(s) in {report.rows} row(s) under key "
          f"{report.primary_key_id}; recomputed {report.indexes} lookup index(es).")
    if report.retired_key_ids:
        print("Nothing is encrypted under key id(s) "
              f"{', '.join(report.retired_key_ids)} any more: you may now remove the older "
              "key(s) from CONTACT_CHECK_KEYS, keeping only the first.")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from bot.services import imports
    from handlers.imports import ImportKeptChanging, run_import

    text = _read_csv(args.file)
    deps = _deps()
    if args.what == "clients":
        rows: Sequence[imports.Numbered[Any]] = imports.read_clients_csv(text, deps.policy)
    else:
        rows = imports.read_appointments_csv(
            text, deps.policy, deps.clock.now())
    try:
        report = run_import(deps.store, deps.policy, args.what, rows, actor=_actor(),
                            source=Path(args.file).name, now=deps.clock.now())
    except ImportKeptChanging as error:
        raise BadInput(str(error)) from None
    for warning in report.warnings:
        print(f"{args.file}: note: {warning}", file=sys.stderr)
    print(f"{args.file}: imported {report.total} {args.what}: {report.created} new, "
          f"{report.updated} updated, {report.unchanged} unchanged.")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from bot.private_file import PrivateFileError, write_private
    from bot.services.imports import export_clients

    deps = _deps()
    with deps.store.unit_of_work() as uow:
        text, count = export_clients(uow, actor=_actor(), now=deps.clock.now())
        # The export's audit event is committed before the file appears; a failed commit
        # leaves no file (bot/private_file.py).
        try:
            write_private(args.file, text, before_publish=uow.commit)
        except PrivateFileError as error:
            raise BadInput(str(error)) from None
    print(f"{args.file}: wrote {count} client(s). The file holds client details in clear: "
          "keep it where only the clinic's admins can read it.")
    return EXIT_OK


def cmd_verify_audit(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.runtime import open_store
    from storage.audit import is_hash, verify_trail

    expected = None
    if args.expect_head is not None:
        expected = args.expect_head.strip().lower()
        if not is_hash(expected):
            raise BadInput("--expect-head takes a head hash as verify-audit prints it and the "
                           "daily post shows it: 64 characters, 0-9 and a-f")
    store = open_store(load_settings(), create=False)
    try:
        report = verify_trail(store.engine, store.keyring, expect_head=expected)
    except SQLAlchemyError as error:
        cause = type(getattr(error, "orig", None) or error).__name__
        print(f"Audit trail BROKEN: it cannot be read ({cause}).", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        store.engine.dispose()
    if report.ok:
        print(f"Audit trail intact: {report.events} event(s), head {report.head}.")
        if expected is not None:
            print(f"It reaches the head you kept ({_reached(report.reached)}).")
        for note in report.notes:
            print(f"Note: {note}.")
        return EXIT_OK
    first = f"; first bad event: {report.first_bad}" if report.first_bad else ""
    print(f"Audit trail BROKEN ({report.events} event(s) checked{first}):", file=sys.stderr)
    for problem in report.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_calendars(args: argparse.Namespace) -> int:
    """``calendars check``: read every feed and report; ``calendars sync``: apply them once."""
    from bot.calendars.check import check_report_lines, feed_readiness
    from bot.services.calendars import known_codes

    deps = _deps()
    names = {feed.name for feed in deps.policy.calendars}
    unknown = sorted(set(args.accept_drop) - names)
    if unknown:
        raise BadInput(f"--accept-drop: there is no feed named {unknown[0]!r} in the policy "
                       f"(feeds: {', '.join(sorted(names)) or 'none'})")
    if not deps.policy.calendars:
        print("The policy has no calendars: nothing to read (see README, Calendar feeds).")
        return EXIT_OK
    if args.action == "sync":
        return _sync_calendars(deps, frozenset(args.accept_drop))
    now = deps.clock.now()
    failing = []
    for report in feed_readiness(deps.policy, now):
        if report.mapped is None:
            failing.append(report.name)
            print(f"{report.name}: NOT READABLE: {report.text}")
            continue
        with deps.store.unit_of_work(read_only=True) as uow:
            known = known_codes(uow, {e.code for e in report.mapped.events})
        for line in check_report_lines(report.name, report.mapped, known, now,
                                       deps.policy.clinic.timezone):
            print(line)
    if failing:
        print(f"Not readable: {', '.join(failing)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _sync_calendars(deps: Deps, accept_drop: frozenset[str]) -> int:
    from bot.services.calendars import FeedFailure, FeedSync
    from handlers.calendars import sync_all

    failing = []
    for outcome in sync_all(deps, force=True, accept_drop=accept_drop):
        if isinstance(outcome, FeedFailure):
            failing.append(outcome.feed)
            print(f"{outcome.feed}: NOT APPLIED: {outcome.problem}")
        elif isinstance(outcome, FeedSync) and outcome.outcome == "held":
            failing.append(outcome.feed)
            print(f"{outcome.feed}: HELD: it lists {outcome.future} appointment(s) ahead where "
                  f"it listed {outcome.previous_future}; nothing was changed. If that is right: "
                  f"calendars sync --accept-drop \"{outcome.feed}\"")
        elif isinstance(outcome, FeedSync):
            print(f"{outcome.feed}: {outcome.outcome}: {outcome.created} new, {outcome.moved} "
                  f"moved, {outcome.updated} updated, {outcome.cancelled} cancelled, "
                  f"{outcome.restored} restored, {outcome.unchanged} unchanged")
        else:
            print(f"{outcome.feed}: skipped: {outcome.reason}")
    if failing:
        print(f"Not applied: {', '.join(failing)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _reached(seq: int | None) -> str:
    return "the empty trail" if not seq else f"event {seq}"


# -- audit report / audit export (issue 16) --------------------------------------------------------


def _cli_date(text: str, option: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise BadInput(f"{option}: {text!r} is not a date written YYYY-MM-DD (like 2026-11-30)")


def _checked_trail(deps: Deps, allow_broken: bool) -> bool:
    """Check the whole trail before reading it: True intact; a broken one is refused unless
    ``allow_broken`` (False: the output is marked BROKEN)."""
    from storage.audit import verify_trail

    report = verify_trail(deps.store.engine, deps.store.keyring)
    if report.ok:
        return True
    problems = [f"  {p}" for p in report.problems]
    if not allow_broken:
        raise BadInput("\n".join([
            "The audit trail does not verify, so nothing was reported (rows from a broken trail "
            "may be missing or altered). Run `contact-check verify-audit` and keep a copy of the "
            "database for the clinic's privacy officer; --allow-broken reads it anyway and marks "
            "every row BROKEN. Problems:", *problems]))
    print("WARNING: the audit trail does NOT verify; reading it anyway (--allow-broken), every "
          "row marked BROKEN. Problems:", file=sys.stderr)
    for line in problems:
        print(line, file=sys.stderr)
    return False


def _publish(path: str, text: str, commit: Callable[[], None]) -> None:
    from bot.private_file import PrivateFileError, write_private

    try:
        write_private(path, text, before_publish=commit)  # audited before the file appears
    except PrivateFileError as error:
        raise BadInput(str(error)) from None


def cmd_audit_report(args: argparse.Namespace) -> int:
    from bot.audit_files import access_report_csv, access_report_text
    from bot.policy.model import CLIENT_CODE_RULE, is_client_code
    from bot.services.reports import access_report

    if not is_client_code(args.client):
        raise BadInput(f"--client: {args.client!r} is not a client code ({CLIENT_CODE_RULE})")
    since = _cli_date(args.since, "--since") if args.since else None
    deps = _deps()
    chain_ok = _checked_trail(deps, args.allow_broken)
    tz = deps.policy.clinic.timezone
    with deps.store.unit_of_work() as uow:
        report = access_report(uow, deps.policy, args.client, since, actor=_actor(),
                               now=deps.clock.now(), via="cli")
        if args.csv:
            _publish(args.csv, access_report_csv(report, tz, chain_ok), uow.commit)
            print(f"{args.csv}: wrote {len(report.entries)} view(s) of {report.code}'s details.")
            return EXIT_OK
        uow.commit()
    print("\n".join(access_report_text(report, tz, chain_ok)))
    return EXIT_OK


def cmd_audit_export(args: argparse.Namespace) -> int:
    from bot.audit_files import trail_csv, trail_jsonl
    from bot.services.reports import trail_export

    since = _cli_date(args.since, "--since")
    deps = _deps()
    chain_ok = _checked_trail(deps, args.allow_broken)
    with deps.store.unit_of_work() as uow:
        events = trail_export(uow, deps.policy, since, actor=_actor(), fmt=args.format,
                              chain_ok=chain_ok, now=deps.clock.now())
        text = trail_jsonl(events, chain_ok) if args.format == "jsonl" else trail_csv(
            events, chain_ok)
        _publish(args.file, text, uow.commit)
    print(f"{args.file}: wrote {len(events)} audit event(s) since {since.isoformat()} "
          f"({args.format}{'' if chain_ok else ', marked BROKEN'}).")
    return EXIT_OK


# -- parsing -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Contact Check: a Slack bot that puts a mental-health clinic's client-contact "
                    "rules where the team works. Configuration comes from the environment; see "
                    "README.md.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is "
                                              "set, else HTTP); applies pending migrations first")
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--http", dest="mode", action="store_const", const="http",
                      help="serve Slack's HTTP requests on --port")
    mode.add_argument("--socket", dest="mode", action="store_const", const="socket",
                      help="connect to Slack over Socket Mode (needs SLACK_APP_TOKEN)")
    serve.add_argument("--port", type=_port, default=None,
                       help="HTTP port (default $PORT, else 3000)")
    serve.add_argument("--host", type=_host, default=None,
                       help="address to listen on (default $HOST, else 0.0.0.0: every "
                            "interface; 127.0.0.1 behind a proxy on the same machine)")
    serve.set_defaults(run=cmd_serve, mode=None)
    commands.add_parser(
        "migrate", help="create the database DATABASE_URL names if there is none, and apply "
                        "pending migrations (serve applies them too; other commands never "
                        "create a database)",
    ).set_defaults(run=cmd_migrate)

    sandbox = commands.add_parser(
        "sandbox", help="the whole bot with no Slack workspace: a terminal session against a "
                        "built-in stand-in for Slack, with a sample clinic, or a rehearsal of "
                        "the clinic's own policy and clients",
        description="Without options: the sample clinic, from Tue 17 Nov 2026 09:40. With "
                    "--policy and --clients (always both): the clinic's own policy and clients "
                    "(and appointments), checked as check-policy and import check them. "
                    "Nothing is kept: the database and its key are temporary.")
    sandbox.add_argument("--policy", metavar="FILE", help="the clinic's policy file (YAML)")
    sandbox.add_argument("--clients", metavar="FILE",
                         help="the clinic's clients CSV (the import format); with --policy")
    sandbox.add_argument("--appointments", metavar="FILE",
                         help="appointments CSV (the import format); with --policy and --clients")
    sandbox.add_argument("--start", metavar='"YYYY-MM-DD HH:MM"',
                         help="the clinic time the session starts at (default: the sample "
                              "clinic's Tue 17 Nov 2026 09:40, or now for your own files)")
    sandbox.set_defaults(run=cmd_sandbox)
    commands.add_parser("keygen", help="print a new encryption key").set_defaults(run=cmd_keygen)
    commands.add_parser(
        "rotate-keys", help="re-encrypt every stored secret under the first key of "
                            "CONTACT_CHECK_KEYS",
    ).set_defaults(run=cmd_rotate_keys)

    check = commands.add_parser("check-policy", help="validate a clinic policy file (YAML)")
    check.add_argument("file", metavar="FILE")
    check.add_argument("--serve", action="store_true",
                       help="also check what serve needs of this machine: each calendar feed's "
                            "url_env set (never printed), each feed file present")
    check.set_defaults(run=cmd_check_policy)

    imp = commands.add_parser("import", help="import clients or appointments from CSV; all rows "
                                             "or none")
    imp.add_argument("what", choices=["clients", "appointments"])
    imp.add_argument("file", metavar="FILE.csv")
    imp.set_defaults(run=cmd_import)

    exp = commands.add_parser("export", help="write every client record to CSV in the import "
                                             "format (decrypted)")
    exp.add_argument("what", choices=["clients"])
    exp.add_argument("file", metavar="FILE.csv")
    exp.set_defaults(run=cmd_export)

    verify = commands.add_parser(
        "verify-audit", help="check the audit trail (keyed chain and signed head): exit 0 "
                             "intact, 2 broken, naming the first bad event")
    verify.add_argument("--expect-head", metavar="HASH", default=None,
                        help="a head kept elsewhere (printed earlier, or posted to the admins "
                             "daily): exit 2 unless the trail still reaches it")
    verify.set_defaults(run=cmd_verify_audit)
    _audit_parsers(commands)
    add_commands(commands, _actor())  # doctor, backup, restore, purge: bot/ops/commands.py

    calendars = commands.add_parser(
        "calendars", help="the policy's iCalendar feeds: check reads each and reports per feed "
                          "name (exit 2 naming a failing feed); sync applies them once")
    calendars.add_argument("action", choices=["check", "sync"])
    calendars.add_argument("--accept-drop", metavar="NAME", action="append", default=[],
                           help="sync: apply the feed NAME even though it lists far fewer "
                                "appointments ahead than before (it was held)")
    calendars.set_defaults(run=cmd_calendars)
    return parser


def _audit_parsers(commands: Any) -> None:
    audit = commands.add_parser("audit", help="read the audit trail: who viewed a client's "
                                              "details, or the trail for a SIEM")
    what = audit.add_subparsers(dest="audit_command", required=True, metavar="report|export")
    report = what.add_parser("report", help="every view of one client's details, newest first")
    report.add_argument("--client", required=True, metavar="CODE")
    report.add_argument("--since", metavar="YYYY-MM-DD", default=None)
    report.add_argument("--csv", metavar="FILE", default=None,
                        help="write CSV (owner-only, 0600) instead of printing")
    export = what.add_parser("export", help="the trail since a date as JSON Lines or CSV "
                                            "(owner-only, 0600)")
    export.add_argument("--since", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--format", required=True, choices=["jsonl", "csv"])
    export.add_argument("file", metavar="FILE")
    for parser in (report, export):
        parser.add_argument("--allow-broken", action="store_true",
                            help="report from a trail that does not verify, every row marked "
                                 "BROKEN")
    report.set_defaults(run=cmd_audit_report)
    export.set_defaults(run=cmd_audit_export)


def _host(text: str) -> str:
    from bot.config import host_problem

    problem = host_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text.strip()


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port number (1 to 65535)")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(logging.INFO if args.run is cmd_serve else logging.WARNING)
    try:
        return int(args.run(args))
    except ConfigError as error:
        _fail(["Configuration problem:", *(f"  {p}" for p in error.problems)])
    except ImportErrors as errors:
        _fail(import_refused(args.file, errors))
    except (KeyConfigError, BadInput, TrailBroken, OperationRefused) as error:
        _fail([str(error)])
    except AuditRefused as error:
        _fail([str(error), "Nothing was changed."])
    except DecryptionError as error:
        _fail([f"A stored value cannot be decrypted ({error}); nothing was changed. Check that "
               "CONTACT_CHECK_KEYS holds every key the data was encrypted with."])
    return EXIT_BAD_INPUT


def _fail(lines: list[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)

