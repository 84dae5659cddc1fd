"""Calendar feeds' state and lease, and the links from their events to appointments.

The lease: one process at a time syncs a given feed. ``take_lease`` is a single conditional
UPDATE (free, expired, or already ours; and due, unless forced), so two replicas racing on it
cannot both win, on SQLite or PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.tables import Appointment, CalendarEventLink, CalendarFeedState


class CalendarRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- state and lease -----------------------------------------------------------------------

    def state(self, name: str) -> CalendarFeedState | None:
        return self.session.get(CalendarFeedState, name)

    def states(self, names: Iterable[str]) -> dict[str, CalendarFeedState]:
        wanted = list(names)
        if not wanted:
            return {}
        rows = self.session.exec(
            select(CalendarFeedState).where(col(CalendarFeedState.name).in_(wanted))
        ).all()
        return {row.name: row for row in rows}

    def take_lease(self, name: str, owner: str, now: datetime, until: datetime, *,
                   force: bool = False) -> CalendarFeedState | None:
        """Hold ``name``'s lease until ``until`` and return its state; None when another process
        holds it, or (unless ``force``) the feed is not due yet."""
        if self.state(name) is None:
            try:
                with self.session.begin_nested():
                    self.session.add(CalendarFeedState(name=name))
            except IntegrityError:
                pass  # another process added it meanwhile
        stmt = update(CalendarFeedState).where(
            col(CalendarFeedState.name) == name,
            or_(col(CalendarFeedState.lease_until).is_(None),
                col(CalendarFeedState.lease_until) <= now,
                col(CalendarFeedState.lease_owner) == owner),
        )
        if not force:
            stmt = stmt.where(or_(col(CalendarFeedState.next_attempt_at).is_(None),
                                  col(CalendarFeedState.next_attempt_at) <= now))
        result = self.session.exec(
            stmt.values(lease_owner=owner, lease_until=until, last_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:
            return None
        return self.session.exec(
            select(CalendarFeedState).where(CalendarFeedState.name == name)
            .execution_options(populate_existing=True)
        ).one()

    def update(self, name: str, owner: str, **values: Any) -> bool:
        """Record ``values`` and let go of the lease, if ``owner`` still holds it."""
        result = self.session.exec(
            update(CalendarFeedState)
            .where(col(CalendarFeedState.name) == name,
                   col(CalendarFeedState.lease_owner) == owner)
            .values(lease_owner=None, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    # -- events and their appointments ---------------------------------------------------------

    def links(self, feed: str) -> dict[str, tuple[CalendarEventLink, Appointment]]:
        """Every event of ``feed`` already applied, by key, with its appointment."""
        rows = self.session.exec(
            select(CalendarEventLink, Appointment)
            .join(Appointment, col(Appointment.id) == col(CalendarEventLink.appointment_id))
            .where(CalendarEventLink.feed == feed)
        ).all()
        return {link.event_key: (link, appointment) for link, appointment in rows}

    def link(self, feed: str, key: str, appointment: Appointment) -> CalendarEventLink:
        row = CalendarEventLink(feed=feed, event_key=key, appointment_id=appointment.id,
                                start_at=appointment.start_at)
        self.session.add(row)
        return row

    def relink(self, link: CalendarEventLink, appointment: Appointment) -> None:
        link.appointment_id = appointment.id
        link.start_at = appointment.start_at
        self.session.add(link)

    def forget_before(self, feed: str, before: datetime) -> int:
        """Drop links of events that started before ``before`` (the window left them behind)."""
        result = self.session.exec(
            delete(CalendarEventLink)
            .where(col(CalendarEventLink.feed) == feed, col(CalendarEventLink.start_at) < before)
            .execution_options(synchronize_session="fetch")
        )
        return int(result.rowcount or 0)

    def appointment_ids(self, feed: str) -> list[uuid.UUID]:
        return list(self.session.exec(
            select(CalendarEventLink.appointment_id).where(CalendarEventLink.feed == feed)
        ).all())
