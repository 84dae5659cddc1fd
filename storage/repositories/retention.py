"""Retention: finding the files closed before a date, and deleting what they hold.

A file counts as closed before ``cutoff`` when the client's status is ``former`` or ``closed``
(``CLOSED_STATUSES``) and nothing has happened on it since: the client record was last changed
before ``cutoff`` (a status set to closed changes it; an unchanged re-import does not) and no
appointment, call-back, run-in, approval or consent is dated at or after ``cutoff``. So a file
reopened, closed again or still being worked on after the date is never purged.

Deleting removes the client row and everything that holds or points at their details:
consent, numbers, third parties, appointments, call-backs, run-ins, approvals, and the outbox
rows about those (a reminder is never sent about a purged file). The audit trail is not touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, text
from sqlmodel import Session, col

from storage.tables import (
    Appointment,
    Approval,
    CallbackDuty,
    Client,
    ConsentNumber,
    ConsentRow,
    OutboxMessage,
    RunIn,
    ThirdPartyRow,
)
from storage.tables.clients import visible

CLOSED_STATUSES = ("former", "closed")
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class PurgeCounts:
    clients: int = 0
    consents: int = 0
    phone_numbers: int = 0
    third_parties: int = 0
    appointments: int = 0
    callbacks: int = 0
    run_ins: int = 0
    approvals: int = 0
    outbox_messages: int = 0

    def as_details(self) -> dict[str, int]:
        return dict(self.__dict__)


# Each table's columns that date activity on a client's file.
_ACTIVITY: tuple[tuple[Any, tuple[Any, ...]], ...] = (
    (Appointment, (Appointment.start_at, Appointment.marked_at)),
    (CallbackDuty, (CallbackDuty.called_at, CallbackDuty.closed_at)),
    (RunIn, (RunIn.occurred_at, RunIn.created_at, RunIn.followed_up_at)),
    (Approval, (Approval.created_at, Approval.decided_at)),
    (ConsentRow, (ConsentRow.recorded_at, ConsentRow.last_verified_at)),
)


def _chunks(ids: Sequence[uuid.UUID]) -> Iterator[Sequence[uuid.UUID]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


class RetentionRepository:
    def __init__(self, session: Session):
        self.session = session

    def closed_before(self, cutoff: datetime) -> list[tuple[uuid.UUID, str]]:
        """(id, code) of every client whose file closed before ``cutoff``, by code."""
        candidates = self.session.execute(
            select(col(Client.id), col(Client.code))
            .where(col(Client.status).in_(CLOSED_STATUSES), col(Client.updated_at) < cutoff,
                   visible)
            .order_by(col(Client.code))
        ).all()
        ids = [row.id for row in candidates]
        active: set[uuid.UUID] = set()
        for table, columns in _ACTIVITY:
            for chunk in _chunks(ids):
                active.update(self.session.execute(
                    select(table.client_id).distinct().where(
                        col(table.client_id).in_(chunk),
                        or_(*(col(c) >= cutoff for c in columns)),
                    )
                ).scalars())
        return [(row.id, row.code) for row in candidates if row.id not in active]

    def counts(self, client_ids: Sequence[uuid.UUID]) -> PurgeCounts:
        """What ``delete`` would remove for these clients."""
        return self._walk(client_ids, delete_rows=False)

    def delete(self, client_ids: Sequence[uuid.UUID]) -> PurgeCounts:
        """Delete these clients and everything of theirs (not committed); what was deleted.

        On SQLite, freed pages are overwritten with zeros (``secure_delete``), so the deleted
        (encrypted) values do not linger in the file's free space."""
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(text("PRAGMA secure_delete = ON"))
        return self._walk(client_ids, delete_rows=True)

    def _walk(self, client_ids: Sequence[uuid.UUID], *, delete_rows: bool) -> PurgeCounts:
        totals: dict[str, int] = dict.fromkeys(PurgeCounts().as_details(), 0)
        for chunk in _chunks(list(client_ids)):
            subjects = self._subject_ids(chunk)
            # Children first: the outbox rows about them, then each table, the client last.
            steps: list[tuple[str, Any, Any]] = [
                ("outbox_messages", OutboxMessage,
                 col(OutboxMessage.subject_id).in_(subjects or [uuid.UUID(int=0)])),
                ("appointments", Appointment, col(Appointment.client_id).in_(chunk)),
                ("callbacks", CallbackDuty, col(CallbackDuty.client_id).in_(chunk)),
                ("run_ins", RunIn, col(RunIn.client_id).in_(chunk)),
                ("approvals", Approval, col(Approval.client_id).in_(chunk)),
                ("phone_numbers", ConsentNumber, col(ConsentNumber.client_id).in_(chunk)),
                ("third_parties", ThirdPartyRow, col(ThirdPartyRow.client_id).in_(chunk)),
                ("consents", ConsentRow, col(ConsentRow.client_id).in_(chunk)),
                ("clients", Client, col(Client.id).in_(chunk)),
            ]
            for name, table, where in steps:
                totals[name] += self._count_or_delete(table, where, delete_rows)
        return PurgeCounts(**totals)

    def _count_or_delete(self, table: Any, where: Any, delete_rows: bool) -> int:
        if delete_rows:
            result: Any = self.session.execute(delete(table).where(where))
            return int(result.rowcount or 0)
        return int(self.session.execute(
            select(func.count()).select_from(table).where(where)).scalar_one())

    def _subject_ids(self, client_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        ids = list(client_ids)
        found: list[uuid.UUID] = []
        for table in (Appointment, CallbackDuty, RunIn, Approval):
            found.extend(self.session.execute(
                select(col(table.id)).where(col(table.client_id).in_(ids))).scalars())
        return found
