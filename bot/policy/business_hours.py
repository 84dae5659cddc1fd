"""The clinic's clocks (opening hours, business time, the call-back clock), call-backs, reminders.

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
- Open-day time (the call-back clock of seed 001: a day's turnaround, weekends and holidays
  not counted) is elapsed real time on the local dates the clinic opens at all, midnight to
  midnight: the clock stops on days it is closed all day (closed weekdays, public holidays,
  extra closures).
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
_MIDNIGHT = time(0, 0)

Span = tuple[datetime, datetime]  # [start, end) in UTC
HoursOf = Callable[[date], DailyWindow | None]
SpanOf = Callable[[date], Span | None]  # a local date's span, None on a day without one


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


def _daily(clinic: Clinic, hours_of: HoursOf) -> SpanOf:
    """The span of ``hours_of(day)`` on each local date, as UTC instants."""
    tz = clinic.timezone
    return lambda day: _span_on(day, hours_of(day), tz)


def _opening_hours(clinic: Clinic) -> SpanOf:
    return _daily(clinic, clinic.hours_on)


def _open_days(clinic: Clinic) -> SpanOf:
    """Whole local days, midnight to midnight, on the dates the clinic opens at all.

    A midnight skipped by a DST change is read like any skipped wall time (see the module's
    docstring), so consecutive open days join without a gap or an overlap.
    """
    tz = clinic.timezone

    def span_of(day: date) -> Span | None:
        if clinic.hours_on(day) is None:
            return None
        return _local_instant(day, _MIDNIGHT, tz), _local_instant(day + _ONE_DAY, _MIDNIGHT, tz)

    return span_of


def _spans(clinic: Clinic, span_of: SpanOf, moment: datetime, step: timedelta) -> Iterator[Span]:
    """Daily spans from the local date of ``moment`` onwards (``step`` +1 day) or backwards (-1)."""
    day = moment.astimezone(clinic.timezone).date()
    closed_run = 0
    while closed_run < MAX_CLOSED_DAYS:
        span = span_of(day)
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


def _window_on_open_days(clinic: Clinic, window: DailyWindow) -> SpanOf:
    """The daily ``window`` on the days the clinic is open, whatever its opening hours."""

    def hours_of(day: date) -> DailyWindow | None:
        return window if clinic.hours_on(day) is not None else None

    return _daily(clinic, hours_of)


def _first_span_ending_after(clinic: Clinic, span_of: SpanOf, at: datetime) -> Span:
    return next(span for span in _spans(clinic, span_of, at, _ONE_DAY) if span[1] > at)


def _first_span_starting_at_or_after(clinic: Clinic, span_of: SpanOf, at: datetime) -> Span:
    return next(span for span in _spans(clinic, span_of, at, _ONE_DAY) if span[0] >= at)


def _last_span_ending_at_or_before(clinic: Clinic, span_of: SpanOf, at: datetime) -> Span:
    return next(span for span in _spans(clinic, span_of, at, -_ONE_DAY) if span[1] <= at)


def _at_or_after_in(clinic: Clinic, span_of: SpanOf, at: datetime) -> datetime:
    """``at`` when it falls inside a span, else the start of the next span."""
    start, _ = _first_span_ending_after(clinic, span_of, at)
    return max(start, at)


def _add_over(clinic: Clinic, span_of: SpanOf, start: datetime, amount: timedelta) -> datetime:
    """The instant ``amount`` of time inside the spans has elapsed since ``start``."""
    cursor = _as_utc("start", start)
    remaining = _non_negative(amount)
    spans = _spans(clinic, span_of, cursor, _ONE_DAY)
    while True:
        opens, closes = next(spans)
        if closes <= cursor:
            continue
        begin = max(opens, cursor)
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin


def _subtract_over(clinic: Clinic, span_of: SpanOf, end: datetime, amount: timedelta) -> datetime:
    """The instant ``amount`` of time inside the spans before ``end``."""
    cursor = _as_utc("end", end)
    remaining = _non_negative(amount)
    spans = _spans(clinic, span_of, cursor, -_ONE_DAY)
    while True:
        opens, closes = next(spans)
        if opens >= cursor:
            continue
        finish = min(closes, cursor)
        if remaining <= finish - opens:
            return finish - remaining
        remaining -= finish - opens


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
    return _at_or_after_in(clinic, _opening_hours(clinic), _as_utc("at", at))


def opening_spans(clinic: Clinic, at: datetime) -> Iterator[Span]:
    """The clinic's opening spans ``[opens, closes)`` (UTC) that end after ``at``, in order.

    Endless while the clinic keeps opening; raises ``ValueError`` after ``MAX_CLOSED_DAYS``
    consecutive closed days, like ``next_open``.
    """
    at = _as_utc("at", at)
    return (span for span in _spans(clinic, _opening_hours(clinic), at, _ONE_DAY) if span[1] > at)


def add_business_time(clinic: Clinic, start: datetime, amount: timedelta) -> datetime:
    """The instant at which ``amount`` of business time has elapsed since ``start``.

    Only time while the clinic is open counts. When ``start`` is outside hours, counting starts
    at the next opening, so an ``amount`` of zero gives ``next_open(clinic, start)``. When the
    count runs out exactly at a closing time, the result is that closing time (Friday 09:00 plus
    8 hours is Friday 17:00, not Monday 09:00). ``amount`` must not be negative.
    """
    return _add_over(clinic, _opening_hours(clinic), start, amount)


def subtract_business_time(clinic: Clinic, end: datetime, amount: timedelta) -> datetime:
    """The instant ``amount`` of business time before ``end``: the inverse of ``add_business_time``.

    Only time while the clinic is open counts. When ``end`` is outside hours (or exactly at an
    opening), counting back starts at the previous closing time, so an ``amount`` of zero gives
    ``end`` when it lies in ``(opens, closes]`` and the previous closing time otherwise. When the
    count runs out exactly at an opening time, the result is that opening time. For ``x`` inside
    hours and ``d`` > 0, ``subtract_business_time(c, add_business_time(c, x, d), d) == x``.
    ``amount`` must not be negative.
    """
    return _subtract_over(clinic, _opening_hours(clinic), end, amount)


def add_open_day_time(clinic: Clinic, start: datetime, amount: timedelta) -> datetime:
    """The instant ``amount`` of elapsed time after ``start``, the clock stopped on every day
    the clinic is closed all day (closed weekdays, public holidays, extra closures).

    The call-back clock: Tuesday 09:40 plus 24 hours is Wednesday 09:40; Friday 15:00 plus 24
    hours is Monday 15:00. Every moment of a day the clinic opens at all counts, evenings
    included; a DST day counts as the 23 or 25 hours it lasts. When ``start`` falls on a closed
    day, counting starts at midnight of the next open day. When the count runs out exactly at
    the end of an open day, the result is that midnight. ``amount`` must not be negative.
    """
    return _add_over(clinic, _open_days(clinic), start, amount)


def subtract_open_day_time(clinic: Clinic, end: datetime, amount: timedelta) -> datetime:
    """The instant ``amount`` of open-day time before ``end``: the inverse of
    ``add_open_day_time`` (see ``subtract_business_time`` for the boundaries)."""
    return _subtract_over(clinic, _open_days(clinic), end, amount)


def business_time_between(clinic: Clinic, a: datetime, b: datetime) -> timedelta:
    """Business time from ``a`` to ``b``: the open time inside ``[a, b]``; negative when b < a.

    ``business_time_between(c, x, add_business_time(c, x, d)) == d`` for every ``x`` and ``d``.
    Walks only the days from ``a`` to ``b``, so it never raises for a clinic that never opens.
    """
    return _time_between(clinic, _opening_hours(clinic), a, b)


def open_day_time_between(clinic: Clinic, a: datetime, b: datetime) -> timedelta:
    """Open-day time from ``a`` to ``b`` (the call-back clock); negative when b < a.

    ``open_day_time_between(c, x, add_open_day_time(c, x, d)) == d`` for every ``x`` and ``d``.
    """
    return _time_between(clinic, _open_days(clinic), a, b)


def _time_between(clinic: Clinic, span_of: SpanOf, a: datetime, b: datetime) -> timedelta:
    """The time inside ``[a, b]`` covered by the daily spans of ``span_of``."""
    a = _as_utc("a", a)
    b = _as_utc("b", b)
    if b < a:
        return -_time_between(clinic, span_of, b, a)
    tz = clinic.timezone
    day, last_day = a.astimezone(tz).date(), b.astimezone(tz).date()
    total = _ZERO
    while day <= last_day:
        span = span_of(day)
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
    moment the call back may be made (UTC), None when no call back is owed. ``reasons`` never
    carry a number, a name or a do-not-call reason: anyone on the team may read them.
    """

    owed: bool
    due_at: datetime | None
    reasons: tuple[str, ...]
    earliest_call_at: datetime | None


CALLS_REFUSED_REASON = (
    "The client has not given permission to be called, so no call back is owed and none "
    "is scheduled."
)


def callback_due(
    policy: ClinicPolicy, called_at: datetime, voicemail_left: bool, *,
    calls_refused: bool = False,
) -> CallbackDue:
    """Apply the clinic's ``CallbackPolicy`` to a call missed at ``called_at`` (seed 001).

    - ``calls_refused`` (the client has not given permission to be called): not owed, no times.
    - ``require_voicemail`` and no voicemail: not owed, no times.
    - ``turnaround_hours`` N: the call-back clock (``add_open_day_time``) runs N hours from the
      call, stopped on the days the clinic is closed all day. With ``operating_hours_only`` a
      call that came in while the clinic was closed starts the clock at the next opening, and a
      deadline outside opening hours (its closing instant included) moves to the next opening.
      None: no turnaround deadline.
    - ``window`` (e.g. 08:00-09:00): calls are returned only inside that daily window on the days
      the clinic is open; the window replaces opening hours for when the call may be made (it may
      lie outside them, e.g. the hour before opening). The first window after the call is the
      first one that starts at or after it. The call is due at the end of the last window that
      ends at or before the turnaround deadline, but never before the end of the first window
      after the call; without a turnaround, at the end of that first window. The call may be made
      at once when the call came in during a window, else from the start of the next window.
    - no window, ``operating_hours_only``: the call back may be made from ``next_open``;
      otherwise at any time from the call. Either way the client's calling hours apply on top
      (``bot.policy.consent``): the reasons never promise a call "right away".
    """
    called_at = _as_utc("called_at", called_at)
    rules = policy.callbacks
    clinic = policy.clinic
    if calls_refused:
        return _not_owed(CALLS_REFUSED_REASON)
    if rules.require_voicemail and not voicemail_left:
        return _not_owed(
            "No voicemail was left, and this clinic returns only calls with a voicemail."
        )
    reasons = [
        "A voicemail was left, so a call back is owed."
        if rules.require_voicemail
        else "This clinic returns every missed call, voicemail or not."
    ]
    deadline: datetime | None = None
    due_at: datetime | None
    if rules.turnaround_hours is not None:
        deadline, turnaround_reasons = _turnaround(policy, called_at, rules.turnaround_hours)
        reasons += turnaround_reasons
    else:
        reasons.append("This clinic sets no turnaround time for call backs.")
    if rules.window is not None:
        due_at, earliest, window_reason = _windowed(clinic, rules.window, called_at, deadline)
        reasons.append(window_reason)
    else:
        due_at = deadline
        if due_at is not None and rules.operating_hours_only and not is_open(clinic, due_at):
            due_at = next_open(clinic, due_at)
            reasons.append(
                "That is outside opening hours, so it is due when the clinic next opens, "
                f"{_local(clinic, due_at)}."
            )
        earliest, hours_reason = _earliest_in_hours(clinic, called_at, rules.operating_hours_only)
        reasons.append(hours_reason)
    return CallbackDue(owed=True, due_at=due_at, reasons=tuple(reasons), earliest_call_at=earliest)


def callback_clock_elapsed(policy: ClinicPolicy, called_at: datetime,
                           returned_at: datetime) -> timedelta:
    """How much of the turnaround a call returned at ``returned_at`` used: the call-back clock
    (``add_open_day_time``) from when it starts for a call missed at ``called_at`` (the next
    opening, with ``operating_hours_only``, for a call that came in while the clinic was closed)
    to the return; zero for a call returned before its clock started. Comparable with
    ``turnaround_hours``."""
    start, _ = _clock_start(policy.clinic, _as_utc("called_at", called_at),
                            policy.callbacks.operating_hours_only)
    return max(open_day_time_between(policy.clinic, start, returned_at), _ZERO)


def _not_owed(reason: str) -> CallbackDue:
    return CallbackDue(owed=False, due_at=None, reasons=(reason,), earliest_call_at=None)


def _turnaround(
    policy: ClinicPolicy, called_at: datetime, hours: float
) -> tuple[datetime, list[str]]:
    clinic = policy.clinic
    start, start_reason = _clock_start(clinic, called_at, policy.callbacks.operating_hours_only)
    deadline = add_open_day_time(clinic, start, timedelta(hours=hours))
    reasons = [start_reason] if start_reason else []
    reasons.append(
        f"Turnaround: {hours_text(hours)} from {'then' if start_reason else 'the call'}, not "
        f"counting days the clinic is closed all day; they end {_local(clinic, deadline)}."
    )
    closed = _closed_days_between(clinic, start, deadline)
    if closed:
        reasons.append(f"Not counted: {', '.join(closed)}.")
    return deadline, reasons


def hours_text(hours: float) -> str:
    """``24`` -> "24 hours", ``1`` -> "1 hour", ``1.5`` -> "1.5 hours"."""
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def _clock_start(
    clinic: Clinic, called_at: datetime, operating_hours_only: bool
) -> tuple[datetime, str | None]:
    """When the call-back clock starts, and why when that is not the moment of the call."""
    if operating_hours_only:
        start = next_open(clinic, called_at)
        why = "The clinic was closed when the call came in, so the clock started when it opened,"
    else:
        start = _at_or_after_in(clinic, _open_days(clinic), called_at)
        closed_day = called_at.astimezone(clinic.timezone)
        why = f"The clinic is closed all day on {closed_day:%a %d %b}, so the clock started at"
    if start == called_at:
        return start, None
    return start, f"{why} {_local(clinic, start)}."


def _windowed(
    clinic: Clinic, window: DailyWindow, called_at: datetime, deadline: datetime | None
) -> tuple[datetime, datetime, str]:
    windows = _window_on_open_days(clinic, window)
    first = _first_span_starting_at_or_after(clinic, windows, called_at)
    due = first[1]
    if deadline is not None:
        due = max(due, _last_span_ending_at_or_before(clinic, windows, deadline)[1])
    earliest = _at_or_after_in(clinic, windows, called_at)
    reason = (
        f"Calls are returned only {window} on the days the clinic is open, "
        f"so it is due by the end of the window on {_local(clinic, due)}; "
        f"it can be returned from {_local(clinic, earliest)}."
    )
    return due, earliest, reason


def _earliest_in_hours(
    clinic: Clinic, called_at: datetime, operating_hours_only: bool
) -> tuple[datetime, str]:
    if not operating_hours_only:
        return called_at, (
            "The clinic's opening hours do not limit call backs: return it within the client's "
            "calling hours (the clinic's opening hours when none are recorded)."
        )
    earliest = next_open(clinic, called_at)
    if earliest == called_at:
        return earliest, (
            "The clinic is open now: return it while it is open, within the client's calling "
            "hours."
        )
    return earliest, f"Call back only while the clinic is open, from {_local(clinic, earliest)}."


def _closed_days_between(clinic: Clinic, start: datetime, end: datetime) -> list[str]:
    """The days the clinic is closed all day that begin before ``end``, from ``start``'s date:
    a holiday or closure by its name, a usual closed weekday by its date."""
    tz = clinic.timezone
    day = start.astimezone(tz).date()
    names = []
    while _local_instant(day, _MIDNIGHT, tz) < end:
        if clinic.hours_on(day) is None:
            name = clinic.holidays.name_of(day)
            names.append(f"{name} ({day:%a %d %b})" if name else f"{day:%a %d %b}")
        day += _ONE_DAY
    return names


def _local(clinic: Clinic, moment: datetime) -> str:
    return f"{moment.astimezone(clinic.timezone):%a %d %b %H:%M %Z}"


# --- reminders ---------------------------------------------------------------------------------


def reminder_times(
    policy: ClinicPolicy, due_at: datetime, not_before: datetime
) -> tuple[datetime, ...]:
    """When to remind the clinician of a call back due at ``due_at`` (UTC, sorted, no repeats).

    One reminder per ``remind_before`` offset, that much business time before ``due_at``, and
    one at ``due_at`` itself. Each lands when the clinician can act on it:

    - ``operating_hours_only``: business time is opening hours (``subtract_business_time``), so
      the reminder falls inside them; otherwise it is time on the days the clinic opens
      (``subtract_open_day_time``), so it never falls on a day the clinic is closed all day.
    - with a ``window``, a reminder outside every window moves to the start of the next one
      (never past ``due_at``, which ``callback_due`` puts at the end of a window).

    ``due_at`` is kept as given: ``callback_due`` puts it inside opening hours with
    ``operating_hours_only``, and at the end of a window with one (that reminder is the
    deadline itself, as the window closes). Reminders before ``not_before`` are dropped.
    """
    due_at = _as_utc("due_at", due_at)
    not_before = _as_utc("not_before", not_before)
    rules = policy.callbacks
    clinic = policy.clinic
    subtract = subtract_business_time if rules.operating_hours_only else subtract_open_day_time
    before = [subtract(clinic, due_at, offset) for offset in rules.remind_before]
    if rules.window is not None:
        windows = _window_on_open_days(clinic, rules.window)
        before = [_at_or_after_in(clinic, windows, t) for t in before]
    return tuple(sorted({t for t in (*before, due_at) if not_before <= t <= due_at}))
