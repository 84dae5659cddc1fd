"""Appointments: stored by client and start time, so re-importing a schedule never duplicates."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

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
        return row, created
