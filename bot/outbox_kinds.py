"""Every kind of message the bot sends by itself, declared once: (kind, re-check, facts, renderer).

The one table the dispatcher (``bot.dispatcher``) sends from. For each kind:

- ``still_wanted(uow, row, now)`` — the use case's send-time re-check: None to send, or why the
  message is no longer wanted (the row is then cancelled with that reason, nothing is sent);
- ``facts(uow, policy, row, now)`` — the use case reads what the message is drawn from, as it
  stands at send time (a plain dataclass of ``bot.services.outcomes``);
- ``render(facts, policy)`` — ``bot.slack_ui`` draws the message (``Rendered``): the one place
  that decides what a message Slack keeps may contain;
- ``late_after`` — past its due time by more than this, it is marked late (never dropped).

This module sits at the composition level (with ``bot.app`` and ``bot.scheduling``), so it may
import both the use cases and the presentation layer, which never import each other that way.
A new kind: queue it from its use case (``uow.outbox.enqueue``), write its re-check and facts
there and its renderer in ``bot.slack_ui``, add its row here, and drive it once in
``tests/handlers/test_kept_messages_phi.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.policy.clinic import ClinicPolicy
from bot.services import (
    appointments,
    approvals,
    calendars,
    callbacks,
    deliveries,
    reports,
    runins,
    witness,
)
from bot.services.deliveries import StillWanted, always_wanted
from bot.slack_ui import approvals as approval_ui
from bot.slack_ui.calendars import notice_dm
from bot.slack_ui.outbox import Rendered
from bot.slack_ui.reminders import (
    callback_reminder_message,
    chase_message,
    failure_report_message,
)
from bot.slack_ui.reports import digest_dm
from bot.slack_ui.runin_modal import followup_dm
from bot.slack_ui.witness import witness_message
from storage.tables import OutboxMessage
from storage.uow import UnitOfWork

Facts = Callable[[UnitOfWork, ClinicPolicy, OutboxMessage, datetime], Any]
Render = Callable[[Any, ClinicPolicy], Rendered]


@dataclass(frozen=True)
class OutboxKind:
    kind: str
    still_wanted: StillWanted
    facts: Facts
    render: Render
    late_after: timedelta = timedelta(minutes=10)

    def prepare(self, uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                now: datetime) -> Rendered:
        """The message for ``row`` as it stands at ``now``: the facts, drawn."""
        return self.render(self.facts(uow, policy, row, now), policy)


def _table(*kinds: OutboxKind) -> Mapping[str, OutboxKind]:
    table: dict[str, OutboxKind] = {}
    for entry in kinds:
        if entry.kind in table:
            raise ValueError(f"outbox kind {entry.kind!r} is declared twice")
        table[entry.kind] = entry
    return table


OUTBOX_KINDS: Mapping[str, OutboxKind] = _table(
    OutboxKind(appointments.CHASE_KIND, appointments.chase_still_wanted, appointments.chase,
               chase_message),
    OutboxKind(deliveries.DELIVERY_FAILED, always_wanted, deliveries.failure_report,
               failure_report_message, late_after=timedelta(days=3650)),
    OutboxKind(approvals.REQUEST, approvals.wanted_while_pending, approvals.request_facts,
               approval_ui.request_dm),
    OutboxKind(approvals.NUDGE, approvals.wanted_while_pending, approvals.nudge_facts,
               approval_ui.nudge_dm),
    OutboxKind(approvals.HANDED_OVER, approvals.wanted_while_pending, approvals.handed_over_facts,
               approval_ui.handed_over_dm),
    OutboxKind(approvals.DECIDED, approvals.wanted_update, approvals.decided_facts,
               approval_ui.request_update),
    OutboxKind(approvals.OUTCOME, approvals.wanted_once_decided, approvals.outcome_facts,
               approval_ui.outcome_dm),
    OutboxKind(approvals.CLOSURE_DEADLINE, approvals.wanted_at_deadline, approvals.deadline_facts,
               approval_ui.deadline_dm),
    OutboxKind(runins.FOLLOWUP_KIND, runins.followup_still_wanted, runins.followup,
               followup_dm),
    OutboxKind(callbacks.REMINDER_KIND, callbacks.reminder_still_wanted, callbacks.reminder,
               callback_reminder_message),
    OutboxKind(witness.WITNESS_KIND, always_wanted, witness.audit_head, witness_message,
               late_after=timedelta(days=1)),
    OutboxKind(reports.DIGEST_KIND, reports.digest_still_wanted, reports.digest_facts,
               digest_dm, late_after=timedelta(days=1)),
    OutboxKind(calendars.NOTICE_KIND, calendars.notice_still_wanted, calendars.notice_facts,
               notice_dm, late_after=timedelta(days=1)),
)
