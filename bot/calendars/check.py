"""Reading every feed without applying it: for ``calendars check`` and ``doctor``.

``feed_readiness(policy, now)`` fetches and parses each feed (no database) and says, per feed
name, whether it is readable, with a line of text either way (never the URL, never an event's
text).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.calendars.fetch import FeedError, fetch_feed
from bot.calendars.mapping import MappedFeed, map_events
from bot.calendars.parse import FeedUnreadable, parse_feed
from bot.policy.clinic import CalendarFeed, ClinicPolicy


@dataclass(frozen=True)
class FeedReadiness:
    name: str
    ok: bool
    text: str  # "readable: N event(s) in the window, M with a client code" or the problem
    mapped: MappedFeed | None = None


def read_feed(feed: CalendarFeed, policy: ClinicPolicy, now: datetime, *,
              environ: Mapping[str, str] = os.environ) -> MappedFeed:
    """Fetch (unconditionally), parse and map one feed; ``FeedError`` / ``FeedUnreadable``."""
    fetched = fetch_feed(feed, environ=environ)
    assert fetched.body is not None
    return map_events(parse_feed(fetched.body, now, policy.clinic.timezone), feed.client_code)


def feed_readiness(policy: ClinicPolicy, now: datetime, *,
                   environ: Mapping[str, str] = os.environ) -> list[FeedReadiness]:
    """One ``FeedReadiness`` per feed of the policy, in its order ([] when it has none)."""
    results = []
    for feed in policy.calendars:
        try:
            mapped = read_feed(feed, policy, now, environ=environ)
        except (FeedError, FeedUnreadable) as problem:
            results.append(FeedReadiness(feed.name, False, str(problem)))
            continue
        results.append(FeedReadiness(
            feed.name, True,
            f"readable: {mapped.in_window} event(s) in the window, {len(mapped.events)} with a "
            "client code", mapped))
    return results


NEXT_SHOWN = 5


def check_report_lines(name: str, mapped: MappedFeed, known: set[str], now: datetime,
                       zone: ZoneInfo) -> list[str]:
    """``calendars check``'s lines for one readable feed: counts, ignored events by reason, and
    the next few appointments by code and clinic time."""
    matched = [e for e in mapped.events if e.code in known]
    ignored = dict(mapped.ignored)
    unknown = len(mapped.events) - len(matched)
    if unknown:
        ignored["client not on file"] = ignored.get("client not on file", 0) + unknown
    lines = [f"{name}: {mapped.in_window} event(s) in the window, {len(matched)} matched "
             "appointment(s)"]
    if ignored:
        lines.append("  ignored: " + ", ".join(f"{n} {reason}" for reason, n in
                                               sorted(ignored.items())))
    upcoming = [e for e in matched if e.start > now][:NEXT_SHOWN]
    for event in upcoming:
        lines.append(f"  next: {event.code} {event.start.astimezone(zone):%a %Y-%m-%d %H:%M} "
                     f"({event.minutes} min)")
    if not upcoming:
        lines.append("  next: no appointment ahead in the window")
    return lines
