"""The send budget every dispatcher replica of one PostgreSQL database shares.

``CONTACT_CHECK_SEND_RATE`` bounds all messages together, however many dispatchers run. Just
before each send a replica tries to ``take`` the budget's slot: one statement succeeds only when
the shared ``next_slot_at`` has come (and no 429's Retry-After runs), and moves it one send
interval past the database's now. So no two sends of any replicas are taken less than an interval
apart, and a send taken late pushes the next one back rather than bunching them (a slot booked
ahead and used late would let two sends crowd into one second). A refused ``take`` says when to
try again. A replica with nothing to send takes nothing, so it has no share; one that died stops
taking the moment it dies, with no heartbeat to go stale.

A 429 (``block``) moves ``blocked_until`` and ``next_slot_at`` past Retry-After: nothing is taken
before then, whichever replica Slack refused.

Times are the database's clock (``statement_timestamp()``), so replicas on different hosts agree;
each answer carries that clock's "now" for the caller to turn into a wait. PostgreSQL only: on
SQLite one dispatcher runs and paces itself in memory (``bot.pacing.LocalPace``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

BUDGET = "slack"

_TAKE = text("""
    INSERT INTO send_pace AS p (name, next_slot_at, updated_at)
    VALUES (:name, statement_timestamp() + :interval, statement_timestamp())
    ON CONFLICT (name) DO UPDATE SET
        next_slot_at = statement_timestamp() + :interval,
        updated_at = statement_timestamp()
    WHERE p.next_slot_at <= statement_timestamp()
      AND (p.blocked_until IS NULL OR p.blocked_until <= statement_timestamp())
    RETURNING true AS taken, statement_timestamp() AS slot_at, statement_timestamp() AS now,
              p.blocked_until
""")

_BLOCK = text("""
    INSERT INTO send_pace AS p (name, next_slot_at, blocked_until, blocked_by, updated_at)
    VALUES (:name, statement_timestamp() + :wait, statement_timestamp() + :wait, :owner,
            statement_timestamp())
    ON CONFLICT (name) DO UPDATE SET
        blocked_until = GREATEST(p.blocked_until, statement_timestamp() + :wait),
        blocked_by = :owner,
        next_slot_at = GREATEST(p.next_slot_at, statement_timestamp() + :wait),
        updated_at = statement_timestamp()
    RETURNING false AS taken, p.next_slot_at AS slot_at, statement_timestamp() AS now,
              p.blocked_until
""")

_READ = text("""
    SELECT false AS taken,
           GREATEST(p.next_slot_at, p.blocked_until, statement_timestamp()) AS slot_at,
           statement_timestamp() AS now, p.blocked_until
    FROM (SELECT 1) AS one LEFT JOIN send_pace AS p ON p.name = :name
""")


@dataclass(frozen=True)
class Slot:
    """``taken``: the caller may send now. Otherwise ``at`` is when to try again. ``now``: the
    database clock when it answered. All UTC."""

    taken: bool
    at: datetime
    now: datetime
    blocked_until: datetime | None

    def wait(self) -> float:
        """Seconds from the database's now to ``at`` (0 when it has come)."""
        return max(0.0, (self.at - self.now).total_seconds())

    def blocked_for(self) -> float:
        """Seconds from the database's now until a 429's Retry-After has passed."""
        if self.blocked_until is None:
            return 0.0
        return max(0.0, (self.blocked_until - self.now).total_seconds())


class SendPaceRepository:
    def __init__(self, session: Session):
        self.session = session

    def take(self, interval: timedelta, name: str = BUDGET) -> Slot:
        """Send now if the slot has come (the next one then comes ``interval``, 1 / rate, from
        now); else when to try again. One statement when taken, two when refused."""
        row = self._execute(_TAKE, name=name, interval=interval).first()
        return _slot(row) if row is not None else self.read(name)

    def block(self, wait: timedelta, owner: str, name: str = BUDGET) -> Slot:
        """Slack answered 429: no slot for anyone until ``wait`` from now."""
        return _slot(self._execute(_BLOCK, name=name, wait=wait, owner=owner[:64]).one())

    def read(self, name: str = BUDGET) -> Slot:
        """When the next slot comes and the current Retry-After, changing nothing."""
        return _slot(self._execute(_READ, name=name).one())

    def _execute(self, statement: Any, **params: object) -> Any:
        dialect = self.session.get_bind().dialect.name
        if dialect != "postgresql":
            raise RuntimeError(f"the shared send budget needs PostgreSQL, not {dialect} "
                               "(on SQLite one dispatcher paces itself)")
        return self.session.connection().execute(statement, params)


def _slot(row: Any) -> Slot:
    return Slot(taken=bool(row.taken), at=_utc(row.slot_at), now=_utc(row.now),
                blocked_until=None if row.blocked_until is None else _utc(row.blocked_until))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
