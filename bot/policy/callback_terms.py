"""The clinic's call-back policy in words a client hears: for voicemail greetings and for the
clinician to go over with a client when recording consent (seed 001: tell clients when their
calls are returned, and give them an after-hours emergency contact).

Pure: the policy in, plain text out (not escaped for mrkdwn: the caller escapes what it shows).
Every sentence follows ``bot.policy.business_hours.callback_due``, so what callers are told is
what the bot holds the clinician to.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.policy.business_hours import hours_text
from bot.policy.clinic import Clinic, ClinicPolicy, DailyWindow
from bot.policy.scripts import time_of_day_text

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKEND = [5, 6]


def callback_promise(policy: ClinicPolicy) -> str:
    """When a missed call is returned, and which calls are not, as said to a caller.

    E.g. "Your call will be returned during office hours (Monday to Friday, 9:00 AM to
    5:00 PM), within 24 hours, not counting weekends and holidays. A call that comes in while
    the office is closed counts from the next opening."
    """
    rules = policy.callbacks
    clinic = policy.clinic
    sentences = []
    if rules.require_voicemail:
        sentences.append("Calls without a voicemail are not returned.")
    when = []
    if rules.window is not None:
        when.append(f"between {_span_text(rules.window, ' and ')} on days the office is open")
    elif rules.operating_hours_only:
        when.append(f"during office hours ({opening_hours_text(clinic)})")
    if rules.turnaround_hours is not None:
        within = f"within {hours_text(rules.turnaround_hours)}"
        closed = closed_days_text(clinic)
        when.append(f"{within}, not counting {closed}" if closed else within)
    sentences.append(f"Your call will be returned {', '.join(when)}."
                     if when else "Your call will be returned.")
    if rules.turnaround_hours is not None and rules.operating_hours_only:
        sentences.append("A call that comes in while the office is closed counts from the next "
                         "opening.")
    return " ".join(sentences)


def after_hours_sentence(clinic: Clinic) -> str | None:
    """"After hours: <the clinic's after-hours contact>." None when the policy names none."""
    contact = clinic.after_hours_contact
    if not contact:
        return None
    return f"After hours: {contact}" + ("" if contact.endswith((".", "!", "?")) else ".")


def opening_hours_text(clinic: Clinic) -> str:
    """The weekly opening hours, days with the same hours in a row grouped:
    "Monday to Friday, 9:00 AM to 5:00 PM; Saturday, 10:00 AM to 1:00 PM"."""
    groups: list[tuple[list[int], DailyWindow]] = []
    for day in range(7):
        hours = clinic.hours.get(day)
        if hours is None:
            continue
        if groups and groups[-1][0][-1] == day - 1 and groups[-1][1] == hours:
            groups[-1][0].append(day)
        else:
            groups.append(([day], hours))
    return "; ".join(f"{_days_text(days)}, {_span_text(hours, ' to ')}" for days, hours in groups)


def closed_days_text(clinic: Clinic) -> str | None:
    """The days the office is closed all day, in words ("weekends and holidays"); None when it
    opens every day and keeps no holidays or closures."""
    closed = [day for day in range(7) if day not in clinic.hours]
    parts = ["weekends"] if closed == _WEEKEND else [f"{_DAY_NAMES[day]}s" for day in closed]
    if clinic.holidays.country:
        parts.append("holidays")
    if clinic.holidays.extra:
        parts.append("office closures")
    return _and(parts) or None


def _days_text(days: Sequence[int]) -> str:
    if len(days) == 1:
        return _DAY_NAMES[days[0]]
    if len(days) == 2:
        return f"{_DAY_NAMES[days[0]]} and {_DAY_NAMES[days[1]]}"
    return f"{_DAY_NAMES[days[0]]} to {_DAY_NAMES[days[-1]]}"


def _span_text(span: DailyWindow, joiner: str) -> str:
    return f"{time_of_day_text(span.opens)}{joiner}{time_of_day_text(span.closes)}"


def _and(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"
