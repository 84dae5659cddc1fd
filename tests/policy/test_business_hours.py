"""The business-hours clock: weekends, holidays, DST changes, two time zones, exact boundaries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.policy.business_hours import (
    CallbackDue,
    add_business_time,
    business_time_between,
    callback_due,
    is_open,
    next_open,
    reminder_times,
    subtract_business_time,
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


# --- callback_due ------------------------------------------------------------------------------


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
        assert result.due_at == ny(2026, 3, 5, 10, 0)
        assert result.earliest_call_at == ny(2026, 3, 2, 10, 0)
    else:
        assert result == CallbackDue(
            owed=False, due_at=None, reasons=result.reasons, earliest_call_at=None
        )
        assert "No voicemail was left" in result.reasons[0]


@pytest.mark.parametrize(
    ("pol", "called_at", "due_at", "earliest", "reason"),
    [
        pytest.param(
            policy(),
            ny(2026, 3, 13, 15, 0),
            ny(2026, 3, 18, 15, 0),
            ny(2026, 3, 13, 15, 0),
            "24 business hours from the call, excluding weekends and holidays",
            id="friday-pm",
        ),
        pytest.param(
            policy(),
            ny(2026, 3, 14, 12, 0),
            ny(2026, 3, 18, 17, 0),
            ny(2026, 3, 16, 9, 0),
            "clock started at Mon 16 Mar 09:00 EDT",
            id="saturday",
        ),
        pytest.param(
            policy(),
            ny(2026, 3, 2, 17, 0),
            ny(2026, 3, 5, 17, 0),
            ny(2026, 3, 3, 9, 0),
            "clinic was closed",
            id="at-closing",
        ),
        pytest.param(
            policy(),
            ny(2026, 3, 2, 9, 0),
            ny(2026, 3, 4, 17, 0),
            ny(2026, 3, 2, 9, 0),
            "open now",
            id="at-opening",
        ),
        pytest.param(
            policy(),
            ny(2026, 11, 25, 15, 0),
            ny(2026, 12, 2, 15, 0),
            ny(2026, 11, 25, 15, 0),
            "Thanksgiving",
            id="thanksgiving-eve",
        ),
        pytest.param(
            policy(),
            ny(2026, 12, 23, 16, 0),
            ny(2026, 12, 30, 16, 0),
            ny(2026, 12, 23, 16, 0),
            "clinic closure (Thu 24 Dec)",
            id="christmas-eve",
        ),
        pytest.param(
            policy(operating_hours_only=False),
            ny(2026, 3, 2, 18, 0),
            ny(2026, 3, 5, 17, 0),
            ny(2026, 3, 2, 18, 0),
            "do not limit call backs",
            id="after-hours-anytime",
        ),
        pytest.param(
            policy(turnaround_business_hours=None),
            ny(2026, 3, 7, 12, 0),
            None,
            ny(2026, 3, 9, 9, 0),
            "no turnaround",
            id="no-turnaround",
        ),
        pytest.param(
            policy(turnaround_business_hours=None, operating_hours_only=False),
            ny(2026, 3, 7, 12, 0),
            None,
            ny(2026, 3, 7, 12, 0),
            "do not limit call backs",
            id="no-rules",
        ),
        pytest.param(
            policy(turnaround_business_hours=4),
            ny(2026, 3, 6, 15, 0),
            ny(2026, 3, 9, 11, 0),
            ny(2026, 3, 6, 15, 0),
            "4 business hours",
            id="dst-weekend",
        ),
        pytest.param(
            policy(LA),
            la(2026, 3, 13, 15, 0),
            la(2026, 3, 18, 15, 0),
            la(2026, 3, 13, 15, 0),
            "PDT",
            id="los-angeles",
        ),
        pytest.param(
            policy(LDN),
            ldn(2026, 12, 24, 10, 0),
            ldn(2026, 12, 31, 10, 0),
            ldn(2026, 12, 24, 10, 0),
            "Boxing Day",
            id="london-christmas",
        ),
    ],
)
def test_callback_turnaround(
    pol: ClinicPolicy,
    called_at: datetime,
    due_at: datetime | None,
    earliest: datetime,
    reason: str,
) -> None:
    result = callback_due(pol, called_at, voicemail_left=True)
    assert result.owed
    assert result.due_at == due_at
    assert result.earliest_call_at == earliest
    assert any(reason in r for r in result.reasons), result.reasons
    if due_at is not None:
        assert_utc(result.due_at)
    assert_utc(result.earliest_call_at)


@pytest.mark.parametrize(
    ("turnaround", "called_at", "due_at", "earliest"),
    [
        # deadline Thu 10:00 -> the end of Thursday's window
        (24, ny(2026, 3, 2, 10, 0), ny(2026, 3, 5, 9, 0), ny(2026, 3, 3, 8, 0)),
        # without a turnaround: the end of the first window after the call
        (None, ny(2026, 3, 2, 10, 0), ny(2026, 3, 3, 9, 0), ny(2026, 3, 3, 8, 0)),
        # deadline Mon 11:00 is before the next window: never earlier than that window
        (1, ny(2026, 3, 2, 10, 0), ny(2026, 3, 3, 9, 0), ny(2026, 3, 3, 8, 0)),
        # a call during a window may be returned at once; the next window is the one owed
        (None, ny(2026, 3, 3, 8, 30), ny(2026, 3, 4, 9, 0), ny(2026, 3, 3, 8, 30)),
        # a call at the window's start sharp: that window is the first after the call
        (None, ny(2026, 3, 3, 8, 0), ny(2026, 3, 3, 9, 0), ny(2026, 3, 3, 8, 0)),
        # windows only on open days: Dec 24 closure, Christmas, weekend
        (None, ny(2026, 12, 23, 10, 0), ny(2026, 12, 28, 9, 0), ny(2026, 12, 28, 8, 0)),
        # over the spring change: the window is in daylight time on Monday
        (None, ny(2026, 3, 6, 10, 0), ny(2026, 3, 9, 9, 0), ny(2026, 3, 9, 8, 0)),
        # Friday afternoon, 24h: deadline Wed 15:00 -> Wednesday's window
        (24, ny(2026, 3, 13, 15, 0), ny(2026, 3, 18, 9, 0), ny(2026, 3, 16, 8, 0)),
    ],
)
def test_callback_window(
    turnaround: float | None, called_at: datetime, due_at: datetime, earliest: datetime
) -> None:
    pol = policy(window=EARLY_HOUR, turnaround_business_hours=turnaround)
    result = callback_due(pol, called_at, voicemail_left=False)
    assert result.owed
    assert result.due_at == due_at
    assert result.earliest_call_at == earliest
    assert any("08:00-09:00" in r for r in result.reasons)


def test_callback_window_uses_utc_instants_across_dst() -> None:
    result = callback_due(
        policy(window=EARLY_HOUR, turnaround_business_hours=None), ny(2026, 3, 6, 10, 0), True
    )
    assert result.due_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert_utc(result.due_at)


# --- reminder_times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pol", "due_at", "not_before", "expected"),
    [
        pytest.param(
            policy(),
            ny(2026, 3, 16, 11, 0),
            ny(2026, 3, 13, 12, 0),
            (ny(2026, 3, 13, 15, 0), ny(2026, 3, 16, 10, 0), ny(2026, 3, 16, 11, 0)),
            id="across-weekend",
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
            policy(operating_hours_only=False),
            ny(2026, 3, 16, 11, 0),
            ny(2026, 3, 13, 12, 0),
            (ny(2026, 3, 16, 7, 0), ny(2026, 3, 16, 10, 0), ny(2026, 3, 16, 11, 0)),
            id="wall-time",
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
            id="dst-spring",
        ),
        pytest.param(
            policy(),
            ny(2026, 12, 28, 11, 0),
            ny(2026, 12, 1, 0, 0),
            (ny(2026, 12, 23, 15, 0), ny(2026, 12, 28, 10, 0), ny(2026, 12, 28, 11, 0)),
            id="christmas",
        ),
        pytest.param(
            policy(LA),
            la(2026, 3, 16, 9, 30),
            la(2026, 3, 13, 0, 0),
            (la(2026, 3, 13, 13, 30), la(2026, 3, 13, 16, 30), la(2026, 3, 16, 9, 30)),
            id="los-angeles",
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
