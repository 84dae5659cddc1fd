"""Calling hours against the clinic's opening hours, client status, and the call-back verdict.

Seeds: 000 (ask how early / late you may call; permission first), 001 (calls only during the
agency's operating hours), 002 (former clients, incomplete intake).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.policy.business_hours import CallbackDue, is_open
from bot.policy.clinic import CallbackPolicy, Clinic, ClinicPolicy, DailyWindow, HolidayCalendar
from bot.policy.consent import (
    CallingHours,
    CallingWindow,
    Guidance,
    Verdict,
    callback_now,
    calling_hours,
    check_contact,
)
from bot.policy.model import CLIENT_STATUSES, ClientRecord, Consent, NumberPermission
from tests.policy.test_business_hours import la
from tests.policy.test_consent import LOS_ANGELES, NEW_YORK, cell, home, ny, utc

NINE_TO_FIVE = DailyWindow(time(9), time(17))
WEEKDAYS = dict.fromkeys(range(5), NINE_TO_FIVE)


def make_policy(tz: ZoneInfo = NEW_YORK, *, hours: dict[int, DailyWindow] | None = None,
                operating_hours_only: bool = True, extra: frozenset[date] = frozenset(),
                window: DailyWindow | None = None) -> ClinicPolicy:
    return ClinicPolicy(
        clinic=Clinic(name="Great Agency", timezone=tz,
                      hours=WEEKDAYS if hours is None else hours,
                      holidays=HolidayCalendar(country="US", extra=extra)),
        callbacks=CallbackPolicy(operating_hours_only=operating_hours_only, window=window),
    )


CLINIC = make_policy(extra=frozenset({date(2026, 12, 24)}))
WINDOW_ONLY = make_policy(operating_hours_only=False)
SATURDAYS = make_policy(hours={**WEEKDAYS, 5: DailyWindow(time(10), time(14))})
EVERY_DAY = make_policy(hours=dict.fromkeys(range(7), NINE_TO_FIVE))
LA_CLINIC = make_policy(LOS_ANGELES)


def hours(earliest: tuple[int, int] | None = None,
          latest: tuple[int, int] | None = None) -> dict[str, Any]:
    return {"earliest": time(*earliest) if earliest else None,
            "latest": time(*latest) if latest else None}


def client(*numbers: NumberPermission, status: str = "active", may_call: bool | None = True,
           **window: Any) -> ClientRecord:
    given = Consent(may_call=may_call, numbers=numbers or (cell(),), **window)
    return ClientRecord(code="C-1042", clinician="U0ANA", preferred_name="Maria", status=status,
                        consent=given)  # type: ignore[arg-type]


# --- when a call may be made --------------------------------------------------------------------

# (id naming the seed, policy, client, now, verdict, opens_at: the next moment both allow a call)
WHEN = [
    ("000: no hours recorded, Wed 23:30: not now, Thu 09:00",
     CLINIC, client(), ny(2026, 6, 10, 23, 30), Verdict.NOT_NOW, ny(2026, 6, 11, 9, 0)),
    ("000: no hours recorded, Wed 12:00: ok",
     CLINIC, client(), ny(2026, 6, 10, 12, 0), Verdict.OK, None),
    ("000: no hours recorded, 09:00 sharp: ok",
     CLINIC, client(), ny(2026, 6, 10, 9, 0), Verdict.OK, None),
    ("000: no hours recorded, 17:00 sharp: next morning",
     CLINIC, client(), ny(2026, 6, 10, 17, 0), Verdict.NOT_NOW, ny(2026, 6, 11, 9, 0)),
    ("000: no hours recorded, Fri 18:00: Monday's opening",
     CLINIC, client(), ny(2026, 6, 12, 18, 0), Verdict.NOT_NOW, ny(2026, 6, 15, 9, 0)),
    ("000: no hours recorded, clinic hours stand in even when they do not bound calls",
     WINDOW_ONLY, client(), ny(2026, 6, 10, 23, 30), Verdict.NOT_NOW, ny(2026, 6, 11, 9, 0)),
    ("001: 08:00-20:00, Fri 18:00: Monday's opening",
     CLINIC, client(**hours((8, 0), (20, 0))), ny(2026, 6, 12, 18, 0), Verdict.NOT_NOW,
     ny(2026, 6, 15, 9, 0)),
    ("001: 08:00-20:00, Wed 08:30: the clinic opens at 09:00",
     CLINIC, client(**hours((8, 0), (20, 0))), ny(2026, 6, 10, 8, 30), Verdict.NOT_NOW,
     ny(2026, 6, 10, 9, 0)),
    ("001: 10:00-16:00, Wed 09:30: the client's window opens at 10:00",
     CLINIC, client(**hours((10, 0), (16, 0))), ny(2026, 6, 10, 9, 30), Verdict.NOT_NOW,
     ny(2026, 6, 10, 10, 0)),
    ("001: 10:00-16:00, Wed 16:30: Thursday 10:00",
     CLINIC, client(**hours((10, 0), (16, 0))), ny(2026, 6, 10, 16, 30), Verdict.NOT_NOW,
     ny(2026, 6, 11, 10, 0)),
    ("001: Independence Day observed (Fri 3 Jul): Thu 18:00 waits for Monday",
     CLINIC, client(), ny(2026, 7, 2, 18, 0), Verdict.NOT_NOW, ny(2026, 7, 6, 9, 0)),
    ("001: on Thanksgiving at noon: Friday's opening",
     CLINIC, client(**hours((8, 0), (20, 0))), ny(2026, 11, 26, 12, 0), Verdict.NOT_NOW,
     ny(2026, 11, 27, 9, 0)),
    ("001: closure 24 Dec and Christmas: Wed 23 Dec 17:30 waits for Monday 28",
     CLINIC, client(), ny(2026, 12, 23, 17, 30), Verdict.NOT_NOW, ny(2026, 12, 28, 9, 0)),
    ("000+001: 07:00-08:00 against 09:00-17:00: never (no opening)",
     CLINIC, client(**hours((7, 0), (8, 0))), ny(2026, 6, 10, 7, 30), Verdict.NOT_NOW, None),
    ("000+001: 17:30-20:00 after closing: never",
     CLINIC, client(**hours((17, 30), (20, 0))), ny(2026, 6, 10, 12, 0), Verdict.NOT_NOW, None),
    ("000+001: overnight 20:00-08:00: never",
     CLINIC, client(**hours((20, 0), (8, 0))), ny(2026, 6, 10, 22, 0), Verdict.NOT_NOW, None),
    ("000: 07:00-08:00 when the clinic's hours do not bound calls: ok at 07:30",
     WINDOW_ONLY, client(**hours((7, 0), (8, 0))), ny(2026, 6, 10, 7, 30), Verdict.OK, None),
    ("000: 07:00-08:00 when the clinic's hours do not bound calls: 09:00 waits a day",
     WINDOW_ONLY, client(**hours((7, 0), (8, 0))), ny(2026, 6, 10, 9, 0), Verdict.NOT_NOW,
     ny(2026, 6, 11, 7, 0)),
    ("000: 08:00-20:00 on a Saturday when the clinic's hours do not bound calls: ok",
     WINDOW_ONLY, client(**hours((8, 0), (20, 0))), ny(2026, 6, 13, 12, 0), Verdict.OK, None),
    ("001: window from 10:00 opening on a Saturday: Monday 10:00",
     CLINIC, client(**hours((10, 0))), ny(2026, 6, 13, 10, 30), Verdict.NOT_NOW,
     ny(2026, 6, 15, 10, 0)),
    ("001: overnight 16:00-10:00, Wed 09:30: inside the morning part and open",
     CLINIC, client(**hours((16, 0), (10, 0))), ny(2026, 6, 10, 9, 30), Verdict.OK, None),
    ("001: overnight 16:00-10:00, Wed 12:00: opens 16:00",
     CLINIC, client(**hours((16, 0), (10, 0))), ny(2026, 6, 10, 12, 0), Verdict.NOT_NOW,
     ny(2026, 6, 10, 16, 0)),
    ("001: Saturday hours 10-14 and a 12:00-20:00 window: Sat 11:00 opens at 12:00",
     SATURDAYS, client(**hours((12, 0), (20, 0))), ny(2026, 6, 13, 11, 0), Verdict.NOT_NOW,
     ny(2026, 6, 13, 12, 0)),
    ("001: Saturday hours 10-14, Sat 13:00: ok",
     SATURDAYS, client(**hours((12, 0), (20, 0))), ny(2026, 6, 13, 13, 0), Verdict.OK, None),
    ("001: Saturday hours 10-14, Sat 14:00: Monday 12:00",
     SATURDAYS, client(**hours((12, 0), (20, 0))), ny(2026, 6, 13, 14, 0), Verdict.NOT_NOW,
     ny(2026, 6, 15, 12, 0)),
    ("001: spring forward weekend: Fri 17:00 EST waits for Mon 09:00 EDT",
     CLINIC, client(), ny(2026, 3, 6, 17, 0), Verdict.NOT_NOW, utc(2026, 3, 9, 13, 0)),
    ("001: open on the spring-forward Sunday: Sat 20:30 EST, Sun 09:00 EDT",
     EVERY_DAY, client(), ny(2026, 3, 7, 20, 30), Verdict.NOT_NOW, utc(2026, 3, 8, 13, 0)),
    ("001: open on the fall-back Sunday: Sat 20:00 EDT, Sun 09:00 EST",
     EVERY_DAY, client(), ny(2026, 10, 31, 20, 0), Verdict.NOT_NOW, utc(2026, 11, 1, 14, 0)),
    ("001: fall back, window 08:00-10:00 on the Sunday: 09:00 EST",
     EVERY_DAY, client(**hours((8, 0), (10, 0))), utc(2026, 11, 1, 5, 30), Verdict.NOT_NOW,
     utc(2026, 11, 1, 14, 0)),
    ("001: Los Angeles, Fri 18:00 PDT: Mon 09:00 PST",
     LA_CLINIC, client(), la(2026, 10, 30, 18, 0), Verdict.NOT_NOW, utc(2026, 11, 2, 17, 0)),
    ("000: the cell's hours never overlap, the home number has none: home now",
     CLINIC, client(cell(**hours((7, 0), (8, 0))), home()), ny(2026, 6, 10, 12, 0),
     Verdict.OK, None),
    ("000: the cell's hours never overlap, the home's open at 15:00",
     CLINIC, client(cell(**hours((7, 0), (8, 0))), home(**hours((15, 0), (21, 0)))),
     ny(2026, 6, 10, 12, 0), Verdict.NOT_NOW, ny(2026, 6, 10, 15, 0)),
]


@pytest.mark.parametrize(("policy", "record", "now", "verdict", "opens_at"),
                         [case[1:] for case in WHEN], ids=[case[0] for case in WHEN])
def test_when_a_call_may_be_made(policy: ClinicPolicy, record: ClientRecord, now: datetime,
                                 verdict: Verdict, opens_at: datetime | None) -> None:
    guidance = check_contact(record, policy, now)
    assert guidance.verdict is verdict, guidance.reasons
    assert guidance.opens_at == opens_at
    if opens_at is not None:
        assert guidance.opens_at is not None and guidance.opens_at.tzinfo is UTC
        assert any("may next be called" in r for r in guidance.reasons)


def test_the_next_moment_is_one_the_clinic_is_open_and_inside_the_window() -> None:
    for case in WHEN:
        policy, record, now = case[1], case[2], case[3]
        guidance = check_contact(record, policy, now)
        if guidance.opens_at is None:
            continue
        bounded = policy.callbacks.operating_hours_only
        assert is_open(policy.clinic, guidance.opens_at) or not bounded
        later = check_contact(record, policy, guidance.opens_at)
        assert later.verdict is Verdict.OK, case[0]


# A brute-force check: stepping every 15 minutes finds the same first moment as the engine.
BRUTE_WINDOWS = [hours(), hours((8, 0), (20, 0)), hours((10, 15), (11, 0)), hours((16, 0), (10, 0)),
                 hours((12, 0)), hours(None, (9, 30)), hours((7, 0), (8, 0))]
BRUTE_STARTS = [ny(2026, 3, 6, 16, 45), ny(2026, 7, 2, 20, 0), ny(2026, 10, 30, 23, 30),
                ny(2026, 12, 23, 12, 0)]


@pytest.mark.parametrize("window", BRUTE_WINDOWS, ids=lambda w: str(CallingWindow(**w)))
@pytest.mark.parametrize("start", BRUTE_STARTS, ids=lambda s: f"{s:%Y-%m-%d %H:%M}")
@pytest.mark.parametrize("policy", [CLINIC, SATURDAYS], ids=["weekdays", "saturdays"])
def test_first_moment_matches_stepping_through_the_days(
    window: dict[str, Any], start: datetime, policy: ClinicPolicy
) -> None:
    tz = policy.clinic.timezone
    calling = CallingHours(CallingWindow(**window), tz, policy.clinic)
    expected = None
    moment = start.astimezone(UTC)
    for _ in range(4 * 24 * 12):  # twelve days
        inside_window = CallingWindow(**window).next_opening(moment, tz) is None
        if inside_window and is_open(policy.clinic, moment):
            expected = moment
            break
        moment += timedelta(minutes=15)
    assert calling.first_moment(start) == expected


def test_a_clinic_that_never_opens_gives_never_not_a_loop() -> None:
    closed = make_policy(hours={})
    assert check_contact(client(), closed, ny(2026, 6, 10, 12, 0)).never_opens


def test_a_year_of_closures_gives_never_not_a_loop() -> None:
    mondays = frozenset(date(2026, 6, 15) + timedelta(weeks=n) for n in range(120))
    policy = make_policy(hours={0: NINE_TO_FIVE}, extra=mondays)
    guidance = check_contact(client(), policy, ny(2026, 6, 10, 12, 0))
    assert guidance.never_opens


def test_never_says_to_check_the_hours_with_the_client() -> None:
    guidance = check_contact(client(**hours((7, 0), (8, 0))), CLINIC, ny(2026, 6, 10, 12, 0))
    assert guidance.never_opens
    assert guidance.use_number is not None and guidance.use_number.kind == "cell"
    assert "never fall within the clinic's opening hours" in guidance.reasons[0]
    assert "how early and how late" in guidance.reasons[0]


@pytest.mark.parametrize(
    ("policy", "record", "text"),
    [
        pytest.param(CLINIC, client(), "the clinic's opening hours (no calling hours recorded)",
                     id="000: none recorded"),
        pytest.param(CLINIC, client(**hours((8, 0), (20, 0))),
                     "08:00-20:00, clinic time (America/New_York), within the clinic's opening "
                     "hours", id="001: bounded"),
        pytest.param(WINDOW_ONLY, client(**hours((8, 0), (20, 0))),
                     "08:00-20:00, clinic time (America/New_York)", id="000: window only"),
    ],
)
def test_the_calling_hours_are_named_as_they_apply(policy: ClinicPolicy, record: ClientRecord,
                                                   text: str) -> None:
    assert check_contact(record, policy, ny(2026, 6, 10, 12, 0)).window_text == text


def test_calling_hours_are_bounded_when_the_policy_says_or_none_are_recorded() -> None:
    given = client(**hours((8, 0), (20, 0))).consent
    assert given is not None
    number = given.numbers[0]
    assert calling_hours(given, number, CLINIC).clinic is CLINIC.clinic
    assert calling_hours(given, number, WINDOW_ONLY).clinic is None
    bare = replace(given, earliest=None, latest=None)
    assert calling_hours(bare, number, WINDOW_ONLY).clinic is WINDOW_ONLY.clinic


# --- status (seed 002) ---------------------------------------------------------------------------

NOON = ny(2026, 6, 10, 12, 0)
NIGHT = ny(2026, 6, 10, 23, 30)
REFUSED = {"may_call": False}

# (id, status, consent fields, their call, verdict, fragments the reasons hold)
STATUS = [
    ("002: intake, nothing recorded: do not call, and why", "intake", {"may_call": None},
     False, Verdict.DO_NOT_CALL,
     ("Intake not complete", "interrupted", "privacy", "walked in", "changed their mind",
      "risk", "their choice", "first name only")),
    ("002: intake with a consent on file: still do not call", "intake", {}, False,
     Verdict.DO_NOT_CALL, ("Intake not complete",)),
    ("002: intake, they called: return it as a potential client", "intake", {"may_call": None},
     True, Verdict.NO_CONSENT, ("called the clinic themselves", "first name only")),
    ("000: intake who refused calls: the refusal stands", "intake", REFUSED, True,
     Verdict.DO_NOT_CALL, ("not given permission",)),
    ("002: former client: file closed, keeping in touch needs consent", "former", {}, False,
     Verdict.NO_CONSENT,
     ("file is closed", "careful consideration", "consultation", "fully informed consent",
      "potential client's: first name only")),
    ("002: closed file: the same", "closed", {}, False, Verdict.NO_CONSENT,
     ("Closed file", "careful consideration", "fully informed consent", "first name only")),
    ("002: former client who called: returned as a potential client", "former", {}, True,
     Verdict.NO_CONSENT, ("file is closed", "first name only")),
    ("002: former client without consent", "former", {"may_call": None}, False,
     Verdict.NO_CONSENT, ("file is closed",)),
    ("000: former client who refused calls: do not call", "former", REFUSED, False,
     Verdict.DO_NOT_CALL, ("not given permission",)),
    ("000: prospect: the consent decides", "prospect", {}, False, Verdict.OK,
     ("the clinic is open now",)),
    ("000: active: the consent decides", "active", {}, False, Verdict.OK,
     ("the clinic is open now",)),
]


@pytest.mark.parametrize(("status", "fields", "their_call", "verdict", "fragments"),
                         [case[1:] for case in STATUS], ids=[case[0] for case in STATUS])
def test_status_decides_after_a_refusal(status: str, fields: dict[str, Any], their_call: bool,
                                        verdict: Verdict, fragments: tuple[str, ...]) -> None:
    record = client(cell(voicemail_ok=True, clinic_name_ok=True), home(do_not_call=True),
                    status=status, **{"may_call": True, **fields})
    guidance = check_contact(record, CLINIC, NOON, their_call=their_call)
    assert guidance.verdict is verdict
    text = " ".join(guidance.reasons)
    for fragment in fragments:
        assert fragment in text
    if status in ("intake", "former", "closed") and verdict is not Verdict.DO_NOT_CALL:
        assert guidance.potential_client
    if status in ("intake", "former", "closed"):
        assert guidance.use_number is None
        assert not guidance.voicemail_ok and not guidance.clinic_name_ok
        assert [n.kind for n in guidance.never_use][-1:] == ["home"]  # a refusal stays


CONSENTS = [{}, {"may_call": None}, REFUSED, hours((7, 0), (8, 0)), hours((8, 0), (20, 0))]


@pytest.mark.parametrize("status", ["intake", "former", "closed"])
@pytest.mark.parametrize("fields", CONSENTS)
@pytest.mark.parametrize("now", [NOON, NIGHT, ny(2026, 6, 13, 12, 0)])
@pytest.mark.parametrize("their_call", [False, True])
def test_002_intake_former_and_closed_never_get_ok_to_call(
    status: str, fields: dict[str, Any], now: datetime, their_call: bool
) -> None:
    record = client(status=status, **{"may_call": True, **fields})
    for policy in (CLINIC, WINDOW_ONLY):
        guidance = check_contact(record, policy, now, their_call=their_call)
        assert guidance.verdict is not Verdict.OK
        assert guidance.verdict is not Verdict.NOT_NOW


def test_every_status_is_covered() -> None:
    assert set(CLIENT_STATUSES) == {case[1] for case in STATUS}


def test_unknown_code_says_it_is_not_on_file() -> None:
    guidance = check_contact(None, CLINIC, NOON)
    assert guidance.verdict is Verdict.NO_CONSENT
    assert not guidance.known and guidance.potential_client
    assert "No client with this code is on file: check the code" in guidance.reasons[0]


# --- returning a missed call --------------------------------------------------------------------

def _due(earliest: datetime | None, owed: bool = True) -> CallbackDue:
    return CallbackDue(owed=owed, due_at=None, reasons=(), earliest_call_at=earliest)


OK = Guidance(verdict=Verdict.OK, reasons=())
LATER = Guidance(verdict=Verdict.NOT_NOW, reasons=(), opens_at=ny(2026, 6, 11, 10, 0))
NEVER = Guidance(verdict=Verdict.NOT_NOW, reasons=())
REFUSAL = Guidance(verdict=Verdict.DO_NOT_CALL, reasons=())
POTENTIAL = Guidance(verdict=Verdict.NO_CONSENT, reasons=())

CALLBACKS = [
    ("001: consent ok, clinic open: ok", OK, _due(NOON), Verdict.OK, None),
    ("001: consent ok, call-back window later: not now", OK, _due(ny(2026, 6, 11, 8, 0)),
     Verdict.NOT_NOW, ny(2026, 6, 11, 8, 0)),
    ("001: no call back owed: the consent's verdict", OK, _due(None, owed=False), Verdict.OK,
     None),
    ("000: the client's hours open after the clinic's", LATER, _due(ny(2026, 6, 11, 9, 0)),
     Verdict.NOT_NOW, ny(2026, 6, 11, 10, 0)),
    ("001: the clinic's call backs start after the client's hours open", LATER,
     _due(ny(2026, 6, 11, 11, 0)), Verdict.NOT_NOW, ny(2026, 6, 11, 11, 0)),
    ("000: never: no time", NEVER, _due(NOON), Verdict.NOT_NOW, None),
    ("000: refusal", REFUSAL, _due(NOON), Verdict.DO_NOT_CALL, None),
    ("000: potential client", POTENTIAL, _due(ny(2026, 6, 11, 9, 0)), Verdict.NO_CONSENT, None),
]


@pytest.mark.parametrize(("guidance", "due", "verdict", "when"),
                         [case[1:] for case in CALLBACKS], ids=[case[0] for case in CALLBACKS])
def test_callback_now(guidance: Guidance, due: CallbackDue, verdict: Verdict,
                      when: datetime | None) -> None:
    assert callback_now(guidance, due, NOON) == (verdict, when)


def test_a_caller_not_on_file_is_a_potential_client_without_a_code_to_check() -> None:
    """000: a potential client's call is returned first name only; there is no code to check."""
    guidance = check_contact(None, CLINIC, NOON, their_call=True)
    assert guidance.verdict is Verdict.NO_CONSENT and guidance.potential_client
    assert guidance.reasons[0] == (
        "The caller is not a client on file: treat them as a potential client.")
