"""The consent engine: verdicts, number choice, calling windows across DST and midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.policy.clinic import CallbackPolicy, Clinic, ClinicPolicy, DailyWindow
from bot.policy.consent import CallingWindow, Guidance, Verdict, check_contact, wall_clock_instant
from bot.policy.model import ClientRecord, Consent, NumberPermission

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
HAVANA = ZoneInfo("America/Havana")  # its DST changes happen at midnight, on the same dates

CELL = "+15551230001"
HOME = "+15551230002"
WORK = "+15551230003"
SECRET_REASON = "ex-partner answers this phone"
SAFETY_NOTE = "history of stalking by a family member"


def make_policy(tz: ZoneInfo = NEW_YORK, *, operating_hours_only: bool = True) -> ClinicPolicy:
    nine_to_five = DailyWindow(time(9), time(17))
    return ClinicPolicy(
        clinic=Clinic(name="Great Agency", timezone=tz,
                      hours=dict.fromkeys(range(5), nine_to_five)),
        callbacks=CallbackPolicy(operating_hours_only=operating_hours_only),
    )


POLICY = make_policy()
# Calls not limited to the clinic's hours: a recorded window counts on its own, so the window
# mechanics (DST, midnight, several numbers) are seen without the clinic's hours in the way.
WINDOW_ONLY = make_policy(operating_hours_only=False)


def cell(**kwargs: Any) -> NumberPermission:
    return NumberPermission(kind="cell", number=CELL, **kwargs)


def home(**kwargs: Any) -> NumberPermission:
    return NumberPermission(kind="home", number=HOME, **kwargs)


def work(**kwargs: Any) -> NumberPermission:
    return NumberPermission(kind="work", number=WORK, **kwargs)


def consent(*numbers: NumberPermission, **kwargs: Any) -> Consent:
    fields: dict[str, Any] = {
        "may_call": True,
        "earliest": time(8),
        "latest": time(20),
        "numbers": numbers,
    }
    fields.update(kwargs)
    return Consent(**fields)


def client(given: Consent | None, **kwargs: Any) -> ClientRecord:
    return ClientRecord(
        code="C-1042", clinician="U0ANA", preferred_name="Maria", consent=given, **kwargs
    )


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


NOON = ny(2026, 6, 10, 12, 0)
LATE = ny(2026, 6, 10, 21, 0)


def check(record: ClientRecord | None, now: datetime = NOON,
          policy: ClinicPolicy = POLICY) -> Guidance:
    return check_contact(record, policy, now)


# --- verdicts ----------------------------------------------------------------------------------

VERDICTS = [
    ("unknown code", None, NOON, Verdict.NO_CONSENT, "No client with this code"),
    ("no consent record", client(None), NOON, Verdict.NO_CONSENT, "No contact consent"),
    ("never asked", client(consent(cell(), may_call=None)), NOON, Verdict.NO_CONSENT, "No contact"),
    (
        "refused calls",
        client(consent(cell(), may_call=False)),
        NOON,
        Verdict.DO_NOT_CALL,
        "not given",
    ),
    ("no numbers", client(consent()), NOON, Verdict.DO_NOT_CALL, "No phone number is on file"),
    (
        "numbers without digits",
        client(consent(NumberPermission(kind="cell", number=None))),
        NOON,
        Verdict.DO_NOT_CALL,
        "No phone number is on file",
    ),
    (
        "every number do-not-call",
        client(consent(cell(do_not_call=True), home(may_call=False))),
        NOON,
        Verdict.DO_NOT_CALL,
        "every number is marked do-not-call",
    ),
    ("inside the window", client(consent(cell())), NOON, Verdict.OK, "inside the calling hours"),
    ("outside the window", client(consent(cell())), LATE, Verdict.NOT_NOW, "outside the calling"),
    (
        "000: no window recorded, 03:00: the clinic's hours stand in",
        client(consent(cell(), earliest=None, latest=None)),
        ny(2026, 6, 10, 3, 0),
        Verdict.NOT_NOW,
        "No calling hours are recorded",
    ),
    (
        "000: no window recorded, clinic open",
        client(consent(cell(), earliest=None, latest=None)),
        NOON,
        Verdict.OK,
        "ask the client how early and how late",
    ),
]


@pytest.mark.parametrize(
    ("record", "now", "verdict", "reason"),
    [case[1:] for case in VERDICTS],
    ids=[case[0] for case in VERDICTS],
)
def test_verdict_and_its_reason(
    record: ClientRecord | None, now: datetime, verdict: Verdict, reason: str
) -> None:
    guidance = check(record, now)
    assert guidance.verdict is verdict
    assert any(reason in sentence for sentence in guidance.reasons), guidance.reasons


def test_verdict_values_are_the_contract_words() -> None:
    assert [v.value for v in Verdict] == [
        "OK to call",
        "Not now",
        "Do not call",
        "No consent on file",
    ]
    assert f"{Verdict.NOT_NOW}" == "Not now"


@pytest.mark.parametrize(
    "record",
    [None, client(None), client(consent(cell(voicemail_ok=True), may_call=None))],
    ids=["unknown", "no consent", "never asked"],
)
def test_no_consent_is_a_potential_client_with_nothing_allowed(record: ClientRecord | None) -> None:
    guidance = check(record)
    assert guidance.potential_client
    assert guidance.use_number is None
    assert not guidance.voicemail_ok
    assert not guidance.clinic_name_ok
    assert any("first name only" in r.lower() for r in guidance.reasons)


@pytest.mark.parametrize(
    "record",
    [
        client(consent(cell(voicemail_ok=True, clinic_name_ok=True), may_call=False)),
        client(consent(cell(do_not_call=True, voicemail_ok=True))),
    ],
    ids=["client refused", "number refused"],
)
def test_do_not_call_allows_nothing(record: ClientRecord) -> None:
    guidance = check(record)
    assert guidance.verdict is Verdict.DO_NOT_CALL
    assert guidance.use_number is None
    assert not guidance.voicemail_ok
    assert not guidance.clinic_name_ok
    assert guidance.opens_at is None


def test_client_refusal_lists_every_number_as_never_use() -> None:
    guidance = check(client(consent(cell(), home(), may_call=False)))
    assert [n.kind for n in guidance.never_use] == ["cell", "home"]


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        check_contact(client(consent(cell())), POLICY, datetime(2026, 6, 10, 12))


# --- which number ------------------------------------------------------------------------------

SELECTION = [
    ("preferred allowed", consent(cell(), home(), preferred_kind="home"), "home"),
    ("no preference: cell first", consent(work(), home(), cell()), "cell"),
    ("no preference, no cell: home", consent(work(), home()), "home"),
    ("preferred work", consent(cell(), home(), work(), preferred_kind="work"), "work"),
    (
        "preferred is do-not-call",
        consent(home(do_not_call=True), work(), preferred_kind="home"),
        "work",
    ),
    ("preferred not allowed", consent(cell(may_call=False), home(), preferred_kind="cell"), "home"),
    (
        "preferred has no number",
        consent(NumberPermission(kind="cell", number=None), work(), preferred_kind="cell"),
        "work",
    ),
]


@pytest.mark.parametrize(
    ("given", "kind"), [case[1:] for case in SELECTION], ids=[case[0] for case in SELECTION]
)
def test_number_to_use(given: Consent, kind: str) -> None:
    guidance = check(client(given))
    assert guidance.verdict is Verdict.OK
    assert guidance.use_number is not None
    assert guidance.use_number.kind == kind


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (consent(home(do_not_call=True), work(), preferred_kind="home"), "prefers the home number"),
        (consent(work(), preferred_kind="cell"), "No cell number is on file"),
    ],
)
def test_passing_over_the_preferred_number_is_explained(given: Consent, reason: str) -> None:
    assert any(reason in r for r in check(client(given)).reasons)


def test_never_use_lists_refusals_and_not_missing_numbers() -> None:
    given = consent(
        cell(),
        NumberPermission(kind="home", number=None),
        work(do_not_call=True, do_not_call_reason=SECRET_REASON),
    )
    guidance = check(client(given))
    assert [n.kind for n in guidance.never_use] == ["work"]
    assert "Never use the work number." in guidance.reasons


def test_a_refusal_is_listed_even_without_the_number() -> None:
    given = consent(cell(), NumberPermission(kind="home", number=None, do_not_call=True))
    assert [n.kind for n in check(client(given)).never_use] == ["home"]


def test_do_not_call_reasons_and_safety_note_stay_private() -> None:
    given = consent(
        cell(),
        home(do_not_call=True, do_not_call_reason=SECRET_REASON),
        safety_note=SAFETY_NOTE,
    )
    guidance = check(client(given))
    assert any(SECRET_REASON in r for r in guidance.private_reasons)
    assert any("safety note" in r for r in guidance.private_reasons)
    assert not any(SAFETY_NOTE in r for r in guidance.private_reasons)


PRIVACY_CASES = [
    client(consent(cell(), home(do_not_call=True, do_not_call_reason=SECRET_REASON))),
    client(consent(home(do_not_call=True, do_not_call_reason=SECRET_REASON))),
    client(consent(cell(), may_call=False, safety_note=SAFETY_NOTE)),
    client(consent(cell(), may_call=None, safety_note=SAFETY_NOTE)),
    client(consent(cell(), work(), preferred_kind="home"), status="former"),
]


@pytest.mark.parametrize("record", PRIVACY_CASES)
@pytest.mark.parametrize("now", [NOON, LATE])
def test_team_safe_text_never_carries_numbers_names_or_reasons(
    record: ClientRecord, now: datetime
) -> None:
    guidance = check(record, now)
    shared = " ".join((*guidance.reasons, *guidance.status_notes, guidance.window_text or ""))
    for secret in (CELL, HOME, WORK, "Maria", SECRET_REASON, SAFETY_NOTE, "safety note"):
        assert secret not in shared


# --- voicemail and the clinic's name -----------------------------------------------------------


@pytest.mark.parametrize("voicemail_ok", [True, False])
def test_voicemail_follows_the_number_to_use(voicemail_ok: bool) -> None:
    given = consent(cell(voicemail_ok=voicemail_ok), home(voicemail_ok=not voicemail_ok))
    guidance = check(client(given))
    assert guidance.voicemail_ok is voicemail_ok
    expected = "A voicemail may be left" if voicemail_ok else "Do not leave a voicemail"
    assert any(expected in r for r in guidance.reasons)


@pytest.mark.parametrize(
    ("client_level", "number_level", "allowed"),
    [
        (True, None, True),
        (False, None, False),
        (None, None, False),
        (None, True, True),
        (False, True, True),
        (True, False, False),
    ],
)
def test_clinic_name_only_with_an_explicit_yes(
    client_level: bool | None, number_level: bool | None, allowed: bool
) -> None:
    given = consent(cell(clinic_name_ok=number_level), clinic_name_ok=client_level)
    guidance = check(client(given))
    assert guidance.clinic_name_ok is allowed
    expected = "may be said" if allowed else "Do not say the clinic's name"
    assert any(expected in r for r in guidance.reasons)


def test_clinic_name_follows_the_number_chosen_by_the_window() -> None:
    given = consent(
        cell(clinic_name_ok=True, earliest=time(7), latest=time(9)),
        home(clinic_name_ok=False),
        preferred_kind="cell",
    )
    assert check(client(given), ny(2026, 6, 10, 8, 0), WINDOW_ONLY).clinic_name_ok
    guidance = check(client(given), NOON, WINDOW_ONLY)
    assert guidance.use_number is not None and guidance.use_number.kind == "home"
    assert not guidance.clinic_name_ok


# --- status and coaching -----------------------------------------------------------------------


def test_prospect_adds_a_note_and_consent_still_decides() -> None:
    guidance = check(client(consent(cell()), status="prospect"))
    assert any("Potential client" in note for note in guidance.status_notes)
    assert guidance.verdict is Verdict.OK


def test_active_clients_have_no_status_note() -> None:
    assert check(client(consent(cell()))).status_notes == ()


def test_prospect_is_a_potential_client() -> None:
    assert check(client(consent(cell()), status="prospect")).potential_client
    assert not check(client(consent(cell()))).potential_client


def test_coaching_approval_is_reported() -> None:
    approved = client(
        consent(cell()), coaching_approved_by="U0BEDICS", coaching_approved_at=utc(2026, 6, 1, 15)
    )
    assert check(approved).coaching_approved
    assert not check(client(consent(cell()))).coaching_approved


# --- windows -----------------------------------------------------------------------------------


def window(earliest: tuple[int, int] | None, latest: tuple[int, int] | None) -> CallingWindow:
    return CallingWindow(
        earliest=time(*earliest) if earliest else None, latest=time(*latest) if latest else None
    )


DAY = window((8, 0), (20, 0))
NIGHT = window((20, 0), (8, 0))

# (case, zone, window, now (UTC), next opening (UTC) or None when inside)
WINDOWS = [
    # New York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC)
    ("ny day, before 08:00 EDT", NEW_YORK, DAY, utc(2026, 3, 8, 11, 59), utc(2026, 3, 8, 12, 0)),
    ("ny day, 08:00 EDT sharp", NEW_YORK, DAY, utc(2026, 3, 8, 12, 0), None),
    ("ny day, evening before", NEW_YORK, DAY, utc(2026, 3, 8, 1, 30), utc(2026, 3, 8, 12, 0)),
    ("ny day, 20:00 EDT sharp", NEW_YORK, DAY, utc(2026, 3, 9, 0, 0), utc(2026, 3, 9, 12, 0)),
    ("ny night across the change", NEW_YORK, NIGHT, utc(2026, 3, 8, 6, 59), None),
    ("ny night, after the jump", NEW_YORK, NIGHT, utc(2026, 3, 8, 7, 0), None),
    ("ny night, 07:59 EDT", NEW_YORK, NIGHT, utc(2026, 3, 8, 11, 59), None),
    ("ny night, 08:00 EDT", NEW_YORK, NIGHT, utc(2026, 3, 8, 12, 0), utc(2026, 3, 9, 0, 0)),
    (
        "ny from skipped 02:30",
        NEW_YORK,
        window((2, 30), None),
        utc(2026, 3, 8, 6, 59),
        utc(2026, 3, 8, 7, 0),
    ),
    ("ny from skipped 02:30, 03:00", NEW_YORK, window((2, 30), None), utc(2026, 3, 8, 7, 0), None),
    ("ny until skipped 02:30", NEW_YORK, window(None, (2, 30)), utc(2026, 3, 8, 6, 59), None),
    (
        "ny until skipped, 03:00",
        NEW_YORK,
        window(None, (2, 30)),
        utc(2026, 3, 8, 7, 0),
        utc(2026, 3, 9, 4, 0),
    ),
    # New York, fall back 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC)
    ("ny day, evening before fall", NEW_YORK, DAY, utc(2026, 11, 1, 0, 0), utc(2026, 11, 1, 13, 0)),
    (
        "ny late night, first 01:15",
        NEW_YORK,
        window((20, 0), (1, 30)),
        utc(2026, 11, 1, 5, 15),
        None,
    ),
    (
        "ny late night, second 01:15: no reopening",
        NEW_YORK,
        window((20, 0), (1, 30)),
        utc(2026, 11, 1, 6, 15),
        utc(2026, 11, 2, 1, 0),
    ),
    ("ny from 01:30, second 01:15", NEW_YORK, window((1, 30), None), utc(2026, 11, 1, 6, 15), None),
    ("ny long night, 05:59 EST", NEW_YORK, window((22, 0), (6, 0)), utc(2026, 11, 1, 10, 59), None),
    (
        "ny long night, 06:00 EST",
        NEW_YORK,
        window((22, 0), (6, 0)),
        utc(2026, 11, 1, 11, 0),
        utc(2026, 11, 2, 3, 0),
    ),
    # Los Angeles, same dates
    ("la spring, evening before", LOS_ANGELES, DAY, utc(2026, 3, 8, 4, 30), utc(2026, 3, 8, 15, 0)),
    ("la spring, 07:59 PDT", LOS_ANGELES, DAY, utc(2026, 3, 8, 14, 59), utc(2026, 3, 8, 15, 0)),
    ("la fall, evening before", LOS_ANGELES, DAY, utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 16, 0)),
    ("la fall night, 07:59 PST", LOS_ANGELES, NIGHT, utc(2026, 11, 1, 15, 59), None),
    # Havana: midnight 2026-03-08 does not exist (00:00 CST -> 01:00 CDT at 05:00 UTC)...
    (
        "havana until 09:00, 23:30",
        HAVANA,
        window(None, (9, 0)),
        utc(2026, 3, 8, 4, 30),
        utc(2026, 3, 8, 5, 0),
    ),
    ("havana until 09:00, 01:00", HAVANA, window(None, (9, 0)), utc(2026, 3, 8, 5, 0), None),
    ("havana from 22:00, 23:59", HAVANA, window((22, 0), None), utc(2026, 3, 8, 4, 59), None),
    (
        "havana from 22:00, jump past midnight",
        HAVANA,
        window((22, 0), None),
        utc(2026, 3, 8, 5, 0),
        utc(2026, 3, 9, 2, 0),
    ),
    # ...and midnight 2026-11-01 happens twice (01:00 CDT -> 00:00 CST at 05:00 UTC)
    (
        "havana until 09:00, 23:30 CDT",
        HAVANA,
        window(None, (9, 0)),
        utc(2026, 11, 1, 3, 30),
        utc(2026, 11, 1, 4, 0),
    ),
    (
        "havana until 09:00, first midnight",
        HAVANA,
        window(None, (9, 0)),
        utc(2026, 11, 1, 4, 0),
        None,
    ),
    ("havana until 09:00, 08:59 CST", HAVANA, window(None, (9, 0)), utc(2026, 11, 1, 13, 59), None),
    (
        "havana from 22:00, 00:30 CDT",
        HAVANA,
        window((22, 0), None),
        utc(2026, 11, 1, 4, 30),
        utc(2026, 11, 2, 3, 0),
    ),
    (
        "havana from 22:00, second midnight: no reopening",
        HAVANA,
        window((22, 0), None),
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 2, 3, 0),
    ),
    # plain midnight edges
    ("from 22:00, 23:59:59", NEW_YORK, window((22, 0), None), ny(2026, 6, 10, 23, 59, 59), None),
    (
        "from 22:00, midnight",
        NEW_YORK,
        window((22, 0), None),
        ny(2026, 6, 11, 0, 0),
        ny(2026, 6, 11, 22, 0),
    ),
    ("until 06:00, midnight", NEW_YORK, window(None, (6, 0)), ny(2026, 6, 11, 0, 0), None),
    (
        "until 06:00, 06:00",
        NEW_YORK,
        window(None, (6, 0)),
        ny(2026, 6, 11, 6, 0),
        ny(2026, 6, 12, 0, 0),
    ),
    ("night, 23:59", NEW_YORK, NIGHT, ny(2026, 6, 10, 23, 59), None),
    ("night, midnight", NEW_YORK, NIGHT, ny(2026, 6, 11, 0, 0), None),
    ("night, 19:59", NEW_YORK, NIGHT, ny(2026, 6, 10, 19, 59), ny(2026, 6, 10, 20, 0)),
    ("equal ends: round the clock", NEW_YORK, window((8, 0), (8, 0)), ny(2026, 6, 10, 7, 59), None),
    ("no window: any time", NEW_YORK, window(None, None), ny(2026, 6, 10, 3, 0), None),
]


@pytest.mark.parametrize(
    ("zone", "calling", "now", "opens"),
    [case[1:] for case in WINDOWS],
    ids=[case[0] for case in WINDOWS],
)
def test_next_opening(
    zone: ZoneInfo, calling: CallingWindow, now: datetime, opens: datetime | None
) -> None:
    result = calling.next_opening(now, zone)
    assert result == opens
    if result is not None:
        assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("calling", "text"),
    [
        (DAY, "08:00-20:00"),
        (NIGHT, "20:00-08:00 (overnight)"),
        (window((10, 0), None), "from 10:00"),
        (window(None, (9, 30)), "until 09:30"),
        (window(None, None), "any time"),
    ],
)
def test_window_text(calling: CallingWindow, text: str) -> None:
    assert str(calling) == text


@pytest.mark.parametrize(
    ("zone", "day", "wall", "instant"),
    [
        (NEW_YORK, (2026, 3, 8), (2, 30), utc(2026, 3, 8, 7, 0)),  # skipped: the jump
        (NEW_YORK, (2026, 3, 8), (3, 0), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, (2026, 11, 1), (1, 30), utc(2026, 11, 1, 5, 30)),  # twice: the first
        (LOS_ANGELES, (2026, 3, 8), (2, 0), utc(2026, 3, 8, 10, 0)),
        (HAVANA, (2026, 3, 8), (0, 0), utc(2026, 3, 8, 5, 0)),
        (HAVANA, (2026, 11, 1), (0, 0), utc(2026, 11, 1, 4, 0)),
    ],
)
def test_wall_clock_instant(
    zone: ZoneInfo, day: tuple[int, int, int], wall: tuple[int, int], instant: datetime
) -> None:
    assert wall_clock_instant(date(*day), time(*wall), zone) == instant


# --- windows in the guidance -------------------------------------------------------------------


def test_not_now_says_when_the_window_opens_across_spring_forward() -> None:
    guidance = check(client(consent(cell())), ny(2026, 3, 7, 20, 30), WINDOW_ONLY)
    assert guidance.verdict is Verdict.NOT_NOW
    assert guidance.opens_at == utc(2026, 3, 8, 12, 0)  # 08:00 EDT, not 08:00 EST
    assert guidance.use_number is not None and guidance.use_number.kind == "cell"
    assert guidance.window_text == "08:00-20:00, clinic time (America/New_York)"
    assert any("Sun 08 Mar 08:00 EDT" in r for r in guidance.reasons)


def test_not_now_in_a_second_zone_across_fall_back() -> None:
    policy = make_policy(LOS_ANGELES, operating_hours_only=False)
    guidance = check_contact(client(consent(cell())), policy, utc(2026, 11, 1, 4, 0))
    assert guidance.verdict is Verdict.NOT_NOW
    assert guidance.opens_at == utc(2026, 11, 1, 16, 0)
    assert "America/Los_Angeles" in (guidance.window_text or "")


def test_windows_are_clinic_time_whatever_the_zone_of_now() -> None:
    now_in_london = datetime(2026, 6, 10, 17, 0, tzinfo=ZoneInfo("Europe/London"))  # 12:00 NY
    assert check(client(consent(cell())), now_in_london).verdict is Verdict.OK


def test_number_window_overrides_the_clients_field_by_field() -> None:
    given = consent(cell(earliest=time(10)))  # client 08:00-20:00
    guidance = check(client(given), ny(2026, 6, 10, 9, 0))
    assert guidance.verdict is Verdict.NOT_NOW
    assert guidance.opens_at == ny(2026, 6, 10, 10, 0)
    assert guidance.window_text is not None and guidance.window_text.startswith("10:00-20:00")
    assert check(client(given), ny(2026, 6, 10, 20, 0)).verdict is Verdict.NOT_NOW


def test_another_number_inside_its_window_is_preferred_to_waiting() -> None:
    given = consent(cell(), home(earliest=time(6)), preferred_kind="cell")
    guidance = check(client(given), ny(2026, 6, 10, 7, 0), WINDOW_ONLY)
    assert guidance.verdict is Verdict.OK
    assert guidance.use_number is not None and guidance.use_number.kind == "home"
    assert any("cell number may not be called now" in r for r in guidance.reasons)


def test_when_all_are_closed_the_first_to_open_is_used() -> None:
    given = consent(cell(), home(earliest=time(6)), preferred_kind="cell")
    guidance = check(client(given), ny(2026, 6, 10, 5, 0), WINDOW_ONLY)
    assert guidance.verdict is Verdict.NOT_NOW
    assert guidance.use_number is not None and guidance.use_number.kind == "home"
    assert guidance.opens_at == ny(2026, 6, 10, 6, 0)


def test_when_all_open_together_the_preferred_is_used() -> None:
    given = consent(cell(), home(), preferred_kind="home")
    guidance = check(client(given), ny(2026, 6, 10, 7, 0))
    assert guidance.verdict is Verdict.NOT_NOW
    assert guidance.use_number is not None and guidance.use_number.kind == "home"


def test_ok_has_no_opening_time() -> None:
    guidance = check(client(consent(cell())))
    assert guidance.opens_at is None
