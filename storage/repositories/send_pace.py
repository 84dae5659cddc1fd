"""The send budget every dispatcher replica of one PostgreSQL database shares.

``CONTACT_CHECK_SEND_RATE`` bounds all messages together, however many dispatchers run. Each
replica asks for its next send slot just before sending (``reserve``): one statement moves the
shared ``next_slot_at`` on by one send interval and hands back the slot it moved past, so slots
never overlap and together never come faster than the rate. A replica with nothing to send asks
for nothing, so it takes no share; one that died stops asking the moment it dies, with no
heartbeat to go stale. A slot never starts before the database's "now", so an idle budget builds
up no burst.

A 429 (``block``) moves ``blocked_until`` and ``next_slot_at`` past Retry-After: every slot handed
out after that lies beyond it, whichever replica Slack refused.

Times are the database's clock (``statement_timestamp()``), so replicas on different hosts agree;
each answer carries that clock's "now" for the caller to turn into a wait. PostgreSQL only: on
SQLite one dispatcher runs and paces itself in memory (``bot.pacing.LocalPace``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

BUDGET = "slack"

_RESERVE = text("""
    INSERT INTO send_pace AS p (name, next_slot_at, updated_at)
    VALUES (:name, statement_timestamp() + :interval, statement_timestamp())
    ON CONFLICT (name) DO UPDATE SET
        next_slot_at = GREATEST(p.next_slot_at, p.blocked_until, statement_timestamp())
                       + :interval,
        updated_at = statement_timestamp()
    RETURNING p.next_slot_at - :interval AS slot_at, statement_timestamp() AS now,
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
    RETURNING statement_timestamp() AS slot_at, statement_timestamp() AS now, p.blocked_until
""")

_READ = text("""
    SELECT statement_timestamp() AS slot_at, statement_timestamp() AS now, p.blocked_until
    FROM (SELECT 1) AS one LEFT JOIN send_pace AS p ON p.name = :name
""")


@dataclass(frozen=True)
class Slot:
    """``at``: when the caller may send; ``now``: the database clock then; both UTC."""

    at: datetime
    now: datetime
    blocked_until: datetime | None

    def wait(self) -> float:
        """Seconds from the database's now to the slot (0 when it has come)."""
        return max(0.0, (self.at - self.now).total_seconds())

    def blocked_for(self) -> float:
        """Seconds from the database's now until a 429's Retry-After has passed."""
        if self.blocked_until is None:
            return 0.0
        return max(0.0, (self.blocked_until - self.now).total_seconds())


class SendPaceRepository:
    def __init__(self, session: Session):
        self.session = session

    def reserve(self, interval: timedelta, name: str = BUDGET) -> Slot:
        """Take the next send slot: ``interval`` (1 / rate) after the previous one, not before
        now, not inside a 429's Retry-After."""
        return self._run(_RESERVE, name=name, interval=interval)

    def block(self, wait: timedelta, owner: str, name: str = BUDGET) -> Slot:
        """Slack answered 429: no slot for anyone until ``wait`` from now."""
        return self._run(_BLOCK, name=name, wait=wait, owner=owner[:64])

    def read(self, name: str = BUDGET) -> Slot:
        """The database's now and the current Retry-After, changing nothing."""
        return self._run(_READ, name=name)

    def _run(self, statement: object, **params: object) -> Slot:
        dialect = self.session.get_bind().dialect.name
        if dialect != "postgresql":
            raise RuntimeError(f"the shared send budget needs PostgreSQL, not {dialect} "
                               "(on SQLite one dispatcher paces itself)")
        row = self.session.connection().execute(statement, params).one()  # type: ignore[arg-type]
        return Slot(at=_utc(row.slot_at), now=_utc(row.now),
                    blocked_until=None if row.blocked_until is None else _utc(row.blocked_until))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
