"""What a sandbox session runs on, and from when: the sample clinic or the clinic's own files.

``python -m bot sandbox`` runs the built-in sample clinic (``bot.sandbox.clinic``) from Tuesday
17 November 2026 09:40. ``--policy FILE --clients FILE [--appointments FILE]`` rehearses the
clinic's own policy with its own clients (and appointments) instead; ``--start "YYYY-MM-DD HH:MM"``
sets the clinic time the session starts at, for either (the clinic's own files start at the
current clinic time when it is not given).

Everything is read and checked here, before anything starts, the way ``check-policy`` and
``import`` check the same files: every error of the policy, naming its key; every bad row of a
CSV file as ``line N, column X`` without echoing a client's details. Any problem raises
``SetupError`` holding every line to print (the command exits 2). The rules an admin can rely on:

- ``--policy`` and ``--clients`` go together: a clinic's clients name its team's Slack ids, and
  the sample clients name the sample team, so neither file makes sense with the other's half.
  A clients file holding only the header row rehearses the policy with no clients.
- ``--appointments`` needs both (appointments belong to the clients imported with them).
- A policy whose team is empty is refused: the bot answers people not on the team with help and
  a polite refusal only, so there would be nothing to rehearse; the message says to add the team.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.input_files import InputFileError, import_refused, policy_refused, read_csv_file
from bot.policy.clinic import ClinicPolicy
from bot.policy.model import AppointmentRecord, ClientRecord, ImportErrors
from bot.policy_file import load_policy
from bot.policy_file.validation import PolicyInvalid, parse_policy
from bot.sandbox import clinic as sample
from bot.services.imports import Numbered, read_appointments_csv, read_clients_csv

START_FORM = '--start "YYYY-MM-DD HH:MM"'
START_EXAMPLE = '--start "2026-11-20 16:30"'
FIRST_YEAR, LAST_YEAR = 1970, 2999
_START = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})")
T = TypeVar("T")


class SetupError(Exception):
    """The session cannot start; ``lines`` say every reason and what to fix."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ClinicFiles:
    """The clinic's own files, read and checked (nothing imported yet)."""

    policy_path: str
    clients_path: str
    clients: list[Numbered[ClientRecord]]
    appointments_path: str | None = None
    appointments: list[Numbered[AppointmentRecord]] | None = None


@dataclass(frozen=True)
class Setup:
    policy: ClinicPolicy
    start: datetime  # aware, in the clinic's time zone
    files: ClinicFiles | None = None  # None: the sample clinic

    @property
    def sample(self) -> bool:
        return self.files is None


def sample_setup(start: datetime | None = None) -> Setup:
    """The sample clinic, from ``start`` (default: its own day, Tue 17 Nov 2026 09:40)."""
    return Setup(parse_policy(sample.POLICY), start or sample.START)


def load_setup(*, policy: str | None = None, clients: str | None = None,
               appointments: str | None = None, start: str | None = None) -> Setup:
    """The session the command line asks for; ``SetupError`` with every problem found."""
    pairing = _pairing_problems(policy, clients, appointments)
    if pairing:
        raise SetupError(pairing)
    if policy is None or clients is None:
        return sample_setup(None if start is None else parse_start(start, sample.TIMEZONE))
    try:
        own = load_policy(policy)
    except PolicyInvalid as invalid:
        raise SetupError([*policy_refused(policy, invalid.errors),
                          "(the CSV files are checked once the policy is valid)"]) from None
    if not own.team:
        raise SetupError([
            f"{policy}: the team is empty, so the bot would answer everyone as a stranger (help "
            "and a polite refusal) and there is nothing to rehearse; add your team under `team:` "
            "(slack_id, role, first_name for each person) and run the sandbox again"])
    problems: list[str] = []
    begins = _checked(problems, lambda: _start_of(start, own.clinic.timezone))
    client_rows = _checked(problems, lambda: read_clients_csv(_read(clients), own), clients)
    appointment_rows = None
    if appointments is not None:
        appointment_rows = _checked(
            problems,
            # dates are checked against the rehearsal's clock (a year back, two ahead)
            lambda: read_appointments_csv(_read(appointments), own, begins or datetime.now(UTC)),
            appointments)
    if problems or begins is None or client_rows is None:
        raise SetupError(problems)
    return Setup(own, begins, ClinicFiles(policy, clients, client_rows, appointments,
                                          appointment_rows))


def parse_start(text: str, timezone: ZoneInfo) -> datetime:
    """``YYYY-MM-DD HH:MM`` as an instant of the clinic's clock (the first of a repeated time);
    ``SetupError`` for anything else, a day that is not on the calendar, or a time the clocks
    skip when they go forward."""
    match = _START.fullmatch(text.strip())
    if match is None:
        raise SetupError([f"--start {text!r} is not a clinic time: give it as {START_FORM}, "
                          f"e.g. {START_EXAMPLE}"])
    year, month, day, hour, minute = (int(part) for part in match.groups())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise SetupError([f"--start {text!r}: give a year from {FIRST_YEAR} to {LAST_YEAR}, "
                          f"as {START_FORM}"])
    try:
        wall = datetime(year, month, day, hour, minute)  # noqa: DTZ001 - read as clinic time below
    except ValueError:
        raise SetupError([f"--start {text!r} is not a real date and time: give it as "
                          f"{START_FORM} (24-hour clock), e.g. {START_EXAMPLE}"]) from None
    local = wall.replace(tzinfo=timezone)
    if local.astimezone(UTC).astimezone(timezone).replace(tzinfo=None) != wall:
        raise SetupError([f"--start {text!r}: {wall:%H:%M} does not exist on {wall:%Y-%m-%d} in "
                          f"{timezone.key} (the clocks go forward then); give another time"])
    return local


def _start_of(text: str | None, timezone: ZoneInfo) -> datetime:
    if text is None:  # the clinic's own files: from the current minute of its clock
        return datetime.now(UTC).astimezone(timezone).replace(second=0, microsecond=0)
    return parse_start(text, timezone)


def _pairing_problems(policy: str | None, clients: str | None,
                      appointments: str | None) -> list[str]:
    if policy is not None and clients is None:
        return ["--policy needs --clients FILE.csv too: the sandbox rehearses your policy with "
                "your own clients (a file with only the header row rehearses with none). "
                "Without --policy and --clients it runs the sample clinic."]
    if clients is not None and policy is None:
        return ["--clients needs --policy FILE too: your clients' clinicians are Slack ids of "
                "your policy's team. Without --policy and --clients it runs the sample clinic."]
    if appointments is not None and policy is None:
        return ["--appointments needs --policy FILE and --clients FILE.csv too: the "
                "appointments belong to your clients."]
    return []


def _read(path: str) -> str:
    try:
        return read_csv_file(path)
    except InputFileError as error:
        raise SetupError([str(error)]) from None


def _checked(problems: list[str], read: Callable[[], T], path: str | None = None
             ) -> T | None:
    """``read()``, or None with what went wrong added to ``problems``."""
    try:
        return read()
    except SetupError as error:
        problems.extend(error.lines)
    except ImportErrors as errors:
        problems.extend(import_refused(path or "", errors))
    return None
