"""What admins see of the calendar feeds: DMs when a feed fails, is held or is back, an unknown
code, and the feeds' lines on App Home. Feed names, problems in our own words, client codes and
times only: never a URL, a client's name or an event's text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.mrkdwn import escape
from bot.policy.clinic import ClinicPolicy
from bot.services.outcomes import HELD, UNKNOWN, UP, FeedNotice
from bot.slack_ui.outbox import Rendered

Message = dict[str, Any]


def _message(text: str, body: str, note: str) -> Message:
    return {"text": text, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": body}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
    ]}


def clinic_time(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%a %d %b %H:%M}"


def feed_down_message(feed: str, problem: str, since: datetime, tz: ZoneInfo, *,
                      held: bool) -> Message:
    name = escape(feed)
    if held:
        text = f"Calendar feed {feed} is held: its appointments were not changed."
        head = f":warning: *Calendar feed {name} is held* (since {clinic_time(since, tz)})"
    else:
        text = f"Calendar feed {feed} cannot be read: {problem}"
        head = f":warning: *Calendar feed {name} cannot be read* (since {clinic_time(since, tz)})"
    return _message(text, f"{head}\n{escape(problem)}",
                    "Every appointment already on file is kept and its no-show chase still "
                    "runs; the feed is tried again by itself. You get one more message when it "
                    "is back. `contact-check calendars check` shows what the feed holds.")


def feed_up_message(feed: str, since: datetime, tz: ZoneInfo) -> Message:
    text = f"Calendar feed {feed} is back: its appointments are applied again."
    return _message(text, f":white_check_mark: *Calendar feed {escape(feed)} is back* (it had "
                          f"failed since {clinic_time(since, tz)}); its appointments are applied "
                          "again.", "Appointments it added, moved or cancelled meanwhile are "
                                    "now on file, with their no-show chases.")


def unknown_code_message(feed: str, code: str) -> Message:
    text = f"Calendar feed {feed} has appointments for {code}, who is not on file."
    return _message(text, f":grey_question: *Calendar feed {escape(feed)}* has appointments for "
                          f"*{escape(code)}*, who is not on file: they get no no-show chase.",
                    "Import the client (`contact-check import clients`) or correct the code in "
                    "the calendar; the next sync picks the appointments up. Told once per code.")


def feed_home_lines(statuses: Any, tz: ZoneInfo) -> list[str]:
    """One line per feed: its last successful sync and its last error (``FeedStatus`` items)."""
    lines = []
    for status in statuses:
        synced = (f"last synced {clinic_time(status.last_success_at, tz)}"
                  if status.last_success_at else "not synced yet")
        mark = ":warning:" if status.failing_since else ":white_check_mark:"
        line = f"{mark} *{escape(status.name)}*: {synced}"
        if status.last_error and status.last_error_at:
            line += (f"; last error {clinic_time(status.last_error_at, tz)}: "
                     f"{escape(status.last_error)}")
        lines.append(line)
    return lines


def notice_dm(notice: FeedNotice, policy: ClinicPolicy) -> Rendered:
    """A notice to an admin (outbox kind ``calendar_feed``): a feed down, held or back, or a code
    the feed names that is not on file."""
    tz = policy.clinic.timezone
    if notice.event == UNKNOWN:
        message = unknown_code_message(notice.feed, notice.code)
    elif notice.since is None:
        raise ValueError(f"a {notice.event} notice without the outage's start")
    elif notice.event == UP:
        message = feed_up_message(notice.feed, notice.since, tz)
    else:
        message = feed_down_message(notice.feed, notice.problem, notice.since, tz,
                                    held=notice.event == HELD)
    return Rendered(text=message["text"], blocks=message["blocks"])
