"""The clients and appointments CSV formats of the contract: parse, validate, write.

Pure of storage: text in, records out (and back). A file is checked whole before anything is
returned; every problem becomes an ``ImportProblem`` addressed by the file's physical line (the
header is line 1; a quoted value spanning lines counts every line) and column, and they are
raised together as one ``ImportErrors``. Rows are checked only once the header is right, since
a wrong header makes every cell's meaning doubtful.

Messages quote a bad value only for columns that carry no client secret: a bad phone number,
name or reason is described, never echoed, so a problem list is safe to print or log.

Spreadsheet formula injection: the writer puts an apostrophe before any value that starts with
``= + - @``, a tab or a carriage return (and before one that starts with apostrophes followed by
one of those), so a spreadsheet shows it as text instead of running it. The parser removes
exactly one leading apostrophe from a value that starts with apostrophes followed by one of those
characters, which keeps ``parse(write(records)) == records`` exact. Phone number columns are left
alone: they hold E.164 numbers (``+`` and digits), which cannot call a function, and a prefix
there would get in the way of every other tool reading the file.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.policy.dates import date_range_problem
from bot.policy.model import (
    CLIENT_CODE_RULE,
    CLIENT_STATUSES,
    MAX_NAME_LENGTH,
    MAX_REASON_LENGTH,
    PHONE_KINDS,
    AppointmentRecord,
    ClientRecord,
    ClientStatus,
    Consent,
    ImportErrors,
    ImportProblem,
    NumberPermission,
    PhoneKind,
    ThirdParty,
    code_key,
    free_text_problem,
    is_client_code,
)
from bot.policy.phones import PhoneError, PhoneProblem, is_known_region, normalise_phone

CLIENT_COLUMNS: tuple[str, ...] = (
    "code",
    "clinician",
    "preferred_name",
    "may_call",
    "preferred_phone",
    "cell",
    "home",
    "work",
    "do_not_call",
    "do_not_call_reason",
    "voicemail_ok",
    "clinic_name_ok",
    "earliest",
    "latest",
    "third_party_name",
    "third_party_written_permission",
    "status",
)
APPOINTMENT_COLUMNS: tuple[str, ...] = ("client", "start", "minutes")
OPTIONAL_APPOINTMENT_COLUMNS = frozenset({"minutes"})  # a file without it: 50 minutes each

DEFAULT_APPOINTMENT_MINUTES = 50
MAX_APPOINTMENT_MINUTES = 600
KIND_SEPARATOR = ";"

_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_LOCAL_START = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_FORMULA_START = "=+-@\t\r"
_GUARDED = re.compile(r"'*[" + re.escape(_FORMULA_START) + "]")
_ESCAPED = re.compile(r"'+[" + re.escape(_FORMULA_START) + "]")
_SHOWN_VALUE_LENGTH = 40
_SUGGESTION_CUTOFF = 0.75  # 'stat' suggests 'start'; 'length' suggests nothing
_YES_NO = {"yes": True, "no": False}
_KINDS: dict[str, PhoneKind] = {kind: kind for kind in PHONE_KINDS}
_STATUSES: dict[str, ClientStatus] = {status: status for status in CLIENT_STATUSES}
_KIND_RULE = "cell, home or work"
_LOCAL_START_RULE = "YYYY-MM-DD HH:MM (clinic time) or ISO 8601 with an offset"


# -- public API --------------------------------------------------------------------------------


ClinicianCheck = Callable[[str], str | None]  # a clinician's Slack id -> what is wrong, or None


def parse_clients_csv(text: str, default_region: str,
                      clinician_problem: ClinicianCheck | None = None) -> list[ClientRecord]:
    """The client records in a clients CSV; raises ``ImportErrors`` listing every problem.

    Numbers written without a country code are read as numbers of ``default_region`` (an
    ISO 3166 region such as "US") and come back in E.164. Every record carries a ``Consent``
    (``may_call`` None when the row says nothing about it) without provenance: the importing
    service adds that. ``clinician_problem`` (when given) says what is wrong with a row's
    clinician, such as someone on the team who does not treat clients.
    """
    if not is_known_region(default_region):
        raise ValueError(f"unknown phone region {default_region!r}")
    problems: list[ImportProblem] = []
    records: list[ClientRecord] = []
    first_of_code: dict[str, tuple[int, str]] = {}  # code_key -> (line, code as written there)
    for row in _table_rows(text, CLIENT_COLUMNS, frozenset(), problems):
        record = _client_record(row, default_region, problems, clinician_problem)
        if record is None:
            continue
        first = first_of_code.get(code_key(record.code))
        if first is not None:
            problems.append(ImportProblem(row.line, "code", _repeated_code(record.code, *first)))
            continue
        first_of_code[code_key(record.code)] = (row.line, record.code)
        records.append(record)
    if problems:
        raise ImportErrors(_in_file_order(problems))
    return records


def _repeated_code(code: str, first_line: int, first_code: str) -> str:
    if code == first_code:
        return f"{code!r} is already on line {first_line}; give each client one row"
    return (f"{code!r} and {first_code!r} on line {first_line} are the same client (codes match "
            "without regard to case); give each client one row, in one spelling")


def write_clients_csv(records: Iterable[ClientRecord]) -> str:
    """The records as a clients CSV (header first, ``\\n`` line ends, no byte-order mark).

    Records that came from ``parse_clients_csv`` come back exactly. Records from elsewhere are
    written as closely as the format allows: a number that may not be called is listed in
    ``do_not_call``; different do-not-call reasons are joined with "; "; several third parties
    become one entry with their names joined by "; " and written permission only if all have
    it; a preferred phone or voicemail permission on a number that is missing or may not be
    called (which the import would refuse) is left out. Per-number windows and clinic-name
    answers, the safety note, provenance and coaching approvals are not part of the format.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CLIENT_COLUMNS)
    for record in records:
        cells = _client_cells(record)
        writer.writerow(
            cells[column] if column in PHONE_KINDS else _guard(cells[column])
            for column in CLIENT_COLUMNS
        )
    return out.getvalue()


def parse_appointments_csv(text: str, timezone: ZoneInfo,
                           today: date | None = None) -> list[AppointmentRecord]:
    """The appointments in an appointments CSV, starts in UTC; raises ``ImportErrors``.

    With ``today`` (the clinic's date), a start more than a year back or two years ahead is a
    problem (``bot.policy.dates``); a start too far out to convert to UTC always is.

    ``start`` is either ``YYYY-MM-DD HH:MM`` in ``timezone`` or ISO 8601 with an offset. A
    local time that does not exist (the spring-forward gap) is a problem; one that happens
    twice (the fall-back hour) is the first of the two, in daylight-saving time. Whether each
    client code is on file is for the importing service to check.
    """
    problems: list[ImportProblem] = []
    appointments: list[AppointmentRecord] = []
    first_line_of: dict[tuple[str, datetime], int] = {}
    for row in _table_rows(text, APPOINTMENT_COLUMNS, OPTIONAL_APPOINTMENT_COLUMNS, problems):
        appointment = _appointment(row, timezone, today, problems)
        if appointment is None:
            continue
        key = (code_key(appointment.client_code), appointment.start)
        if key in first_line_of:
            problems.append(ImportProblem(
                row.line, "start",
                f"{appointment.client_code} already has an appointment at this time on line"
                f" {first_line_of[key]}; give each appointment one row",
            ))
            continue
        first_line_of[key] = row.line
        appointments.append(appointment)
    if problems:
        raise ImportErrors(_in_file_order(problems))
    return appointments


def _in_file_order(problems: list[ImportProblem]) -> list[ImportProblem]:
    """Problems by line; within a line, in the order they were found (columns left to right)."""
    return sorted(problems, key=lambda problem: problem.line)


# -- reading a table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    line: int  # physical line where the row starts
    values: dict[str, str]  # column -> stripped, unescaped value


def _table_rows(text: str, columns: Sequence[str], optional: frozenset[str],
                problems: list[ImportProblem]) -> list[_Row]:
    """The data rows of ``text`` by column name; header and row-shape problems go to ``problems``.

    Rows whose cells are all empty are skipped. Returns no rows when the header is wrong.
    """
    records = _physical_records(text.removeprefix("\ufeff"), problems)
    header_line, header = next(records, (1, []))
    names = [cell.strip().lower() for cell in header]
    header_problems = _header_problems(names, columns, optional)
    if header_problems:
        problems.extend(ImportProblem(header_line, column, message)
                        for column, message in header_problems)
        return []
    rows = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            problems.append(ImportProblem(
                line, None,
                f"{len(cells)} fields where the header has {len(names)}; a value with a comma"
                " needs double quotes around it, and every opening quote its closing one",
            ))
            continue
        values = {name: _unguard(cell.strip()) for name, cell in zip(names, cells, strict=True)}
        rows.append(_Row(line, values))
    return rows


def _physical_records(text: str, problems: list[ImportProblem]) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the physical line it starts on; stops at unreadable CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.append(ImportProblem(line, None, f"not readable as CSV ({error})"))
            return
        yield line, cells
        line = reader.line_num + 1


def _header_problems(names: list[str], columns: Sequence[str],
                     optional: frozenset[str]) -> list[tuple[str | None, str]]:
    if not any(names):
        return [(None, "the first line must be the header: " + ",".join(columns))]
    found: list[tuple[str | None, str]] = []
    for position, name in enumerate(names, start=1):
        if not name:
            found.append((None, f"header field {position} is empty; name it or remove it"))
        elif name not in columns:
            found.append((name, "not a column of this file; " + _suggestion(name, columns)))
    for name in dict.fromkeys(n for n in names if n in columns and names.count(n) > 1):
        positions = ", ".join(str(i) for i, n in enumerate(names, start=1) if n == name)
        found.append((name, f"appears more than once in the header (fields {positions})"))
    found.extend((name, "missing from the header")
                 for name in columns if name not in names and name not in optional)
    return found


def _suggestion(name: str, columns: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, columns, n=1, cutoff=_SUGGESTION_CUTOFF)
    if close:
        return f"did you mean {close[0]!r}?"
    return "the columns are " + ",".join(columns)


def _guard(value: str) -> str:
    """``value`` with an apostrophe in front when a spreadsheet could take it for a formula."""
    return "'" + value if _GUARDED.match(value) else value


def _unguard(value: str) -> str:
    """Undo ``_guard``."""
    return value[1:] if _ESCAPED.match(value) else value


def _shown(value: str) -> str:
    """A non-secret bad value, quoted and cut short, for a problem message."""
    if len(value) > _SHOWN_VALUE_LENGTH:
        value = value[:_SHOWN_VALUE_LENGTH] + "…"
    return repr(value)


class _Cells:
    """Typed reads of one row's values; a bad value is recorded as a problem and read as None."""

    def __init__(self, row: _Row, problems: list[ImportProblem]):
        self.row = row
        self.problems = problems
        self.failed = False

    def fail(self, column: str, message: str) -> None:
        self.failed = True
        self.problems.append(ImportProblem(self.row.line, column, message))

    def text(self, column: str, max_length: int) -> str | None:
        value = self.row.values.get(column) or None
        problem = free_text_problem(value, max_length) if value is not None else None
        if problem is not None:
            self.fail(column, problem)
            return None
        return value

    def code(self, column: str) -> str | None:
        value = self.row.values[column]
        if not value:
            self.fail(column, "a client code is required")
        elif not is_client_code(value):
            self.fail(column, f"{_shown(value)} is not a client code: {CLIENT_CODE_RULE}")
        else:
            return value
        return None

    def slack_user(self, column: str) -> str | None:
        value = self.row.values[column]
        if value and not _SLACK_USER_ID.fullmatch(value):
            self.fail(column, f"{_shown(value)} is not a Slack user id (like U0ANA), nor empty")
        return value or None

    def yes_no(self, column: str) -> bool | None:
        value = self.row.values[column]
        if not value:
            return None
        answer = _YES_NO.get(value.lower())
        if answer is None:
            self.fail(column, f"{_shown(value)} is not yes or no; write yes, no, or nothing when"
                              " unknown")
        return answer

    def kind(self, column: str) -> PhoneKind | None:
        value = self.row.values[column]
        if not value:
            return None
        kind = _KINDS.get(value.lower())
        if kind is None:
            self.fail(column, f"{_shown(value)} is not a phone kind; use {_KIND_RULE}")
        return kind

    def kinds(self, column: str) -> frozenset[PhoneKind]:
        kinds: set[PhoneKind] = set()
        for part in self.row.values[column].split(KIND_SEPARATOR):
            if not part.strip():
                continue
            kind = _KINDS.get(part.strip().lower())
            if kind is None:
                self.fail(column, f"{_shown(part.strip())} is not a phone kind; list kinds from"
                                  f" {_KIND_RULE}, separated by {KIND_SEPARATOR!r}")
            else:
                kinds.add(kind)
        return frozenset(kinds)

    def clock(self, column: str) -> time | None:
        value = self.row.values[column]
        if not value:
            return None
        match = _CLOCK.fullmatch(value)
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return time(int(match[1]), int(match[2]))
        self.fail(column, f"{_shown(value)} is not a time of day; use HH:MM, e.g. 09:30 or 17:00")
        return None

    def status(self, column: str) -> ClientStatus:
        value = self.row.values[column]
        status = _STATUSES.get(value.lower()) if value else "active"
        if status is None:
            self.fail(column, f"{_shown(value)} is not a status; use "
                              f"{', '.join(CLIENT_STATUSES)} (empty means active)")
            return "active"
        return status

    def phone(self, column: str, region: str) -> str | None:
        value = self.row.values[column]
        if not value:
            return None
        try:
            return normalise_phone(value, region)
        except PhoneError as error:
            if error.problem is PhoneProblem.EXTENSION:
                self.fail(column, "has an extension, which cannot be stored; give the number "
                                  "alone")
            else:
                self.fail(column, "not a valid phone number; give the area code, or +country "
                                  "code for a number abroad")
            return None


# -- clients -----------------------------------------------------------------------------------


def _client_record(row: _Row, region: str, problems: list[ImportProblem],
                   clinician_problem: ClinicianCheck | None) -> ClientRecord | None:
    """The row as a record, or None when anything in it is wrong (each problem recorded)."""
    cells = _Cells(row, problems)
    code = cells.code("code")
    clinician = cells.slack_user("clinician")
    problem = clinician_problem(clinician) if clinician and clinician_problem else None
    if problem is not None:
        cells.fail("clinician", problem)
    may_call = cells.yes_no("may_call")
    preferred = cells.kind("preferred_phone")
    numbers = {kind: cells.phone(kind, region) for kind in PHONE_KINDS}
    do_not_call = cells.kinds("do_not_call")
    voicemail = cells.kinds("voicemail_ok")
    clinic_name_ok = cells.yes_no("clinic_name_ok")
    earliest, latest = cells.clock("earliest"), cells.clock("latest")
    written_permission = cells.yes_no("third_party_written_permission")
    status = cells.status("status")
    first_name = cells.text("preferred_name", MAX_NAME_LENGTH)
    third_party_name = cells.text("third_party_name", MAX_NAME_LENGTH)
    do_not_call_reason = cells.text("do_not_call_reason", MAX_REASON_LENGTH)
    _check_consistency(cells, preferred, do_not_call, voicemail, earliest, latest,
                       written_permission)
    if cells.failed or code is None:
        return None
    consent = Consent(
        may_call=may_call,
        preferred_kind=preferred,
        clinic_name_ok=clinic_name_ok,
        earliest=earliest,
        latest=latest,
        numbers=_number_permissions(numbers, do_not_call, do_not_call_reason, voicemail),
        third_parties=(
            () if third_party_name is None
            else (ThirdParty(third_party_name, written_permission is True),)
        ),
    )
    return ClientRecord(code=code, clinician=clinician, preferred_name=first_name,
                        status=status, consent=consent)


def _check_consistency(cells: _Cells, preferred: PhoneKind | None,
                       do_not_call: frozenset[PhoneKind], voicemail: frozenset[PhoneKind],
                       earliest: time | None, latest: time | None,
                       written_permission: bool | None) -> None:
    """Problems between columns. A number's cell counts as given even if it was malformed, so a
    bad number is reported once, at the number."""
    given = {kind for kind in PHONE_KINDS if cells.row.values[kind]}
    if preferred is not None and preferred not in given:
        cells.fail("preferred_phone", f"{preferred!r}, but the {preferred} column is empty")
    if preferred is not None and preferred in do_not_call:
        cells.fail("preferred_phone", f"{preferred!r} is also in do_not_call")
    for kind in sorted(voicemail - given, key=PHONE_KINDS.index):
        cells.fail("voicemail_ok", f"{kind!r}, but the {kind} column is empty")
    for kind in sorted(voicemail & do_not_call, key=PHONE_KINDS.index):
        cells.fail("voicemail_ok", f"{kind!r} is also in do_not_call")
    if cells.row.values["do_not_call_reason"] and not do_not_call:
        cells.fail("do_not_call_reason", "given, but do_not_call lists no phone kind")
    if earliest is not None and latest is not None and earliest >= latest:
        cells.fail("latest", f"{latest:%H:%M} is not after earliest ({earliest:%H:%M})")
    if written_permission and not cells.row.values["third_party_name"]:
        cells.fail("third_party_written_permission", "yes, but third_party_name is empty")


def _number_permissions(numbers: dict[PhoneKind, str | None], do_not_call: frozenset[PhoneKind],
                        reason: str | None,
                        voicemail: frozenset[PhoneKind]) -> tuple[NumberPermission, ...]:
    """One permission per kind with a number or a do-not-call mark, in ``PHONE_KINDS`` order."""
    return tuple(
        NumberPermission(
            kind=kind,
            number=numbers[kind],
            may_call=kind not in do_not_call,
            do_not_call=kind in do_not_call,
            do_not_call_reason=reason if kind in do_not_call else None,
            voicemail_ok=kind in voicemail,
        )
        for kind in PHONE_KINDS
        if numbers[kind] is not None or kind in do_not_call
    )


def _client_cells(record: ClientRecord) -> dict[str, str]:
    """The record's values by column, unguarded."""
    cells = dict.fromkeys(CLIENT_COLUMNS, "")
    cells.update(code=record.code, clinician=record.clinician or "",
                 preferred_name=record.preferred_name or "", status=record.status)
    consent = record.consent
    if consent is None:
        return cells
    barred = [n for n in consent.numbers if n.do_not_call or not n.may_call]
    callable_kinds = [n.kind for n in consent.numbers if n.number and n not in barred]
    reasons = dict.fromkeys(n.do_not_call_reason for n in barred if n.do_not_call_reason)
    named_parties = [p for p in consent.third_parties if p.name]
    cells.update(
        may_call=_yes_no(consent.may_call),
        preferred_phone=consent.preferred_kind if consent.preferred_kind in callable_kinds else "",
        do_not_call=KIND_SEPARATOR.join(n.kind for n in barred),
        do_not_call_reason="; ".join(reasons),
        voicemail_ok=KIND_SEPARATOR.join(
            n.kind for n in consent.numbers if n.voicemail_ok and n.kind in callable_kinds
        ),
        clinic_name_ok=_yes_no(consent.clinic_name_ok),
        earliest=_clock(consent.earliest),
        latest=_clock(consent.latest),
        third_party_name="; ".join(p.name for p in named_parties),
        third_party_written_permission=(
            _yes_no(all(p.written_permission for p in named_parties)) if named_parties else ""
        ),
    )
    for number in consent.numbers:
        cells[number.kind] = number.number or ""
    return cells


def _yes_no(answer: bool | None) -> str:
    return "" if answer is None else "yes" if answer else "no"


def _clock(value: time | None) -> str:
    return "" if value is None else f"{value:%H:%M}"


# -- appointments ------------------------------------------------------------------------------


def _appointment(row: _Row, timezone: ZoneInfo, today: date | None,
                 problems: list[ImportProblem]) -> AppointmentRecord | None:
    cells = _Cells(row, problems)
    code = cells.code("client")
    start = _start(cells, timezone, today)
    minutes = _minutes(cells)
    if cells.failed or code is None or start is None or minutes is None:
        return None
    return AppointmentRecord(client_code=code, start=start, minutes=minutes)


def _start(cells: _Cells, timezone: ZoneInfo, today: date | None) -> datetime | None:
    """The ``start`` value as an aware UTC datetime, or None (problem recorded)."""
    value = cells.row.values["start"]
    if not value:
        cells.fail("start", f"a start time is required: {_LOCAL_START_RULE}")
        return None
    local = _LOCAL_START.fullmatch(value) is not None
    if local:
        # fold=0: of two repeated wall times (the autumn hour) the first, in daylight time.
        try:
            written = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=timezone)
        except ValueError:
            cells.fail("start", f"{_shown(value)} is not a real date and time")
            return None
    else:
        try:
            offset_given = datetime.fromisoformat(value)
        except ValueError:
            offset_given = None
        if offset_given is None or offset_given.tzinfo is None:
            cells.fail("start", f"{_shown(value)} is not a start time; use {_LOCAL_START_RULE},"
                                " e.g. 2026-03-10 14:00 or 2026-03-10T14:00-05:00")
            return None
        written = offset_given
    problem = date_range_problem(written.date(), today) if today is not None else None
    if problem is not None:
        cells.fail("start", problem)
        return None
    try:
        start = written.astimezone(UTC)
    except OverflowError:
        cells.fail("start", f"{_shown(value)} is too far from today to be a start time")
        return None
    if local and start.astimezone(timezone).replace(tzinfo=None) != written.replace(tzinfo=None):
        cells.fail("start", f"{value} does not exist in {timezone.key}: the clocks go forward"
                            " then; give a time outside the gap, or an offset (ISO 8601)")
        return None
    return start


def _minutes(cells: _Cells) -> int | None:
    value = cells.row.values.get("minutes", "")
    if not value:
        return DEFAULT_APPOINTMENT_MINUTES
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_APPOINTMENT_MINUTES:
        return int(value)
    cells.fail("minutes", f"{_shown(value)} is not a whole number of minutes from 1 to"
                          f" {MAX_APPOINTMENT_MINUTES} (empty means {DEFAULT_APPOINTMENT_MINUTES})")
    return None
