"""Which calendar dates a person may give the bot: a year back to two years ahead of today.

Pure: ``today`` is the clinic's local date, passed in. A date outside the range is almost always
a typo (2062 for 2026), and one far enough out cannot even be converted between time zones
(9999-12-31 in New York is past the last instant Python can represent in UTC), so every date a
person types or imports is checked here first, before it becomes an instant.
"""

from __future__ import annotations

from datetime import date, timedelta

DAYS_BACK = 366
DAYS_AHEAD = 2 * 366


def earliest_accepted(today: date) -> date:
    return today - timedelta(days=DAYS_BACK)


def latest_accepted(today: date) -> date:
    return today + timedelta(days=DAYS_AHEAD)


def date_range_problem(day: date, today: date) -> str | None:
    """What is wrong with ``day`` as a date given on ``today``; None when it is in range."""
    earliest, latest = earliest_accepted(today), latest_accepted(today)
    if earliest <= day <= latest:
        return None
    where = "more than a year ago" if day < earliest else "more than two years ahead"
    return (f"{day.isoformat()} is {where}; give a date from {earliest.isoformat()} to "
            f"{latest.isoformat()}")
