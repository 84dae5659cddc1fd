"""The outbox: messages to send, written in the same transaction as the fact that caused them.

A row's life: ``pending`` until its ``available_at`` comes; ``sending`` while a dispatcher holds
its lease; then ``sent``, ``cancelled`` (the fact changed, nothing sent) or ``failed`` (Slack said
no for good). A transient failure puts it back to ``pending`` with a later ``available_at``; a
dispatcher that dies leaves it ``sending`` until its lease runs out, when another claims it.

``attempted_at`` marks an attempt whose outcome is unknown (the process died holding the row, the
connection broke, Slack answered 5xx): such a row is handed out as *uncertain*, and the dispatcher
first looks for a message tagged with its id in the channel before sending it again.

Claims are atomic: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two dispatchers never
take the same row; on SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (see
``storage.db``), so claimers simply queue. The claim reads the index (status, priority,
available_at) one priority at a time, touching only the rows it takes: its cost does not grow with
the number of rows waiting for later.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.tables import OutboxMessage
from storage.tables.base import plain_defaults, table_of
from storage.types import utcnow

PRIORITIES = range(0, 10)  # 0 goes first; see bot.services.deliveries for who uses which
PENDING, SENDING, SENT, CANCELLED, FAILED = "pending", "sending", "sent", "cancelled", "failed"
_NOTE_LENGTH = 200
_OUTBOX = table_of(OutboxMessage)
_DEFAULTS = plain_defaults(OutboxMessage)


@dataclass(frozen=True)
class NewMessage:
    """A message to queue with ``enqueue_many`` (the arguments of ``enqueue``)."""

    kind: str
    recipient: str
    due_at: datetime
    payload: Mapping[str, Any]
    priority: int = 5
    subject_kind: str | None = None
    subject_id: uuid.UUID | None = None
    dedupe_key: str | None = None


_KEYS_PER_QUERY = 500  # dedupe keys per IN (...), well under every driver's parameter limit


@dataclass(frozen=True)
class Claimed:
    """A row this dispatcher now holds; ``uncertain``: an earlier attempt may have reached Slack."""

    row: OutboxMessage
    uncertain: bool


class OutboxRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- writing messages --------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        recipient: str,
        due_at: datetime,
        payload: Mapping[str, Any],
        *,
        priority: int = 5,
        subject_kind: str | None = None,
        subject_id: uuid.UUID | None = None,
        dedupe_key: str | None = None,
    ) -> OutboxMessage:
        """Queue a message; with a ``dedupe_key`` already queued, the existing row, nothing new.

        ``payload`` holds client codes, times and ids only: it stays in the database in clear.
        """
        _check(priority, due_at)
        if dedupe_key is not None:
            existing = self.by_dedupe_key(dedupe_key)
            if existing is not None:
                return existing
        row = OutboxMessage(
            kind=kind, recipient=recipient, due_at=due_at, available_at=due_at,
            payload=dict(payload), priority=priority, subject_kind=subject_kind,
            subject_id=subject_id, dedupe_key=dedupe_key,
        )
        if dedupe_key is None:
            self.session.add(row)
            self.session.flush()
            return row
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            # Another transaction queued the same key between our look and our insert.
            existing = self.by_dedupe_key(dedupe_key)
            if existing is None:
                raise
            return existing
        return row

    def enqueue_many(self, messages: Sequence[NewMessage]) -> int:
        """Queue ``messages`` together: one look-up of their dedupe keys and one bulk insert
        (rather than a look-up and a savepoint each: an import queues thousands of chases under
        the write lock). A message whose key is already queued is skipped, as ``enqueue`` would.
        How many were queued.

        Should another transaction queue one of the keys meanwhile, the insert is undone and the
        messages are queued one by one (``enqueue``), so nothing is lost or doubled.
        """
        for message in messages:
            _check(message.priority, message.due_at)
        queued = self.queued_keys([m.dedupe_key for m in messages if m.dedupe_key is not None])
        fresh: list[NewMessage] = []
        for message in messages:
            if message.dedupe_key is not None:
                if message.dedupe_key in queued:
                    continue
                queued.add(message.dedupe_key)  # the same key twice in the batch: queued once
            fresh.append(message)
        if not fresh:
            return 0
        now = utcnow()
        try:
            with self.session.begin_nested():
                self.session.execute(insert(_OUTBOX), [{
                    **_DEFAULTS, "id": uuid.uuid4(), "kind": m.kind, "recipient": m.recipient,
                    "due_at": m.due_at, "available_at": m.due_at, "payload": dict(m.payload),
                    "priority": m.priority, "subject_kind": m.subject_kind,
                    "subject_id": m.subject_id, "dedupe_key": m.dedupe_key, "created_at": now,
                } for m in fresh])
        except IntegrityError:
            for m in fresh:
                self.enqueue(m.kind, m.recipient, m.due_at, m.payload, priority=m.priority,
                             subject_kind=m.subject_kind, subject_id=m.subject_id,
                             dedupe_key=m.dedupe_key)
        return len(fresh)

    def queued_keys(self, dedupe_keys: Sequence[str]) -> set[str]:
        """Which of ``dedupe_keys`` a message already carries (whatever its status)."""
        found: set[str] = set()
        keys = sorted(set(dedupe_keys))
        for at in range(0, len(keys), _KEYS_PER_QUERY):
            found.update(k for k in self.session.exec(
                select(OutboxMessage.dedupe_key)
                .where(col(OutboxMessage.dedupe_key).in_(keys[at:at + _KEYS_PER_QUERY]))
            ).all() if k is not None)
        return found

    def cancel(self, subject_kind: str, subject_id: uuid.UUID, kinds: Sequence[str] | None = None,
               *, reason: str = "cancelled") -> int:
        """Cancel the subject's messages not yet sent; how many were cancelled.

        A row a dispatcher holds right now is left alone: its send-time re-check sees the fact.
        """
        stmt = (
            update(OutboxMessage)
            .where(col(OutboxMessage.subject_kind) == subject_kind,
                   col(OutboxMessage.subject_id) == subject_id,
                   col(OutboxMessage.status) == PENDING)
            .values(status=CANCELLED, last_error=reason[:_NOTE_LENGTH], lease_owner=None,
                    lease_until=None)
        )
        if kinds is not None:
            stmt = stmt.where(col(OutboxMessage.kind).in_(list(kinds)))
        result = self.session.exec(stmt)
        return int(result.rowcount or 0)

    def reschedule(self, dedupe_key: str, due_at: datetime) -> bool:
        """Put the not-yet-sent message of ``dedupe_key`` (pending, or cancelled) at ``due_at``;
        False when there is none to move (never queued, or already sent)."""
        result = self.session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key) == dedupe_key,
                   col(OutboxMessage.status).in_([PENDING, CANCELLED]))
            .values(status=PENDING, due_at=due_at, available_at=due_at, attempted_at=None,
                    last_error=None, lease_owner=None, lease_until=None)
        )
        return bool(result.rowcount)

    # -- reading -----------------------------------------------------------------------------

    def get(self, message_id: uuid.UUID) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, message_id)

    def by_dedupe_key(self, dedupe_key: str) -> OutboxMessage | None:
        return self.session.exec(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
        ).first()

    def for_subject(self, subject_kind: str, subject_id: uuid.UUID,
                    kinds: Sequence[str] | None = None) -> list[OutboxMessage]:
        query = select(OutboxMessage).where(
            OutboxMessage.subject_kind == subject_kind, OutboxMessage.subject_id == subject_id
        )
        if kinds is not None:
            query = query.where(col(OutboxMessage.kind).in_(list(kinds)))
        return list(self.session.exec(query.order_by(col(OutboxMessage.due_at))).all())

    def latest_for_subject(self, subject_kind: str, subject_id: uuid.UUID,
                           kind: str) -> OutboxMessage | None:
        """The ``kind`` message about the subject queued last (the latest due, of those)."""
        return self.session.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == kind,
                OutboxMessage.subject_kind == subject_kind,
                OutboxMessage.subject_id == subject_id,
            ).order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.due_at).desc())
        ).first()

    def waiting(self, recipient: str | None = None, kinds: Sequence[str] | None = None
                ) -> list[OutboxMessage]:
        """Messages not yet sent (pending or being sent), soonest first."""
        query = select(OutboxMessage).where(col(OutboxMessage.status).in_([PENDING, SENDING]))
        if recipient is not None:
            query = query.where(OutboxMessage.recipient == recipient)
        if kinds is not None:
            query = query.where(col(OutboxMessage.kind).in_(list(kinds)))
        return list(self.session.exec(query.order_by(col(OutboxMessage.due_at))).all())

    def count_by_status(self) -> dict[str, int]:
        rows = self.session.exec(
            select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
        ).all()
        return {status: int(n) for status, n in rows}

    def next_available_at(self) -> datetime | None:
        """When the soonest pending row becomes claimable (one index probe per priority)."""
        soonest: datetime | None = None
        for priority in PRIORITIES:
            at = self.session.exec(
                select(OutboxMessage.available_at)
                .where(OutboxMessage.status == PENDING, OutboxMessage.priority == priority)
                .order_by(col(OutboxMessage.available_at)).limit(1)
            ).first()
            if at is not None and (soonest is None or at < soonest):
                soonest = at
        return soonest

    # -- the dispatcher's side ---------------------------------------------------------------

    def claim(self, owner: str, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        """Take up to ``limit`` rows due by ``now`` for ``owner`` until ``now + lease``.

        Rows whose holder's lease ran out come first (they are the oldest), then pending rows by
        priority, then by when they became available.
        """
        if limit <= 0:
            return []
        skip_locked = self.session.get_bind().dialect.name == "postgresql"
        taken: list[OutboxMessage] = []
        uncertain: set[uuid.UUID] = set()

        expired = select(OutboxMessage).where(
            OutboxMessage.status == SENDING, col(OutboxMessage.lease_until) < now
        ).order_by(col(OutboxMessage.priority), col(OutboxMessage.available_at)).limit(limit)
        if skip_locked:
            expired = expired.with_for_update(skip_locked=True)
        for row in self.session.exec(expired).all():
            taken.append(row)
            uncertain.add(row.id)  # its holder died: it may or may not have reached Slack

        for priority in PRIORITIES:
            if len(taken) >= limit:
                break
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.status == PENDING, OutboxMessage.priority == priority,
                       col(OutboxMessage.available_at) <= now)
                .order_by(col(OutboxMessage.available_at))
                .limit(limit - len(taken))
            )
            if skip_locked:
                query = query.with_for_update(skip_locked=True)
            for row in self.session.exec(query).all():
                taken.append(row)
                if row.attempted_at is not None:
                    uncertain.add(row.id)

        until = now + lease
        for row in taken:
            row.status = SENDING
            row.lease_owner = owner
            row.lease_until = until
            row.attempts += 1
            if row.attempted_at is None:
                row.attempted_at = now
            self.session.add(row)
        self.session.flush()
        return [Claimed(row, row.id in uncertain) for row in taken]

    def renew(self, ids: Sequence[uuid.UUID], owner: str, until: datetime) -> int:
        """Extend the lease of rows ``owner`` still holds (a long Retry-After wait)."""
        if not ids:
            return 0
        result = self.session.exec(
            self._held(ids, owner).values(lease_until=until)
        )
        return int(result.rowcount or 0)

    def mark_sent(self, message_id: uuid.UUID, owner: str, now: datetime, *,
                  channel: str | None, ts: str | None, note: str | None = None) -> bool:
        """Record the send; False when ``owner`` no longer held the row (its lease was taken)."""
        return self._finish(message_id, owner, status=SENT, sent_at=now, channel=channel, ts=ts,
                            last_error=note)

    def mark_cancelled(self, message_id: uuid.UUID, owner: str, reason: str) -> bool:
        """Not sent because the fact changed (the send-time re-check)."""
        return self._finish(message_id, owner, status=CANCELLED, last_error=reason)

    def mark_failed(self, message_id: uuid.UUID, owner: str, error: str) -> bool:
        """Slack refused for good (user gone, missing scope…): never retried."""
        return self._finish(message_id, owner, status=FAILED, last_error=error)

    def retry_at(self, message_id: uuid.UUID, owner: str, at: datetime, error: str, *,
                 outcome_unknown: bool) -> bool:
        """Put the row back for another attempt at ``at``.

        ``outcome_unknown``: the attempt may have reached Slack (timeout, 5xx), so the next one
        reconciles first; False when Slack certainly did not take it (429).
        """
        values: dict[str, Any] = {
            "status": PENDING, "available_at": at, "last_error": error[:_NOTE_LENGTH],
            "lease_owner": None, "lease_until": None,
        }
        if not outcome_unknown:
            values["attempted_at"] = None
        result = self.session.exec(
            self._held([message_id], owner).values(**values)
        )
        return bool(result.rowcount)

    def release(self, claims: Sequence[Claimed], owner: str) -> int:
        """Hand back rows never tried (a dispatcher stopping): claimable again at once."""
        released = 0
        for claimed in claims:
            values: dict[str, Any] = {
                "status": PENDING, "lease_owner": None, "lease_until": None,
                "attempts": OutboxMessage.attempts - 1,
            }
            if not claimed.uncertain:
                values["attempted_at"] = None
            result = self.session.exec(
                self._held([claimed.row.id], owner).values(**values)
            )
            released += int(result.rowcount or 0)
        return released

    def _held(self, ids: Sequence[uuid.UUID], owner: str) -> Any:
        return update(OutboxMessage).where(
            col(OutboxMessage.id).in_(list(ids)),
            col(OutboxMessage.lease_owner) == owner,
            col(OutboxMessage.status) == SENDING,
        )

    def _finish(self, message_id: uuid.UUID, owner: str, *, status: str,
                last_error: str | None = None, **values: Any) -> bool:
        result = self.session.exec(
            self._held([message_id], owner).values(
                status=status, lease_owner=None, lease_until=None, attempted_at=None,
                last_error=None if last_error is None else last_error[:_NOTE_LENGTH], **values,
            )
        )
        return bool(result.rowcount)


def _check(priority: int, due_at: datetime) -> None:
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be 0-9, got {priority}")
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ValueError("due_at must be an aware datetime")
