"""Leaving out what cannot start in the window before icalendar reads a feed (issue 14's memory
and time goals): it must never change what a feed's parse gives."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

import bot.calendars.parse as parse
from bot.calendars.mapping import map_events
from bot.calendars.parse import Window, parse_feed
from bot.calendars.prefilter import drop_outside
from tests.calendars.feeds import FLAVOURS, NY, feed

NOW = datetime(2026, 10, 28, 14, 30, tzinfo=UTC)  # window: 27 Oct - 11 Nov, New York
WINDOW = Window.around(NOW, NY)
CODE = re.compile(r"\b([A-Z]-\d{3,4})\b")


def _event(uid: str, start: str, *extra: str, nl: str = "\r\n") -> str:
    return nl.join(["BEGIN:VEVENT", f"UID:{uid}", start, "SUMMARY:Session C-1042", *extra,
                    "END:VEVENT"]) + nl


def _calendar(*events: str, nl: str = "\r\n") -> bytes:
    return (f"BEGIN:VCALENDAR{nl}VERSION:2.0{nl}" + "".join(events) + f"END:VCALENDAR{nl}"
            ).encode()


def _uids(data: bytes) -> list[str]:
    return re.findall(r"^UID:(.*?)\r?$", data.decode(), re.MULTILINE)


# Starts around the window's edges in the zones farthest from UTC, floating and as dates: the
# parse with the pre-filter must equal the parse without it.
EDGES = [
    _event(f"{zone}-{day}-{hour}", f"DTSTART;TZID={zone}:202610{day}T{hour}0000")
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York")
    for day, hour in (("24", "23"), ("25", "01"), ("25", "23"), ("26", "00"), ("26", "23"),
                      ("27", "00"))
] + [
    _event(f"nov-{zone}-{day}-{hour}", f"DTSTART;TZID={zone}:202611{day}T{hour}0000")
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
    for day, hour in (("11", "23"), ("12", "00"), ("12", "23"), ("13", "01"), ("14", "00"))
] + [
    _event(f"utc-{day}-{hour}", f"DTSTART:202610{day}T{hour}0000Z")
    for day, hour in (("25", "23"), ("26", "03"), ("26", "05"), ("27", "04"))
] + [
    _event("floating-25", "DTSTART:20261025T230000"),
    _event("floating-26", "DTSTART:20261026T000000"),
    _event("allday-25", "DTSTART;VALUE=DATE:20261025"),
    _event("allday-26", "DTSTART;VALUE=DATE:20261026"),
    _event("allday-13", "DTSTART;VALUE=DATE:20261113"),
    _event("cancelled-far", "DTSTART:20260101T150000Z", "STATUS:CANCELLED"),
    _event("multi-day", "DTSTART;VALUE=DATE:20261001", "DTEND;VALUE=DATE:20261120"),
    # a series begun long ago, an instance of it moved into the window from far outside, and
    # a single event sharing the series' UID: all kept
    _event("weekly", "DTSTART;TZID=America/New_York:20250107T090000",
           "RRULE:FREQ=WEEKLY;BYDAY=TU"),
    _event("weekly", "DTSTART;TZID=America/New_York:20261029T150000",
           "RECURRENCE-ID;TZID=America/New_York:20240101T090000"),
    _event("weekly", "DTSTART;TZID=America/New_York:20261030T150000",
           "RECURRENCE-ID;TZID=America/New_York:20261103T090000"),
    _event("dates", "DTSTART:20250101T150000Z", "RDATE:20261104T150000Z"),
]


def _without_prefilter(monkeypatch: pytest.MonkeyPatch, data: bytes):
    with monkeypatch.context() as m:
        m.setattr(parse, "drop_outside", lambda data, start, end: data)
        return parse_feed(data, NOW, NY)


@pytest.mark.parametrize("nl", ["\r\n", "\n"])
def test_the_prefilter_never_changes_what_a_parse_gives(monkeypatch: pytest.MonkeyPatch,
                                                        nl: str) -> None:
    data = _calendar(*(e.replace("\r\n", nl) for e in EDGES), nl=nl)
    assert len(drop_outside(data, WINDOW.start, WINDOW.end)) < len(data)  # it did drop some
    assert parse_feed(data, NOW, NY) == _without_prefilter(monkeypatch, data)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_flavour_parses_the_same_with_and_without_it(monkeypatch: pytest.MonkeyPatch,
                                                           flavour: str) -> None:
    events = [{"uid": f"s{n}@x", "summary": f"Session C-10{n:02d}",
               "start": datetime(2026, 9 + n % 4, 1 + n % 28, 9 + n % 8, tzinfo=NY)}
              for n in range(60)]
    events.append({"uid": "w@x", "summary": "C-1042", "start": datetime(2026, 1, 6, 11,
                                                                         tzinfo=NY),
                   "rrule": "FREQ=WEEKLY", "exdates": [datetime(2026, 11, 3, 11, tzinfo=NY)]})
    data = feed(flavour, events)
    assert map_events(parse_feed(data, NOW, NY), CODE) == \
        map_events(_without_prefilter(monkeypatch, data), CODE)


def test_what_is_dropped_and_what_is_kept() -> None:
    data = _calendar(
        _event("past", "DTSTART:20260101T150000Z"),
        _event("future", "DTSTART;TZID=America/New_York:20270101T090000"),
        _event("inside", "DTSTART:20261029T150000Z"),
        _event("day-before-margin", "DTSTART;VALUE=DATE:20261026"),  # window starts 27th, 04 UTC
        _event("series", "DTSTART:20200101T150000Z", "RRULE:FREQ=YEARLY"),
        _event("series", "DTSTART:20200102T150000Z"),  # same UID as a series: kept
        _event("no-start", "DURATION:PT1H"),
        _event("odd-start", "DTSTART:2026-01-01"),
        # folded: the property name and the value both cut across lines
        "BEGIN:VEVENT\r\nUID:fol\r\n ded\r\nDTST\r\n ART:2026010\r\n\t1T150000Z\r\n"
        "END:VEVENT\r\n",
        # an alarm's properties are not the event's
        _event("alarm", "DTSTART:20260101T150000Z", "BEGIN:VALARM", "UID:alarm-uid",
               "RRULE:FREQ=DAILY", "TRIGGER:-PT15M", "END:VALARM"),
        # END:VEVENT missing: the scan cannot tell where it ends, so keeps all it spans
        "BEGIN:VEVENT\r\nUID:broken\r\nDTSTART:20260101T150000Z\r\n",
        _event("after-broken", "DTSTART:20261029T150000Z"),
    )
    kept = _uids(drop_outside(data, WINDOW.start, WINDOW.end))
    assert kept == ["inside", "day-before-margin", "series", "series", "no-start", "odd-start",
                    "broken", "after-broken"]


def test_nothing_to_drop_gives_the_same_bytes() -> None:
    data = _calendar(_event("inside", "DTSTART:20261029T150000Z"))
    assert drop_outside(data, WINDOW.start, WINDOW.end) is data


_WINDOWS_ZONE = """BEGIN:VTIMEZONE\r
TZID:{tzid}\r
BEGIN:STANDARD\r
DTSTART:16011104T020000\r
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r
TZOFFSETFROM:{dst}\r
TZOFFSETTO:{std}\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010311T020000\r
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r
TZOFFSETFROM:{std}\r
TZOFFSETTO:{dst}\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


@pytest.mark.parametrize(("tzid", "std", "dst", "dropped"), [
    ("Eastern Standard Time", "-0500", "-0400", True),  # Outlook's, as America/New_York
    ("Pacific Standard Time", "-0800", "-0700", True),
    ("Eastern Standard Time", "-0600", "-0500", False),  # named so, but another zone's rules
    ("America/New_York", "-0500", "-0400", False),  # an IANA name: icalendar's to handle
    ("Clinic Local", "-0500", "-0400", False),  # no IANA zone stands in for it
])
def test_a_windows_zone_definition_is_left_out_only_when_its_iana_zone_agrees(
        tzid: str, std: str, dst: str, dropped: bool) -> None:
    zone = _WINDOWS_ZONE.format(tzid=tzid, std=std, dst=dst)
    data = _calendar(zone, _event("inside", f"DTSTART;TZID={tzid}:20261102T090000"))
    out = drop_outside(data, WINDOW.start, WINDOW.end)
    assert (b"BEGIN:VTIMEZONE" not in out) is dropped
    assert b"UID:inside" in out


def test_an_outlook_feed_across_the_dst_change_keeps_its_times() -> None:
    """The window holds 1 Nov (DST ends): the IANA zone standing in gives the same instants."""
    data = feed("outlook", [{"uid": f"d{d}", "summary": "C-1042",
                             "start": datetime(2026, 10, d, 9, tzinfo=NY)} for d in (31,)]
                + [{"uid": f"n{d}", "summary": "C-1042",
                    "start": datetime(2026, 11, d, 9, tzinfo=NY)} for d in (1, 2)])
    assert b"BEGIN:VTIMEZONE" not in drop_outside(data, WINDOW.start, WINDOW.end)
    assert [e.start for e in parse_feed(data, NOW, NY).events] == [
        datetime(2026, 10, 31, 13, tzinfo=UTC), datetime(2026, 11, 1, 14, tzinfo=UTC),
        datetime(2026, 11, 2, 14, tzinfo=UTC)]
