"""An iCalendar feed's events inside a window, as UTC instants: bytes, now and zone in.

Pure (no I/O): single events that clearly start outside the window are left out before anything
else reads the text (``bot.calendars.prefilter``: a year of history is most of a large export);
then ``icalendar`` reads the rest (RFC 5545: CRLF or LF, folded lines, VTIMEZONE,
Outlook's Windows zone names such as "Eastern Standard Time"); ``recurring-ical-events`` expands
RRULE / RDATE / EXDATE and applies moved instances (RECURRENCE-ID). The window runs from the
start of yesterday to the end of the 14th day ahead, clinic time. Floating times (no zone) are
clinic time; UTC is UTC. All-day events and times in a zone nobody knows are counted, never
guessed. Every count is of events *starting* in the window (an all-day event: its first day).

An event's ``key`` is its UID with its RECURRENCE-ID (the instance's original start) hashed: a
moved instance keeps its key, so the appointment it became moves with it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from bot.calendars.prefilter import drop_outside

DAYS_BEHIND = 1
DAYS_AHEAD = 14
DEFAULT_MINUTES = 50  # an event with neither DTEND nor DURATION (as `appt`)
MAX_MINUTES = 24 * 60

ALL_DAY = "all-day"
UNKNOWN_ZONE = "time zone not known"
CANCELLED = "cancelled"
NO_START = "no start time"


class FeedUnreadable(Exception):
    """The bytes are not an iCalendar feed; the message says what is wrong (never the content)."""


@dataclass(frozen=True)
class Window:
    start: datetime  # UTC
    end: datetime  # UTC, excluded
    day: date  # the clinic's today it was computed for

    @classmethod
    def around(cls, now: datetime, zone: ZoneInfo) -> Window:
        today = now.astimezone(zone).date()
        first = datetime.combine(today - timedelta(days=DAYS_BEHIND), time(), tzinfo=zone)
        last = datetime.combine(today + timedelta(days=DAYS_AHEAD + 1), time(), tzinfo=zone)
        return cls(first.astimezone(UTC), last.astimezone(UTC), today)


@dataclass(frozen=True)
class FeedEvent:
    key: str
    start: datetime  # UTC
    minutes: int
    summary: str
    description: str


@dataclass(frozen=True)
class ParsedFeed:
    window: Window
    events: tuple[FeedEvent, ...]
    ignored: Mapping[str, int] = field(default_factory=dict)  # reason -> how many

    @property
    def in_window(self) -> int:
        return len(self.events) + sum(self.ignored.values())


def parse_feed(data: bytes, now: datetime, zone: ZoneInfo) -> ParsedFeed:
    """The feed's timed, not-cancelled events starting inside the window around ``now``."""
    window = Window.around(now, zone)
    calendar = read_calendar(data, window)
    try:
        occurrences = recurring_ical_events.of(calendar).between(window.start, window.end)
    except Exception as error:  # the library raises many kinds on malformed rules and dates
        raise FeedUnreadable(f"a recurring event cannot be expanded ({type(error).__name__})"
                             ) from None
    ignored: Counter[str] = Counter()
    events: dict[str, FeedEvent] = {}
    lost = _unknown_zone_uids(calendar)
    recurring = _recurring_uids(calendar)
    for component in occurrences:
        if not _starts_in(component, window, zone):
            continue  # it began before the window and runs into it
        event, reason = _event(component, zone, lost, recurring)
        if reason is not None:
            ignored[reason] += 1
        elif event is not None:
            events[event.key] = event  # the same instance twice: the later one wins
    return ParsedFeed(window, tuple(sorted(events.values(), key=lambda e: e.start)),
                      dict(ignored))


def read_calendar(data: bytes, window: Window | None = None) -> icalendar.Calendar:
    """The VCALENDAR in ``data`` (with ``window``: without the single events that cannot start
    in it); ``FeedUnreadable`` naming what is wrong."""
    if not data.strip():
        raise FeedUnreadable("the feed is empty (no VCALENDAR at all)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FeedUnreadable(f"the feed is not UTF-8 text (bad byte at offset {error.start})"
                             ) from None
    if b"BEGIN:VCALENDAR" not in data[:4096].upper():
        raise FeedUnreadable("this is not an iCalendar feed (it does not begin with "
                             "BEGIN:VCALENDAR); check that the address is the calendar's .ics "
                             "feed")
    if b"END:VCALENDAR" not in data[-4096:].upper():
        raise FeedUnreadable("the feed is cut short (no END:VCALENDAR at its end)")
    if window is not None:
        data = drop_outside(data, window.start, window.end)
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as error:  # icalendar raises ValueError and others on broken content
        raise FeedUnreadable(f"the feed is not valid iCalendar ({type(error).__name__})"
                             ) from None
    if not isinstance(calendar, icalendar.Calendar):
        raise FeedUnreadable("the feed holds no VCALENDAR")
    return calendar


def _unknown_zone_uids(calendar: icalendar.Calendar) -> frozenset[str]:
    """UIDs of events whose start names a zone that could not be resolved (left without one)."""
    return frozenset(
        str(event.get("UID", ""))
        for event in calendar.walk("VEVENT")
        if (start := event.get("DTSTART")) is not None and start.params.get("TZID")
        and isinstance(start.dt, datetime) and start.dt.tzinfo is None
    )


def _recurring_uids(calendar: icalendar.Calendar) -> frozenset[str]:
    """UIDs of series: only their instances are told apart by RECURRENCE-ID (the expansion
    stamps one on single events too, which would change their key when they move)."""
    return frozenset(
        str(event.get("UID", "")) for event in calendar.walk("VEVENT")
        if "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event
    )


def _starts_in(component: icalendar.Event, window: Window, zone: ZoneInfo) -> bool:
    """Whether the occurrence starts inside the window (no DTSTART: counted, as it may).
    A date is a day of the clinic's; a time without a zone (floating, or a zone nobody knows)
    is read as clinic time for this only."""
    dtstart = component.get("DTSTART")
    if dtstart is None:
        return True
    start = dtstart.dt
    if not isinstance(start, datetime):
        first = window.day - timedelta(days=DAYS_BEHIND)
        return first <= start <= window.day + timedelta(days=DAYS_AHEAD)
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    return window.start <= start < window.end


def _event(component: icalendar.Event, zone: ZoneInfo, lost: frozenset[str],
           recurring: frozenset[str]) -> tuple[FeedEvent | None, str | None]:
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return None, CANCELLED
    dtstart = component.get("DTSTART")
    if dtstart is None:
        return None, NO_START
    start = dtstart.dt
    if not isinstance(start, datetime):
        return None, ALL_DAY
    if start.tzinfo is None:
        if dtstart.params.get("TZID") or str(component.get("UID", "")) in lost:
            return None, UNKNOWN_ZONE  # a zone icalendar could not resolve: never guessed
        start = start.replace(tzinfo=zone)  # floating: clinic time
    length = component.duration if _has_length(component) else timedelta(minutes=DEFAULT_MINUTES)
    minutes = max(1, min(MAX_MINUTES, round(length.total_seconds() / 60) or DEFAULT_MINUTES))
    return FeedEvent(
        key=_key(component, str(component.get("UID", "")) in recurring),
        start=start.astimezone(UTC),
        minutes=minutes,
        summary=str(component.get("SUMMARY", "")),
        description=str(component.get("DESCRIPTION", "")),
    ), None


def _has_length(component: icalendar.Event) -> bool:
    return "DTEND" in component or "DURATION" in component


def _key(component: icalendar.Event, recurring: bool) -> str:
    uid = str(component.get("UID", ""))
    recurrence = component.get("RECURRENCE-ID") if recurring else None
    original = ""
    if recurrence is not None:
        moment = recurrence.dt
        original = (moment.astimezone(UTC).isoformat() if isinstance(moment, datetime)
                    and moment.tzinfo is not None else str(moment))
    if not uid:  # no UID (RFC 5545 requires one): the start stands in
        uid = "no-uid:" + str(component.get("DTSTART").dt)
    return hashlib.sha256(f"{uid}\x1f{original}".encode()).hexdigest()
