"""The business-hours clock: opening hours, business-time arithmetic, call-back duties, reminders.

Pure: takes every instant as an argument, never reads the clock, never does I/O.

Semantics shared by every function here:

- Inputs are aware datetimes in any time zone (a naive one raises ``ValueError``); every datetime
  returned is aware and in UTC.
- On a local date the clinic is open during the half-open span ``[opens, closes)`` of
  ``clinic.hours_on(date)``: the opening instant is open, the closing instant is not. Closed
  weekdays, public holidays and extra closures have no span.
- Opening and closing times are local wall-clock times converted with zoneinfo, so a 09:00-17:00
  day is 8 business hours on DST change days too. A wall time that does not exist (the hour
  skipped in spring) is read with the offset in force before the change (02:30 becomes 03:30
  daylight time); an ambiguous one (the hour repeated in autumn) means its first occurrence.
- Business time is elapsed real time while the clinic is open, summed span by span.
- Searches step a day at a time and give up with ``ValueError`` after ``MAX_CLOSED_DAYS``
  consecutive days without a span (a clinic that never opens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.policy.clinic import Clinic, ClinicPolicy, DailyWindow

MAX_CLOSED_DAYS = 366
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)

Span = tuple[datetime, datetime]  # [start, end) in UTC
HoursOf = Callable[[date], DailyWindow | None]


# --- spans -------------------------------------------------------------------------------------


def _as_utc(name: str, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _non_negative(amount: timedelta) -> timedelta:
    if amount < _ZERO:
        raise ValueError(f"amount must not be negative, got {amount}")
    return amount


def _local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def _span_on(day: date, hours: DailyWindow | None, tz: ZoneInfo) -> Span | None:
    if hours is None:
        return None
    return _local_instant(day, hours.opens, tz), _local_instant(day, hours.closes, tz)


def _spans(clinic: Clinic, hours_of: HoursOf, moment: datetime, step: timedelta) -> Iterator[Span]:
    """Daily spans from the local date of ``moment`` onwards (``step`` +1 day) or backwards (-1)."""
    tz = clinic.timezone
    day = moment.astimezone(tz).date()
    closed_run = 0
    while closed_run < MAX_CLOSED_DAYS:
        span = _span_on(day, hours_of(day), tz)
        if span is None:
            closed_run += 1
        else:
            closed_run = 0
            yield span
        day += step
    raise ValueError(
        f"{clinic.name} has no opening hours in {MAX_CLOSED_DAYS} consecutive days "
        f"around {moment.isoformat()}"
    )


def _window_on_open_days(clinic: Clinic, window: DailyWindow) -> HoursOf:
    """The daily ``window`` on the days the clinic is open, whatever its opening hours."""

    def hours_of(day: date) -> DailyWindow | None:
        return window if clinic.hours_on(day) is not None else None

    return hours_of


def _first_span_ending_after(clinic: Clinic, hours_of: HoursOf, at: datetime) -> Span:
    return next(span for span in _spans(clinic, hours_of, at, _ONE_DAY) if span[1] > at)


def _first_span_starting_at_or_after(clinic: Clinic, hours_of: HoursOf, at: datetime) -> Span:
    return next(span for span in _spans(clinic, hours_of, at, _ONE_DAY) if span[0] >= at)


def _last_span_ending_at_or_before(clinic: Clinic, hours_of: HoursOf, at: datetime) -> Span:
    return next(span for span in _spans(clinic, hours_of, at, -_ONE_DAY) if span[1] <= at)


# --- the clock ---------------------------------------------------------------------------------


def is_open(clinic: Clinic, at: datetime) -> bool:
    """True when ``at`` falls in the clinic's opening hours of its local date, ``[opens, closes)``.

    09:00 sharp is open, 17:00 sharp is closed for a 09:00-17:00 day.
    """
    at = _as_utc("at", at)
    tz = clinic.timezone
    day = at.astimezone(tz).date()
    span = _span_on(day, clinic.hours_on(day), tz)
    return span is not None and span[0] <= at < span[1]


def opening_on(clinic: Clinic, day: date) -> datetime | None:
    """When the clinic opens on its local date ``day`` (UTC), or None when it is closed all day
    (a weekday without hours, a public holiday, an extra closure)."""
    span = _span_on(day, clinic.hours_on(day), clinic.timezone)
    return None if span is None else span[0]


def next_open(clinic: Clinic, at: datetime) -> datetime:
    """``at`` itself (in UTC) when the clinic is open then, else the next opening after it.

    Raises ``ValueError`` when the clinic has no opening hours for ``MAX_CLOSED_DAYS`` days.
    """
    at = _as_utc("at", at)
    start, _ = _first_span_ending_after(clinic, clinic.hours_on, at)
    return max(start, at)


def add_business_time(clinic: Clinic, start: datetime, amount: timedelta) -> datetime:
    """The instant at which ``amount`` of business time has elapsed since ``start``.

    Only time while the clinic is open counts. When ``start`` is outside hours, counting starts
    at the next opening, so an ``amount`` of zero gives ``next_open(clinic, start)``. When the
    count runs out exactly at a closing time, the result is that closing time (Friday 09:00 plus
    8 hours is Friday 17:00, not Monday 09:00). ``amount`` must not be negative.
    """
    cursor = _as_utc("start", start)
    remaining = _non_negative(amount)
    spans = _spans(clinic, clinic.hours_on, cursor, _ONE_DAY)
    while True:
        opens, closes = next(spans)
        if closes <= cursor:
            continue
        begin = max(opens, cursor)
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin


def subtract_business_time(clinic: Clinic, end: datetime, amount: timedelta) -> datetime:
    """The instant ``amount`` of business time before ``end``: the inverse of ``add_business_time``.

    Only time while the clinic is open counts. When ``end`` is outside hours (or exactly at an
    opening), counting back starts at the previous closing time, so an ``amount`` of zero gives
    ``end`` when it lies in ``(opens, closes]`` and the previous closing time otherwise. When the
    count runs out exactly at an opening time, the result is that opening time. For ``x`` inside
    hours and ``d`` > 0, ``subtract_business_time(c, add_business_time(c, x, d), d) == x``.
    ``amount`` must not be negative.
    """
    cursor = _as_utc("end", end)
    remaining = _non_negative(amount)
    spans = _spans(clinic, clinic.hours_on, cursor, -_ONE_DAY)
    while True:
        opens, closes = next(spans)
        if opens >= cursor:
            continue
        finish = min(closes, cursor)
        if remaining <= finish - opens:
            return finish - remaining
        remaining -= finish - opens


def business_time_between(clinic: Clinic, a: datetime, b: datetime) -> timedelta:
    """Business time from ``a`` to ``b``: the open time inside ``[a, b]``; negative when b < a.

    ``business_time_between(c, x, add_business_time(c, x, d)) == d`` for every ``x`` and ``d``.
    Walks only the days from ``a`` to ``b``, so it never raises for a clinic that never opens.
    """
    a = _as_utc("a", a)
    b = _as_utc("b", b)
    if b < a:
        return -business_time_between(clinic, b, a)
    tz = clinic.timezone
    day, last_day = a.astimezone(tz).date(), b.astimezone(tz).date()
    total = _ZERO
    while day <= last_day:
        span = _span_on(day, clinic.hours_on(day), tz)
        if span is not None:
            overlap = min(span[1], b) - max(span[0], a)
            total += max(overlap, _ZERO)
        day += _ONE_DAY
    return total


# --- call-back duties --------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackDue:
    """Whether a missed call must be returned, by when, from when, and why.

    ``due_at``: the deadline (UTC), None when nothing fixes one. ``earliest_call_at``: the first
    moment the call back may be made (UTC), None when no call back is owed.
    """

    owed: bool
    due_at: datetime | None
    reasons: tuple[str, ...]
    earliest_call_at: datetime | None


def callback_due(policy: ClinicPolicy, called_at: datetime, voicemail_left: bool) -> CallbackDue:
    """Apply the clinic's ``CallbackPolicy`` to a call missed at ``called_at``.

    - ``require_voicemail`` and no voicemail: not owed, no times.
    - ``turnaround_business_hours`` N: due N business hours after the call (counting from the next
      opening when the call came in while the clinic was closed). None: no turnaround deadline.
    - ``window`` (e.g. 08:00-09:00): calls are returned only inside that daily window on the days
      the clinic is open; the window replaces opening hours for when the call may be made (it may
      lie outside them, e.g. the hour before opening). The first window after the call is the
      first one that starts at or after it. The call is due at the end of the last window that
      ends at or before the turnaround deadline, but never before the end of the first window
      after the call; without a turnaround, at the end of that first window. The call may be made
      at once when the call came in during a window, else from the start of the next window.
    - no window, ``operating_hours_only``: the call back may be made from ``next_open``;
      otherwise at any time from the call.
    """
    called_at = _as_utc("called_at", called_at)
    rules = policy.callbacks
    clinic = policy.clinic
    if rules.require_voicemail and not voicemail_left:
        return CallbackDue(
            owed=False,
            due_at=None,
            reasons=(
                "No voicemail was left, and this clinic returns only calls with a voicemail.",
            ),
            earliest_call_at=None,
        )
    reasons = [
        "A voicemail was left, so a call back is owed."
        if rules.require_voicemail
        else "This clinic returns every missed call, voicemail or not."
    ]
    deadline: datetime | None = None
    if rules.turnaround_business_hours is not None:
        deadline, turnaround_reasons = _turnaround(
            clinic, called_at, rules.turnaround_business_hours
        )
        reasons += turnaround_reasons
    else:
        reasons.append("This clinic sets no turnaround time for call backs.")
    if rules.window is not None:
        due_at, earliest, window_reason = _windowed(clinic, rules.window, called_at, deadline)
        reasons.append(window_reason)
    else:
        due_at = deadline
        earliest, hours_reason = _earliest_in_hours(clinic, called_at, rules.operating_hours_only)
        reasons.append(hours_reason)
    return CallbackDue(owed=True, due_at=due_at, reasons=tuple(reasons), earliest_call_at=earliest)


def _turnaround(clinic: Clinic, called_at: datetime, hours: float) -> tuple[datetime, list[str]]:
    due = add_business_time(clinic, called_at, timedelta(hours=hours))
    reasons = [
        f"Turnaround: {hours:g} business hours from the call, excluding weekends and holidays, "
        f"ends {_local(clinic, due)}."
    ]
    if not is_open(clinic, called_at):
        reasons.append(
            "The clinic was closed when the call came in, so the clock started at "
            f"{_local(clinic, next_open(clinic, called_at))}."
        )
    closures = _closures_between(clinic, called_at, due)
    if closures:
        reasons.append(f"Not counted: {', '.join(closures)}.")
    return due, reasons


def _windowed(
    clinic: Clinic, window: DailyWindow, called_at: datetime, deadline: datetime | None
) -> tuple[datetime, datetime, str]:
    hours_of = _window_on_open_days(clinic, window)
    first = _first_span_starting_at_or_after(clinic, hours_of, called_at)
    due = first[1]
    if deadline is not None:
        due = max(due, _last_span_ending_at_or_before(clinic, hours_of, deadline)[1])
    current = _first_span_ending_after(clinic, hours_of, called_at)
    earliest = max(current[0], called_at)
    reason = (
        f"Calls are returned only {window} on business days, "
        f"so it is due by the end of the window on {_local(clinic, due)}; "
        f"it can be returned from {_local(clinic, earliest)}."
    )
    return due, earliest, reason


def _earliest_in_hours(
    clinic: Clinic, called_at: datetime, operating_hours_only: bool
) -> tuple[datetime, str]:
    if not operating_hours_only:
        return called_at, "It may be returned at any time."
    earliest = next_open(clinic, called_at)
    if earliest == called_at:
        return earliest, "The clinic is open now, so it can be returned right away."
    return earliest, f"Call back only while the clinic is open, from {_local(clinic, earliest)}."


def _closures_between(clinic: Clinic, start: datetime, end: datetime) -> list[str]:
    """Names of holidays and closures between two instants that fall on usual opening days."""
    tz = clinic.timezone
    day, last_day = start.astimezone(tz).date(), end.astimezone(tz).date()
    names = []
    while day <= last_day:
        if day.weekday() in clinic.hours and clinic.hours_on(day) is None:
            names.append(f"{clinic.holidays.name_of(day)} ({day:%a %d %b})")
        day += _ONE_DAY
    return names


def _local(clinic: Clinic, moment: datetime) -> str:
    return f"{moment.astimezone(clinic.timezone):%a %d %b %H:%M %Z}"


# --- reminders ---------------------------------------------------------------------------------


def reminder_times(
    policy: ClinicPolicy, due_at: datetime, not_before: datetime
) -> tuple[datetime, ...]:
    """When to remind the clinician of a call back due at ``due_at`` (UTC, sorted, no repeats).

    One reminder per ``remind_before`` offset, that much business time before ``due_at`` when
    ``operating_hours_only`` (so it falls inside opening hours, see ``subtract_business_time``),
    else that much wall time before; plus one at ``due_at`` itself, which is kept as given even
    when it is a closing time. Reminders before ``not_before`` are dropped.
    """
    due_at = _as_utc("due_at", due_at)
    not_before = _as_utc("not_before", not_before)
    rules = policy.callbacks
    if rules.operating_hours_only:
        before = [subtract_business_time(policy.clinic, due_at, o) for o in rules.remind_before]
    else:
        before = [due_at - offset for offset in rules.remind_before]
    return tuple(sorted({t for t in (*before, due_at) if t >= not_before}))
