"""The team report's arithmetic: history records in, counts and medians out. Pure.

What a supervisor is accountable for (issue 16), per clinician and in total:

- **call-backs** owed for calls missed in the period: returned on time (by the due time the
  clinician was given), returned late, still overdue (open past its due time at the moment of the
  report), still open and not yet due; the median time to return on the call-back clock
  (``bot.policy.business_hours.callback_clock_elapsed``: days the clinic is closed all day do not
  count), set against the clinic's turnaround. Duties released as not owed (the client withdrew
  permission to be called) are not counted;
- **no-show chases** sent in the period, how many the clinician answered (marked the client
  arrived or a no-show after the chase), and the median time from the chase to that answer;
- **closure warnings** and **DBT phone-coaching requests** asked in the period: approved, denied,
  withdrawn, still pending, and the median time to a decision (approved or denied);
- **run-ins** documented in the period and how many were revisited with the client.

Counts and times only: the records carry no client code, so nothing built from them can.

Periods are whole local days of the clinic (``Period``); ``now`` is passed in.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import median

from bot.policy.business_hours import callback_clock_elapsed
from bot.policy.clinic import Clinic, ClinicPolicy

MAX_PERIOD_DAYS = 366
HOUR = timedelta(hours=1)


# --- periods ----------


@dataclass(frozen=True)
class Period:
    """Local dates ``first``..``last`` of the clinic, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, clinic: Clinic) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC: midnight of ``first`` to the midnight after ``last``
        (clinic time)."""
        tz = clinic.timezone
        start = datetime.combine(self.first, datetime.min.time(), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def text(self) -> str:
        if self.first == self.last:
            return f"{self.first:%a %d %b %Y}"
        return f"{self.first:%a %d %b} – {self.last:%a %d %b %Y}"


def last_full_week(today: date) -> Period:
    """Monday to Sunday of the week before ``today``'s."""
    monday = today - timedelta(days=today.weekday()) - timedelta(days=7)
    return Period(monday, monday + timedelta(days=6))


def last_full_month(today: date) -> Period:
    """The calendar month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return Period(last.replace(day=1), last)


def month_of(day: date) -> Period:
    return Period(day.replace(day=1),
                  day.replace(day=calendar.monthrange(day.year, day.month)[1]))


def week_starting(monday: date) -> Period:
    return Period(monday, monday + timedelta(days=6))


def weeks_before(monday: date, count: int) -> tuple[Period, ...]:
    """The ``count`` weeks ending with the one that starts on ``monday``, oldest first."""
    return tuple(week_starting(monday - timedelta(days=7 * i)) for i in reversed(range(count)))


def period_problem(period: Period) -> str | None:
    """What is wrong with a period a person gave; None when it is fine."""
    if period.last < period.first:
        return (f"the period ends ({period.last.isoformat()}) before it starts "
                f"({period.first.isoformat()}); give the earlier date first")
    if period.days > MAX_PERIOD_DAYS:
        return (f"the period is {period.days} days long; a report covers at most "
                f"{MAX_PERIOD_DAYS} days")
    return None


# --- the records ----------


@dataclass(frozen=True)
class CallbackFact:
    clinician: str
    called_at: datetime
    due_at: datetime | None  # None: no turnaround rule, so never late
    status: str  # open, returned, not_owed
    closed_at: datetime | None


@dataclass(frozen=True)
class ChaseFact:
    clinician: str  # who was chased
    chased_at: datetime  # when the chase was sent
    answered_at: datetime | None  # the appointment marked arrived or no-show after the chase


@dataclass(frozen=True)
class ApprovalFact:
    kind: str  # closure_warning, phone_coaching
    clinician: str
    status: str  # pending, approved, denied, withdrawn
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class RunInFact:
    clinician: str
    revisited: bool


# --- the figures ----------


@dataclass(frozen=True)
class CallbackFigures:
    owed: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0  # open and past due at the time of the report
    open: int = 0  # open, not yet due (or no due time)
    median_hours: float | None = None  # call to return, on the call-back clock

    @property
    def returned(self) -> int:
        return self.on_time + self.late


@dataclass(frozen=True)
class ChaseFigures:
    chased: int = 0
    answered: int = 0
    median_minutes: float | None = None  # chase to the clinician's answer


@dataclass(frozen=True)
class ApprovalFigures:
    requested: int = 0
    approved: int = 0
    denied: int = 0
    withdrawn: int = 0
    pending: int = 0
    median_decision_hours: float | None = None  # request to approval or denial


@dataclass(frozen=True)
class RunInFigures:
    documented: int = 0
    revisited: int = 0


@dataclass(frozen=True)
class Figures:
    callbacks: CallbackFigures = field(default_factory=CallbackFigures)
    chases: ChaseFigures = field(default_factory=ChaseFigures)
    closure_warnings: ApprovalFigures = field(default_factory=ApprovalFigures)
    coaching: ApprovalFigures = field(default_factory=ApprovalFigures)
    runins: RunInFigures = field(default_factory=RunInFigures)

    @property
    def empty(self) -> bool:
        return self == Figures()


@dataclass(frozen=True)
class History:
    """Everything that happened in a period, for the clinicians the report covers."""

    callbacks: Sequence[CallbackFact] = ()
    chases: Sequence[ChaseFact] = ()
    approvals: Sequence[ApprovalFact] = ()
    runins: Sequence[RunInFact] = ()


@dataclass(frozen=True)
class TeamFigures:
    rows: tuple[tuple[str, Figures], ...]  # (clinician's Slack id, their figures), in order
    total: Figures


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(median(values), 2) if values else None


def returned_on_time(fact: CallbackFact) -> bool:
    """Returned, and by its due time (a call with no due time cannot be late)."""
    return (fact.status == "returned" and fact.closed_at is not None
            and (fact.due_at is None or fact.closed_at <= fact.due_at))


def callback_figures(policy: ClinicPolicy, facts: Iterable[CallbackFact],
                     now: datetime) -> CallbackFigures:
    counts = {"owed": 0, "on_time": 0, "late": 0, "overdue": 0, "open": 0}
    elapsed: list[float] = []
    for fact in facts:
        if fact.status == "not_owed":
            continue
        counts["owed"] += 1
        if fact.status == "returned" and fact.closed_at is not None:
            counts["on_time" if returned_on_time(fact) else "late"] += 1
            elapsed.append(callback_clock_elapsed(policy, fact.called_at, fact.closed_at) / HOUR)
        elif fact.due_at is not None and fact.due_at <= now:
            counts["overdue"] += 1
        else:
            counts["open"] += 1
    return CallbackFigures(**counts, median_hours=_median(elapsed))


def chase_figures(facts: Iterable[ChaseFact]) -> ChaseFigures:
    facts = list(facts)
    waits = [(f.answered_at - f.chased_at) / timedelta(minutes=1) for f in facts
             if f.answered_at is not None]
    return ChaseFigures(chased=len(facts), answered=len(waits), median_minutes=_median(waits))


def approval_figures(facts: Iterable[ApprovalFact]) -> ApprovalFigures:
    facts = list(facts)
    statuses = [f.status for f in facts]
    waits = [(f.decided_at - f.created_at) / HOUR for f in facts
             if f.status in ("approved", "denied") and f.decided_at is not None]
    return ApprovalFigures(
        requested=len(facts), approved=statuses.count("approved"),
        denied=statuses.count("denied"), withdrawn=statuses.count("withdrawn"),
        pending=statuses.count("pending"), median_decision_hours=_median(waits),
    )


def runin_figures(facts: Iterable[RunInFact]) -> RunInFigures:
    facts = list(facts)
    return RunInFigures(documented=len(facts), revisited=sum(1 for f in facts if f.revisited))


def figures(policy: ClinicPolicy, history: History, now: datetime) -> Figures:
    return Figures(
        callbacks=callback_figures(policy, history.callbacks, now),
        chases=chase_figures(history.chases),
        closure_warnings=approval_figures(a for a in history.approvals
                                          if a.kind == "closure_warning"),
        coaching=approval_figures(a for a in history.approvals if a.kind == "phone_coaching"),
        runins=runin_figures(history.runins),
    )


def _of(history: History, clinician: str) -> History:
    return History(
        callbacks=[f for f in history.callbacks if f.clinician == clinician],
        chases=[f for f in history.chases if f.clinician == clinician],
        approvals=[f for f in history.approvals if f.clinician == clinician],
        runins=[f for f in history.runins if f.clinician == clinician],
    )


def team_figures(policy: ClinicPolicy, history: History, clinicians: Sequence[str],
                 now: datetime) -> TeamFigures:
    """Figures per clinician of ``clinicians`` (in that order; facts of anyone else are left out)
    and in total over them."""
    wanted = set(clinicians)
    kept = History(
        callbacks=[f for f in history.callbacks if f.clinician in wanted],
        chases=[f for f in history.chases if f.clinician in wanted],
        approvals=[f for f in history.approvals if f.clinician in wanted],
        runins=[f for f in history.runins if f.clinician in wanted],
    )
    rows = tuple((c, figures(policy, _of(kept, c), now)) for c in clinicians)
    return TeamFigures(rows=rows, total=figures(policy, kept, now))


def on_time_per_week(clinic: Clinic, weeks: Sequence[Period], facts: Iterable[CallbackFact],
                     clinicians: Sequence[str]) -> dict[str, list[int]]:
    """Call-backs returned on time per clinician in each of ``weeks`` (by the week the call was
    missed in): the digest's chart."""
    bounds = [w.bounds(clinic) for w in weeks]
    counts = {c: [0] * len(weeks) for c in clinicians}
    for fact in facts:
        row = counts.get(fact.clinician)
        if row is None:
            continue
        for i, (start, end) in enumerate(bounds):
            if start <= fact.called_at < end:
                row[i] += returned_on_time(fact)
                break
    return counts
