"""The business-hours clock: weekends, holidays, DST changes, two time zones, exact boundaries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.policy.business_hours import (
    CALLS_REFUSED_REASON,
    CallbackDue,
    add_business_time,
    add_open_day_time,
    business_time_between,
    callback_due,
    is_open,
    next_open,
    reminder_times,
    subtract_business_time,
    subtract_open_day_time,
)
from bot.policy.clinic import CallbackPolicy, Clinic, ClinicPolicy, DailyWindow, HolidayCalendar

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
WEEKDAYS = range(5)
NINE_TO_FIVE = DailyWindow(time(9), time(17))
EARLY_HOUR = DailyWindow(time(8), time(9))


def make_clinic(
    tz: ZoneInfo = NEW_YORK,
    days: Iterable[int] = WEEKDAYS,
    hours: DailyWindow = NINE_TO_FIVE,
    holidays: HolidayCalendar | None = None,
) -> Clinic:
    if holidays is None:
        holidays = HolidayCalendar(
            country="US", subdivision="PA", extra=frozenset({date(2026, 12, 24)})
        )
    return Clinic(
        name="Test Clinic", timezone=tz, hours=dict.fromkeys(days, hours), holidays=holidays
    )


PA = make_clinic()
LA = make_clinic(LOS_ANGELES)
LDN = make_clinic(LONDON, holidays=HolidayCalendar(country="GB", subdivision="ENG"))
EVERY_DAY = make_clinic(days=range(7), holidays=HolidayCalendar())
NEVER_OPEN = make_clinic(days=())


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def la(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOS_ANGELES)


def ldn(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def policy(clinic: Clinic = PA, **callbacks: object) -> ClinicPolicy:
    return ClinicPolicy(clinic=clinic, callbacks=replace(CallbackPolicy(), **callbacks))


def assert_utc(moment: datetime | None) -> None:
    assert moment is not None and moment.tzinfo is UTC


# --- is_open / next_open -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clinic", "at", "expected"),
    [
        (PA, ny(2026, 3, 2, 9, 0), True),  # Monday 09:00 sharp
        (PA, ny(2026, 3, 2, 8, 59, 59), False),
        (PA, ny(2026, 3, 2, 16, 59, 59), True),
        (PA, ny(2026, 3, 2, 17, 0), False),  # 17:00 sharp is closed
        (PA, ny(2026, 3, 7, 12, 0), False),  # Saturday
        (PA, ny(2026, 3, 8, 12, 0), False),  # Sunday
        (PA, ny(2026, 11, 26, 12, 0), False),  # Thanksgiving
        (PA, ny(2026, 12, 24, 12, 0), False),  # the clinic's extra closure
        (PA, ny(2026, 12, 25, 12, 0), False),  # Christmas
        (PA, ny(2026, 12, 23, 12, 0), True),
        (PA, datetime(2026, 3, 2, 14, 0, tzinfo=UTC), True),  # 09:00 EST given in UTC
        (PA, datetime(2026, 3, 2, 13, 59, tzinfo=UTC), False),
        (PA, datetime(2026, 3, 9, 13, 0, tzinfo=UTC), True),  # 09:00 EDT after the change
        (LA, datetime(2026, 3, 2, 16, 30, tzinfo=UTC), False),  # 08:30 PST
        (LA, la(2026, 3, 2, 16, 30), True),
        (LDN, ldn(2026, 3, 30, 9, 0), True),  # first Monday of BST
        (LDN, datetime(2026, 3, 30, 8, 0, tzinfo=UTC), True),  # 09:00 BST
        (LDN, datetime(2026, 3, 30, 7, 59, tzinfo=UTC), False),
        (LDN, ldn(2026, 12, 28, 12, 0), False),  # Boxing Day (observed)
        (EVERY_DAY, ny(2026, 3, 8, 16, 59), True),  # DST Sunday
        (EVERY_DAY, ny(2026, 11, 1, 9, 0), True),
    ],
)
def test_is_open(clinic: Clinic, at: datetime, expected: bool) -> None:
    assert is_open(clinic, at) is expected


@pytest.mark.parametrize(
    ("clinic", "at", "expected"),
    [
        (PA, ny(2026, 3, 2, 10, 15), ny(2026, 3, 2, 10, 15)),  # open: itself
        (PA, ny(2026, 3, 2, 9, 0), ny(2026, 3, 2, 9, 0)),
        (PA, ny(2026, 3, 2, 7, 30), ny(2026, 3, 2, 9, 0)),  # before opening
        (PA, ny(2026, 3, 2, 17, 0), ny(2026, 3, 3, 9, 0)),  # at closing
        (PA, ny(2026, 3, 6, 17, 0), ny(2026, 3, 9, 9, 0)),  # Friday close, over DST weekend
        (PA, ny(2026, 3, 8, 11, 0), ny(2026, 3, 9, 9, 0)),  # Sunday
        (PA, ny(2026, 11, 25, 17, 30), ny(2026, 11, 30, 9, 0)),  # Thanksgiving + day after
        (PA, ny(2026, 12, 23, 17, 0), ny(2026, 12, 28, 9, 0)),  # Dec 24 closure + Christmas
        (LA, la(2026, 10, 30, 18, 0), la(2026, 11, 2, 9, 0)),  # over the November change
        (LDN, ldn(2026, 12, 24, 17, 0), ldn(2026, 12, 29, 9, 0)),  # English Christmas
    ],
)
def test_next_open(clinic: Clinic, at: datetime, expected: datetime) -> None:
    result = next_open(clinic, at)
    assert result == expected
    assert_utc(result)


def test_next_open_of_a_clinic_that_never_opens_raises() -> None:
    with pytest.raises(ValueError, match="no opening hours"):
        next_open(NEVER_OPEN, ny(2026, 3, 2, 9, 0))


# --- add / subtract / between ------------------------------------------------------------------

ADD_CASES = [
    # (clinic, start, business hours, expected)
    pytest.param(PA, ny(2026, 3, 2, 9, 0), 1, ny(2026, 3, 2, 10, 0), id="opening-sharp"),
    pytest.param(PA, ny(2026, 3, 2, 9, 0), 8, ny(2026, 3, 2, 17, 0), id="ends-at-closing"),
    pytest.param(PA, ny(2026, 3, 2, 17, 0), 1, ny(2026, 3, 3, 10, 0), id="closing-sharp"),
    pytest.param(PA, ny(2026, 3, 2, 7, 30), 1, ny(2026, 3, 2, 10, 0), id="before-opening"),
    pytest.param(PA, ny(2026, 3, 2, 20, 0), 1, ny(2026, 3, 3, 10, 0), id="after-hours"),
    pytest.param(PA, ny(2026, 3, 1, 12, 0), 1, ny(2026, 3, 2, 10, 0), id="sunday"),
    pytest.param(PA, ny(2026, 3, 7, 12, 0), 0, ny(2026, 3, 9, 9, 0), id="zero-from-saturday"),
    pytest.param(PA, ny(2026, 3, 3, 10, 0), 24, ny(2026, 3, 6, 10, 0), id="three-days"),
    pytest.param(PA, ny(2026, 3, 13, 15, 0), 4, ny(2026, 3, 16, 11, 0), id="friday-afternoon"),
    pytest.param(PA, ny(2026, 3, 13, 15, 0), 24, ny(2026, 3, 18, 15, 0), id="friday-24h"),
    pytest.param(PA, ny(2026, 3, 6, 13, 0), 8, ny(2026, 3, 9, 13, 0), id="dst-spring-weekend"),
    pytest.param(PA, ny(2026, 10, 30, 13, 0), 8, ny(2026, 11, 2, 13, 0), id="dst-fall-weekend"),
    pytest.param(PA, ny(2026, 11, 25, 15, 0), 24, ny(2026, 12, 2, 15, 0), id="thanksgiving-eve"),
    pytest.param(PA, ny(2026, 12, 23, 16, 0), 2, ny(2026, 12, 28, 10, 0), id="christmas-eve"),
    pytest.param(PA, ny(2026, 12, 31, 16, 0), 2, ny(2027, 1, 4, 10, 0), id="new-year"),
    pytest.param(PA, ny(2026, 3, 2, 9, 0), 0.25, ny(2026, 3, 2, 9, 15), id="quarter-hour"),
    pytest.param(EVERY_DAY, ny(2026, 3, 8, 9, 0), 8, ny(2026, 3, 8, 17, 0), id="spring-day"),
    pytest.param(EVERY_DAY, ny(2026, 11, 1, 9, 0), 8, ny(2026, 11, 1, 17, 0), id="fall-day"),
    pytest.param(EVERY_DAY, ny(2026, 3, 7, 16, 0), 2, ny(2026, 3, 8, 10, 0), id="into-spring"),
    pytest.param(EVERY_DAY, ny(2026, 10, 31, 16, 0), 2, ny(2026, 11, 1, 10, 0), id="into-fall"),
    pytest.param(LA, la(2026, 3, 13, 16, 0), 2, la(2026, 3, 16, 10, 0), id="la-friday"),
    pytest.param(
        LA, datetime(2026, 3, 6, 23, 0, tzinfo=UTC), 2, la(2026, 3, 6, 17, 0), id="la-utc-input"
    ),
    pytest.param(LA, la(2026, 11, 25, 16, 0), 3, la(2026, 11, 30, 11, 0), id="la-thanksgiving"),
    pytest.param(LDN, ldn(2026, 3, 27, 13, 0), 8, ldn(2026, 3, 30, 13, 0), id="london-bst"),
    pytest.param(LDN, ldn(2026, 12, 24, 16, 0), 2, ldn(2026, 12, 29, 10, 0), id="london-xmas"),
    pytest.param(LDN, ny(2026, 3, 2, 9, 0), 1, ldn(2026, 3, 2, 15, 0), id="london-ny-input"),
]


@pytest.mark.parametrize(("clinic", "start", "amount", "expected"), ADD_CASES)
def test_add_business_time(
    clinic: Clinic, start: datetime, amount: float, expected: datetime
) -> None:
    result = add_business_time(clinic, start, hours(amount))
    assert result == expected
    assert_utc(result)


@pytest.mark.parametrize(
    ("clinic", "end", "amount", "expected"),
    [
        (PA, ny(2026, 3, 2, 17, 0), 8, ny(2026, 3, 2, 9, 0)),  # runs out at the opening
        (PA, ny(2026, 3, 2, 9, 0), 1, ny(2026, 2, 27, 16, 0)),  # from an opening: previous close
        (PA, ny(2026, 3, 2, 12, 0), 0, ny(2026, 3, 2, 12, 0)),
        (PA, ny(2026, 3, 2, 9, 0), 0, ny(2026, 2, 27, 17, 0)),  # zero from an opening
        (PA, ny(2026, 3, 2, 17, 0), 0, ny(2026, 3, 2, 17, 0)),  # closing counts as the day's end
        (PA, ny(2026, 3, 2, 20, 0), 0, ny(2026, 3, 2, 17, 0)),
        (PA, ny(2026, 3, 7, 12, 0), 1, ny(2026, 3, 6, 16, 0)),  # Saturday
        (PA, ny(2026, 3, 16, 11, 0), 4, ny(2026, 3, 13, 15, 0)),  # over a weekend
        (PA, ny(2026, 3, 9, 13, 0), 8, ny(2026, 3, 6, 13, 0)),  # over the spring change
        (PA, ny(2026, 11, 2, 10, 0), 2, ny(2026, 10, 30, 16, 0)),  # over the fall change
        (PA, ny(2026, 11, 30, 10, 0), 4, ny(2026, 11, 25, 14, 0)),  # over Thanksgiving
        (PA, ny(2026, 12, 28, 10, 0), 2, ny(2026, 12, 23, 16, 0)),  # over Christmas
        (EVERY_DAY, ny(2026, 3, 8, 17, 0), 8, ny(2026, 3, 8, 9, 0)),
        (LA, la(2026, 3, 9, 10, 0), 2, la(2026, 3, 6, 16, 0)),
        (LDN, ldn(2026, 3, 30, 10, 0), 2, ldn(2026, 3, 27, 16, 0)),
    ],
)
def test_subtract_business_time(
    clinic: Clinic, end: datetime, amount: float, expected: datetime
) -> None:
    result = subtract_business_time(clinic, end, hours(amount))
    assert result == expected
    assert_utc(result)


@pytest.mark.parametrize(
    ("clinic", "a", "b", "expected"),
    [
        (PA, ny(2026, 3, 13, 15, 0), ny(2026, 3, 16, 11, 0), hours(4)),
        (PA, ny(2026, 3, 16, 11, 0), ny(2026, 3, 13, 15, 0), hours(-4)),  # reversed: negative
        (PA, ny(2026, 3, 2, 12, 0), ny(2026, 3, 2, 12, 0), hours(0)),
        (PA, ny(2026, 3, 7, 0, 0), ny(2026, 3, 9, 0, 0), hours(0)),  # a weekend
        (PA, ny(2026, 3, 2, 0, 0), ny(2026, 3, 9, 0, 0), hours(40)),  # a working week
        (PA, ny(2026, 12, 21, 0, 0), ny(2026, 12, 28, 0, 0), hours(24)),  # Christmas week
        (PA, ny(2026, 11, 23, 0, 0), ny(2026, 11, 30, 0, 0), hours(24)),  # Thanksgiving week
        (EVERY_DAY, ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 0, 0), hours(8)),
        (EVERY_DAY, ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0), hours(8)),
        (LDN, ldn(2026, 3, 27, 13, 0), ldn(2026, 3, 30, 13, 0), hours(8)),
    ],
)
def test_business_time_between(
    clinic: Clinic, a: datetime, b: datetime, expected: timedelta
) -> None:
    assert business_time_between(clinic, a, b) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 3, 8), hours(22)), (date(2026, 3, 9), hours(23)), (date(2026, 11, 1), hours(24))],
)
def test_business_time_is_elapsed_time_not_wall_time(day: date, expected: timedelta) -> None:
    """00:00-23:00 is 23 wall-clock hours, but only 22 real hours on the spring day, 24 in fall."""
    clinic = make_clinic(
        days=range(7), hours=DailyWindow(time(0), time(23)), holidays=HolidayCalendar()
    )
    midnight = datetime.combine(day, time(0), tzinfo=NEW_YORK)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=NEW_YORK)
    assert business_time_between(clinic, midnight, next_midnight) == expected
    assert add_business_time(clinic, midnight, expected) == datetime.combine(
        day, time(23), tzinfo=NEW_YORK
    )


IN_HOURS_STARTS = [
    ny(2026, 3, 2, 9, 0),
    ny(2026, 3, 6, 13, 0),
    ny(2026, 3, 13, 16, 59),
    ny(2026, 10, 30, 9, 30),
    ny(2026, 11, 25, 15, 0),
    ny(2026, 12, 23, 16, 0),
]
AMOUNTS = [hours(0.5), hours(1), hours(4), hours(8), hours(24), hours(37.25)]


@pytest.mark.parametrize("start", IN_HOURS_STARTS)
@pytest.mark.parametrize("amount", AMOUNTS)
def test_subtract_undoes_add_for_in_hours_starts(start: datetime, amount: timedelta) -> None:
    later = add_business_time(PA, start, amount)
    assert subtract_business_time(PA, later, amount) == start
    assert business_time_between(PA, start, later) == amount


@pytest.mark.parametrize(
    "start",
    [ny(2026, 3, 2, 7, 0), ny(2026, 3, 6, 17, 0), ny(2026, 3, 8, 12, 0), ny(2026, 12, 24, 10, 0)],
)
@pytest.mark.parametrize("amount", AMOUNTS)
def test_round_trip_from_outside_hours_lands_on_the_next_opening(
    start: datetime, amount: timedelta
) -> None:
    later = add_business_time(PA, start, amount)
    assert subtract_business_time(PA, later, amount) == next_open(PA, start)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(PA, datetime(2026, 3, 2, 9, 0), hours(1)),
        lambda: subtract_business_time(PA, ny(2026, 3, 2, 9, 0), hours(-1)),
        lambda: add_business_time(PA, ny(2026, 3, 2, 9, 0), hours(-1)),
        lambda: is_open(PA, datetime(2026, 3, 2, 9, 0)),
        lambda: add_business_time(NEVER_OPEN, ny(2026, 3, 2, 9, 0), hours(1)),
        lambda: subtract_business_time(NEVER_OPEN, ny(2026, 3, 2, 9, 0), hours(1)),
    ],
    ids=["naive", "negative-subtract", "negative-add", "naive-is-open", "never-add", "never-sub"],
)
def test_bad_input_raises_value_error(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


# --- the call-back clock: add_open_day_time ---------------------------------------------------


@pytest.mark.parametrize(
    ("clinic", "start", "amount", "expected"),
    [
        pytest.param(PA, ny(2026, 11, 17, 9, 40), hours(24), ny(2026, 11, 18, 9, 40),
                     id="001: Tue 09:40 + 24h = Wed 09:40"),
        pytest.param(PA, ny(2026, 3, 13, 15, 0), hours(24), ny(2026, 3, 16, 15, 0),
                     id="001: Fri 15:00 + 24h = Mon 15:00 (weekend stopped)"),
        pytest.param(PA, ny(2026, 3, 3, 20, 0), hours(24), ny(2026, 3, 4, 20, 0),
                     id="001: evenings of open days count"),
        pytest.param(PA, ny(2026, 3, 14, 12, 0), hours(24), ny(2026, 3, 17, 0, 0),
                     id="001: from a Saturday, the count starts Monday 00:00"),
        pytest.param(PA, ny(2026, 3, 13, 0, 0), hours(24), ny(2026, 3, 14, 0, 0),
                     id="001: runs out at the end of Friday: that midnight"),
        pytest.param(PA, ny(2026, 3, 14, 12, 0), hours(0), ny(2026, 3, 16, 0, 0),
                     id="001: zero from a closed day: the next open day's midnight"),
        pytest.param(PA, ny(2026, 12, 23, 16, 0), hours(24), ny(2026, 12, 28, 16, 0),
                     id="001: extra closure, Christmas and a weekend stopped"),
        pytest.param(PA, ny(2026, 3, 6, 15, 0), hours(24), ny(2026, 3, 9, 15, 0),
                     id="001: over the 2026-03-08 change (closed that Sunday)"),
        pytest.param(EVERY_DAY, ny(2026, 3, 7, 15, 0), hours(24), ny(2026, 3, 8, 16, 0),
                     id="001: open on 2026-03-08: 24 elapsed hours end at 16:00 EDT"),
        pytest.param(EVERY_DAY, ny(2026, 10, 31, 15, 0), hours(24), ny(2026, 11, 1, 14, 0),
                     id="001: open on 2026-11-01: 24 elapsed hours end at 14:00 EST"),
        pytest.param(LDN, ldn(2026, 3, 27, 15, 0), hours(24), ldn(2026, 3, 30, 15, 0),
                     id="001: London over its 2026-03-29 change"),
        pytest.param(LDN, ldn(2026, 4, 2, 15, 0), hours(24), ldn(2026, 4, 7, 15, 0),
                     id="001: London Good Friday and Easter Monday stopped"),
    ],
)
def test_add_open_day_time(
    clinic: Clinic, start: datetime, amount: timedelta, expected: datetime
) -> None:
    result = add_open_day_time(clinic, start, amount)
    assert result == expected
    assert_utc(result)


@pytest.mark.parametrize("start", IN_HOURS_STARTS)
@pytest.mark.parametrize("amount", AMOUNTS)
def test_subtract_open_day_time_undoes_add(start: datetime, amount: timedelta) -> None:
    later = add_open_day_time(PA, start, amount)
    assert subtract_open_day_time(PA, later, amount) == start


# --- callback_due ------------------------------------------------------------------------------

US = HolidayCalendar(country="US")
US_ONLY = make_clinic(holidays=US)  # no state holidays: the day after Thanksgiving is open
SHORT_FRIDAY = Clinic(
    name="Test Clinic", timezone=NEW_YORK, holidays=US,
    hours={**dict.fromkeys(range(4), NINE_TO_FIVE), 4: DailyWindow(time(9), time(13))},
)
LDN_EVERY_DAY = make_clinic(LONDON, days=range(7), holidays=HolidayCalendar())


@pytest.mark.parametrize(
    ("require_voicemail", "voicemail_left", "owed"),
    [(True, False, False), (True, True, True), (False, False, True), (False, True, True)],
)
def test_require_voicemail(require_voicemail: bool, voicemail_left: bool, owed: bool) -> None:
    result = callback_due(
        policy(require_voicemail=require_voicemail), ny(2026, 3, 2, 10, 0), voicemail_left
    )
    assert result.owed is owed
    if owed:
        assert result.due_at == ny(2026, 3, 3, 10, 0)
        assert result.earliest_call_at == ny(2026, 3, 2, 10, 0)
    else:
        assert result == CallbackDue(
            owed=False, due_at=None, reasons=result.reasons, earliest_call_at=None
        )
        assert "No voicemail was left" in result.reasons[0]


@pytest.mark.parametrize(
    ("seed", "pol", "voicemail_left"),
    [
        ("000: don't call without the client's permission", policy(), True),
        ("000: don't call without the client's permission", policy(), False),
        ("000: refusal wins over a voicemail rule", policy(require_voicemail=True), True),
        ("000: refusal wins over a window", policy(window=EARLY_HOUR), True),
        ("000: refusal wins with no rules", policy(turnaround_hours=None,
                                                  operating_hours_only=False), True),
    ],
)
def test_no_call_back_is_owed_to_a_client_who_refused_calls(
    seed: str, pol: ClinicPolicy, voicemail_left: bool
) -> None:
    result = callback_due(pol, ny(2026, 3, 2, 10, 0), voicemail_left, calls_refused=True)
    assert result == CallbackDue(
        owed=False, due_at=None, reasons=(CALLS_REFUSED_REASON,), earliest_call_at=None
    )
    assert "not given permission to be called" in CALLS_REFUSED_REASON


ANY_HOURS = {"operating_hours_only": False}


@pytest.mark.parametrize(
    ("pol", "called_at", "due_at", "earliest", "reasons"),
    [
        pytest.param(
            policy(), ny(2026, 11, 17, 9, 40), ny(2026, 11, 18, 9, 40), ny(2026, 11, 17, 9, 40),
            ["24 hours from the call, not counting days the clinic is closed all day; "
             "they end Wed 18 Nov 09:40 EST", "open now"],
            id="001: Tue 09:40 -> Wed 09:40",
        ),
        pytest.param(
            policy(), ny(2026, 3, 13, 15, 0), ny(2026, 3, 16, 15, 0), ny(2026, 3, 13, 15, 0),
            ["they end Mon 16 Mar 15:00 EDT", "Not counted: Sat 14 Mar, Sun 15 Mar."],
            id="001: Fri 15:00 -> Mon 15:00",
        ),
        pytest.param(
            policy(US_ONLY), ny(2026, 11, 25, 15, 0), ny(2026, 11, 27, 15, 0),
            ny(2026, 11, 25, 15, 0), ["Not counted: Thanksgiving Day (Thu 26 Nov)."],
            id="001: Wed 25 Nov 15:00 (Thanksgiving next day) -> Fri 27 Nov 15:00",
        ),
        pytest.param(
            policy(), ny(2026, 11, 25, 15, 0), ny(2026, 11, 30, 15, 0), ny(2026, 11, 25, 15, 0),
            ["Thanksgiving Day (Thu 26 Nov), Day After Thanksgiving (Fri 27 Nov), Sat 28 Nov"],
            id="001: Pennsylvania also closes the day after Thanksgiving -> Mon 15:00",
        ),
        pytest.param(
            policy(), ny(2026, 1, 16, 15, 0), ny(2026, 1, 20, 15, 0), ny(2026, 1, 16, 15, 0),
            ["Martin Luther King Jr. Day (Mon 19 Jan)"],
            id="001: a Monday holiday -> Tue 15:00",
        ),
        pytest.param(
            policy(), ny(2026, 3, 14, 12, 0), ny(2026, 3, 17, 9, 0), ny(2026, 3, 16, 9, 0),
            ["so the clock started when it opened, Mon 16 Mar 09:00 EDT",
             "Turnaround: 24 hours from then,"],
            id="001: Saturday call, operating hours only -> clock from Monday's opening",
        ),
        pytest.param(
            policy(**ANY_HOURS), ny(2026, 3, 14, 12, 0), ny(2026, 3, 17, 0, 0),
            ny(2026, 3, 14, 12, 0),
            ["closed all day on Sat 14 Mar, so the clock started at Mon 16 Mar 00:00 EDT",
             "do not limit call backs"],
            id="001: Saturday call, any hours -> clock from Monday 00:00, due at its end",
        ),
        pytest.param(
            policy(), ny(2026, 3, 3, 20, 0), ny(2026, 3, 5, 9, 0), ny(2026, 3, 4, 9, 0),
            ["so the clock started when it opened, Wed 04 Mar 09:00 EST",
             "Call back only while the clinic is open, from Wed 04 Mar 09:00 EST"],
            id="001: weekday 20:00, operating hours only -> Thu 09:00",
        ),
        pytest.param(
            policy(**ANY_HOURS), ny(2026, 3, 3, 20, 0), ny(2026, 3, 4, 20, 0),
            ny(2026, 3, 3, 20, 0), ["they end Wed 04 Mar 20:00 EST", "do not limit call backs"],
            id="001: weekday 20:00, any hours -> Wed 20:00",
        ),
        pytest.param(
            policy(SHORT_FRIDAY), ny(2026, 3, 12, 15, 0), ny(2026, 3, 16, 9, 0),
            ny(2026, 3, 12, 15, 0),
            ["they end Fri 13 Mar 15:00 EDT", "That is outside opening hours, so it is due when "
             "the clinic next opens, Mon 16 Mar 09:00 EDT."],
            id="001: due after Friday's 13:00 closing moves to Monday's opening",
        ),
        pytest.param(
            policy(SHORT_FRIDAY), ny(2026, 3, 12, 13, 0), ny(2026, 3, 16, 9, 0),
            ny(2026, 3, 12, 13, 0), ["outside opening hours"],
            id="001: due at closing sharp moves to the next opening",
        ),
        pytest.param(
            policy(SHORT_FRIDAY, **ANY_HOURS), ny(2026, 3, 12, 15, 0), ny(2026, 3, 13, 15, 0),
            ny(2026, 3, 12, 15, 0), ["they end Fri 13 Mar 15:00 EDT"],
            id="001: any hours: a due time after closing stays",
        ),
        pytest.param(
            policy(), ny(2026, 12, 23, 16, 0), ny(2026, 12, 28, 16, 0), ny(2026, 12, 23, 16, 0),
            ["Not counted: clinic closure (Thu 24 Dec), Christmas Day (Fri 25 Dec), "
             "Sat 26 Dec, Sun 27 Dec."],
            id="001: extra closure (Dec 24) and Christmas",
        ),
        pytest.param(
            policy(), ny(2026, 3, 6, 15, 0), ny(2026, 3, 9, 15, 0), ny(2026, 3, 6, 15, 0),
            ["they end Mon 09 Mar 15:00 EDT", "Sun 08 Mar"],
            id="001: New York, the 2026-03-08 change on a closed Sunday",
        ),
        pytest.param(
            policy(), ny(2026, 10, 30, 15, 0), ny(2026, 11, 2, 15, 0), ny(2026, 10, 30, 15, 0),
            ["they end Mon 02 Nov 15:00 EST", "Sun 01 Nov"],
            id="001: New York, the 2026-11-01 change on a closed Sunday",
        ),
        pytest.param(
            policy(EVERY_DAY, **ANY_HOURS), ny(2026, 3, 7, 15, 0), ny(2026, 3, 8, 16, 0),
            ny(2026, 3, 7, 15, 0), ["they end Sun 08 Mar 16:00 EDT"],
            id="001: open on 2026-03-08: 24 elapsed hours",
        ),
        pytest.param(
            policy(EVERY_DAY), ny(2026, 3, 7, 16, 30), ny(2026, 3, 9, 9, 0),
            ny(2026, 3, 7, 16, 30), ["they end Sun 08 Mar 17:30 EDT", "outside opening hours"],
            id="001: open on 2026-03-08: 17:30 EDT is after closing -> Monday's opening",
        ),
        pytest.param(
            policy(EVERY_DAY), ny(2026, 10, 31, 9, 0), ny(2026, 11, 1, 9, 0),
            ny(2026, 10, 31, 9, 0), ["they end Sun 01 Nov 08:00 EST", "outside opening hours"],
            id="001: open on 2026-11-01: 08:00 EST is before opening -> 09:00",
        ),
        pytest.param(
            policy(LDN), ldn(2026, 3, 27, 15, 0), ldn(2026, 3, 30, 15, 0),
            ldn(2026, 3, 27, 15, 0), ["they end Mon 30 Mar 15:00 BST"],
            id="001: London, the 2026-03-29 change",
        ),
        pytest.param(
            policy(LDN), ldn(2026, 10, 23, 15, 0), ldn(2026, 10, 26, 15, 0),
            ldn(2026, 10, 23, 15, 0), ["they end Mon 26 Oct 15:00 GMT"],
            id="001: London, the 2026-10-25 change",
        ),
        pytest.param(
            policy(LDN_EVERY_DAY, **ANY_HOURS), ldn(2026, 3, 28, 12, 0),
            ldn(2026, 3, 29, 13, 0), ldn(2026, 3, 28, 12, 0), ["they end Sun 29 Mar 13:00 BST"],
            id="001: London, open on 2026-03-29: 24 elapsed hours",
        ),
        pytest.param(
            policy(LDN), ldn(2026, 4, 2, 15, 0), ldn(2026, 4, 7, 15, 0), ldn(2026, 4, 2, 15, 0),
            ["Good Friday (Fri 03 Apr)", "Easter Monday (Mon 06 Apr)"],
            id="001: London, Easter",
        ),
        pytest.param(
            policy(LA), la(2026, 3, 13, 15, 0), la(2026, 3, 16, 15, 0), la(2026, 3, 13, 15, 0),
            ["PDT"], id="001: Los Angeles",
        ),
        pytest.param(
            policy(turnaround_hours=4), ny(2026, 3, 6, 15, 0), ny(2026, 3, 9, 9, 0),
            ny(2026, 3, 6, 15, 0), ["4 hours from the call", "outside opening hours"],
            id="001: 4 hours end Friday 19:00 -> Monday's opening",
        ),
        pytest.param(
            policy(turnaround_hours=1), ny(2026, 3, 2, 10, 0), ny(2026, 3, 2, 11, 0),
            ny(2026, 3, 2, 10, 0), ["1 hour from the call"], id="001: one hour",
        ),
        pytest.param(
            policy(turnaround_hours=None), ny(2026, 3, 7, 12, 0), None, ny(2026, 3, 9, 9, 0),
            ["no turnaround"], id="001: no turnaround rule",
        ),
        pytest.param(
            policy(turnaround_hours=None, **ANY_HOURS), ny(2026, 3, 7, 12, 0), None,
            ny(2026, 3, 7, 12, 0), ["do not limit call backs"], id="001: no rules",
        ),
    ],
)
def test_callback_turnaround(
    pol: ClinicPolicy,
    called_at: datetime,
    due_at: datetime | None,
    earliest: datetime,
    reasons: list[str],
) -> None:
    result = callback_due(pol, called_at, voicemail_left=True)
    assert result.owed
    assert result.due_at == due_at
    assert result.earliest_call_at == earliest
    for reason in reasons:
        assert any(reason in r for r in result.reasons), result.reasons
    if due_at is not None:
        assert_utc(result.due_at)
    assert_utc(result.earliest_call_at)


@pytest.mark.parametrize(
    ("turnaround", "extra", "called_at", "due_at", "earliest"),
    [
        pytest.param(24, {}, ny(2026, 3, 3, 10, 0), ny(2026, 3, 4, 9, 0), ny(2026, 3, 4, 8, 0),
                     id="001: deadline Wed 10:00 -> the end of Wednesday's window"),
        pytest.param(None, {}, ny(2026, 3, 2, 10, 0), ny(2026, 3, 3, 9, 0),
                     ny(2026, 3, 3, 8, 0),
                     id="001: no turnaround: the end of the first window after the call"),
        pytest.param(1, {}, ny(2026, 3, 2, 10, 0), ny(2026, 3, 3, 9, 0), ny(2026, 3, 3, 8, 0),
                     id="001: deadline before the next window: never earlier than that window"),
        pytest.param(None, {}, ny(2026, 3, 3, 8, 30), ny(2026, 3, 4, 9, 0),
                     ny(2026, 3, 3, 8, 30),
                     id="001: a call during a window may be returned at once"),
        pytest.param(24, {}, ny(2026, 3, 3, 8, 30), ny(2026, 3, 4, 9, 0),
                     ny(2026, 3, 3, 8, 30),
                     id="001: a call during the window, 24 hours: the next day's window"),
        pytest.param(None, {}, ny(2026, 3, 3, 8, 0), ny(2026, 3, 3, 9, 0), ny(2026, 3, 3, 8, 0),
                     id="001: a call at the window's start sharp"),
        pytest.param(None, {}, ny(2026, 12, 23, 10, 0), ny(2026, 12, 28, 9, 0),
                     ny(2026, 12, 28, 8, 0),
                     id="001: windows only on open days: Dec 24 closure, Christmas, weekend"),
        pytest.param(None, {}, ny(2026, 3, 6, 10, 0), ny(2026, 3, 9, 9, 0),
                     ny(2026, 3, 9, 8, 0),
                     id="001: over the 2026-03-08 change: Monday's window in daylight time"),
        pytest.param(24, {}, ny(2026, 3, 13, 15, 0), ny(2026, 3, 16, 9, 0),
                     ny(2026, 3, 16, 8, 0),
                     id="001: Friday 15:00, deadline Mon 15:00 -> Monday's window"),
        pytest.param(24, {}, ny(2026, 11, 25, 15, 0), ny(2026, 11, 30, 9, 0),
                     ny(2026, 11, 30, 8, 0), id="001: Thanksgiving eve -> Monday's window"),
        pytest.param(24, ANY_HOURS, ny(2026, 3, 14, 12, 0), ny(2026, 3, 16, 9, 0),
                     ny(2026, 3, 16, 8, 0),
                     id="001: Saturday call, any hours: deadline Tue 00:00 -> Monday's window"),
    ],
)
def test_callback_window(
    turnaround: float | None, extra: dict[str, object], called_at: datetime, due_at: datetime,
    earliest: datetime,
) -> None:
    pol = policy(window=EARLY_HOUR, turnaround_hours=turnaround, **extra)
    result = callback_due(pol, called_at, voicemail_left=False)
    assert result.owed
    assert result.due_at == due_at
    assert result.earliest_call_at == earliest
    assert any("08:00-09:00" in r for r in result.reasons)


def test_callback_window_uses_utc_instants_across_dst() -> None:
    result = callback_due(
        policy(window=EARLY_HOUR, turnaround_hours=None), ny(2026, 3, 6, 10, 0), True
    )
    assert result.due_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert_utc(result.due_at)


# --- reminder_times ----------------------------------------------------------------------------

THIRTY_MINUTES = timedelta(minutes=30)


@pytest.mark.parametrize(
    ("pol", "due_at", "not_before", "expected"),
    [
        pytest.param(
            policy(),
            ny(2026, 3, 16, 11, 0),
            ny(2026, 3, 13, 12, 0),
            (ny(2026, 3, 13, 15, 0), ny(2026, 3, 16, 10, 0), ny(2026, 3, 16, 11, 0)),
            id="001: business time, across the weekend",
        ),
        pytest.param(
            policy(),
            ny(2026, 3, 16, 11, 0),
            ny(2026, 3, 13, 15, 30),
            (ny(2026, 3, 16, 10, 0), ny(2026, 3, 16, 11, 0)),
            id="drops-past",
        ),
        pytest.param(
            policy(),
            ny(2026, 3, 16, 11, 0),
            ny(2026, 3, 13, 15, 0),
            (ny(2026, 3, 13, 15, 0), ny(2026, 3, 16, 10, 0), ny(2026, 3, 16, 11, 0)),
            id="keeps-not-before-itself",
        ),
        pytest.param(
            policy(),
            ny(2026, 3, 16, 11, 0),
            ny(2026, 3, 16, 11, 0),
            (ny(2026, 3, 16, 11, 0),),
            id="only-due",
        ),
        pytest.param(
            policy(**ANY_HOURS),
            ny(2026, 3, 16, 11, 0),
            ny(2026, 3, 13, 12, 0),
            (ny(2026, 3, 16, 7, 0), ny(2026, 3, 16, 10, 0), ny(2026, 3, 16, 11, 0)),
            id="001: any hours: time on open days, evenings and early mornings included",
        ),
        pytest.param(
            policy(**ANY_HOURS),
            ny(2026, 3, 16, 2, 0),
            ny(2026, 3, 12, 0, 0),
            (ny(2026, 3, 13, 22, 0), ny(2026, 3, 16, 1, 0), ny(2026, 3, 16, 2, 0)),
            id="001: any hours: never on the weekend (4h before Mon 02:00 is Fri 22:00)",
        ),
        pytest.param(
            policy(remind_before=(hours(1), timedelta(minutes=60), hours(0))),
            ny(2026, 3, 16, 11, 0),
            ny(2026, 3, 13, 12, 0),
            (ny(2026, 3, 16, 10, 0), ny(2026, 3, 16, 11, 0)),
            id="de-duplicated",
        ),
        pytest.param(
            policy(),
            ny(2026, 3, 9, 10, 0),
            ny(2026, 3, 1, 0, 0),
            (ny(2026, 3, 6, 14, 0), ny(2026, 3, 9, 9, 0), ny(2026, 3, 9, 10, 0)),
            id="001: over the 2026-03-08 change",
        ),
        pytest.param(
            policy(),
            ny(2026, 12, 28, 11, 0),
            ny(2026, 12, 1, 0, 0),
            (ny(2026, 12, 23, 15, 0), ny(2026, 12, 28, 10, 0), ny(2026, 12, 28, 11, 0)),
            id="001: over the Dec 24 closure and Christmas",
        ),
        pytest.param(
            policy(LA),
            la(2026, 3, 16, 9, 30),
            la(2026, 3, 13, 0, 0),
            (la(2026, 3, 13, 13, 30), la(2026, 3, 13, 16, 30), la(2026, 3, 16, 9, 30)),
            id="001: Los Angeles",
        ),
        pytest.param(
            policy(window=EARLY_HOUR),
            ny(2026, 3, 4, 9, 0),
            ny(2026, 3, 3, 10, 0),
            (ny(2026, 3, 4, 8, 0), ny(2026, 3, 4, 9, 0)),
            id="001: window: reminders move to the start of the due window",
        ),
        pytest.param(
            policy(window=DailyWindow(time(13), time(17))),
            ny(2026, 3, 4, 17, 0),
            ny(2026, 3, 3, 10, 0),
            (ny(2026, 3, 4, 13, 0), ny(2026, 3, 4, 16, 0), ny(2026, 3, 4, 17, 0)),
            id="001: window: reminders already inside it stay",
        ),
        pytest.param(
            policy(window=DailyWindow(time(13), time(17)), remind_before=(hours(14),)),
            ny(2026, 3, 4, 17, 0),
            ny(2026, 3, 2, 10, 0),
            (ny(2026, 3, 3, 13, 0), ny(2026, 3, 4, 17, 0)),
            id="001: window: Tue 11:00 moves to Tuesday's window",
        ),
        pytest.param(
            policy(window=EARLY_HOUR, **ANY_HOURS),
            ny(2026, 3, 16, 9, 0),
            ny(2026, 3, 14, 12, 0),
            (ny(2026, 3, 16, 8, 0), ny(2026, 3, 16, 9, 0)),
            id="001: window, any hours: never on the weekend",
        ),
    ],
)
def test_reminder_times(
    pol: ClinicPolicy, due_at: datetime, not_before: datetime, expected: tuple[datetime, ...]
) -> None:
    result = reminder_times(pol, due_at, not_before)
    assert result == expected
    for moment in result:
        assert_utc(moment)


@pytest.mark.parametrize(("clinic", "start", "amount", "due_at"), ADD_CASES)
def test_reminders_before_the_due_time_fall_inside_hours(
    clinic: Clinic, start: datetime, amount: float, due_at: datetime
) -> None:
    pol = policy(clinic, remind_before=(hours(0.5), hours(1), hours(4), hours(8), hours(9)))
    reminders = reminder_times(pol, due_at, due_at - timedelta(days=30))
    assert reminders[-1] == due_at
    assert len(reminders) == 6
    assert all(is_open(clinic, r) for r in reminders[:-1])


# Every 97 minutes over three weeks around the 2026-03-08 change, Thanksgiving and Christmas.
SWEEP = [
    start + timedelta(minutes=97 * step)
    for start in (ny(2026, 3, 1, 0, 0), ny(2026, 11, 20, 0, 0), ny(2026, 12, 18, 0, 0))
    for step in range(21 * 24 * 60 // 97)
]
REMIND = {"remind_before": (THIRTY_MINUTES, hours(1), hours(4), hours(30))}


def _on_open_day(clinic: Clinic, moment: datetime) -> bool:
    """Inside a day the clinic opens at all, its closing midnight included (a deadline)."""
    tz = clinic.timezone
    return clinic.hours_on((moment - timedelta(microseconds=1)).astimezone(tz).date()) is not None


def _in_window(clinic: Clinic, window: DailyWindow, moment: datetime) -> bool:
    local = moment.astimezone(clinic.timezone)
    inside = window.opens <= local.time() < window.closes
    return clinic.hours_on(local.date()) is not None and inside


@pytest.mark.parametrize(
    ("seed", "pol"),
    [
        ("001: operating hours only: every reminder inside opening hours",
         policy(SHORT_FRIDAY, **REMIND)),
        ("001: any hours: no reminder on a closed day", policy(**ANY_HOURS, **REMIND)),
        ("001: window: every reminder before the due time inside a window",
         policy(window=EARLY_HOUR, **REMIND)),
        ("001: window, any hours", policy(window=EARLY_HOUR, **ANY_HOURS, **REMIND)),
    ],
)
def test_reminders_land_when_the_clinician_can_act(seed: str, pol: ClinicPolicy) -> None:
    clinic = pol.clinic
    window = pol.callbacks.window
    for called_at in SWEEP:
        due = callback_due(pol, called_at, voicemail_left=True)
        assert due.due_at is not None and due.due_at > called_at
        reminders = reminder_times(pol, due.due_at, called_at)
        assert reminders[-1] == due.due_at
        for moment in reminders:
            assert called_at <= moment <= due.due_at
            assert _on_open_day(clinic, moment), (seed, called_at, moment)
            if window is not None and moment < due.due_at:
                assert _in_window(clinic, window, moment), (seed, called_at, moment)
            elif window is None and pol.callbacks.operating_hours_only:
                assert is_open(clinic, moment), (seed, called_at, moment)
