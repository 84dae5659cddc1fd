"""The team report, the weekly digest's figures, "Team: overdue now" and the access report.

- ``team_report``: what a person may see of how the team keeps the protocol over a period —
  supervisors their supervisees (and themselves), admins everyone, clinicians themselves, front
  desk the call-backs they logged. Counts and times only (``bot.policy.reports``).
- ``weekly_digest``: a supervisor's report of a past week and the on-time call-backs per
  clinician over the 8 weeks up to it (the chart).
- ``team_overdue``: per supervisee, the call-backs overdue now, by client code (App Home).
- ``access_report``: every event that showed one client's details to someone (the card, the
  consent form, a modal, an import, an export), newest first, from the audit trail; reading it
  is audited too (``access.reported``, which is not itself a view of the client's details).

Never commits, never builds Block Kit: handlers, jobs and the CLI own the unit of work and hand
the outcomes to ``bot.slack_ui.reports`` (or print them).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from bot.policy.business_hours import opening_on
from bot.policy.clinic import ClinicPolicy, TeamMember
from bot.policy.dates import date_range_problem
from bot.policy.reports import (
    History,
    Period,
    last_full_month,
    last_full_week,
    on_time_per_week,
    period_problem,
    team_figures,
    weeks_before,
)
from bot.services.outcomes import (
    AccessEntry,
    AccessReport,
    Digest,
    Scope,
    TeamOverdue,
    TeamReport,
)
from storage.repositories.reports import EXPORT_ACTION, IMPORT_ACTION, AccessEvent, TrailEvent
from storage.tables import OutboxMessage
from storage.uow import UnitOfWork

CHART_WEEKS = 8
ACCESS_REPORTED = "access.reported"
TRAIL_EXPORTED = "audit.exported"
DIGEST_KIND = "weekly_digest"
DIGEST_SUBJECT = "weekly_digest"
DIGEST_PRIORITY = 7  # after everything about a client's call and the audit head
_DIGEST_NAMESPACE = uuid.UUID("5d0b7c1e-2f0a-4a43-9a51-6b1f0c2a7d16")

# What each audit action that shows a client's details was, as the access report says it.
VIEW_KINDS = {
    "card.viewed": "guidance card",
    "consent.viewed": "consent form",
    "appointment.note_viewed": "no-show note",
    "appointment.details_viewed": "appointment details (modal)",
    "callback.details_viewed": "call-back details (modal)",
    "approval.reason_viewed": "decision reason (modal)",
    "runin.viewed": "run-in (modal)",
    IMPORT_ACTION: "import (details read from a file)",
    EXPORT_ACTION: "export (every client's details written to a file)",
}


class PeriodInvalid(ValueError):
    """A period a person gave that cannot be reported on; the message says what to fix."""


# --- who sees what ----------


def clinicians_of(policy: ClinicPolicy) -> list[str]:
    """Everyone who may treat clients (clinicians and supervisors), in the team's order."""
    return [m.slack_id for m in policy.team if m.role in ("clinician", "supervisor")]


def supervisees(policy: ClinicPolicy, supervisor: str) -> list[str]:
    return [m.slack_id for m in policy.team if m.supervisor == supervisor]


def supervisors(policy: ClinicPolicy) -> list[str]:
    """Who gets the weekly digest: every supervisor, and anyone else named someone's supervisor
    (an admin who supervises)."""
    named = {m.supervisor for m in policy.team if m.supervisor}
    return [m.slack_id for m in policy.team if m.role == "supervisor" or m.slack_id in named]


def report_scope(policy: ClinicPolicy, member: TeamMember) -> Scope:
    user = member.slack_id
    if member.role == "admin":
        return Scope(tuple(clinicians_of(policy)), "everyone")
    if member.role == "front_desk":
        return Scope(tuple(clinicians_of(policy)), "the call-backs you logged", logged_by=user,
                     callbacks_only=True)
    team = supervisees(policy, user)
    if team:
        return Scope((user, *team), "you and your supervisees")
    return Scope((user,), "you")


# --- periods ----------


def resolve_period(word: str | None, first: date | None, last: date | None,
                   today: date) -> Period:
    """``week`` (or nothing): the last full week; ``month``: the last full month; or the dates
    given, checked. Raises ``PeriodInvalid``."""
    if word == "month":
        return last_full_month(today)
    if first is None or last is None:
        return last_full_week(today)
    for day in (first, last):
        problem = date_range_problem(day, today)
        if problem:
            raise PeriodInvalid(problem)
    period = Period(first, last)
    problem = period_problem(period)
    if problem:
        raise PeriodInvalid(problem)
    return period


# --- the team report ----------


def _history(uow: UnitOfWork, policy: ClinicPolicy, period: Period, scope: Scope) -> History:
    start, end = period.bounds(policy.clinic)
    clinicians = list(scope.clinicians)
    callbacks = uow.reports.callbacks(start, end, clinicians=clinicians, logged_by=scope.logged_by)
    if scope.callbacks_only:
        return History(callbacks=callbacks)
    return History(
        callbacks=callbacks,
        chases=uow.reports.chases(start, end, clinicians=clinicians),
        approvals=uow.reports.approvals(start, end),
        runins=uow.reports.runins(start, end, clinicians=clinicians),
    )


def names_of(policy: ClinicPolicy, ids: Sequence[str]) -> dict[str, str]:
    return {i: (m.first_name if (m := policy.member(i)) else i) for i in ids}


def team_report(uow: UnitOfWork, policy: ClinicPolicy, member: TeamMember, period: Period,
                now: datetime) -> TeamReport:
    scope = report_scope(policy, member)
    history = _history(uow, policy, period, scope)
    return TeamReport(
        period=period, scope=scope,
        figures=team_figures(policy, history, scope.clinicians, now),
        names=names_of(policy, scope.clinicians),
        turnaround_hours=policy.callbacks.turnaround_hours, now=now,
    )


# --- the weekly digest ----------


def week_id(monday: date) -> uuid.UUID:
    """The outbox subject of one week's digests (so a job can cancel them together)."""
    return uuid.uuid5(_DIGEST_NAMESPACE, monday.isoformat())


def digest_due(policy: ClinicPolicy, now: datetime) -> tuple[date, datetime] | None:
    """(Monday of ``now``'s week, the first opening of that week); None for a week the clinic
    is closed throughout."""
    today = now.astimezone(policy.clinic.timezone).date()
    monday = today - timedelta(days=today.weekday())
    for offset in range(7):
        opens = opening_on(policy.clinic, monday + timedelta(days=offset))
        if opens is not None:
            return monday, opens
    return None


def queue_digests(uow: UnitOfWork, policy: ClinicPolicy, now: datetime) -> int:
    """Queue this week's digest (the past week's report) for every supervisor, due at the first
    opening of the week; once per supervisor and week (the dedupe key), so every replica may run
    it. With ``reports.weekly_digest: false`` this week's digests not yet sent are cancelled
    instead. How many are queued for this week."""
    due = digest_due(policy, now)
    if due is None:
        return 0
    monday, opens = due
    subject = week_id(monday)
    if not policy.reports.weekly_digest:
        uow.outbox.cancel(DIGEST_SUBJECT, subject, kinds=[DIGEST_KIND],
                          reason="reports.weekly_digest is off")
        return 0
    reported = monday - timedelta(days=7)
    recipients = supervisors(policy)
    for supervisor in recipients:
        uow.outbox.enqueue(DIGEST_KIND, supervisor, opens, {"week": reported.isoformat()},
                           priority=DIGEST_PRIORITY, subject_kind=DIGEST_SUBJECT,
                           subject_id=subject,
                           dedupe_key=f"{DIGEST_KIND}:{reported.isoformat()}:{supervisor}")
    return len(recipients)


def weekly_digest(uow: UnitOfWork, policy: ClinicPolicy, member: TeamMember, monday: date,
                  now: datetime) -> Digest:
    """The report of the week starting ``monday`` as ``member`` sees it, and the chart's
    figures over the ``CHART_WEEKS`` weeks ending with it."""
    report = team_report(uow, policy, member, Period(monday, monday + timedelta(days=6)), now)
    weeks = weeks_before(monday, CHART_WEEKS)
    start, _ = weeks[0].bounds(policy.clinic)
    _, end = weeks[-1].bounds(policy.clinic)
    scope = report.scope
    facts = uow.reports.callbacks(start, end, clinicians=list(scope.clinicians),
                                  logged_by=scope.logged_by)
    per_id = on_time_per_week(policy.clinic, weeks, facts, scope.clinicians)
    return Digest(report=report, weeks=weeks,
                  on_time={report.names[c]: counts for c, counts in per_id.items()})


# --- App Home: "Team: overdue now" ----------


def team_overdue(uow: UnitOfWork, policy: ClinicPolicy, member: TeamMember,
                 now: datetime) -> tuple[TeamOverdue, ...]:
    """For a supervisor: each supervisee with call-backs overdue now, and their codes."""
    team = supervisees(policy, member.slack_id)
    if not team:
        return ()
    by_clinician: dict[str, list[str | None]] = {}
    for clinician, code in uow.reports.overdue_now(team, now):
        by_clinician.setdefault(clinician, []).append(code)
    names = names_of(policy, team)
    return tuple(TeamOverdue(c, names[c], tuple(by_clinician[c])) for c in team
                 if c in by_clinician)


# --- the access report ----------


def _entry(event: AccessEvent) -> AccessEntry:
    level = event.details.get("level")
    return AccessEntry(seq=event.seq, at=event.at, actor=event.actor, action=event.action,
                       kind=VIEW_KINDS.get(event.action, event.action),
                       level=str(level) if level is not None else None)


def access_report(uow: UnitOfWork, policy: ClinicPolicy, code: str, since: date | None, *,
                  actor: str, now: datetime, via: str = "slack") -> AccessReport:
    """Every view of ``code``'s details since ``since`` (clinic date; None: ever), newest first;
    the read is audited in ``uow`` (the caller commits). Exports count for a client on file from
    the day they were put on file."""
    since_at = clinic_day_start(policy, since) if since is not None else None
    on_file = uow.reports.client_created_at(code)
    events = uow.reports.client_views(code, since_at)
    if on_file is not None:
        code, created_at = on_file
        events += [e for e in uow.reports.exports(since_at) if e.at >= created_at]
    events.sort(key=lambda e: e.seq, reverse=True)
    entries = tuple(_entry(e) for e in events)
    uow.audit.append(actor, ACCESS_REPORTED, code,
                     {"since": since.isoformat() if since else None, "views": len(entries),
                      "via": via}, at=now)
    return AccessReport(code=code, on_file=on_file is not None, since=since, entries=entries,
                        now=now)


def clinic_day_start(policy: ClinicPolicy, day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(),
                            tzinfo=policy.clinic.timezone).astimezone(UTC)


def trail_export(uow: UnitOfWork, policy: ClinicPolicy, since: date, *, actor: str,
                 fmt: str, chain_ok: bool, now: datetime) -> list[TrailEvent]:
    """Every event of the trail since the clinic date ``since``, in chain order, for a privacy
    officer or a SIEM; the export is audited in ``uow`` (the caller commits)."""
    events = uow.reports.events_since(clinic_day_start(policy, since))
    uow.audit.append(actor, TRAIL_EXPORTED, None,
                     {"since": since.isoformat(), "events": len(events), "format": fmt,
                      "chain": "verified" if chain_ok else "broken"}, at=now)
    return events


# --- the weekly digest as an outbox kind (bot.outbox_kinds) ----------

DIGEST_STALE_AFTER = timedelta(days=7)  # by then the next week's digest is due


def digest_still_wanted(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    """None to send; why not otherwise: a week's digest not sent within a week is replaced by
    the next one, and one whose recipient has left the team goes to nobody."""
    if now - row.due_at > DIGEST_STALE_AFTER:
        return "a newer weekly digest is due"
    if uow.reports.left_team(row.recipient):
        return "the recipient is no longer on the team"
    return None


def digest_facts(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                 now: datetime) -> Digest:
    """The digest the row stands for: its week's report as its supervisor sees it at ``now``."""
    member = policy.member(row.recipient)
    if member is None:
        raise ValueError("the digest's recipient is not on the team")
    return weekly_digest(uow, policy, member, date.fromisoformat(str(row.payload["week"])), now)
