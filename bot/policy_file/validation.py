"""Turn a clinic's policy mapping (as read from its YAML file) into a validated ``ClinicPolicy``.

Pure: standard library, zoneinfo, ``holidays`` and ``bot.policy.phones`` only; the caller reads
the file.

``parse_policy`` checks the whole mapping before giving up, so an admin sees every mistake in one
go: each ``PolicyError`` names the key at fault (``callbacks.remind_before[1]``, ``team[2].role``)
and says what is allowed there. Sections left out take the defaults of the dataclasses in
``clinic.py``; only ``clinic`` (with ``name`` and ``timezone``) is required.

Internally every value goes through a *parser*: a function that returns the validated value or
raises ``_Bad`` with one or more problems, each a path suffix (relative to the value) and a message.
Parsers of mappings and lists run their children, prefix the suffixes, and collect every problem.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holidays_lib

from bot.calendars.urls import url_problem
from bot.policy.clinic import (
    ROLES,
    WEEKDAY_KEYS,
    WEEKDAY_NAMES,
    ApprovalPolicy,
    CalendarFeed,
    CallbackPolicy,
    Clinic,
    ClinicPolicy,
    ConfirmBy,
    DailyWindow,
    HolidayCalendar,
    NoShowPolicy,
    ReportsPolicy,
    TeamMember,
)
from bot.policy.phones import DEFAULT_REGION, PhoneError, PhoneProblem, normalise_phone
from bot.policy.scripts import SCRIPT_NAMES, check_template

FILE_PATH = "(file)"  # the path of errors about the file as a whole

DEFAULT_HOURS: Mapping[int, DailyWindow] = {
    day: DailyWindow(time(9, 0), time(17, 0)) for day in range(5)
}  # Mon-Fri 09:00-17:00, used when clinic.hours is left out
DEFAULT_PHONE_REGION = DEFAULT_REGION
MAX_AFTER_HOURS_CONTACT = 300  # characters of clinic.after_hours_contact
SUPERVISING_ROLES = ("supervisor", "admin")

SLACK_ID_PATTERN = re.compile(r"[UW][A-Z0-9]+")
_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?", re.IGNORECASE)
_CONFIRM_BY = re.compile(r"\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_SLACK_ID_RULE = 'a Slack user id such as "U0123ABCD" (U or W, then capital letters and digits)'
_WINDOW_RULE = '"HH:MM-HH:MM" (24-hour clock, opening before closing) such as "09:00-17:00"'
_DURATION_RULE = 'a duration such as "4h", "90m" or "1h30m", more than zero'
_CONFIRM_BY_RULE = 'a weekday and a time, such as "friday 17:00" or "fri 17:00"'
_QUOTE_HINT = "YAML reads unquoted NO, ON, YES and OFF as true/false, so put the code in quotes"

# Keys of earlier versions that no longer exist: what to write instead.
_RENAMED: Mapping[str, str] = {
    "turnaround_business_hours": (
        "this key is now turnaround_hours, and it counts clock hours, not business hours: "
        "24 means a day (the old 24 meant three 8-hour days); days the clinic is closed all "
        "day don't count. Write turnaround_hours: 24 (or null for no rule)"
    ),
}

T = TypeVar("T")
Parser = Callable[[object], T]
_Problem = tuple[str, str]  # (path suffix such as ".hours.mon" or "[2]", message)


# --- public errors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyError:
    """One mistake: the key at fault (``team[2].supervisor``) and what to do about it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class PolicyInvalid(Exception):
    """A policy with one or more mistakes; ``errors`` holds every one of them."""

    def __init__(self, errors: Iterable[PolicyError]) -> None:
        self.errors: list[PolicyError] = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


# --- the whole policy ---------------------------------------------------------------------------


def parse_policy(data: object) -> ClinicPolicy:
    """Validate a policy mapping (the YAML schema of the contract) and build the ``ClinicPolicy``.

    Raises ``PolicyInvalid`` carrying every error found, in the order of the file (the checks of
    approvers against the team come last).
    """
    if not isinstance(data, Mapping):
        message = f"a policy must be a mapping of the sections {_listing(_SECTIONS)}"
        raise PolicyInvalid([PolicyError(FILE_PATH, f"{message}, not {_kind(data)}")])
    required = {"clinic": "a mapping with at least the clinic's name and timezone"}
    values, problems = _read_fields(data, _SECTIONS, required)
    problems += _approver_problems(data.get("approvals"), data.get("team"))
    problems += _override_problems(data.get("scripts"), values.get("clinic"), data.get("clinic"))
    problems += _calendar_clinician_problems(data.get("calendars"), data.get("team"))
    if problems:
        raise PolicyInvalid(PolicyError(at.removeprefix("."), message) for at, message in problems)
    return ClinicPolicy(**values)


# --- building blocks ----------------------------------------------------------------------------


class _Bad(Exception):
    """Raised by a parser: the problems found in its value, as (path suffix, message) pairs."""

    def __init__(self, *problems: _Problem) -> None:
        super().__init__(*problems)
        self.problems: tuple[_Problem, ...] = problems


def _fail(message: str) -> NoReturn:
    raise _Bad(("", message))


def _under(prefix: str, problems: Iterable[_Problem]) -> list[_Problem]:
    return [(prefix + at, message) for at, message in problems]


def _kind(value: object) -> str:
    """How a wrong value is described back to the admin."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'the text "{shown}"'
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _listing(names: Iterable[str]) -> str:
    return ", ".join(names)


def _closest(word: str, choices: Collection[str]) -> str | None:
    """The choice the admin most likely meant by ``word``, if any is close enough."""
    lowered = word.lower()
    if lowered in choices:
        return lowered
    close = difflib.get_close_matches(lowered, choices, n=1, cutoff=0.6)
    if close:
        return close[0]
    prefixed = [c for c in choices if lowered.startswith(c) or c.startswith(lowered)]
    return prefixed[0] if len(lowered) >= 3 and len(prefixed) == 1 else None


def _unknown_key(key: object, allowed: Collection[str]) -> str:
    guess = _closest(key, allowed) if isinstance(key, str) else None
    hint = f" did you mean '{guess}'?" if guess else ""
    return f"unknown key;{hint} allowed here: {_listing(allowed)}"


def _read_fields(
    value: object, parsers: Mapping[str, Parser[Any]], required: Mapping[str, str]
) -> tuple[dict[str, Any], list[_Problem]]:
    """Parse the known keys of a mapping; report unknown, missing and bad keys."""
    if not isinstance(value, Mapping):
        _fail(f"must be a mapping with the keys {_listing(parsers)}, not {_kind(value)}")
    values: dict[str, Any] = {}
    problems: list[_Problem] = []
    for key, item in value.items():
        if isinstance(key, str) and key not in parsers and key in _RENAMED:
            problems.append((f".{key}", _RENAMED[key]))
            continue
        if not isinstance(key, str) or key not in parsers:
            problems.append((f".{key}", _unknown_key(key, parsers)))
            continue
        try:
            values[key] = parsers[key](item)
        except _Bad as bad:
            problems += _under(f".{key}", bad.problems)
    for key, what in required.items():
        if key not in value:
            problems.append((f".{key}", f"missing; required: {what}"))
    return values, problems


def _record(
    parsers: Mapping[str, Parser[Any]],
    build: Callable[..., T],
    required: Mapping[str, str] | None = None,
) -> Parser[T]:
    """A parser of a mapping; an optional one left null takes ``build()``'s defaults."""

    def parse(value: object) -> T:
        if value is None and not required:
            return build()
        values, problems = _read_fields(value, parsers, required or {})
        if problems:
            raise _Bad(*problems)
        return build(**values)

    return parse


def _list_of(item: Parser[T], what: str) -> Parser[tuple[T, ...]]:
    def parse(value: object) -> tuple[T, ...]:
        if not isinstance(value, list):
            _fail(f"must be a list of {what} (use [] for none), not {_kind(value)}")
        items: list[T] = []
        problems: list[_Problem] = []
        for index, element in enumerate(value):
            try:
                items.append(item(element))
            except _Bad as bad:
                problems += _under(f"[{index}]", bad.problems)
        if problems:
            raise _Bad(*problems)
        return tuple(items)

    return parse


def _nullable(parse: Parser[T]) -> Parser[T | None]:
    return lambda value: None if value is None else parse(value)


# --- scalar parsers -----------------------------------------------------------------------------


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(f"must be non-empty text, not {_kind(value)}")
    return value.strip()


def _short_text(most: int, what: str) -> Parser[str]:
    """Non-empty text of at most ``most`` characters (it goes into Slack blocks and greetings)."""

    def parse(value: object) -> str:
        text = _text(value)
        if len(text) > most:
            _fail(f"keep it to {most} characters ({what}); it has {len(text)}")
        return text

    return parse


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        _fail(f"must be true or false, not {_kind(value)}")
    return value


def _whole_number(minimum: int) -> Parser[int]:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            _fail(f"must be a whole number of at least {minimum}, not {_kind(value)}")
        return value

    return parse


def _positive_number_of(what: str) -> Parser[float]:
    """A number of ``what`` ("business hours", "hours") greater than 0."""

    def parse(value: object) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            _fail(f"must be a number of {what} greater than 0, not {_kind(value)}")
        return value

    return parse


_positive_hours = _positive_number_of("business hours")


def _clock(hours: str, minutes: str, rule: str) -> time:
    if int(hours) > 23 or int(minutes) > 59:
        _fail(f"{hours}:{minutes} is not a time of day; use {rule}")
    return time(int(hours), int(minutes))


def _window(value: object) -> DailyWindow:
    if not isinstance(value, str):
        _fail(f"must be a time span in quotes, {_WINDOW_RULE}, not {_kind(value)}")
    match = _WINDOW.fullmatch(value)
    if match is None:
        _fail(f'"{value}" is not a time span; use {_WINDOW_RULE}')
    opens = _clock(match[1], match[2], _WINDOW_RULE)
    closes = _clock(match[3], match[4], _WINDOW_RULE)
    if opens >= closes:
        _fail(f'"{value}" closes before it opens; use {_WINDOW_RULE}')
    return DailyWindow(opens, closes)


def _duration(value: object) -> timedelta:
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or not (match[1] or match[2]):
        _fail(f"must be {_DURATION_RULE}, not {_kind(value)}")
    length = timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))
    if length <= timedelta(0):
        _fail(f"must be {_DURATION_RULE}, not {_kind(value)}")
    return length


def _confirm_by(value: object) -> ConfirmBy:
    match = _CONFIRM_BY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        _fail(f"must be {_CONFIRM_BY_RULE}, not {_kind(value)}")
    day = match[1].lower()
    names = WEEKDAY_NAMES if len(day) > 3 else WEEKDAY_KEYS
    if day not in names:
        _fail(f'"{match[1]}" is not a weekday; use {_listing(WEEKDAY_NAMES)} (or mon ... sun)')
    return ConfirmBy(weekday=names.index(day), at=_clock(match[2], match[3], _CONFIRM_BY_RULE))


def _timezone(value: object) -> ZoneInfo:
    if not isinstance(value, str) or not value.strip():
        _fail(f'must be an IANA time zone name such as "America/New_York", not {_kind(value)}')
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    zones = available_timezones()
    by_lower = {zone.lower(): zone for zone in zones}
    guess = by_lower.get(value.strip().lower()) or next(
        iter(difflib.get_close_matches(value.strip(), zones, n=1)), None
    )
    hint = f'did you mean "{guess}"? ' if guess else ""
    _fail(f'unknown time zone "{value}"; {hint}Use an IANA name such as "America/New_York"')


def _slack_id(value: object) -> str:
    if isinstance(value, str) and SLACK_ID_PATTERN.fullmatch(value):
        return value
    if isinstance(value, str) and SLACK_ID_PATTERN.fullmatch(value.strip().upper()):
        _fail(f'"{value}" is not a Slack user id; did you mean "{value.strip().upper()}"?')
    _fail(f"must be {_SLACK_ID_RULE}, not {_kind(value)}")


def _role(value: object) -> str:
    if value not in ROLES:
        _fail(f"must be one of {_listing(ROLES)}, not {_kind(value)}")
    return value


def _code(value: object) -> str:
    """A country or subdivision code as written (YAML turns some bare codes into booleans)."""
    if isinstance(value, bool):
        _fail(f"must be a code such as US or PA, not true/false: {_QUOTE_HINT}")
    if not isinstance(value, str) or not value.strip():
        _fail(f"must be a code such as US or PA, not {_kind(value)}")
    return value.strip()


def _closure_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            _fail(f'"{value}" is not a calendar date; use YYYY-MM-DD, e.g. "2026-12-24"')
    _fail(f'must be a date written YYYY-MM-DD, e.g. "2026-12-24", not {_kind(value)}')


# --- clinic -------------------------------------------------------------------------------------


def _hours(value: object) -> Mapping[int, DailyWindow]:
    """``mon: "09:00-17:00"`` ... ; days left out (or null) are closed, but one day must open."""
    parsers = {key: _nullable(_window) for key in WEEKDAY_KEYS}
    values, problems = _read_fields(value, parsers, {})
    if problems:
        raise _Bad(*problems)
    hours = {WEEKDAY_KEYS.index(key): window for key, window in values.items() if window}
    if not hours:
        _fail(f"the clinic must open on at least one day: give {_WINDOW_RULE} under mon ... sun")
    return hours


def _country(value: object) -> str:
    """A country the ``holidays`` package knows, as its ISO 3166 alpha-2 code ("usa" -> "US")."""
    code = _code(value)
    try:
        return holidays_lib.country_holidays(code.upper()).country
    except NotImplementedError:  # how the holidays package says it has no such country
        _fail(
            f'"{code}" is not a country the holidays package knows; use an ISO 3166 code '
            "such as US, CA or GB"
        )


def _subdivision(country: str, subdivision: str) -> str:
    """The package's own spelling of a subdivision of ``country`` (matched ignoring case)."""
    calendar = holidays_lib.country_holidays(country)
    aliases = getattr(calendar, "subdivisions_aliases", {})
    for known in (*calendar.subdivisions, *aliases):
        if known.lower() == subdivision.lower():
            return known
    allowed = _listing(calendar.subdivisions) or "none (leave subdivision out)"
    message = f'"{subdivision}" is not a subdivision of {country}; use one of {allowed}'
    raise _Bad((".subdivision", message))


def _holiday_calendar(
    country: str | None = None,
    subdivision: str | None = None,
    extra: tuple[date, ...] = (),
) -> HolidayCalendar:
    if subdivision is not None and country is None:
        raise _Bad((".subdivision", "needs holidays.country too (e.g. country: US)"))
    known = _subdivision(country, subdivision) if country and subdivision else None
    return HolidayCalendar(country=country, subdivision=known, extra=frozenset(extra))


def _clinic(**values: Any) -> Clinic:
    values.setdefault("hours", DEFAULT_HOURS)
    calendar: HolidayCalendar | None = values.get("holidays")
    region = calendar.country if calendar and calendar.country else DEFAULT_PHONE_REGION
    if values.get("phone") is not None:
        values["phone"] = _phone_in(values["phone"], region)
    return Clinic(**values, phone_region=region)


def _phone_text(value: object) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        _fail('must be the clinic\'s phone number in quotes, such as "+12155550100" or '
              f'"(215) 555-0100", not {_kind(value)}')
    return str(value).strip()


def _phone_in(text: str, region: str) -> str:
    """The clinic's number in E.164; written without +country it is read in ``region``."""
    try:
        return normalise_phone(text, region)
    except PhoneError as error:
        raise _Bad((".phone", _CLINIC_PHONE_PROBLEMS[error.problem].format(text=text))) from None


_CLINIC_PHONE_PROBLEMS = {
    PhoneProblem.UNREADABLE: '"{text}" is not a phone number; give the area code, or '
                             "+country code for a number abroad (no extension)",
    PhoneProblem.NOT_IN_USE: '"{text}" is not a phone number in use (no such area code or '
                             "exchange); check the digits, or give +country code for a number "
                             "abroad",
    PhoneProblem.EXTENSION: '"{text}" has an extension; give the phone number alone',
}


# --- team and approvals -------------------------------------------------------------------------

_member = _record(
    {
        "slack_id": _slack_id,
        "role": _role,
        "first_name": _text,
        "supervisor": _nullable(_slack_id),
    },
    TeamMember,
    required={
        "slack_id": _SLACK_ID_RULE,
        "role": f"one of {_listing(ROLES)}",
        "first_name": "the person's first name",
    },
)


def _declared_ids(team: object) -> set[str]:
    """Slack ids the raw team list names, even in entries with mistakes elsewhere."""
    if not isinstance(team, list):
        return set()
    return {
        entry["slack_id"]
        for entry in team
        if isinstance(entry, Mapping) and isinstance(entry.get("slack_id"), str)
    }


def _duplicates(team: list[object]) -> list[_Problem]:
    """Slack ids listed twice, reported at the later entry (read from the raw entries)."""
    first_seen: dict[str, int] = {}
    problems: list[_Problem] = []
    for index, entry in enumerate(team):
        slack_id = entry.get("slack_id") if isinstance(entry, Mapping) else None
        if not isinstance(slack_id, str):
            continue
        if slack_id in first_seen:
            earlier = f"team[{first_seen[slack_id]}]"
            message = f"{slack_id} is already on the team ({earlier}); list each person once"
            problems.append((f"[{index}].slack_id", message))
        first_seen.setdefault(slack_id, index)
    return problems


def _supervisor_problems(
    members: Sequence[tuple[int, TeamMember]], declared: set[str]
) -> list[_Problem]:
    roles = {member.slack_id: member.role for _, member in members}
    eligible = sorted(i for i, r in roles.items() if r in SUPERVISING_ROLES)
    rule = "name a team member whose role is supervisor or admin"
    rule += f" ({_listing(eligible)})" if eligible else " (the team has none yet)"
    problems: list[_Problem] = []
    for index, member in members:
        boss = member.supervisor
        if boss is None:
            continue
        if boss == member.slack_id:
            problems.append((f"[{index}].supervisor", f"cannot be the person themself; {rule}"))
        elif boss not in declared:
            problems.append((f"[{index}].supervisor", f"{boss} is not on the team; {rule}"))
        elif boss in roles and roles[boss] not in SUPERVISING_ROLES:
            problems.append((f"[{index}].supervisor", f"{boss} is {roles[boss]}; {rule}"))
    return problems


def _team(value: object) -> tuple[TeamMember, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        _fail(
            "must be a list of people, each {slack_id, role, first_name} and for clinicians "
            f"a supervisor (use [] for none), not {_kind(value)}"
        )
    members: list[tuple[int, TeamMember]] = []
    problems: list[_Problem] = []
    for index, entry in enumerate(value):
        try:
            members.append((index, _member(entry)))
        except _Bad as bad:
            problems += _under(f"[{index}]", bad.problems)
    problems += _duplicates(value)
    problems += _supervisor_problems(members, _declared_ids(value))
    if problems:
        raise _Bad(*problems)
    return tuple(member for _, member in members)


def _closure_approver(value: object) -> str:
    if value == "supervisor":
        return value
    if isinstance(value, str) and SLACK_ID_PATTERN.fullmatch(value):
        return value
    _fail(
        'must be "supervisor" (the clinician\'s own supervisor) or the Slack id of a team '
        f"member, not {_kind(value)}"
    )


def _approver_problems(approvals: object, team: object) -> list[_Problem]:
    """Approvers that must be on the team and are not (checked on the raw, well-formed ids).

    The backup too (issue 5: "approver or backup not on the team: the policy check refuses the
    file"): whoever may decide a request must be someone the bot knows, so its buttons work for
    them and its refusals name a team member.
    """
    if not isinstance(approvals, Mapping) or not (team is None or isinstance(team, list)):
        return []
    declared = _declared_ids(team)
    listing = _listing(sorted(declared)) if declared else "the team is empty"
    problems: list[_Problem] = []
    for key in ("closure_warning", "phone_coaching", "backup"):
        named = approvals.get(key)
        if isinstance(named, str) and SLACK_ID_PATTERN.fullmatch(named) and named not in declared:
            problems.append(
                (
                    f".approvals.{key}",
                    f"{named} is not on the team; name a team "
                    f"member ({listing}) or add them under team",
                )
            )
    return problems + _backup_decider_problems(approvals)


def _backup_decider_problems(approvals: Mapping[str, object]) -> list[_Problem]:
    """``backup_may_decide: true`` lets the backup decide: there must be a backup to do it."""
    if approvals.get("backup_may_decide") is True and approvals.get("backup") is None:
        return [(
            ".approvals.backup_may_decide",
            "is true but approvals.backup names nobody; name the backup who may decide "
            "(approvals.backup) or set backup_may_decide: false",
        )]
    return []


def _scripts(value: object) -> Mapping[str, str]:
    """Overrides by script name, each a valid template using only its script's placeholders.

    What needs the clinic's name and number (an override may not write them out) is checked
    once the whole policy is read, in ``_override_problems``.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        _fail(f"must be a mapping of script name to text (use {{}} for none), not {_kind(value)}")
    scripts: dict[str, str] = {}
    problems: list[_Problem] = []
    for name, text in value.items():
        if not isinstance(name, str) or name not in SCRIPT_NAMES:
            problems.append((f".{name}", _unknown_script(name)))
        elif not isinstance(text, str) or not text.strip():
            problems.append((f".{name}", f"must be the script's text, not {_kind(text)}"))
        elif (problem := check_template(name, text)) is not None:
            problems.append((f".{name}", problem))
        else:
            scripts[name] = text
    if problems:
        raise _Bad(*problems)
    return scripts


def _unknown_script(name: object) -> str:
    guess = _closest(name, SCRIPT_NAMES) if isinstance(name, str) else None
    hint = f"did you mean '{guess}'? " if guess else ""
    return f"there is no script named {name!r}; {hint}the scripts are: {_listing(SCRIPT_NAMES)}"


def _override_problems(scripts: object, parsed: Clinic | None, clinic: object) -> list[_Problem]:
    """Overrides that say the clinic's name or give its main number outright.

    Both must come from their placeholders ({from_clinic}, {callback_number}), which the
    client's consent governs. Checked on every override that is otherwise valid (the others
    are reported by ``_scripts``), against the parsed clinic or, when the clinic section has
    mistakes of its own, its raw name: one run reports everything.
    """
    if not isinstance(scripts, Mapping):
        return []
    name: str | None
    if parsed is not None:
        name, phone = parsed.name, parsed.phone
    else:
        raw = clinic.get("name") if isinstance(clinic, Mapping) else None
        name, phone = (raw if isinstance(raw, str) else None), None
    return [
        (f".scripts.{script}", problem)
        for script, text in scripts.items()
        if script in SCRIPT_NAMES and isinstance(text, str) and check_template(script, text) is None
        and (problem := check_template(script, text, name, phone)) is not None
    ]


# --- the schema ---------------------------------------------------------------------------------

_SECTIONS: Mapping[str, Parser[Any]] = {
    "clinic": _record(
        {
            "name": _text,
            "timezone": _timezone,
            "hours": _hours,
            "holidays": _record(
                {
                    "country": _nullable(_country),
                    "subdivision": _nullable(_code),
                    "extra": _list_of(_closure_date, 'dates written YYYY-MM-DD, e.g. "2026-12-24"'),
                },
                _holiday_calendar,
            ),
            "emergency": _text,
            "after_hours_contact": _nullable(
                _short_text(MAX_AFTER_HOURS_CONTACT, "one line, said in voicemail greetings")
            ),
            "phone": _nullable(_phone_text),
        },
        _clinic,
        required={
            "name": "the clinic's name (said in voicemails only with the client's consent)",
            "timezone": 'an IANA time zone name such as "America/New_York"',
        },
    ),
    "callbacks": _record(
        {
            "turnaround_hours": _nullable(_positive_number_of("hours")),
            "operating_hours_only": _flag,
            "require_voicemail": _flag,
            "window": _nullable(_window),
            "remind_before": _list_of(_duration, 'durations such as "4h" or "90m"'),
        },
        CallbackPolicy,
    ),
    "no_show": _record(
        {
            "wait_minutes": _whole_number(1),
            "closure_warning_after": _whole_number(1),
            "confirm_by": _confirm_by,
            "late_fee": _flag,
        },
        NoShowPolicy,
    ),
    "approvals": _record(
        {
            "closure_warning": _closure_approver,
            "phone_coaching": _nullable(_slack_id),
            "remind_after_business_hours": _positive_hours,
            "backup": _nullable(_slack_id),
            "backup_may_decide": _flag,
        },
        ApprovalPolicy,
    ),
    "reports": _record({"weekly_digest": _flag}, ReportsPolicy),
    "team": _team,
    "scripts": _scripts,
    "calendars": lambda value: _calendars(value),
}


# --- calendars (issue 14) ---------------------------------------------------------------------

FEED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
MAX_CODE_PATTERN = 200  # characters of a client_code regex
_FEED_NAME_RULE = ("1 to 64 letters, digits, spaces, '.', '_' or '-' (admins see it; the URL is "
                   "never shown)")


def _feed_name(value: object) -> str:
    if not isinstance(value, str) or not FEED_NAME.fullmatch(value.strip()):
        _fail(f"must be a name of {_FEED_NAME_RULE}, not {_kind(value)}")
    return value.strip()


def _env_name(value: object) -> str:
    if not isinstance(value, str) or not ENV_NAME.fullmatch(value):
        _fail("must be the name of an environment variable (letters, digits and _, such as "
              f"CLINIC_CALENDAR_URL) holding the feed's secret URL, not {_kind(value)}; never "
              "write the URL itself in the policy")
    return value


def _client_code_pattern(value: object) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        _fail(f"must be a regular expression in quotes, not {_kind(value)}")
    if len(value) > MAX_CODE_PATTERN:
        _fail(f"keep the regular expression to {MAX_CODE_PATTERN} characters")
    try:
        pattern = re.compile(value)
    except re.error as error:
        _fail(f"is not a valid regular expression ({error}); for example "
              r"'\b([A-Z]-\d{3,4})\b'")
    if pattern.groups < 1:
        _fail("has no group: put the client code in parentheses, as in "
              r"'\b([A-Z]-\d{3,4})\b' (group 1 is the code)")
    return pattern


_ONE_SOURCE = ("give either url_env (the environment variable holding the feed's secret URL) or "
               "file (a local .ics file), exactly one of them")

_FEED_FIELDS = _record(
    {
        "name": _feed_name,
        "url_env": _env_name,
        "file": _text,
        "clinician": _slack_id,
        "client_code": _client_code_pattern,
        "every": _duration,  # whole minutes or hours: at least 1m
    },
    CalendarFeed,
    required={
        "name": _FEED_NAME_RULE,
        "client_code": r"a regular expression whose group 1 is the client code, such as "
                       r"'\b([A-Z]-\d{3,4})\b'",
    },
)


def _feed(value: object) -> CalendarFeed:
    """One feed. Neither or both of url_env and file is reported with the other mistakes of the
    entry, whatever they are."""
    source: list[_Problem] = []
    if isinstance(value, Mapping) and ("url_env" in value) == ("file" in value):
        source.append(("", _ONE_SOURCE))
    try:
        feed = _FEED_FIELDS(value)
    except _Bad as bad:
        raise _Bad(*source, *bad.problems) from None
    if source:
        raise _Bad(*source)
    return feed


def _calendars(value: object) -> tuple[CalendarFeed, ...]:
    if value is None:
        return ()
    feeds = _list_of(_feed, "feeds, each with name, url_env or file, and client_code")(value)
    seen: dict[str, int] = {}
    problems: list[_Problem] = []
    for index, feed in enumerate(feeds):
        first = seen.setdefault(feed.name.lower(), index)
        if first != index:
            problems.append((f"[{index}].name", f"{feed.name!r} is already the name of "
                                                f"calendars[{first}]; give each feed its own name"))
    if problems:
        raise _Bad(*problems)
    return feeds


def _calendar_clinician_problems(calendars: object, team: object) -> list[_Problem]:
    """A feed's ``clinician`` must be on the team as someone who treats clients (a clinician
    or a supervisor), as a client's clinician must."""
    if not isinstance(calendars, list) or not (team is None or isinstance(team, list)):
        return []
    roles = {entry["slack_id"]: entry.get("role") for entry in team or []
             if isinstance(entry, Mapping) and isinstance(entry.get("slack_id"), str)}
    problems: list[_Problem] = []
    for index, feed in enumerate(calendars):
        clinician = feed.get("clinician") if isinstance(feed, Mapping) else None
        if not isinstance(clinician, str) or not SLACK_ID_PATTERN.fullmatch(clinician):
            continue
        if clinician not in roles:
            problems.append((f".calendars[{index}].clinician", f"{clinician} is not on the "
                             "team; name a team member or add them under team"))
        elif roles[clinician] in ("front_desk", "admin"):
            problems.append((f".calendars[{index}].clinician", f"{clinician} is on the team as "
                             f"{str(roles[clinician]).replace('_', ' ')}; name a clinician or "
                             "a supervisor (who sees the appointments and their chases)"))
    return problems


def calendar_setting_problems(policy: ClinicPolicy,
                              environ: Mapping[str, str]) -> list[PolicyError]:
    """What ``serve`` needs of the feeds beyond the file itself: each ``url_env`` set to an
    address that may be fetched (never quoted back), each ``file`` present."""
    problems: list[PolicyError] = []
    for index, feed in enumerate(policy.calendars):
        if feed.url_env is not None:
            url = environ.get(feed.url_env, "").strip()
            problem = (f"the environment variable {feed.url_env} is not set; set it to the "
                       "feed's secret URL" if not url else
                       (f"the environment variable {feed.url_env} {p}" if (p := url_problem(url))
                        else None))
            if problem:
                problems.append(PolicyError(f"calendars[{index}].url_env", problem))
        elif feed.file is not None and not os.path.isfile(feed.file):
            problems.append(PolicyError(f"calendars[{index}].file",
                                        f"there is no file at {feed.file}; check the path"))
    return problems
