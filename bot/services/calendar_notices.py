"""The outbox kind ``calendar_feed``: what admins are told about a feed, re-checked at send time.

Two functions, so the table of outbox kinds can hold them: ``notice_still_wanted`` (the send-time
re-check) and ``render_notice`` (the DM). Payloads: ``feed``, ``event`` (down, held, up,
unknown_code), and ``problem`` and ``since``, or ``code``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.policy.clinic import ClinicPolicy
from bot.services.calendars import DOWN, HELD, NOTICE_KIND, UNKNOWN, UP, down_key
from bot.services.deliveries import Delivery, Rendered, register
from bot.slack_ui.calendars import feed_down_message, feed_up_message, unknown_code_message
from storage.repositories.outbox import SENT
from storage.tables import OutboxMessage
from storage.uow import UnitOfWork


def notice_still_wanted(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    p = row.payload
    event, feed = p.get("event"), str(p.get("feed", ""))
    if event in (DOWN, HELD):
        state = uow.calendars.state(feed)
        if state is None or state.failing_since is None or \
                state.failing_since.isoformat() != p.get("since"):
            return "the feed was back before this was sent"
    elif event == UP:
        told = uow.outbox.by_dedupe_key(down_key(feed, str(p.get("since")), row.recipient))
        if told is None or told.status != SENT:
            return "the outage was never reported"
    elif event == UNKNOWN and uow.clients.row(str(p.get("code", ""))) is not None:
        return "the client is on file now"
    return None


def render_notice(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                  now: datetime) -> Rendered:
    p = row.payload
    tz = policy.clinic.timezone
    feed, event = str(p.get("feed", "")), p.get("event")
    if event == UNKNOWN:
        message = unknown_code_message(feed, str(p.get("code", "")))
    elif event == UP:
        message = feed_up_message(feed, datetime.fromisoformat(str(p["since"])), tz)
    else:
        message = feed_down_message(feed, str(p.get("problem", "")),
                                    datetime.fromisoformat(str(p["since"])), tz,
                                    held=event == HELD)
    return Rendered(text=message["text"], blocks=message["blocks"])


register(NOTICE_KIND, Delivery(render=render_notice, still_wanted=notice_still_wanted,
                               late_after=timedelta(days=1)))
