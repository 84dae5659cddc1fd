"""Read-only queries behind "what do I owe now" (App Home and ``pending``): codes, ids and times.

Nothing here decrypts anything: every column read is a code, an id, a status or a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from storage.tables import Appointment, Approval, CallbackDuty, Client, RunIn


class PendingQueries:
    def __init__(self, session: Session):
        self.session = session

    def open_callbacks(self, clinician: str) -> Sequence[tuple[CallbackDuty, str | None]]:
        """(duty, client code or None for a potential client), open duties owed by ``clinician``."""
        return self.session.exec(
            select(CallbackDuty, Client.code)
            .join(Client, col(Client.id) == col(CallbackDuty.client_id), isouter=True)
            .where(CallbackDuty.clinician == clinician, CallbackDuty.status == "open")
            .order_by(col(CallbackDuty.due_at), col(CallbackDuty.called_at))
        ).all()

    def appointments_between(self, start: datetime, end: datetime,
                             clinician: str | None) -> Sequence[tuple[Appointment, str]]:
        """(appointment, client code) starting in [start, end); everyone's when clinician is None.
        """
        query = (
            select(Appointment, Client.code)
            .join(Client, col(Client.id) == col(Appointment.client_id))
            .where(col(Appointment.start_at) >= start, col(Appointment.start_at) < end)
        )
        if clinician is not None:
            query = query.where(Appointment.clinician == clinician)
        return self.session.exec(query.order_by(col(Appointment.start_at), col(Client.code))).all()

    def approvals_to_decide(self, user: str, *, backup_decides: bool
                            ) -> Sequence[tuple[Approval, str]]:
        """Pending approvals ``user`` decides: as the approver, and (where the backup decides)
        as the backup once the request was handed over to them."""
        mine = col(Approval.approver) == user
        return self._pending(or_(mine, self._handed_to(user)) if backup_decides else mine)

    def approvals_requested(self, user: str, *, backup_told: bool
                            ) -> Sequence[tuple[Approval, str]]:
        """Pending approvals ``user`` waits on: those they asked for, and (where the backup is
        only told) those they were told of as the backup."""
        asked = col(Approval.requester) == user
        return self._pending(or_(asked, self._handed_to(user)) if backup_told else asked)

    @staticmethod
    def _handed_to(user: str) -> ColumnElement[bool]:
        return and_(col(Approval.backup) == user, col(Approval.handed_over_at).is_not(None))

    def _pending(self, who: ColumnElement[bool]) -> Sequence[tuple[Approval, str]]:
        return self.session.exec(
            select(Approval, Client.code)
            .join(Client, col(Client.id) == col(Approval.client_id))
            .where(Approval.status == "pending", who)
            .order_by(col(Approval.created_at))
        ).all()

    def decisions_since(self, user: str, since: datetime,
                        limit: int) -> Sequence[tuple[Approval, str]]:
        """Approvals decided since ``since`` that ``user`` asked for, was asked, or decided."""
        return self.session.exec(
            select(Approval, Client.code)
            .join(Client, col(Client.id) == col(Approval.client_id))
            .where(
                col(Approval.decided_at) >= since,
                or_(col(Approval.requester) == user, col(Approval.approver) == user,
                    col(Approval.decided_by) == user),
            )
            .order_by(col(Approval.decided_at).desc())
            .limit(limit)
        ).all()

    def open_runins(self, clinician: str) -> Sequence[tuple[RunIn, str]]:
        return self.session.exec(
            select(RunIn, Client.code)
            .join(Client, col(Client.id) == col(RunIn.client_id))
            .where(col(RunIn.followed_up_at).is_(None), RunIn.clinician == clinician)
            .order_by(col(RunIn.occurred_at))
        ).all()

    def next_appointments(self, client_ids: Sequence[uuid.UUID],
                          after: datetime) -> dict[uuid.UUID, datetime]:
        """Each client's next scheduled appointment start after ``after``."""
        found: dict[uuid.UUID, datetime] = {}
        if not client_ids:
            return found
        rows = self.session.exec(
            select(Appointment.client_id, Appointment.start_at)
            .where(col(Appointment.client_id).in_(list(client_ids)),
                   Appointment.status == "scheduled", col(Appointment.start_at) > after)
            .order_by(col(Appointment.start_at))
        ).all()
        for client_id, start in rows:
            found.setdefault(client_id, start)
        return found
