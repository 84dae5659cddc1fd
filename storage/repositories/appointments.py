"""Appointments: stored by client and start time, so re-importing a schedule never duplicates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.tables import Appointment, Client


class AppointmentRepository:
    def __init__(self, session: Session):
        self.session = session

    def find(self, client: Client, start_at: datetime) -> Appointment | None:
        """The client's appointment starting at ``start_at``, if any."""
        return self.session.exec(
            select(Appointment).where(
                Appointment.client_id == client.id, Appointment.start_at == start_at
            )
        ).first()

    def save(self, client: Client, start_at: datetime, minutes: int, *,
             clinician: str | None = None) -> tuple[Appointment, bool]:
        """Create the appointment or update its length; True when it is new.

        ``clinician``: who sees this appointment (a calendar feed's own clinician); None keeps
        the client's clinician on file for a new one and leaves an existing one's.
        """
        row = self.find(client, start_at)
        created = row is None
        if row is None:
            row = Appointment(client_id=client.id, start_at=start_at, clinician=client.clinician)
        if clinician is not None:
            row.clinician = clinician
        row.minutes = minutes
        self.session.add(row)
        return row, created

    def with_status(self, client_id: uuid.UUID, statuses: Sequence[str]) -> list[Appointment]:
        """The client's appointments in one of ``statuses``, in time order, as the database has
        them now (rows already loaded in this session are refreshed, not served from memory)."""
        return list(self.session.exec(
            select(Appointment)
            .where(Appointment.client_id == client_id, col(Appointment.status).in_(statuses))
            .order_by(col(Appointment.start_at))
            .execution_options(populate_existing=True)
        ).all())

    def next_scheduled(self, client_id: uuid.UUID, after: datetime) -> Appointment | None:
        """The client's first appointment still scheduled that starts after ``after``."""
        return self.session.exec(
            select(Appointment)
            .where(Appointment.client_id == client_id, Appointment.status == "scheduled",
                   col(Appointment.start_at) > after)
            .order_by(col(Appointment.start_at))
            .limit(1)
        ).first()

    def add(self, client: Client, start_at: datetime, minutes: int, *,
            clinician: str | None = None) -> Appointment:
        """A new appointment, with no look-up first: for a caller that has read the client's
        appointments around ``start_at`` already (a calendar feed's sync, ``between``). Written
        with the next flush, together with the others added."""
        row = Appointment(client_id=client.id, start_at=start_at, minutes=minutes,
                          clinician=clinician if clinician is not None else client.clinician)
        self.session.add(row)
        return row

    def between(self, client_ids: Sequence[uuid.UUID], start: datetime,
                end: datetime) -> list[Appointment]:
        """The clients' appointments starting in [start, end), whatever their status."""
        ids = list(client_ids)
        if not ids:
            return []
        return list(self.session.exec(
            select(Appointment).where(col(Appointment.client_id).in_(ids),
                                      col(Appointment.start_at) >= start,
                                      col(Appointment.start_at) < end)
        ).all())

    def reschedule(self, row: Appointment, start_at: datetime, minutes: int) -> None:
        row.start_at = start_at
        row.minutes = minutes
        self.session.add(row)

    def set_status(self, row: Appointment, status: str) -> None:
        """A status the feed decides (scheduled, cancelled); a person's marks go elsewhere."""
        row.status = status
        self.session.add(row)
