"""Run-ins: encounters with a client outside the office, sealed on the way in, opened on the way
out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.policy.model import RunInRecord
from storage.sealing import Sealer
from storage.tables import Client, ProcessedEvent, RunIn

__all__ = ["RunInRecord", "RunInRepository"]


class RunInRepository:
    def __init__(self, session: Session, sealer: Sealer):
        self.session = session
        self.sealer = sealer

    def add(self, client: Client, *, clinician: str, occurred_at: datetime, place: str,
            initiated_by: str, summary: str | None, revisit: str | None, created_by: str,
            now: datetime) -> RunIn:
        row = RunIn(client_id=client.id, clinician=clinician, occurred_at=occurred_at,
                    initiated_by=initiated_by, created_by=created_by, created_at=now)
        self.sealer.seal(row, "place", place)
        self.sealer.seal(row, "summary", summary)
        self.sealer.seal(row, "revisit", revisit)
        self.session.add(row)
        self.session.flush()
        return row

    def first_submission(self, key: str, now: datetime) -> bool:
        """Remember the form submission ``key``; False when it was stored before (a retried or
        repeated submission), by this transaction or a concurrent one that committed first."""
        if self.session.get(ProcessedEvent, key) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(ProcessedEvent(event_id=key, received_at=now))
        except IntegrityError:
            return False
        return True

    def row(self, run_in_id: uuid.UUID) -> RunIn | None:
        return self.session.get(RunIn, run_in_id)

    def get(self, run_in_id: uuid.UUID) -> RunInRecord | None:
        row = self.row(run_in_id)
        if row is None:
            return None
        client = self.session.get(Client, row.client_id)
        return self._record(row, client.code if client else "")

    def open_rows(self, limit: int = 1000) -> Sequence[RunIn]:
        """Run-ins not yet revisited with the client, oldest first."""
        return self.session.exec(
            select(RunIn).where(col(RunIn.followed_up_at).is_(None))
            .order_by(col(RunIn.created_at)).limit(limit)
        ).all()

    def mark_followed_up(self, row: RunIn, at: datetime) -> bool:
        """Record that the run-in was revisited; False when it already was (nothing changes)."""
        if row.followed_up_at is not None:
            return False
        row.followed_up_at = at
        self.session.add(row)
        return True

    def _record(self, row: RunIn, client_code: str) -> RunInRecord:
        open_ = self.sealer.open
        return RunInRecord(
            id=row.id,
            client_code=client_code,
            clinician=row.clinician,
            occurred_at=row.occurred_at,
            place=open_(row, "place") or "",
            initiated_by=row.initiated_by,
            summary=open_(row, "summary"),
            revisit=open_(row, "revisit"),
            created_by=row.created_by,
            created_at=row.created_at,
            followed_up_at=row.followed_up_at,
        )
