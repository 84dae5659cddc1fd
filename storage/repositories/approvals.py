"""Approval requests: stored, found, and decided with conditional updates so the first one wins.

Every state change is one ``UPDATE … WHERE`` that names the state it expects (``status =
'pending'``, ``nudged_at IS NULL``…) and reports whether it changed a row. Two deciders racing —
two threads, two processes, two PostgreSQL connections — both run the update; the database lets
exactly one of them match, and the other learns it lost from the row count, whatever its earlier
read said.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, update
from sqlmodel import Session, col, select

from storage.sealing import Sealer
from storage.tables import Appointment, Approval, Client

PENDING, APPROVED, DENIED = "pending", "approved", "denied"
DECISIONS = (APPROVED, DENIED)
# A pending request whose facts no longer hold (a no-show behind it corrected to arrived, the
# client came back): nobody decides it any more. ``decided_by`` / ``decided_at`` say whose mark
# withdrew it and when; ``details["withdrawn_because"]`` says why (codes, dates and ids only).
WITHDRAWN = "withdrawn"


class ApprovalRepository:
    def __init__(self, session: Session, sealer: Sealer):
        self.session = session
        self.sealer = sealer

    # -- writing -----------------------------------------------------------------------------

    def add(self, approval: Approval) -> Approval:
        self.session.add(approval)
        self.session.flush()
        return approval

    def lock_client(self, client_id: uuid.UUID) -> None:
        """Serialise requests about one client (a row lock on PostgreSQL; SQLite has one writer).

        Held to the end of the transaction, so "is one already pending?" and the insert that
        follows cannot interleave with another request for the same client.
        """
        self.session.exec(select(Client.id).where(Client.id == client_id).with_for_update())

    def decide(self, approval_id: uuid.UUID, status: str, decided_by: str, decided_at: datetime,
               reason: str | None = None) -> bool:
        """Record the decision if the request is still pending; True when this call decided it."""
        if status not in DECISIONS:
            raise ValueError(f"a decision is one of {', '.join(DECISIONS)}, not {status!r}")
        values: dict[str, object] = {
            "status": status, "decided_by": decided_by, "decided_at": decided_at,
        }
        if reason is not None:
            values["reason_enc"] = self._sealed_reason(approval_id, reason)
        return self._change(
            approval_id, col(Approval.status) == PENDING, values
        )

    def mark_nudged(self, approval_id: uuid.UUID, at: datetime) -> bool:
        """Record the nudge once; False when it was already nudged or decided meanwhile."""
        return self._change(
            approval_id,
            and_(col(Approval.status) == PENDING, col(Approval.nudged_at).is_(None)),
            {"nudged_at": at},
        )

    def mark_handed_over(self, approval_id: uuid.UUID, at: datetime) -> bool:
        """Mark the backup told (handed over) once; False when already done or decided."""
        return self._change(
            approval_id,
            and_(
                col(Approval.status) == PENDING,
                col(Approval.handed_over_at).is_(None),
                col(Approval.backup).is_not(None),
            ),
            {"handed_over_at": at},
        )

    def withdraw(self, approval_id: uuid.UUID, by: str, at: datetime,
                 details: dict[str, Any]) -> bool:
        """Withdraw the request if it is still pending; False when a decision came first."""
        return self._change(
            approval_id, col(Approval.status) == PENDING,
            {"status": WITHDRAWN, "decided_by": by, "decided_at": at, "details": details},
        )

    def replace_details(self, approval_id: uuid.UUID, details: dict[str, Any]) -> bool:
        """New facts for a request still pending; False when it was decided meanwhile."""
        return self._change(approval_id, col(Approval.status) == PENDING, {"details": details})

    def record_deadline(self, approval_id: uuid.UUID, deadline: datetime) -> None:
        """The deadline of an approved closure warning, kept with its details."""
        row = self.session.get(Approval, approval_id)
        assert row is not None
        self._change(approval_id, col(Approval.id) == approval_id,
                     {"details": {**row.details, "deadline": deadline.isoformat()}})

    def record_coaching(self, client_id: uuid.UUID, approved_by: str,
                        approved_at: datetime) -> None:
        """Mark DBT phone coaching approved on the client (the guidance card reads it)."""
        self.session.exec(
            update(Client)
            .where(col(Client.id) == client_id)
            .values(coaching_approved_by=approved_by, coaching_approved_at=approved_at,
                    updated_at=approved_at)
            .execution_options(synchronize_session=False)
        )
        client = self.session.get(Client, client_id)
        if client is not None:
            self.session.refresh(client)

    def _change(self, approval_id: uuid.UUID, expected: ColumnElement[bool],
                values: dict[str, object]) -> bool:
        result = self.session.exec(
            update(Approval)
            .where(col(Approval.id) == approval_id, expected)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed = bool(result.rowcount)
        row = self.session.get(Approval, approval_id)
        if row is not None:
            self.session.refresh(row)
        return changed

    def _sealed_reason(self, approval_id: uuid.UUID, reason: str) -> bytes:
        # Sealed against the row's id like every sealed column, without touching the loaded row
        # (a dirty row would be flushed unconditionally, defeating the conditional update).
        carrier = Approval(id=approval_id, kind="", client_id=approval_id, requester="",
                           approver="")
        self.sealer.seal(carrier, "reason", reason)
        assert carrier.reason_enc is not None
        return carrier.reason_enc

    # -- reading -----------------------------------------------------------------------------

    def get(self, approval_id: uuid.UUID) -> Approval | None:
        return self.session.get(Approval, approval_id)

    def reason(self, approval: Approval) -> str | None:
        return self.sealer.open(approval, "reason")

    def pending_for_client(self, client_id: uuid.UUID, kind: str) -> Approval | None:
        return self.session.exec(
            select(Approval)
            .where(Approval.client_id == client_id, Approval.kind == kind,
                   Approval.status == PENDING)
            .order_by(col(Approval.created_at))
        ).first()

    def latest_for_client(self, client_id: uuid.UUID, kind: str) -> Approval | None:
        found = self.for_client(client_id, kind)
        return found[0] if found else None

    def for_client(self, client_id: uuid.UUID, kind: str) -> list[Approval]:
        """Every request of ``kind`` about the client, newest first."""
        return list(self.session.exec(
            select(Approval)
            .where(Approval.client_id == client_id, Approval.kind == kind)
            .order_by(col(Approval.created_at).desc())
        ).all())

    def pending(self, kinds: Sequence[str] | None = None) -> list[Approval]:
        """Every undecided request, oldest first (the nudge job walks them)."""
        query = select(Approval).where(Approval.status == PENDING)
        if kinds is not None:
            query = query.where(col(Approval.kind).in_(list(kinds)))
        return list(self.session.exec(query.order_by(col(Approval.created_at))).all())

    def client_came_since(self, client_id: uuid.UUID, since: datetime) -> bool:
        """Whether the client was marked arrived at an appointment starting at/after ``since``."""
        return self.session.exec(
            select(Appointment.id).where(
                Appointment.client_id == client_id,
                Appointment.status == "arrived",
                col(Appointment.start_at) >= since,
            )
        ).first() is not None

    def any_arrived(self, appointment_ids: Sequence[uuid.UUID]) -> bool:
        """Whether any of these appointments is now marked arrived (a no-show corrected)."""
        return self.session.exec(
            select(Appointment.id).where(col(Appointment.id).in_(list(appointment_ids)),
                                         Appointment.status == "arrived")
        ).first() is not None
