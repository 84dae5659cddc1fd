"""Read-only queries behind the team report and the access report: ids, codes, statuses, times.

Nothing here decrypts anything. The team report's queries return the history records of
``bot.policy.reports`` (no client codes); the access report's return the audit events that
showed a client's details to someone, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bot.policy.reports import ApprovalFact, CallbackFact, ChaseFact, RunInFact
from storage.tables import (
    Appointment,
    Approval,
    AuditEvent,
    CallbackDuty,
    Client,
    OutboxMessage,
    TeamMemberRow,
)
from storage.tables import RunIn as RunInRow
from storage.tables.clients import visible

_EVENT = (col(AuditEvent.seq), col(AuditEvent.at), col(AuditEvent.actor), col(AuditEvent.action),
          col(AuditEvent.client_code), col(AuditEvent.details))
CHASE_KIND = "no_show_chase"  # bot.services.appointments.CHASE_KIND (storage cannot import it)
EXPORT_ACTION = "clients.exported"  # every client's details written to a file
IMPORT_ACTION = "client.imported"  # one client's details read from a file


@dataclass(frozen=True)
class AccessEvent:
    """One audit event that showed (or carried) a client's details."""

    seq: int
    at: datetime
    actor: str
    action: str
    client_code: str | None  # None: an event about every client (an export)
    details: dict[str, Any]


@dataclass(frozen=True)
class TrailEvent:
    """One event of the trail as it is stored (for a privacy officer or a SIEM)."""

    seq: int
    at: datetime
    actor: str
    action: str
    client_code: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class ReportQueries:
    def __init__(self, session: Session):
        self.session = session

    # -- the team report ----------

    def callbacks(self, start: datetime, end: datetime, *, clinicians: Sequence[str] | None = None,
                  logged_by: str | None = None) -> list[CallbackFact]:
        """Owed call-backs for calls missed in ``[start, end)``; of ``clinicians`` when given, and
        logged by ``logged_by`` when given."""
        query = core_select(col(CallbackDuty.clinician), col(CallbackDuty.called_at),
                            col(CallbackDuty.due_at), col(CallbackDuty.status),
                            col(CallbackDuty.closed_at)).where(
            col(CallbackDuty.called_at) >= start, col(CallbackDuty.called_at) < end,
            col(CallbackDuty.owed).is_(True))
        if clinicians is not None:
            query = query.where(col(CallbackDuty.clinician).in_(clinicians))
        if logged_by is not None:
            query = query.where(col(CallbackDuty.logged_by) == logged_by)
        return [CallbackFact(*row) for row in self.session.execute(query).all()]

    def chases(self, start: datetime, end: datetime, *,
               clinicians: Sequence[str] | None = None) -> list[ChaseFact]:
        """No-show chases sent in ``[start, end)``, with when their appointment was marked after
        the chase (arrived or no-show)."""
        query = (
            core_select(col(OutboxMessage.recipient), col(OutboxMessage.sent_at),
                        col(Appointment.marked_at))
            .join(Appointment, col(Appointment.id) == col(OutboxMessage.subject_id),
                  isouter=True)
            .where(col(OutboxMessage.kind) == CHASE_KIND, col(OutboxMessage.status) == "sent",
                   col(OutboxMessage.sent_at) >= start, col(OutboxMessage.sent_at) < end)
        )
        if clinicians is not None:
            query = query.where(col(OutboxMessage.recipient).in_(clinicians))
        return [
            ChaseFact(recipient, sent_at,
                      marked_at if marked_at is not None and marked_at >= sent_at else None)
            for recipient, sent_at, marked_at in self.session.execute(query).all()
        ]

    def approvals(self, start: datetime, end: datetime) -> list[ApprovalFact]:
        """Requests made in ``[start, end)``, each counted for the client's clinician at the time
        of the request (the requester when none was named)."""
        query = core_select(col(Approval.kind), col(Approval.requester), col(Approval.details),
                            col(Approval.status), col(Approval.created_at),
                            col(Approval.decided_at)).where(
            col(Approval.created_at) >= start, col(Approval.created_at) < end)
        return [
            ApprovalFact(kind=kind, clinician=str((details or {}).get("clinician") or requester),
                         status=status, created_at=created_at, decided_at=decided_at)
            for kind, requester, details, status, created_at, decided_at
            in self.session.execute(query).all()
        ]

    def runins(self, start: datetime, end: datetime, *,
               clinicians: Sequence[str] | None = None) -> list[RunInFact]:
        """Run-ins documented in ``[start, end)`` and whether each was revisited."""
        query = core_select(col(RunInRow.clinician), col(RunInRow.followed_up_at)).where(
            col(RunInRow.created_at) >= start, col(RunInRow.created_at) < end)
        if clinicians is not None:
            query = query.where(col(RunInRow.clinician).in_(clinicians))
        return [RunInFact(clinician, followed_up is not None)
                for clinician, followed_up in self.session.execute(query).all()]

    def overdue_now(self, clinicians: Sequence[str], now: datetime
                    ) -> list[tuple[str, str | None]]:
        """(clinician, client code or None for a potential client) of every open call-back past
        its due time at ``now``, oldest due first."""
        if not clinicians:
            return []
        query = (
            core_select(col(CallbackDuty.clinician), col(Client.code))
            .join(Client, col(Client.id) == col(CallbackDuty.client_id), isouter=True)
            .where(col(CallbackDuty.status) == "open", col(CallbackDuty.owed).is_(True),
                   col(CallbackDuty.due_at) <= now,
                   col(CallbackDuty.clinician).in_(clinicians))
            .order_by(col(CallbackDuty.due_at))
        )
        return [(clinician, code) for clinician, code in self.session.execute(query).all()]

    def left_team(self, slack_id: str) -> bool:
        """Whether ``slack_id`` was on the team and is no longer (the policy file last loaded
        does not list them)."""
        return self.session.exec(
            select(TeamMemberRow.slack_id).where(TeamMemberRow.slack_id == slack_id,
                                                 col(TeamMemberRow.active).is_(False))
        ).first() is not None

    # -- the access report ----------

    def client_created_at(self, code: str) -> tuple[str, datetime] | None:
        """(the code as on file, when the client was first put on file), matched in any case."""
        row = self.session.execute(
            core_select(col(Client.code), col(Client.created_at)).where(
                func.lower(col(Client.code)) == code.lower(), visible)).first()
        return None if row is None else (row[0], row[1])

    def client_views(self, code: str, since: datetime | None) -> list[AccessEvent]:
        """Every event that showed ``code``'s details (an action ending in ``viewed``) or read
        them from a file (an import), newest first; the code matched in any case."""
        query = core_select(*_EVENT).where(
            func.lower(col(AuditEvent.client_code)) == code.lower(),
            or_(col(AuditEvent.action).like("%viewed"), col(AuditEvent.action) == IMPORT_ACTION))
        if since is not None:
            query = query.where(col(AuditEvent.at) >= since)
        return self._events(query)

    def exports(self, since: datetime | None) -> list[AccessEvent]:
        """Every export of every client's details (``export clients``), newest first."""
        query = core_select(*_EVENT).where(
            col(AuditEvent.action) == EXPORT_ACTION)
        if since is not None:
            query = query.where(col(AuditEvent.at) >= since)
        return self._events(query)

    def _events(self, query: Any) -> list[AccessEvent]:
        rows = self.session.execute(query.order_by(col(AuditEvent.seq).desc())).all()
        return [AccessEvent(seq, at, actor, action, code, dict(details or {}))
                for seq, at, actor, action, code, details in rows]

    def events_since(self, since: datetime) -> list[TrailEvent]:
        """Every event of the trail at or after ``since``, in the order of the chain."""
        query = core_select(*_EVENT, col(AuditEvent.prev_hash), col(AuditEvent.hash)).where(
            col(AuditEvent.at) >= since)
        return [TrailEvent(seq, at, actor, action, code, dict(details or {}), prev, digest)
                for seq, at, actor, action, code, details, prev, digest
                in self.session.execute(query.order_by(col(AuditEvent.seq))).all()]
