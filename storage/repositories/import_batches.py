"""Imports writing their new clients hidden: their bookkeeping, and discarding the abandoned.

An import of many new clients writes them in several short transactions, hidden under its
batch (``ClientRepository.stage``), and shows them in its last (``write_batch``). Its row in
``import_batches`` says who is importing what and when the import last wrote (its heartbeat):
an import that stopped half-way (killed, or gave up) leaves hidden clients that nobody will
show, and ``abandoned`` finds them once the heartbeat is old enough for no live import to be
that slow.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlmodel import Session, col

from storage.tables import Client, ImportBatch
from storage.types import utcnow

SILENT_FOR = timedelta(minutes=15)
"""An import that has not written for this long has stopped: no live import's transaction, nor
the pause between two, comes near it."""


@dataclass(frozen=True)
class Batch:
    """An unfinished import: who started it, from which file, when it last wrote, and how many
    clients it hides."""

    id: uuid.UUID
    actor: str
    source: str
    heartbeat_at: datetime
    hidden: int


class ImportBatchRepository:
    def __init__(self, session: Session):
        self.session = session

    def beat(self, batch_id: uuid.UUID, *, actor: str, source: str) -> None:
        """Record that the import of ``batch_id`` is alive and writing, as of now (its row made
        on its first beat). The time is the machine's: a heartbeat measures how long a process
        has been silent, not the clinic's day."""
        now = utcnow()
        found = self.session.execute(
            update(ImportBatch).where(col(ImportBatch.id) == batch_id)
            .values(heartbeat_at=now))
        if not getattr(found, "rowcount", 0):
            self.session.add(ImportBatch(id=batch_id, actor=actor, source=source[:255],
                                         started_at=now, heartbeat_at=now))
            self.session.flush()

    def finished(self, batch_id: uuid.UUID) -> None:
        """The import of ``batch_id`` showed its clients: forget it (nothing when it never
        beat: a batch written in one transaction)."""
        self.session.execute(delete(ImportBatch).where(col(ImportBatch.id) == batch_id))

    def unfinished(self) -> list[Batch]:
        """Every import whose new clients are hidden still, oldest first."""
        return self._listed(select(ImportBatch))

    def abandoned(self, *, silent_for: timedelta = SILENT_FOR) -> list[Batch]:
        """The imports that have not beaten for ``silent_for``, oldest first."""
        return self._listed(select(ImportBatch).where(
            col(ImportBatch.heartbeat_at) < utcnow() - silent_for))

    def _listed(self, query: Any) -> list[Batch]:
        rows = self.session.execute(query.order_by(col(ImportBatch.started_at))).scalars()
        return [self._batch(row) for row in rows.all()]

    def get(self, batch_id: uuid.UUID) -> Batch | None:
        row = self.session.get(ImportBatch, batch_id)
        return self._batch(row) if row is not None else None

    def _batch(self, row: ImportBatch) -> Batch:
        return Batch(row.id, row.actor, row.source, row.heartbeat_at, self._hidden(row.id))

    def discard(self, batch_id: uuid.UUID, *, limit: int) -> int:
        """Delete up to ``limit`` of the clients hidden under ``batch_id`` (their consent rows
        with them: the foreign keys cascade); how many. Once none is left, the batch's row goes
        too. A batch that has written its last transaction has no hidden client left: its
        clients are safe from this.

        On SQLite, freed pages are overwritten with zeros (``secure_delete``), as for a purge."""
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(text("PRAGMA secure_delete = ON"))
        some = (select(col(Client.id)).where(col(Client.import_batch) == batch_id)
                .limit(limit).scalar_subquery())
        result = self.session.execute(
            delete(Client).where(col(Client.import_batch) == batch_id, col(Client.id).in_(some)))
        deleted = int(getattr(result, "rowcount", 0) or 0)
        if deleted < limit:
            self.finished(batch_id)
        return deleted

    def _hidden(self, batch_id: uuid.UUID) -> int:
        return int(self.session.execute(
            select(func.count()).select_from(Client)
            .where(col(Client.import_batch) == batch_id)).scalar_one())
