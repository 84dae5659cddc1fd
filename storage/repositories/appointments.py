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

    def save(self, client: Client, start_at: datetime, minutes: int) -> tuple[Appointment, bool]:
        """Create the appointment or update its length; True when it is new."""
        row = self.find(client, start_at)
        created = row is None
        if row is None:
            row = Appointment(client_id=client.id, start_at=start_at, clinician=client.clinician)
        row.minutes = minutes
        self.session.add(row)
        self.session.flush()
        return row, created

    def get(self, appointment_id: uuid.UUID) -> Appointment | None:
        return self.session.get(Appointment, appointment_id)

    def current(self, client_id: uuid.UUID, start_from: datetime, start_until: datetime,
                exclude: str) -> Appointment | None:
        """The client's latest appointment starting in [start_from, start_until] whose status is
        not ``exclude``."""
        return self.session.exec(
            select(Appointment)
            .where(Appointment.client_id == client_id,
                   col(Appointment.start_at) >= start_from,
                   col(Appointment.start_at) <= start_until,
                   Appointment.status != exclude)
            .order_by(col(Appointment.start_at).desc())
            .limit(1)
        ).first()

    def mark(self, appointment: Appointment, status: str, by: str, at: datetime) -> None:
        """Record ``status`` as marked by ``by`` at ``at`` (flushed, so queries see it)."""
        appointment.status = status
        appointment.marked_by = by
        appointment.marked_at = at
        self.session.add(appointment)
        self.session.flush()

    def reload(self, appointment: Appointment) -> None:
        """Read ``appointment`` again as the database has it now (after taking a lock)."""
        self.session.refresh(appointment)

    def add_all(self, appointments: Sequence[Appointment]) -> None:
        """Store new appointments (flushed)."""
        self.session.add_all(appointments)
        self.session.flush()

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
