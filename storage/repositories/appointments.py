"""Appointments: stored by client and start time, so re-importing a schedule never duplicates."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.repositories import StaleBatch
from storage.tables import Appointment, Client
from storage.tables.base import plain_defaults, table_of

_APPOINTMENTS = table_of(Appointment)
_CHUNK = 500
_OF_CLIENTS = core_select(_APPOINTMENTS.c.id, _APPOINTMENTS.c.client_id, _APPOINTMENTS.c.start_at,
                     _APPOINTMENTS.c.minutes, _APPOINTMENTS.c.status, _APPOINTMENTS.c.clinician
                     ).where(_APPOINTMENTS.c.client_id.in_(bindparam("ids", expanding=True)))
_SCHEDULED = core_select(_APPOINTMENTS.c.id).where(
    _APPOINTMENTS.c.id.in_(bindparam("ids", expanding=True)),
    _APPOINTMENTS.c.status == "scheduled")
_SET_MINUTES = update(_APPOINTMENTS).where(_APPOINTMENTS.c.id == bindparam("b_id")).values(
    minutes=bindparam("b_minutes"))
_DEFAULTS = plain_defaults(Appointment)


@dataclass(frozen=True)
class AppointmentOnFile:
    id: uuid.UUID
    minutes: int
    status: str
    clinician: str | None


@dataclass
class AppointmentBatch:
    """Appointments to create (whole rows) and lengths to change, ready to write."""

    new: list[dict[str, Any]] = field(default_factory=list)
    lengths: list[dict[str, Any]] = field(default_factory=list)

    def create(self, client: Client, start_at: datetime, minutes: int, now: datetime) -> uuid.UUID:
        appointment_id = uuid.uuid4()
        self.new.append({**_DEFAULTS, "id": appointment_id, "client_id": client.id,
                         "clinician": client.clinician, "start_at": start_at,
                         "minutes": minutes, "created_at": now})
        return appointment_id

    def set_minutes(self, appointment_id: uuid.UUID, minutes: int) -> None:
        self.lengths.append({"b_id": appointment_id, "b_minutes": minutes})


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

    def on_file(self, client_ids: Iterable[uuid.UUID]
                ) -> dict[tuple[uuid.UUID, datetime], AppointmentOnFile]:
        """Every appointment of these clients, by (client id, start)."""
        ids = list(dict.fromkeys(client_ids))
        found: dict[tuple[uuid.UUID, datetime], AppointmentOnFile] = {}
        for start in range(0, len(ids), _CHUNK):
            for row in self.session.execute(_OF_CLIENTS, {"ids": ids[start:start + _CHUNK]}):
                found[(row.client_id, row.start_at)] = AppointmentOnFile(
                    row.id, row.minutes, row.status, row.clinician)
        return found

    def still_scheduled(self, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``ids`` still scheduled (not marked or cancelled) as the database has them."""
        found: set[uuid.UUID] = set()
        for start in range(0, len(ids), _CHUNK):
            found.update(self.session.execute(_SCHEDULED, {"ids": list(ids[start:start + _CHUNK])})
                         .scalars())
        return found

    def write_batch(self, batch: AppointmentBatch) -> None:
        """Write ``batch`` in two bulk statements; ``StaleBatch`` when one of its appointments
        was created meanwhile, or its client removed."""
        if batch.lengths:
            self.session.execute(_SET_MINUTES, batch.lengths)
        if batch.new:
            try:
                self.session.execute(insert(_APPOINTMENTS), batch.new)
            except IntegrityError as error:
                raise StaleBatch("an appointment was booked or a client removed") from error

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
