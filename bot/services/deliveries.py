"""What use cases need to know about the messages the bot sends by itself: priorities, the
send-time re-check's shape, and the dispatcher's own message (a delivery failure report).

A use case queues a message with ``uow.outbox.enqueue(kind, recipient, due_at, payload, ...)`` in
the same unit of work as the fact behind it. Each kind is declared once, in the table of
``bot.outbox_kinds``, as (kind, send-time re-check, facts, renderer). At send time the dispatcher
(``bot.dispatcher``), inside one unit of work per message:

1. calls the re-check ``still_wanted(uow, row, now)``: None to send, or the reason it is no
   longer wanted (the duty was returned, the client arrived, consent withdrawn…); the row is
   then cancelled with that reason and nothing is sent;
2. reads the facts the message is drawn from, through the kind's use case
   (``facts(uow, policy, row, now)``: a plain dataclass of ``bot.services.outcomes``), and draws
   the message from them in the presentation layer (``render(facts, policy)``);
3. sends it and records it.

A message sent more than ``late_after`` past its ``due_at`` is marked late by the dispatcher,
never dropped. Payloads and rendered DMs carry client codes, times, ids and generic scripts only.

Priorities (lower first): the no-show chase 1, delivery-failure reports 2, approvals 3,
run-in follow-ups and calendar-feed notices 4, call-back reminders 5, the audit witness 6.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.policy.clinic import ClinicPolicy
from bot.services.outcomes import FailureReport
from storage.tables import OutboxMessage
from storage.uow import UnitOfWork

CHASE_PRIORITY = 1
FAILURE_REPORT_PRIORITY = 2
APPROVAL_PRIORITY = 3
REMINDER_PRIORITY = 5

StillWanted = Callable[[UnitOfWork, OutboxMessage, datetime], "str | None"]


def always_wanted(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    return None


# --- the dispatcher's own message: a DM Slack refused for good, reported to the admins -----------

DELIVERY_FAILED = "delivery_failed"


def failure_report(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                   now: datetime) -> FailureReport:
    p = row.payload
    return FailureReport(kind=str(p.get("kind", "")), recipient=str(p.get("recipient", "")),
                         error=str(p.get("error", "")), client_code=p.get("client_code"))
