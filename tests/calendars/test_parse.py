"""Parsing and mapping feeds as Google, Outlook, Apple and an EHR export them (issue 14)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from bot.calendars.mapping import NO_CODE, map_events
from bot.calendars.parse import ALL_DAY, CANCELLED, FeedUnreadable, parse_feed
from tests.calendars.feeds import FLAVOURS, NY, feed

NOW = datetime(2026, 10, 28, 14, 30, tzinfo=UTC)  # Wed 10:30 New York; DST ends Sun 1 Nov
CODE = re.compile(r"\b([A-Z]-\d{3,4})\b")


def _at(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def week_of_events(flavour: str) -> list[dict]:
    """A weekly series (11:00 Wednesdays) across the DST change with one instance excluded and
    one moved; a cancelled session, an all-day event, lunch, and a session for another client."""
    if flavour == "ehr":  # an EHR writes each session out, in UTC, the code in the description
        sessions = [{"uid": f"appt-{n}@ehr", "summary": "Session",
                     "description": "Client ID: C-1042 (video)", "start": start}
                    for n, start in ((1, _at(28, 10, 11)), (2, _at(5, 11, 12)))]
    else:
        sessions = [
            {"uid": "series-1@clinic", "summary": "Session C-1042", "start": _at(7, 10, 11),
             "rrule": "FREQ=WEEKLY;COUNT=10", "exdates": [_at(11, 11, 11)]},
            {"uid": "series-1@clinic", "summary": "Session C-1042", "start": _at(5, 11, 12),
             "recurrence_id": _at(4, 11, 11)},
        ]
    return [
        *sessions,
        {"uid": "cancelled-1@clinic", "summary": "Session C-1043", "start": _at(30, 10, 9),
         "status": "CANCELLED"},
        {"uid": "allday-1@clinic", "summary": "C-1042 paperwork day", "start": date(2026, 10, 29)},
        {"uid": "lunch-1@clinic", "summary": "Lunch", "start": _at(29, 10, 12), "minutes": 60},
        {"uid": "single-1@clinic", "summary": "Intake C-1043", "start": _at(2, 11, 14),
         "minutes": 90},
    ]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_flavour_gives_the_same_appointments(flavour: str) -> None:
    mapped = map_events(parse_feed(feed(flavour, week_of_events(flavour)), NOW, NY), CODE)
    got = [(e.code, e.start, e.minutes) for e in mapped.events]
    assert got == [
        ("C-1042", datetime(2026, 10, 28, 15, 0, tzinfo=UTC), 50),  # EDT, -4
        ("C-1043", datetime(2026, 11, 2, 19, 0, tzinfo=UTC), 90),  # EST, -5: after the change
        ("C-1042", datetime(2026, 11, 5, 17, 0, tzinfo=UTC), 50),  # the moved instance
    ]  # 11 Nov is excluded (EXDATE); 4 Nov moved to 5 Nov
    assert mapped.ignored == {CANCELLED: 1, ALL_DAY: 1, NO_CODE: 1}


def test_a_moved_instance_keeps_the_key_of_its_original_start() -> None:
    events = week_of_events("google")
    before = parse_feed(feed("google", events[:1]), NOW, NY)
    after = parse_feed(feed("google", events[:2]), NOW, NY)
    original = {e.start: e.key for e in before.events}
    moved = {e.start: e.key for e in after.events}
    assert moved[datetime(2026, 11, 5, 17, 0, tzinfo=UTC)] == \
        original[datetime(2026, 11, 4, 16, 0, tzinfo=UTC)]


def test_floating_times_are_clinic_time() -> None:
    data = feed("apple", [{"uid": "f@x", "summary": "C-1042", "start": datetime(2026, 10, 29, 9),
                           "floating": True, "minutes": 45}])
    (event,) = parse_feed(data, NOW, NY).events
    assert (event.start, event.minutes) == (datetime(2026, 10, 29, 13, 0, tzinfo=UTC), 45)


def test_windows_zone_names_without_a_vtimezone() -> None:
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:w@x\r\nSUMMARY:C-1042\r\n"
            b"DTSTART;TZID=Eastern Standard Time:20261103T090000\r\n"
            b"DTEND;TZID=Eastern Standard Time:20261103T095000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    (event,) = parse_feed(data, NOW, NY).events
    assert event.start == datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


def test_events_outside_the_window_are_left_out() -> None:
    data = feed("google", [{"uid": "a", "summary": "C-1042", "start": _at(20, 10, 9)},
                           {"uid": "b", "summary": "C-1042", "start": _at(13, 11, 9)},
                           {"uid": "c", "summary": "C-1042", "start": _at(27, 10, 9)}])
    assert [e.start.date() for e in parse_feed(data, NOW, NY).events] == [date(2026, 10, 27)]


def test_an_empty_calendar_has_no_events() -> None:
    parsed = parse_feed(feed("google", []), NOW, NY)
    assert parsed.events == () and parsed.in_window == 0


@pytest.mark.parametrize(("data", "says"), [
    (b"", "empty"),
    (feed("outlook", [{"uid": "a", "summary": "C-1042", "start": _at(29, 10, 9)}])[:300],
     "cut short"),
    (b"BEGIN:VCALENDAR\r\nSUMMARY:\xff\xfe\r\nEND:VCALENDAR\r\n", "not UTF-8"),
    (b"<html><body>Sign in</body></html>", "not an iCalendar feed"),
    (b"BEGIN:VCALENDAR\r\nthis is not a content line\r\nEND:VCALENDAR\r\n", "not valid iCalendar"),
])
def test_unreadable_feeds_say_what_is_wrong(data: bytes, says: str) -> None:
    with pytest.raises(FeedUnreadable, match=says):
        parse_feed(data, NOW, NY)


def test_an_unknown_zone_is_counted_not_guessed() -> None:
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:z@x\r\nSUMMARY:C-1042\r\n"
            b"DTSTART;TZID=Nowhere/Land:20261103T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    parsed = parse_feed(data, NOW, NY)
    assert parsed.events == () and parsed.ignored == {"time zone not known": 1}
