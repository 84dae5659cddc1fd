"""Appointments: stored by client and start time, so re-importing a schedule never duplicates."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.tables import Appointment, Client


class AppointmentRepository:
    def __init__(self, session: Session):
        self.session = session

    def save(self, client: Client, start_at: datetime, minutes: int) -> tuple[Appointment, bool]:
        """Create the appointment or update its length; True when it is new."""
        row = self.session.exec(
            select(Appointment).where(
                Appointment.client_id == client.id, Appointment.start_at == start_at
            )
        ).first()
        created = row is None
        if row is None:
            row = Appointment(client_id=client.id, start_at=start_at, clinician=client.clinician)
        row.minutes = minutes
        self.session.add(row)
        return row, created
