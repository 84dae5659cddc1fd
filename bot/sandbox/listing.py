"""The sandbox's ``team``, ``clients`` and ``calendar`` listings: pure, from the policy and what
is on file.

``clients`` says what is on file now (after consent changes, imports and status changes), never
what the session started with: each client's status, treating clinician, the verdict the card
would give right now and the consent behind it, and today's appointments. It carries client
codes and consent answers only: never a name, a phone number, a do-not-call reason, a safety
note or a third party's name, so a rehearsal on real clients shows nothing private here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from bot.policy.clinic import CalendarFeed, ClinicPolicy, TeamMember
from bot.policy.consent import Guidance, Verdict, window_for
from bot.policy.model import ClientRecord
from bot.sandbox.render import WIDTH
from bot.services.outcomes import FeedStatus

ROLE_DUTIES = {
    "clinician": "clinician",
    "supervisor": "supervisor",
    "front_desk": "front desk: logs missed calls, marks arrivals",
    "admin": "admin: sees every client and the whole team's report",
}


@dataclass(frozen=True)
class ClientNow:
    """One client as the ``clients`` listing shows them."""

    record: ClientRecord
    guidance: Guidance  # the card's verdict at this moment
    today: tuple[str, ...] = ()  # today's appointments: "09:45 arrived", "13:00"
    callback_owed: bool = False
    story: str | None = None  # the sample clinic's note on this client, while still true


def role_text(member: TeamMember | None) -> str:
    return member.role.replace("_", " ") if member else "not on the team"


def duties(policy: ClinicPolicy) -> dict[str, str]:
    """What each team member does under the policy: supervision, approvals, backup."""
    names = {m.slack_id: m.first_name for m in policy.team}
    approvals = policy.approvals
    said: dict[str, list[str]] = {m.slack_id: [] for m in policy.team}
    for member in policy.team:
        supervisees = [m.first_name for m in policy.team if m.supervisor == member.slack_id]
        if supervisees:
            whose = ("; approves their closure warnings"
                     if approvals.closure_warning == "supervisor" else "")
            said[member.slack_id].append(f"supervises {_and(supervisees)}{whose}")
        elif member.supervisor:
            said[member.slack_id].append(f"supervised by {names.get(member.supervisor, '?')}")
    for slack_id, duty in ((approvals.closure_warning, "approves closure warnings"),
                           (approvals.phone_coaching, "approves DBT phone coaching"),
                           (approvals.backup, "the backup when an approver does not answer")):
        if slack_id in said:
            said[slack_id].append(duty)
    return {m.slack_id: "; ".join(said[m.slack_id]) or ROLE_DUTIES[m.role] for m in policy.team}


def team_lines(policy: ClinicPolicy, *, you: str, stranger: str,
               notes: Mapping[str, str]) -> list[str]:
    """One line per member (first name, role, Slack id, what they do), then the stranger."""
    lines = []
    for member in policy.team:
        here = "  ← you" if member.slack_id == you else ""
        lines.append(f"  {member.first_name:<10} {role_text(member):<11} {member.slack_id:<12} "
                     f"{notes.get(member.slack_id, '')}{here}")
    here = "  ← you" if stranger == you else ""
    lines.append(f"  {'stranger':<10} {'-':<11} {stranger:<12} someone in the workspace who is "
                 f"not on the team{here}")
    return lines


def client_lines(clients: Sequence[ClientNow], names: Mapping[str, str]) -> list[str]:
    """A line or a few per client: code, clinician, status, then what is on file now."""
    def whose(record: ClientRecord) -> str:
        return names.get(record.clinician, record.clinician) if record.clinician else "-"

    width = max([8, *(len(whose(c.record)) for c in clients)])
    lines = []
    for client in clients:
        record = client.record
        facts = [consent_text(client.guidance, record)]
        if client.callback_owed:
            facts.append("call back owed")
        if client.today:
            facts.append("today " + ", ".join(client.today))
        if client.story:
            facts.append(f"(sample: {client.story})")
        lead = f"  {record.code:<8} {whose(record):<{width}} {record.status:<9}"
        lines += textwrap.wrap(" · ".join(facts), WIDTH, initial_indent=lead,
                               subsequent_indent=" " * len(lead), break_on_hyphens=False)
    return lines


def consent_text(guidance: Guidance, record: ClientRecord) -> str:
    """The verdict now and the consent answers behind it, without a name or a number."""
    never = sorted({n.kind for n in guidance.never_use if n.number})
    refused = record.consent is not None and record.consent.may_call is False
    never_text = f"; never {', '.join(never)}" if never and not refused else ""
    number = guidance.use_number
    if guidance.verdict in (Verdict.DO_NOT_CALL, Verdict.NO_CONSENT) or number is None:
        return f"{guidance.verdict.value}{never_text}{_parties(record)}"
    assert record.consent is not None  # a number to use means consent is on file
    hours = str(window_for(record.consent, number))
    answers = [
        number.kind,
        "voicemail ok" if guidance.voicemail_ok else "no voicemail",
        "clinic name ok" if guidance.clinic_name_ok else "no clinic name",
    ]
    if hours != "any time":
        answers.append(f"calls {hours}")
    return f"{guidance.verdict.value}: {', '.join(answers)}{never_text}{_parties(record)}"


def _parties(record: ClientRecord) -> str:
    parties = record.consent.third_parties if record.consent else ()
    if not parties:
        return ""
    written = sum(1 for p in parties if p.written_permission)
    return (f"; {len(parties)} third part{'y' if len(parties) == 1 else 'ies'} "
            f"({written} with written permission)")


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class FeedAppointment:
    """An appointment a calendar feed brought, as on file now."""

    code: str
    start_at: datetime
    minutes: int
    status: str


def calendar_lines(feed: CalendarFeed, status: FeedStatus, now_lines: Sequence[str],
                   brought: Sequence[FeedAppointment],
                   local: Callable[[datetime], str]) -> list[str]:
    """One feed for ``calendar``: where it is read from (a file's name; never a URL, only the
    variable holding it), its last sync and error, what it holds now, and its appointments."""
    source = (f"file {PurePath(feed.file).name}" if feed.file else
              f"the URL in ${feed.url_env}")
    every = int(feed.every.total_seconds() // 60)
    synced = local(status.last_success_at) if status.last_success_at else "never"
    lines = [f"Calendar feed {feed.name} ({source}, read every {every}m): last synced {synced}"]
    if status.failing_since is not None:
        lines.append(f"  failing since {local(status.failing_since)}: {status.last_error}")
    lines += [f"  now: {line.split(': ', 1)[1]}" if i == 0 else line
              for i, line in enumerate(now_lines)]
    if not brought:
        lines.append("  no appointment on file came from it yet")
        return lines
    lines.append("  appointments it brought, as on file now:")
    lines += [f"    {local(a.start_at)}  {a.code:<8} {a.minutes:>3} min  "
              f"{a.status.replace('_', '-')}" for a in brought]
    return lines
