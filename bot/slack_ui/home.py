"""App Home: what the team member owes now, in client codes and times only.

Home stays in Slack, so it never carries a client's name, number, note or reason: the lines below
are built from ``bot.services.pending.Pending``, which holds codes, ids, Slack user ids and times.
``bot.slack_ui.pending`` shows the same lines as a short ephemeral list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.mrkdwn import escape
from bot.services.outcomes import (
    AppointmentItem,
    ApprovalItem,
    CallbackItem,
    DecisionItem,
    Pending,
    RunInItem,
)
from bot.slack_ui import ids
from bot.slack_ui.calendars import feed_home_lines
from bot.slack_ui.reports import TEAM_OVERDUE_HEADING, team_overdue_lines

MAX_LINES_PER_SECTION = 15  # Home holds 100 blocks; a long list is cut with "and N more"
KIND_LABELS = {"closure_warning": "closure warning", "phone_coaching": "DBT phone coaching"}
STATUS_LABELS = {"scheduled": "scheduled", "arrived": "arrived", "no_show": "no-show"}


def when(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """Clinic time, the day named only when it is not today."""
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%a %d %b %H:%M}"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " "))


# --- one line per item (shared with the ephemeral list) ------------------------------------------


def callback_line(item: CallbackItem, tz: ZoneInfo, now: datetime) -> str:
    who = f"*{item.client_code}*" if item.client_code else "*a potential client*"
    called = f"called {when(item.called_at, tz, now)}" + (
        ", left a voicemail" if item.voicemail_left else "")
    if item.due_at is None:
        return f"• {who}: {called}; no deadline"
    if item.overdue:
        return f"• :red_circle: {who}: *overdue* since {when(item.due_at, tz, now)} ({called})"
    return f"• {who}: due by {when(item.due_at, tz, now)} ({called})"


def appointment_line(item: AppointmentItem, tz: ZoneInfo, now: datetime,
                     with_clinician: bool) -> str:
    start = when(item.start_at, tz, now)
    whose = f" with <@{item.clinician}>" if with_clinician and item.clinician else ""
    head = f"• {start} *{item.client_code}*{whose} ({item.minutes} min)"
    if item.chase_due:
        return (f"{head}: :alarm_clock: not marked arrived: answer the chase "
                f"(`arrived {item.client_code}` or `noshow {item.client_code}`)")
    if item.status == "scheduled":
        return f"{head}: chase at {when(item.chase_at, tz, now)} unless marked arrived"
    return f"{head}: {STATUS_LABELS.get(item.status, item.status)}"


def to_decide_line(item: ApprovalItem, tz: ZoneInfo, now: datetime) -> str:
    backup = " (handed to you as backup)" if item.handed_over else ""
    return (f"• *{item.client_code}*: {kind_label(item.kind)}, asked by <@{item.requester}> "
            f"{when(item.created_at, tz, now)}{backup}")


def waiting_line(item: ApprovalItem, tz: ZoneInfo, now: datetime) -> str:
    return (f"• *{item.client_code}*: {kind_label(item.kind)}, asked "
            f"{when(item.created_at, tz, now)}, with <@{item.approver}>")


def decision_line(item: DecisionItem, tz: ZoneInfo, now: datetime) -> str:
    by = f" by <@{item.decided_by}>" if item.decided_by else ""
    return (f"• *{item.client_code}*: {kind_label(item.kind)} *{item.status}*{by} "
            f"{when(item.decided_at, tz, now)}")


def runin_line(item: RunInItem, tz: ZoneInfo, now: datetime) -> str:
    ask = (f"ask at their appointment {when(item.next_appointment, tz, now)}"
           if item.next_appointment else "ask at their next appointment (none booked)")
    return (f"• *{item.client_code}*: run-in {when(item.occurred_at, tz, now)}; how was it "
            f"for them? {ask}")


def sections(pending: Pending, tz: ZoneInfo) -> list[tuple[str, list[str]]]:
    """(heading, lines) for every part with something in it, most urgent first."""
    now = pending.now
    parts: list[tuple[str, list[str]]] = []
    if pending.callbacks:
        overdue = pending.overdue_callbacks
        heading = f"Call-backs you owe ({len(pending.callbacks)}" + (
            f", {overdue} overdue)" if overdue else ")")
        parts.append((heading, [callback_line(c, tz, now) for c in pending.callbacks]))
    if pending.appointments:
        heading = "Today's appointments" + (" (whole clinic)" if pending.whole_clinic_day else "")
        parts.append((heading, [appointment_line(a, tz, now, pending.whole_clinic_day)
                                for a in pending.appointments]))
    if pending.team_overdue:
        parts.append((TEAM_OVERDUE_HEADING, team_overdue_lines(pending.team_overdue)))
    if pending.to_decide:
        parts.append((f"Awaiting your decision ({len(pending.to_decide)})",
                      [to_decide_line(a, tz, now) for a in pending.to_decide]))
    if pending.runins:
        parts.append(("Run-ins to revisit", [runin_line(r, tz, now) for r in pending.runins]))
    if pending.waiting_on:
        parts.append(("You are waiting on", [waiting_line(a, tz, now) for a in pending.waiting_on]))
    if pending.decisions:
        parts.append(("Recent decisions", [decision_line(d, tz, now) for d in pending.decisions]))
    if pending.feeds:
        parts.append(("Calendar feeds", feed_home_lines(pending.feeds, tz)))
    return parts


def cut(lines: list[str], limit: int = MAX_LINES_PER_SECTION) -> str:
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"…and {len(lines) - limit} more")
    text = "\n".join(shown)
    return text if len(text) <= 2900 else text[:2890] + "\n…"


# --- the views ------------------------------------------------------------------------------------


def home_view(pending: Pending, tz: ZoneInfo) -> dict[str, Any]:
    """The Home tab of one team member."""
    member = pending.member
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "What you owe now"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"{escape(member.first_name)} · {member.role.replace('_', ' ')} · as of "
            f"{pending.now.astimezone(tz):%a %d %b %H:%M} clinic time"
        )}]},
    ]
    parts = sections(pending, tz)
    if not parts:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            "Nothing owed right now: no open call-backs, no chases, nothing to decide."
        )}})
    for heading, lines in parts:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"*{heading}*\n{cut(lines)}"}})
    blocks += [
        {"type": "divider"},
        {"type": "actions", "block_id": "home_actions", "elements": [
            {"type": "button", "action_id": ids.HOME_PENDING_REFRESH,
             "text": {"type": "plain_text", "text": "Refresh"}, "value": "refresh"},
        ]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "Client codes only here. `/contact-check CODE` shows a client's details, to you "
            "alone; `/contact-check help` lists everything."
        )}]},
    ]
    return {"type": "home", "callback_id": ids.HOME_VIEW, "blocks": blocks}


def not_on_team_home() -> dict[str, Any]:
    """Home for someone in the workspace who is not on the clinic's team."""
    return {"type": "home", "callback_id": ids.HOME_VIEW, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            "*Contact Check* is for the clinic's team. If you should be on it, ask the "
            "clinic's admin to add you to the team in the clinic's policy."
        )}},
    ]}
