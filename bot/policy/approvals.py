"""Approvals: who decides a request, who may decide it now, when to nudge and tell the backup.

Pure: takes every instant as an argument, never reads the clock, never does I/O.

Seed 003 names the person who decides ("check with Jamie first" before a closure warning; phone
coaching only with Dr. Bedics' approval), so:

- A **closure warning** goes to the approver ``approvals.closure_warning`` names: ``supervisor``
  (the clinician's own supervisor from the team) or one Slack id. When that names nobody (the
  clinician has no supervisor on the team, is not on the team, or the client has no clinician),
  the request cannot be made and the reason says what to fix in the policy. The backup is never
  made the approver in their place: the backup covers for a named approver, it does not replace
  a missing one.
- **DBT phone coaching** goes to ``approvals.phone_coaching``; none named: the request cannot be
  made, and the reason says so.
- **Only the named approver decides**, at any time while the request is pending. The ``backup``
  decides only where the clinic opted in with ``approvals.backup_may_decide: true``, and then only
  once the request was handed over to them.
- Undecided after ``remind_after_business_hours`` of business time, the approver is nudged; after
  the same again, the backup (when there is one, and it is someone else) is told the request is
  waiting: by default so they can remind the approver, with ``backup_may_decide`` as a hand-over
  they may decide. Business time follows ``bot.policy.business_hours``: weekends and holidays do
  not count.
- The **closure-warning deadline** is the ``no_show.confirm_by`` weekday and time, in the clinic's
  time zone, on the first such day *after* the day of the approval (a client is never asked to get
  in touch the same day), moved to the next day the clinic is open when that day is a holiday or
  closure, so the client can reach the clinic by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from bot.policy.business_hours import add_business_time, business_time_between
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import wall_clock_instant

CLOSURE_WARNING = "closure_warning"
PHONE_COACHING = "phone_coaching"
KINDS = (CLOSURE_WARNING, PHONE_COACHING)

KIND_TITLES = {CLOSURE_WARNING: "Closure warning", PHONE_COACHING: "DBT phone coaching"}
KIND_PHRASES = {CLOSURE_WARNING: "a closure warning", PHONE_COACHING: "DBT phone coaching"}

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
        return Routing(None, None, (_no_supervisor(clinician, member is not None),))
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


def _no_supervisor(clinician: str | None, on_team: bool) -> str:
    """Why nobody is named to decide a closure warning, and what the admin changes to fix it."""
    named_one = "or name one closure-warning approver in approvals.closure_warning"
    if clinician is None:
        return (
            "The client has no clinician on file, so no supervisor is named to decide the "
            f"closure warning: record the client's clinician, {named_one}."
        )
    if not on_team:
        return (
            f"<@{clinician}> is not on the clinic's team, so no supervisor is named to decide "
            f"the closure warning: ask your admin to add them to the team with their supervisor, "
            f"{named_one}."
        )
    return (
        f"<@{clinician}> has no supervisor named on the team, so nobody is named to decide the "
        f"closure warning: ask your admin to add a supervisor to their team entry, {named_one}."
    )


def _routing(approver: str, backup: str | None, reason: str) -> Routing:
    return Routing(approver, backup if backup != approver else None, (reason,))


# --- who may decide now ------------------------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    allowed: bool
    deciders: tuple[str, ...]  # who may decide right now
    reason: str


def deciders(
    approver: str, backup: str | None, handed_over: bool, *, backup_may_decide: bool
) -> tuple[str, ...]:
    """Who may decide a pending request: the approver; the backup too only where the clinic lets
    the backup decide (``backup_may_decide``) and the request was handed over to them."""
    if backup_may_decide and handed_over and backup is not None and backup != approver:
        return (approver, backup)
    return (approver,)


def may_decide(
    user: str, *, approver: str, backup: str | None, handed_over: bool, backup_may_decide: bool
) -> Permission:
    """Whether ``user`` may decide a pending request now, and the reason either way."""
    allowed = deciders(approver, backup, handed_over, backup_may_decide=backup_may_decide)
    if user == approver:
        return Permission(True, allowed, "the named approver")
    if user in allowed:
        return Permission(True, allowed, "the backup approver, after the hand-over")
    if user == backup and not backup_may_decide:
        return Permission(
            False, allowed, "only the named approver decides; the backup is told when it waits"
        )
    if user == backup:
        return Permission(
            False, allowed, "the backup decides only once the request is handed over to them"
        )
    return Permission(False, allowed, "not the approver of this request")


# --- nobody decides ----------------------------------------------------------------------------


class Step(StrEnum):
    NUDGE = "nudge"  # remind the approver
    HAND_OVER = "hand_over"  # tell the backup (who decides from then on where backup_may_decide)


def hand_over_at(policy: ClinicPolicy, requested_at: datetime) -> datetime:
    """When the backup is told of an undecided request (UTC): twice the wait after the request."""
    start = _as_utc("requested_at", requested_at)
    return add_business_time(policy.clinic, start, 2 * _wait(policy))


def due_steps(
    policy: ClinicPolicy,
    *,
    requested_at: datetime,
    backup: str | None,
    nudged: bool,
    handed_over: bool,
    now: datetime,
) -> tuple[Step, ...]:
    """The steps an undecided request is due for at ``now``, in order; () when nothing is due.

    The approver is nudged once, ``remind_after_business_hours`` after the request. By default
    only the approver can decide, so that nudge is always sent, even when a job that did not run
    for a while finds the backup due to be told as well. Where ``backup_may_decide``, the
    hand-over wins when both are due: the request is being passed on to someone who may decide
    it. Without a backup there is only the nudge.
    """
    elapsed = business_time_between(policy.clinic, _as_utc("requested_at", requested_at), now)
    wait = _wait(policy)
    hand_over = backup is not None and not handed_over and elapsed >= 2 * wait
    passed_on = policy.approvals.backup_may_decide and (handed_over or hand_over)
    nudge = not nudged and not passed_on and elapsed >= wait
    return tuple(step for step, due in ((Step.NUDGE, nudge), (Step.HAND_OVER, hand_over)) if due)


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


def dates_text(days: Sequence[date]) -> str:
    """The days in time order: "Tue Nov 17 and Tue Nov 24"."""
    shown = [f"{d:%a %b} {d.day}" for d in sorted(days)]
    if len(shown) <= 2:
        return " and ".join(shown)
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"


def withdrawal_cause(client_code: str, day: date, actor: str, *, corrected: bool) -> str:
    """Why a pending closure warning no longer holds, after ``actor`` marked an arrival; stored
    with the request (codes, dates and Slack ids only)."""
    if corrected:
        return f"the no-show on {dates_text([day])} was corrected to arrived by <@{actor}>"
    return f"{client_code} was marked arrived for {dates_text([day])} by <@{actor}>"
