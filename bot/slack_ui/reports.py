"""The team report (ephemeral), the weekly digest (a DM), "Team: overdue now" (App Home) and the
access report (ephemeral): outcomes of ``bot.services.reports`` in, Block Kit out.

The team report and the digest carry first names, counts and times only: never a client code
(the figures hold none). The Home section carries client codes only. The access report names who
viewed a client's details and when; it is an ephemeral reply to an admin, never kept.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.mrkdwn import escape
from bot.policy.business_hours import hours_text
from bot.policy.clinic import ClinicPolicy
from bot.policy.reports import ApprovalFigures, Figures
from bot.services.outcomes import AccessReport, Digest, TeamOverdue, TeamReport
from bot.slack_ui.blocks import context, section
from bot.slack_ui.outbox import Rendered, Upload
from bot.slack_ui.report_chart import on_time_chart

Message = dict[str, Any]
SECTION_CHARS = 2900  # Slack's limit for a section's text is 3000
MAX_ACCESS_LINES = 200  # in Slack; `python -m bot audit report` lists every one
MAX_OVERDUE_CODES = 8


def _chunks(entries: list[str], limit: int = SECTION_CHARS) -> list[str]:
    """Entries joined by blank lines into texts no longer than ``limit``."""
    chunks: list[str] = []
    current = ""
    for entry in entries:
        joined = f"{current}\n{entry}" if current else entry
        if len(joined) > limit and current:
            chunks.append(current)
            current = entry
        else:
            current = joined
    if current:
        chunks.append(current)
    return chunks


# --- figures as lines ----------


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:g} h"


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:g} min"


def _approval_line(label: str, f: ApprovalFigures) -> str:
    return (f"{label}: {f.requested} asked · {f.approved} approved · {f.denied} denied · "
            f"{f.withdrawn} withdrawn · {f.pending} pending · median decision "
            f"{_hours(f.median_decision_hours)}")


def figure_lines(f: Figures, turnaround: float | None, *, callbacks_only: bool = False
                 ) -> list[str]:
    c = f.callbacks
    against = f" (turnaround {hours_text(turnaround)})" if turnaround is not None else ""
    lines = [
        f"Call-backs: {c.owed} owed · {c.on_time} on time · {c.late} late · "
        f"{c.overdue} overdue · {c.open} not yet due · "
        f"median return {_hours(c.median_hours)}{against}",
    ]
    if callbacks_only:
        return lines
    lines += [
        f"No-show chases: {f.chases.chased} sent · {f.chases.answered} answered · median "
        f"{_minutes(f.chases.median_minutes)} to answer",
        _approval_line("Closure warnings", f.closure_warnings),
        _approval_line("DBT phone coaching", f.coaching),
        f"Run-ins: {f.runins.documented} documented · {f.runins.revisited} revisited",
    ]
    return lines


def _report_blocks(report: TeamReport, title: str) -> list[dict[str, Any]]:
    scope = report.scope
    turnaround = report.turnaround_hours
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        context(f"{report.period.text()} · {scope.whose} · counts and times only"),
        section("*Total*\n" + "\n".join(
            figure_lines(report.figures.total, turnaround, callbacks_only=scope.callbacks_only))),
    ]
    entries, quiet = [], []
    for clinician, figures in report.figures.rows:
        name = escape(report.names.get(clinician, clinician), 80)
        if figures.empty:
            quiet.append(name)
            continue
        entries.append(f"*{name}*\n" + "\n".join(
            figure_lines(figures, turnaround, callbacks_only=scope.callbacks_only)))
    if len(report.figures.rows) > 1 or quiet:
        blocks.append({"type": "divider"})
        blocks += [section(text) for text in _chunks(entries)]
        if quiet:
            blocks.append(context("Nothing in this period: " + ", ".join(quiet)))
    return blocks


def team_report_message(report: TeamReport) -> Message:
    """The ephemeral reply to ``report``."""
    blocks = _report_blocks(report, "Team report")
    blocks.append(context(
        "On time: returned by the due time the clinician was given. Median return: call to "
        "return on the call-back clock (days the clinic is closed all day do not count). "
        "Overdue: not returned, past its due time now. Not yet due: not returned, its due time "
        "still ahead."))
    total = report.figures.total.callbacks
    text = (f"Team report {report.period.text()}: {total.owed} call-backs owed, "
            f"{total.on_time} on time, {total.late} late, {total.overdue} overdue")
    return {"text": text, "blocks": blocks}


def digest_message(digest: Digest) -> Message:
    """The weekly digest DM (kept in Slack: first names, counts and times only)."""
    report = digest.report
    blocks = _report_blocks(report, "Your team's week")
    blocks.append(context(
        f"The chart below shows call-backs returned on time per clinician over the last "
        f"{len(digest.weeks)} weeks. `/contact-check report` gives any other period. The "
        "clinic's admin turns this digest off with reports.weekly_digest: false."))
    total = report.figures.total.callbacks
    text = (f"Your team's week {report.period.text()}: {total.owed} call-backs owed, "
            f"{total.on_time} on time, {total.late} late, {total.overdue} overdue")
    return {"text": text, "blocks": blocks[:50]}


def chart_title(digest: Digest) -> str:
    weeks = digest.weeks
    return (f"Call-backs returned on time, weeks of {weeks[0].first:%d %b} to "
            f"{weeks[-1].first:%d %b %Y}")


# --- App Home ----------


def team_overdue_lines(overdue: tuple[TeamOverdue, ...]) -> list[str]:
    """One line per supervisee with call-backs overdue now: count and codes."""
    lines = []
    for item in overdue:
        codes = [code if code else "a potential client" for code in item.codes]
        shown = ", ".join(f"*{escape(c, 40)}*" if c != "a potential client" else c
                          for c in codes[:MAX_OVERDUE_CODES])
        more = f" and {len(codes) - MAX_OVERDUE_CODES} more" if len(codes) > MAX_OVERDUE_CODES \
            else ""
        lines.append(f"• {escape(item.first_name, 80)}: {len(codes)} overdue ({shown}{more})")
    return lines


TEAM_OVERDUE_HEADING = "Team: overdue now"


# --- the access report ----------


def _actor(actor: str) -> str:
    if actor[:1] in ("U", "W") and actor.isalnum():
        return f"<@{actor}>"
    return f"`{escape(actor, 60)}`"


def access_lines(report: AccessReport, tz: ZoneInfo) -> list[str]:
    lines = []
    for e in report.entries:
        level = f" ({e.level})" if e.level else ""
        lines.append(f"• {e.at.astimezone(tz):%a %d %b %Y %H:%M} {_actor(e.actor)}: "
                     f"{escape(e.kind, 80)}{level} · event {e.seq}")
    return lines


def access_message(report: AccessReport, tz: ZoneInfo) -> Message:
    """The ephemeral reply to ``access CODE``: who viewed the client's details, newest first."""
    code = escape(report.code, 40)
    since = f" since {report.since.isoformat()}" if report.since else ""
    count = len(report.entries)
    head = f"*{code}*: {count} view{'s' if count != 1 else ''} of the client's details{since}"
    if not report.on_file:
        head += " (no client with this code is on file now)"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Access report"}},
        section(head),
    ]
    lines = access_lines(report, tz)
    shown = lines[:MAX_ACCESS_LINES]
    blocks += [section(text) for text in _chunks(shown)][:44]
    if len(lines) > len(shown):
        blocks.append(context(f"…and {len(lines) - len(shown)} older. "
                               "`python -m bot audit report --client CODE` lists every one."))
    blocks.append(context("From the audit trail, newest first, clinic time. This report is "
                           "itself recorded in the audit trail."))
    return {"text": f"Access report for {report.code}: {count} view(s){since}",
            "blocks": blocks}


def digest_dm(digest: Digest, policy: ClinicPolicy) -> Rendered:
    """The weekly digest as the outbox sends it: the message, and the chart of on-time
    call-backs over the last weeks shared in the same DM (first names and numbers only)."""
    message = digest_message(digest)
    title = chart_title(digest)
    chart = on_time_chart([f"{w.first:%d %b}" for w in digest.weeks], digest.on_time, title)
    week = digest.report.period.first.isoformat()
    return Rendered(
        text=message["text"], blocks=message["blocks"],
        files=(Upload(filename=f"on-time-call-backs-{week}.png", content=chart, title=title,
                      alt_txt=f"{title}, per clinician by first name"),),
    )
