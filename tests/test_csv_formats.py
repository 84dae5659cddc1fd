"""The clients and appointments CSV formats: each problem at its line and column; round trips."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from bot.csv_formats import (
    CLIENT_COLUMNS,
    parse_appointments_csv,
    parse_clients_csv,
    write_clients_csv,
)
from bot.policy.model import (
    AppointmentRecord,
    ClientRecord,
    Consent,
    ImportErrors,
    NumberPermission,
    ThirdParty,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
CONTRACT_HEADER = (
    "code,clinician,preferred_name,may_call,preferred_phone,cell,home,work,do_not_call,"
    "do_not_call_reason,voicemail_ok,clinic_name_ok,earliest,latest,third_party_name,"
    "third_party_written_permission,status"
)
HEADER = ",".join(CLIENT_COLUMNS)
CELL, HOME, WORK = "+12155550134", "+12155550135", "+16105550100"


def csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def client_row(**values: str) -> str:
    """A clients CSV data line: ``code`` C-1 unless given, every other column empty unless given."""
    values = {"code": "C-1", **values}
    unknown = set(values) - set(CLIENT_COLUMNS)
    assert not unknown, unknown
    return csv_line([values.get(column, "") for column in CLIENT_COLUMNS])


def clients_csv(*rows: str) -> str:
    return HEADER + "\n" + "".join(rows)


def client_problems(text: str) -> list[str]:
    with pytest.raises(ImportErrors) as caught:
        parse_clients_csv(text, "US")
    return [str(problem) for problem in caught.value.problems]


def appointment_problems(text: str, zone: ZoneInfo = NEW_YORK) -> list[str]:
    with pytest.raises(ImportErrors) as caught:
        parse_appointments_csv(text, zone)
    return [str(problem) for problem in caught.value.problems]


def only_client(**values: str) -> ClientRecord:
    [record] = parse_clients_csv(clients_csv(client_row(**values)), "US")
    return record


# -- clients: reading ---------------------------------------------------------------------------


def test_columns_are_the_contract_header_in_order() -> None:
    assert HEADER == CONTRACT_HEADER


def test_a_full_row_maps_to_its_record() -> None:
    record = only_client(
        code="C-1042", clinician="U0ANA", preferred_name="Pat", may_call="yes",
        preferred_phone="cell", cell="(215) 555-0134", home="215.555.0135",
        do_not_call="home;work", do_not_call_reason="Lives with ex-partner",
        voicemail_ok="cell", clinic_name_ok="no", earliest="09:00", latest="18:30",
        third_party_name="Robin", third_party_written_permission="yes", status="active",
    )
    reason = "Lives with ex-partner"
    assert record == ClientRecord(
        code="C-1042", clinician="U0ANA", preferred_name="Pat", status="active",
        consent=Consent(
            may_call=True, preferred_kind="cell", clinic_name_ok=False,
            earliest=time(9, 0), latest=time(18, 30),
            numbers=(
                NumberPermission("cell", CELL, voicemail_ok=True),
                NumberPermission("home", HOME, may_call=False, do_not_call=True,
                                 do_not_call_reason=reason),
                NumberPermission("work", None, may_call=False, do_not_call=True,
                                 do_not_call_reason=reason),
            ),
            third_parties=(ThirdParty("Robin", written_permission=True),),
        ),
    )


def test_a_row_with_only_a_code_is_a_consent_never_asked() -> None:
    assert only_client(code="C-7") == ClientRecord(
        code="C-7", clinician=None, status="active", consent=Consent(may_call=None)
    )


@pytest.mark.parametrize("spelling", [
    "(215) 555-0134", "215.555.0134", "+1 215 555 0134", "215-555-0134", "2155550134",
    "1 (215) 555-0134", "+12155550134",
])
def test_phone_numbers_are_normalised_to_e164(spelling: str) -> None:
    assert phonenumbers.is_valid_number(phonenumbers.parse(spelling, "US"))
    assert only_client(cell=spelling).consent.number("cell").number == CELL  # type: ignore[union-attr]


def test_a_number_abroad_keeps_its_country_and_the_region_reads_national_numbers() -> None:
    record = only_client(work="+44 20 7946 0958")
    assert record.consent.number("work").number == "+442079460958"  # type: ignore[union-attr]
    [british] = parse_clients_csv(clients_csv(client_row(home="020 7946 0958")), "GB")
    assert british.consent.number("home").number == "+442079460958"  # type: ignore[union-attr]
    assert client_problems(clients_csv(client_row(home="020 7946 0958"))) == [
        "line 2, column home: not a valid phone number; give the area code, or +country code"
        " for a number abroad"
    ]


def test_an_unknown_region_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        parse_clients_csv(clients_csv(client_row()), "XX")


@pytest.mark.parametrize(("values", "expected"), [
    ({"may_call": "YES", "clinic_name_ok": "No"}, (True, False)),
    ({"may_call": " no ", "clinic_name_ok": ""}, (False, None)),
])
def test_yes_no_is_case_insensitive_and_empty_is_unknown(
    values: dict[str, str], expected: tuple[bool | None, bool | None]
) -> None:
    consent = only_client(**values).consent
    assert consent is not None
    assert (consent.may_call, consent.clinic_name_ok) == expected


def test_kinds_statuses_and_values_are_read_leniently_as_to_case_and_spaces() -> None:
    record = only_client(
        code="  C-9 ", preferred_phone=" Cell", cell=" 215 555 0134 ", work="610 555 0100",
        voicemail_ok="CELL ; work;", status="Former", earliest="9:05",
    )
    consent = record.consent
    assert consent is not None
    assert (record.code, record.status, consent.preferred_kind) == ("C-9", "former", "cell")
    assert [(n.kind, n.voicemail_ok) for n in consent.numbers] == [("cell", True), ("work", True)]
    assert consent.earliest == time(9, 5)


def test_one_third_party_without_written_permission_unless_it_says_yes() -> None:
    for permission, expected in (("", False), ("no", False), ("yes", True)):
        consent = only_client(third_party_name="Robin",
                              third_party_written_permission=permission).consent
        assert consent is not None
        assert consent.third_parties == (ThirdParty("Robin", expected),)


def test_a_reason_goes_on_every_do_not_call_number_and_on_no_other() -> None:
    consent = only_client(cell=CELL, home=HOME, work=WORK, do_not_call="work;home",
                          do_not_call_reason="shared phone").consent
    assert consent is not None
    assert [(n.kind, n.may_call, n.do_not_call, n.do_not_call_reason) for n in consent.numbers] == [
        ("cell", True, False, None),
        ("home", False, True, "shared phone"),
        ("work", False, True, "shared phone"),
    ]


# (row values, the one problem's text)
BAD_CLIENT_ROWS = {
    "code missing": (
        {"code": "", "may_call": "yes"}, "line 2, column code: a client code is required"
    ),
    "code with a space": (
        {"code": "C 1042"},
        "line 2, column code: 'C 1042' is not a client code: 1 to 32 characters",
    ),
    "code too long": ({"code": "C" * 33}, "line 2, column code: 'CCCC"),
    "clinician not a Slack id": (
        {"clinician": "ana"},
        "line 2, column clinician: 'ana' is not a Slack user id (like U0ANA), nor empty",
    ),
    "clinician a channel id": ({"clinician": "C0GENERAL"}, "line 2, column clinician: 'C0GENERAL'"),
    "may_call maybe": (
        {"may_call": "maybe"},
        "line 2, column may_call: 'maybe' is not yes or no; write yes, no, or nothing when unknown",
    ),
    "clinic_name_ok y": ({"clinic_name_ok": "y"}, "line 2, column clinic_name_ok: 'y' is not yes"),
    "written permission true": (
        {"third_party_name": "Robin", "third_party_written_permission": "true"},
        "line 2, column third_party_written_permission: 'true' is not yes or no",
    ),
    "preferred phone unknown kind": (
        {"preferred_phone": "mobile", "cell": CELL},
        "line 2, column preferred_phone: 'mobile' is not a phone kind; use cell, home or work",
    ),
    "preferred phone without a number": (
        {"preferred_phone": "home", "cell": CELL},
        "line 2, column preferred_phone: 'home', but the home column is empty",
    ),
    "preferred phone is do-not-call": (
        {"preferred_phone": "cell", "cell": CELL, "do_not_call": "cell"},
        "line 2, column preferred_phone: 'cell' is also in do_not_call",
    ),
    "number too short": (
        {"cell": "555-1234"},
        "line 2, column cell: not a valid phone number; give the area code",
    ),
    "number is words": (
        {"home": "call reception"}, "line 2, column home: not a valid phone number"
    ),
    "number with an extension": (
        {"work": "215-555-0134 ext 12"},
        "line 2, column work: has an extension, which cannot be stored; give the number alone",
    ),
    "do_not_call unknown kind": (
        {"do_not_call": "home;fax"},
        "line 2, column do_not_call: 'fax' is not a phone kind; list kinds from cell, home or work,"
        " separated by ';'",
    ),
    "do_not_call with commas": (
        {"do_not_call": "home,work"},
        "line 2, column do_not_call: 'home,work' is not a phone kind",
    ),
    "voicemail on a missing number": (
        {"voicemail_ok": "work", "cell": CELL},
        "line 2, column voicemail_ok: 'work', but the work column is empty",
    ),
    "voicemail on a do-not-call number": (
        {"home": HOME, "do_not_call": "home", "voicemail_ok": "home"},
        "line 2, column voicemail_ok: 'home' is also in do_not_call",
    ),
    "reason without do_not_call": (
        {"do_not_call_reason": "moved out"},
        "line 2, column do_not_call_reason: given, but do_not_call lists no phone kind",
    ),
    "earliest hour 25": (
        {"earliest": "25:00"},
        "line 2, column earliest: '25:00' is not a time of day; use HH:MM, e.g. 09:30 or 17:00",
    ),
    "latest in words": ({"latest": "5pm"}, "line 2, column latest: '5pm' is not a time of day"),
    "latest with seconds": ({"latest": "17:00:00"}, "line 2, column latest: '17:00:00' is not"),
    "latest before earliest": (
        {"earliest": "18:00", "latest": "09:00"},
        "line 2, column latest: 09:00 is not after earliest (18:00)",
    ),
    "empty window": (
        {"earliest": "12:00", "latest": "12:00"},
        "line 2, column latest: 12:00 is not after earliest (12:00)",
    ),
    "written permission without a name": (
        {"third_party_written_permission": "yes"},
        "line 2, column third_party_written_permission: yes, but third_party_name is empty",
    ),
    "unknown status": (
        {"status": "discharged"},
        "line 2, column status: 'discharged' is not a status; use prospect, intake, active, former,"
        " closed (empty means active)",
    ),
}


@pytest.mark.parametrize(("values", "fragment"), BAD_CLIENT_ROWS.values(), ids=BAD_CLIENT_ROWS)
def test_a_bad_client_row_is_reported_at_its_line_and_column(
    values: dict[str, str], fragment: str
) -> None:
    [problem] = client_problems(clients_csv(client_row(**values)))
    assert problem.startswith(fragment)


def test_a_malformed_number_is_reported_once_and_never_echoed() -> None:
    problems = client_problems(clients_csv(client_row(
        cell="215-555-01", preferred_phone="cell", voicemail_ok="cell",
        preferred_name="=cmd|' /C calc'!A0", do_not_call="home", do_not_call_reason="secret",
    )))
    assert problems == [
        "line 2, column cell: not a valid phone number; give the area code, or +country code"
        " for a number abroad"
    ]


def test_every_problem_in_the_file_is_reported_at_once_in_file_order() -> None:
    text = clients_csv(
        client_row(code="C-1"),
        client_row(code="C-2", may_call="sure", earliest="7"),
        "\n",
        '"C-3",U0ANA\n',
        client_row(code="C-1", preferred_name="Two\nlines"),
        client_row(code="C-5", preferred_name="Two\nlines", status="gone"),
        client_row(code="C-6", cell="1"),
    )
    assert client_problems(text) == [
        "line 3, column may_call: 'sure' is not yes or no; write yes, no, or nothing when unknown",
        "line 3, column earliest: '7' is not a time of day; use HH:MM, e.g. 09:30 or 17:00",
        "line 5: 2 fields where the header has 17; a value with a comma needs double quotes"
        " around it, and every opening quote its closing one",
        # A name may not hold a line break (issue 12.12); the quoted value still counts its lines.
        "line 6, column preferred_name: character 4 is a line break, which a name or note may"
        " not hold",
        "line 8, column status: 'gone' is not a status; use prospect, intake, active, former,"
        " closed (empty means active)",
        "line 8, column preferred_name: character 4 is a line break, which a name or note may"
        " not hold",
        "line 10, column cell: not a valid phone number; give the area code, or +country code"
        " for a number abroad",
    ]


def test_an_unclosed_quote_swallows_the_rest_and_is_reported_where_it_starts() -> None:
    text = clients_csv(client_row(code="C-1"), 'C-2,"U0ANA\n', client_row(code="C-3"))
    [problem] = client_problems(text)
    assert problem.startswith("line 3: 2 fields where the header has 17")


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted() -> None:
    text = "\ufeff" + clients_csv(client_row(code="C-1"), client_row(code="C-2")).replace(
        "\n", "\r\n"
    )
    assert [r.code for r in parse_clients_csv(text, "US")] == ["C-1", "C-2"]


def test_blank_and_all_empty_rows_are_skipped() -> None:
    text = clients_csv(client_row(code="C-1"), "\n", "," * 16 + "\n", client_row(code="C-2"))
    assert [r.code for r in parse_clients_csv(text, "US")] == ["C-1", "C-2"]


def test_a_header_only_file_has_no_clients() -> None:
    assert parse_clients_csv(HEADER + "\n", "US") == []


def test_header_names_ignore_case_spaces_and_order() -> None:
    columns = list(reversed(CLIENT_COLUMNS))
    header = ",".join(f" {c.upper()} " for c in columns)
    line = csv_line(["C-1" if c == "code" else "yes" if c == "may_call" else "" for c in columns])
    [record] = parse_clients_csv(header + "\n" + line, "US")
    assert (record.code, record.consent) == ("C-1", Consent(may_call=True))


# (header, problems: rows are not checked while the header is wrong)
BAD_HEADERS = {
    "empty file": ("", [f"line 1: the first line must be the header: {CONTRACT_HEADER}"]),
    "blank first line": ("\n" + HEADER, [f"line 1: the first line must be the header: {HEADER}"]),
    "missing columns": (
        HEADER.replace(",status", "").replace("clinician,", ""),
        ["line 1, column clinician: missing from the header",
         "line 1, column status: missing from the header"],
    ),
    "misspelt column": (
        HEADER.replace("voicemail_ok", "voicemail"),
        ["line 1, column voicemail: not a column of this file; did you mean 'voicemail_ok'?",
         "line 1, column voicemail_ok: missing from the header"],
    ),
    "unrelated extra column": (
        HEADER + ",notes",
        ["line 1, column notes: not a column of this file; the columns are " + HEADER],
    ),
    "duplicated column": (
        HEADER + ",Home",
        ["line 1, column home: appears more than once in the header (fields 7, 18)"],
    ),
    "trailing empty field": (
        HEADER + ",", ["line 1: header field 18 is empty; name it or remove it"]
    ),
}


@pytest.mark.parametrize(("header", "expected"), BAD_HEADERS.values(), ids=BAD_HEADERS)
def test_a_bad_header_names_the_columns_at_fault(header: str, expected: list[str]) -> None:
    assert client_problems(header + "\n" + client_row(code="bad code!")) == expected


# -- clients: writing and the round trip -----------------------------------------------------------


ROUND_TRIP_ROWS = [
    client_row(code="C-1", clinician="U0ANA", preferred_name="Pat", may_call="yes",
               preferred_phone="home", cell="215 555 0134", home="(215) 555-0135",
               work="+44 20 7946 0958", do_not_call="work", do_not_call_reason="employer, \"HR\"",
               voicemail_ok="home;cell", clinic_name_ok="yes", earliest="08:00", latest="20:00",
               third_party_name="Robin (sister)", third_party_written_permission="no",
               status="prospect"),
    client_row(code="-1042", preferred_name="=HYPERLINK(\"http://x\",\"y\")", may_call="no",
               do_not_call="cell;home;work", do_not_call_reason="@once, more",
               third_party_name="+Ana", status="closed"),
    client_row(code="C.3_x", preferred_name="'=quoted", third_party_name="''-dashes",
               do_not_call="cell", do_not_call_reason="'plain apostrophe"),
    client_row(code="C-4", preferred_name="Zoë Ñúñez 李", latest="07:05"),
    client_row(code="C-5"),
]


def test_parse_of_write_gives_the_same_records() -> None:
    records = parse_clients_csv(clients_csv(*ROUND_TRIP_ROWS), "US")
    assert len(records) == len(ROUND_TRIP_ROWS)
    written = write_clients_csv(records)
    assert "\n'-1042," in written
    assert parse_clients_csv(written, "US") == records
    assert write_clients_csv(parse_clients_csv(written, "US")) == written


def test_the_written_file_is_the_import_format() -> None:
    written = write_clients_csv(parse_clients_csv(clients_csv(ROUND_TRIP_ROWS[0]), "US"))
    assert written == (
        CONTRACT_HEADER + "\n"
        'C-1,U0ANA,Pat,yes,home,+12155550134,+12155550135,+442079460958,work,"employer, ""HR""",'
        "cell;home,yes,08:00,20:00,Robin (sister),no,prospect\n"
    )


# (value as the record holds it, as a spreadsheet-safe cell)
GUARDED = [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
    ("+Ana", "'+Ana"),
    ("-1042", "'-1042"),
    ("@once", "'@once"),
    ("'=quoted", "''=quoted"),
    ("''-dashes", "'''-dashes"),
    ("'plain apostrophe", "'plain apostrophe"),
    ("Pat = Patricia", "Pat = Patricia"),
]


@pytest.mark.parametrize(("value", "cell"), GUARDED)
def test_cells_a_spreadsheet_could_run_get_an_apostrophe_that_the_parser_removes(
    value: str, cell: str
) -> None:
    record = ClientRecord(code="C-1", clinician=None, preferred_name=value,
                          consent=Consent(may_call=None))
    written = write_clients_csv([record])
    row = list(csv.reader(io.StringIO(written)))[1]
    assert row[CLIENT_COLUMNS.index("preferred_name")] == cell
    assert parse_clients_csv(written, "US") == [record]


def test_phone_numbers_are_written_without_a_guard() -> None:
    written = write_clients_csv([only_client(cell=CELL)])
    assert f",{CELL}," in written
    assert f"'{CELL}" not in written


def test_records_from_elsewhere_are_written_as_closely_as_the_format_allows() -> None:
    record = ClientRecord(
        code="C-1", clinician="U0ANA", status="active",
        consent=Consent(
            may_call=True, preferred_kind="home",
            numbers=(
                NumberPermission("cell", CELL, voicemail_ok=True, earliest=time(10, 0)),
                NumberPermission("home", HOME, may_call=False, voicemail_ok=True),
                NumberPermission("work", WORK, do_not_call=True, do_not_call_reason="boss"),
            ),
            third_parties=(ThirdParty("Robin", True), ThirdParty("Sam", False)),
            safety_note="not in the format",
        ),
    )
    [reread] = parse_clients_csv(write_clients_csv([record]), "US")
    assert reread.consent == Consent(
        may_call=True, preferred_kind=None,
        numbers=(
            NumberPermission("cell", CELL, voicemail_ok=True),
            NumberPermission("home", HOME, may_call=False, do_not_call=True,
                             do_not_call_reason="boss"),
            NumberPermission("work", WORK, may_call=False, do_not_call=True,
                             do_not_call_reason="boss"),
        ),
        third_parties=(ThirdParty("Robin; Sam", False),),
    )


def test_a_record_without_consent_is_written_with_empty_consent_columns() -> None:
    record = ClientRecord(code="C-1", clinician=None, status="former")
    assert write_clients_csv([record]).splitlines()[1] == "C-1" + "," * 16 + "former"


# -- appointments --------------------------------------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# (zone, start, minutes cell, expected UTC start, expected minutes)
GOOD_APPOINTMENTS = {
    "winter, local": (NEW_YORK, "2026-03-06 14:00", "", utc(2026, 3, 6, 19, 0), 50),
    "summer, local": (NEW_YORK, "2026-03-09 14:00", "90", utc(2026, 3, 9, 18, 0), 90),
    "just before the gap": (NEW_YORK, "2026-03-08 01:59", "1", utc(2026, 3, 8, 6, 59), 1),
    "just after the gap": (NEW_YORK, "2026-03-08 03:00", "600", utc(2026, 3, 8, 7, 0), 600),
    "fall-back hour is the first one": (NEW_YORK, "2026-11-01 01:30", "", utc(2026, 11, 1, 5, 30),
                                        50),
    "after fall-back": (NEW_YORK, "2026-11-01 02:00", "", utc(2026, 11, 1, 7, 0), 50),
    "Berlin fall-back": (BERLIN, "2026-10-25 02:30", "", utc(2026, 10, 25, 0, 30), 50),
    "offset given": (NEW_YORK, "2026-03-08T02:30-05:00", "", utc(2026, 3, 8, 7, 30), 50),
    "Z given": (BERLIN, "2026-03-29T01:30Z", " 45 ", utc(2026, 3, 29, 1, 30), 45),
    "offset with a space and seconds": (NEW_YORK, "2026-07-01 09:15:00+02:00", "",
                                        utc(2026, 7, 1, 7, 15), 50),
}


@pytest.mark.parametrize(("zone", "start", "minutes", "expected", "length"),
                         GOOD_APPOINTMENTS.values(), ids=GOOD_APPOINTMENTS)
def test_appointment_starts_are_read_in_the_clinic_zone_and_kept_in_utc(
    zone: ZoneInfo, start: str, minutes: str, expected: datetime, length: int
) -> None:
    [appointment] = parse_appointments_csv(f"client,start,minutes\nC-1,{start},{minutes}\n", zone)
    assert appointment == AppointmentRecord("C-1", expected, length)
    assert appointment.start.utcoffset() is not None
    assert appointment.start.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(("zone", "start"), [
    (NEW_YORK, "2026-03-08 02:00"),
    (NEW_YORK, "2026-03-08 02:59"),
    (BERLIN, "2026-03-29 02:30"),
])
def test_a_local_time_in_the_spring_forward_gap_is_refused(zone: ZoneInfo, start: str) -> None:
    assert appointment_problems(f"client,start,minutes\nC-1,{start},\n", zone) == [
        f"line 2, column start: {start} does not exist in {zone.key}: the clocks go forward"
        " then; give a time outside the gap, or an offset (ISO 8601)"
    ]


START_RULE = "use YYYY-MM-DD HH:MM (clinic time) or ISO 8601 with an offset"

# (client, start, minutes, the one problem's text fragment)
BAD_APPOINTMENT_ROWS = {
    "client missing": ("", "2026-03-10 14:00", "",
                       "line 2, column client: a client code is required"),
    "client with a space": ("C 1", "2026-03-10 14:00", "", "line 2, column client: 'C 1' is not a"),
    "start missing": ("C-1", "", "", "line 2, column start: a start time is required: YYYY-MM-DD"),
    "date only": ("C-1", "2026-03-10", "", f"line 2, column start: '2026-03-10' is not a start"
                                           f" time; {START_RULE}"),
    "ISO without offset": ("C-1", "2026-03-10T14:00", "",
                           "line 2, column start: '2026-03-10T14:00' is not a start time"),
    "US date order": ("C-1", "03/10/2026 14:00", "", "line 2, column start: '03/10/2026 14:00'"),
    "seconds without offset": ("C-1", "2026-03-10 14:00:00", "", "line 2, column start: '2026-"),
    "no such day": ("C-1", "2026-02-30 10:00", "",
                    "line 2, column start: '2026-02-30 10:00' is not a real date and time"),
    "hour 24": ("C-1", "2026-03-10 24:00", "", "line 2, column start: '2026-03-10 24:00' is not a"),
    "zero minutes": ("C-1", "2026-03-10 14:00", "0",
                     "line 2, column minutes: '0' is not a whole number of minutes from 1 to 600"
                     " (empty means 50)"),
    "too many minutes": ("C-1", "2026-03-10 14:00", "601", "line 2, column minutes: '601' is not"),
    "fractional minutes": ("C-1", "2026-03-10 14:00", "50.0", "line 2, column minutes: '50.0'"),
    "negative minutes": ("C-1", "2026-03-10 14:00", "-5", "line 2, column minutes: '-5' is not"),
    "minutes in words": ("C-1", "2026-03-10 14:00", "an hour", "line 2, column minutes: 'an hour'"),
}


@pytest.mark.parametrize(("client", "start", "minutes", "fragment"),
                         BAD_APPOINTMENT_ROWS.values(), ids=BAD_APPOINTMENT_ROWS)
def test_a_bad_appointment_row_is_reported_at_its_line_and_column(
    client: str, start: str, minutes: str, fragment: str
) -> None:
    text = "client,start,minutes\n" + csv_line([client, start, minutes])
    [problem] = appointment_problems(text)
    assert problem.startswith(fragment)


def test_every_appointment_problem_is_reported_at_once() -> None:
    text = (
        "\ufeffclient,start,minutes\r\n"
        "C-1,2026-03-10 14:00,\r\n"
        "C-1,2026-03-10T14:00-04:00,30\r\n"
        "\r\n"
        "bad code,2026-03-08 02:30,0\r\n"
        "C-2,2026-03-10 15:00\r\n"
    )
    assert appointment_problems(text) == [
        "line 3, column start: C-1 already has an appointment at this time on line 2;"
        " give each appointment one row",
        "line 5, column client: 'bad code' is not a client code: 1 to 32 characters of letters,"
        " digits, '.', '_' or '-'",
        "line 5, column start: 2026-03-08 02:30 does not exist in America/New_York: the clocks go"
        " forward then; give a time outside the gap, or an offset (ISO 8601)",
        "line 5, column minutes: '0' is not a whole number of minutes from 1 to 600"
        " (empty means 50)",
        "line 6: 2 fields where the header has 3; a value with a comma needs double quotes"
        " around it, and every opening quote its closing one",
    ]


def test_the_minutes_column_may_be_left_out() -> None:
    assert parse_appointments_csv("Start,Client\n2026-03-10 14:00,C-1\n", NEW_YORK) == [
        AppointmentRecord("C-1", utc(2026, 3, 10, 18, 0), 50)
    ]


@pytest.mark.parametrize(("header", "expected"), [
    ("client,minutes", ["line 1, column start: missing from the header"]),
    ("client,start,length",
     ["line 1, column length: not a column of this file; the columns are client,start,minutes"]),
    ("client,stat,minutes",
     ["line 1, column stat: not a column of this file; did you mean 'start'?",
      "line 1, column start: missing from the header"]),
])
def test_a_bad_appointments_header_names_the_columns_at_fault(
    header: str, expected: list[str]
) -> None:
    assert appointment_problems(header + "\nC-1,x,y\n") == expected


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("preferred_name", "Ro\x00bin", "character 3 is the control character U+0000"),
        ("preferred_name", "Robin\x1b[2J", "character 6 is the control character U+001B"),
        ("preferred_name", "Robin\tLee", "character 6 is the control character U+0009"),
        ("preferred_name", "nibor\u202eRobin", "character 6 is the control character U+202E"),
        ("preferred_name", "R" * 61, "keep it to 60 characters (now 61)"),
        ("third_party_name", "Pat\x07", "character 4 is the control character U+0007"),
        ("third_party_name", "P" * 61, "keep it to 60 characters (now 61)"),
        ("do_not_call_reason", "abusive\x00partner", "character 8 is the control character"),
        ("do_not_call_reason", "r" * 301, "keep it to 300 characters (now 301)"),
    ],
)
def test_free_text_has_the_consent_forms_limits_and_no_control_characters(
    column: str, value: str, message: str
) -> None:
    fields = {column: value}
    if column == "do_not_call_reason":
        fields["do_not_call"] = "home"
    if column == "third_party_name":
        fields["third_party_written_permission"] = "yes"
    [problem] = client_problems(clients_csv(client_row(code="C-1", **fields)))
    assert problem.startswith(f"line 2, column {column}: {message}")
    assert value not in problem  # the value itself is never echoed


@pytest.mark.parametrize("value", ["Robin", "José-María", "李小龍", "O'Neil Jr.", "R" * 60])
def test_ordinary_names_are_accepted(value: str) -> None:
    [record] = parse_clients_csv(clients_csv(client_row(code="C-1", preferred_name=value)), "US")
    assert record.preferred_name == value



@pytest.mark.parametrize(
    ("start", "without_today", "with_today"),
    [
        ("9999-12-31 23:59", "too far from today", "9999-12-31 is more than two years ahead"),
        ("9999-12-31T23:59-05:00", "too far from today",
         "9999-12-31 is more than two years ahead"),
        ("0001-01-01T00:00+05:00", "too far from today", "0001-01-01 is more than a year ago"),
        ("2030-01-02 10:00", None, "2030-01-02 is more than two years ahead"),
    ],
)
def test_starts_out_of_range_are_problems_never_overflow_errors(
    start: str, without_today: str | None, with_today: str
) -> None:
    text = f"client,start\nC-1,{start}\n"
    if without_today is None:
        assert len(parse_appointments_csv(text, NEW_YORK)) == 1
    else:
        [problem] = appointment_problems(text)
        assert problem.startswith("line 2, column start:") and without_today in problem
    with pytest.raises(ImportErrors) as caught:
        parse_appointments_csv(text, NEW_YORK, today=date(2026, 11, 30))
    [problem] = [str(p) for p in caught.value.problems]
    assert problem.startswith(f"line 2, column start: {with_today}; give a date from 2025-11-29")
