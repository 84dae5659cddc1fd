"""The kinds of message the bot sends by itself, and how the dispatcher renders and re-checks each.

A use case queues a message with ``uow.outbox.enqueue(kind, recipient, due_at, payload, ...)`` in
the same unit of work as the fact behind it. The module that owns ``kind`` registers it here::

    register("callback_reminder", Delivery(render=..., still_wanted=...))

At send time the dispatcher (``bot.dispatcher``), inside one unit of work per message:

1. calls ``still_wanted(uow, row, now)``: None to send, or the reason it is no longer wanted
   (the duty was returned, the client arrived, consent withdrawn…); the row is then cancelled
   with that reason and nothing is sent;
2. calls ``render(uow, policy, row, now)`` → ``Rendered``: a new message (``text`` + ``blocks``)
   to ``row.recipient``, or with ``update=(channel, ts)`` a ``chat.update`` of an earlier one;
3. sends it, records it, and calls ``after_send(uow, row, channel, ts)`` when given (e.g. to keep
   the ts of an approval request so the decision can update it).

A message sent more than ``late_after`` past its ``due_at`` is marked late by the dispatcher,
never dropped. Payloads and rendered DMs carry client codes, times, ids and generic scripts only.

Priorities (lower first): the no-show chase 1, delivery-failure reports 2, approvals 3,
calendar-feed notices 4, call-back reminders 5.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.policy.clinic import ClinicPolicy
from bot.slack_ui.reminders import delivery_failed_message
from storage.tables import OutboxMessage
from storage.uow import UnitOfWork

CHASE_PRIORITY = 1
FAILURE_REPORT_PRIORITY = 2
APPROVAL_PRIORITY = 3
REMINDER_PRIORITY = 5

# Modules whose import registers their kinds; the dispatcher loads them all before sending.
DELIVERY_MODULES: tuple[str, ...] = (
    "bot.services.deliveries",
    "bot.services.callbacks",
    "bot.services.appointments",
    "bot.services.approvals",
    "bot.services.runins",
    "bot.services.witness",
    "bot.services.calendar_notices",
)


@dataclass(frozen=True)
class Rendered:
    """What to send: a new message, or with ``update`` a ``chat.update`` of (channel, ts)."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    update: tuple[str, str] | None = None


Render = Callable[[UnitOfWork, ClinicPolicy, OutboxMessage, datetime], Rendered]
StillWanted = Callable[[UnitOfWork, OutboxMessage, datetime], "str | None"]
AfterSend = Callable[[UnitOfWork, OutboxMessage, str, str], None]


def always_wanted(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    return None


@dataclass(frozen=True)
class Delivery:
    render: Render
    still_wanted: StillWanted = always_wanted
    after_send: AfterSend | None = None
    late_after: timedelta = timedelta(minutes=10)


DELIVERIES: dict[str, Delivery] = {}


def register(kind: str, delivery: Delivery) -> None:
    """Register ``kind``; registering the same kind twice with another delivery is a bug."""
    existing = DELIVERIES.get(kind)
    if existing is not None and existing != delivery:
        raise ValueError(f"delivery kind {kind!r} is already registered")
    DELIVERIES[kind] = delivery


def load_deliveries() -> dict[str, Delivery]:
    """Import every module of ``DELIVERY_MODULES`` (registering their kinds); the registry."""
    for name in DELIVERY_MODULES:
        importlib.import_module(name)
    return DELIVERIES


# --- the dispatcher's own message: a DM Slack refused for good, reported to the admins -----------

DELIVERY_FAILED = "delivery_failed"


def _render_failure_report(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                           now: datetime) -> Rendered:
    p = row.payload
    message = delivery_failed_message(
        kind=str(p.get("kind", "")), recipient=str(p.get("recipient", "")),
        error=str(p.get("error", "")), client_code=p.get("client_code"),
    )
    return Rendered(text=message["text"], blocks=message["blocks"])


register(DELIVERY_FAILED, Delivery(render=_render_failure_report, late_after=timedelta(days=3650)))
