"""Approvals: who decides a request, who may decide it now, when to nudge and hand over, deadlines.

Pure: takes every instant as an argument, never reads the clock, never does I/O.

- A **closure warning** goes to the approver ``approvals.closure_warning`` names: ``supervisor``
  (the clinician's own supervisor from the team) or one Slack id. A clinician without a supervisor
  on the team falls back to the ``backup``; without one nobody can be asked, and the reason says
  what to fix in the policy.
- **DBT phone coaching** goes to ``approvals.phone_coaching``.
- The approver may decide at any time while the request is pending; the ``backup`` only once the
  request has been handed over to them.
- Undecided after ``remind_after_business_hours`` of business time, the approver is nudged; after
  the same again, the request is handed over to the backup (when there is one, and it is someone
  else). Business time follows ``bot.policy.business_hours``: weekends and holidays do not count.
- The **closure-warning deadline** is the ``no_show.confirm_by`` weekday and time, in the clinic's
  time zone, on the first such day *after* the day of the approval (a client is never asked to get
  in touch the same day), moved to the next day the clinic is open when that day is a holiday or
  closure, so the client can reach the clinic by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.policy.business_hours import add_business_time, business_time_between
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import wall_clock_instant

CLOSURE_WARNING = "closure_warning"
PHONE_COACHING = "phone_coaching"
KINDS = (CLOSURE_WARNING, PHONE_COACHING)

KIND_TITLES = {CLOSURE_WARNING: "Closure warning", PHONE_COACHING: "DBT phone coaching"}

_ONE_DAY = timedelta(days=1)
_MAX_DEADLINE_DAYS = 400  # a confirm_by day on which the clinic never opens still ends somewhere


def _as_utc(name: str, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


# --- who is asked ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Routing:
    """Who decides a request: ``approver`` (None: nobody can be asked) and ``backup``, and why."""

    approver: str | None
    backup: str | None
    reasons: tuple[str, ...]

    @property
    def possible(self) -> bool:
        return self.approver is not None


def route(policy: ClinicPolicy, kind: str, *, clinician: str | None) -> Routing:
    """The approver and backup of a request of ``kind`` about a client of ``clinician``."""
    rules = policy.approvals
    backup = rules.backup
    if kind == CLOSURE_WARNING:
        named = rules.closure_warning
        if named != "supervisor":
            reason = "The clinic's policy names the closure-warning approver."
            return _routing(named, backup, reason)
        member = policy.member(clinician) if clinician else None
        if member is not None and member.supervisor:
            reason = "Closure warnings go to the clinician's own supervisor."
            return _routing(member.supervisor, backup, reason)
        missing = (
            f"<@{clinician}> has no supervisor named on the team"
            if clinician
            else "The client has no clinician on file"
        )
        if backup is not None:
            return _routing(backup, None, f"{missing}, so the clinic's backup approver decides.")
        return Routing(
            None,
            None,
            (
                f"{missing}, and the policy names no backup approver: add a supervisor to the "
                "clinician's team entry or set approvals.backup.",
            ),
        )
    if kind == PHONE_COACHING:
        if rules.phone_coaching is None:
            return Routing(
                None,
                None,
                (
                    "The clinic's policy names no DBT phone-coaching approver: ask your admin to "
                    "set approvals.phone_coaching.",
                ),
            )
        reason = "The clinic's policy names the phone-coaching approver."
        return _routing(rules.phone_coaching, backup, reason)
    raise ValueError(f"unknown approval kind {kind!r}; kinds: {', '.join(KINDS)}")


def _routing(approver: str, backup: str | None, reason: str) -> Routing:
    return Routing(approver, backup if backup != approver else None, (reason,))


# --- who may decide now ------------------------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    allowed: bool
    deciders: tuple[str, ...]  # who may decide right now
    reason: str


def deciders(approver: str, backup: str | None, handed_over: bool) -> tuple[str, ...]:
    """Who may decide a pending request: the approver, and the backup once it was handed over."""
    if handed_over and backup is not None and backup != approver:
        return (approver, backup)
    return (approver,)


def may_decide(user: str, *, approver: str, backup: str | None, handed_over: bool) -> Permission:
    """Whether ``user`` may decide a pending request now, and the reason either way."""
    allowed = deciders(approver, backup, handed_over)
    if user == approver:
        return Permission(True, allowed, "the named approver")
    if user in allowed:
        return Permission(True, allowed, "the backup approver, after the hand-over")
    if user == backup:
        return Permission(
            False, allowed, "the backup decides only once the request is handed over to them"
        )
    return Permission(False, allowed, "not the approver of this request")


# --- nobody decides ----------------------------------------------------------------------------


class Step(StrEnum):
    NUDGE = "nudge"
    HAND_OVER = "hand_over"


def nudge_at(policy: ClinicPolicy, requested_at: datetime) -> datetime:
    """When an undecided request's approver is nudged (UTC)."""
    return add_business_time(policy.clinic, _as_utc("requested_at", requested_at), _wait(policy))


def hand_over_at(policy: ClinicPolicy, requested_at: datetime) -> datetime:
    """When an undecided request goes to the backup (UTC): twice the wait after the request."""
    start = _as_utc("requested_at", requested_at)
    return add_business_time(policy.clinic, start, 2 * _wait(policy))


def due_step(
    policy: ClinicPolicy,
    *,
    requested_at: datetime,
    backup: str | None,
    nudged: bool,
    handed_over: bool,
    now: datetime,
) -> Step | None:
    """The step an undecided request is due for at ``now``, None when nothing is due.

    The hand-over wins when both are due (a job that did not run for a while does not nudge an
    approver whose request is being passed on anyway); without a backup there is only the nudge.
    """
    elapsed = business_time_between(policy.clinic, _as_utc("requested_at", requested_at), now)
    wait = _wait(policy)
    if backup is not None and not handed_over and elapsed >= 2 * wait:
        return Step.HAND_OVER
    if not nudged and not handed_over and elapsed >= wait:
        return Step.NUDGE
    return None


def _wait(policy: ClinicPolicy) -> timedelta:
    return timedelta(hours=policy.approvals.remind_after_business_hours)


# --- the closure-warning deadline --------------------------------------------------------------


def closure_deadline(policy: ClinicPolicy, approved_at: datetime) -> datetime:
    """The ``confirm_by`` moment after an approval at ``approved_at``, in UTC (see module doc)."""
    tz = policy.clinic.timezone
    confirm = policy.no_show.confirm_by
    approved_day = _as_utc("approved_at", approved_at).astimezone(tz).date()
    ahead = (confirm.weekday - approved_day.weekday()) % 7 or 7
    day = approved_day + ahead * _ONE_DAY
    if day.weekday() in policy.clinic.hours:  # a usual opening day: skip holidays and closures
        for _ in range(_MAX_DEADLINE_DAYS):
            if policy.clinic.hours_on(day) is not None:
                break
            day += _ONE_DAY
    return wall_clock_instant(day, confirm.at, tz)
