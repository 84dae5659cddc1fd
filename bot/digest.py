"""The weekly digest as an outbox kind: its send-time re-check and its renderer.

``bot.services.reports.queue_digests`` (a job, ``bot.scheduling``) queues one row per supervisor
and week, due at the first opening of the week; the dispatcher re-checks it here
(``digest_still_wanted``), renders it (``render_digest``: the past week's report as the supervisor
sees it, and the chart of on-time call-backs over 8 weeks as a PNG shared in the same DM) and
sends it like every other message. Two small functions, so they can move into an explicit table
of kinds as they are.

Kept in Slack: first names, counts and times only (``bot.slack_ui.reports``), never a code.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.policy.clinic import ClinicPolicy
from bot.services.deliveries import Delivery, Rendered, Upload, register
from bot.services.reports import DIGEST_KIND, weekly_digest
from bot.slack_ui.report_chart import on_time_chart
from bot.slack_ui.reports import chart_title, digest_message
from storage.tables import OutboxMessage
from storage.uow import UnitOfWork

STALE_AFTER = timedelta(days=7)  # by then the next week's digest is due


def digest_still_wanted(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    """None to send; why not otherwise: a week's digest not sent within a week is replaced by
    the next one, and one whose recipient has left the team goes to nobody."""
    if now - row.due_at > STALE_AFTER:
        return "a newer weekly digest is due"
    if uow.reports.left_team(row.recipient):
        return "the recipient is no longer on the team"
    return None


def render_digest(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                  now: datetime) -> Rendered:
    member = policy.member(row.recipient)
    if member is None:
        raise ValueError("the digest's recipient is not on the team")
    monday = date.fromisoformat(str(row.payload["week"]))
    digest = weekly_digest(uow, policy, member, monday, now)
    message = digest_message(digest)
    title = chart_title(digest)
    chart = on_time_chart([f"{w.first:%d %b}" for w in digest.weeks], digest.on_time, title)
    return Rendered(
        text=message["text"], blocks=message["blocks"],
        files=(Upload(filename=f"on-time-call-backs-{monday.isoformat()}.png", content=chart,
                      title=title, alt_txt=f"{title}, per clinician by first name"),),
    )


register(DIGEST_KIND, Delivery(render=render_digest, still_wanted=digest_still_wanted,
                               late_after=timedelta(days=1)))
