"""What a team member owes now: the one read behind App Home and ``/contact-check pending``.

Open call-backs with their due times (overdue first), today's appointments and their no-show
chases, approvals awaiting the person's decision, requests they are waiting on, recent decisions,
and run-ins still to revisit with the client. Client codes, ids and times only: nothing here is
decrypted, so whatever is built from it may stay in Slack's history.

Clinicians and supervisors see their own appointments; front desk and admins, who mark arrivals
for everyone, see the whole clinic's day.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from bot.policy.clinic import ClinicPolicy, TeamMember
from bot.services.calendars import FeedStatus, feed_statuses
from storage.repositories.pending import PendingQueries
from storage.uow import UnitOfWork

RECENT_DECISIONS = timedelta(days=7)
MAX_DECISIONS = 5


@dataclass(frozen=True)
class CallbackItem:
    duty_id: uuid.UUID
    client_code: str | None  # None: a potential client (the number is never shown here)
    called_at: datetime
    due_at: datetime | None  # None: no turnaround rule
    voicemail_left: bool
    overdue: bool


@dataclass(frozen=True)
class AppointmentItem:
    appointment_id: uuid.UUID
    client_code: str
    clinician: str | None
    start_at: datetime
    minutes: int
    status: str  # scheduled, arrived, no_show, cancelled
    chase_at: datetime  # when the no-show chase fires if nobody marks the client arrived
    chase_passed: bool  # the chase time has come

    @property
    def chase_due(self) -> bool:
        """True once the chase time has passed with the client still unmarked."""
        return self.status == "scheduled" and self.chase_passed


@dataclass(frozen=True)
class ApprovalItem:
    approval_id: uuid.UUID
    kind: str  # closure_warning, phone_coaching
    client_code: str
    requester: str
    approver: str
    created_at: datetime
    handed_over: bool  # the request went to the backup


@dataclass(frozen=True)
class DecisionItem:
    approval_id: uuid.UUID
    kind: str
    client_code: str
    status: str  # approved, denied
    decided_by: str | None
    decided_at: datetime
    requester: str


@dataclass(frozen=True)
class RunInItem:
    run_in_id: uuid.UUID
    client_code: str
    occurred_at: datetime
    next_appointment: datetime | None


@dataclass(frozen=True)
class Pending:
    member: TeamMember
    now: datetime
    callbacks: tuple[CallbackItem, ...] = ()
    appointments: tuple[AppointmentItem, ...] = ()
    to_decide: tuple[ApprovalItem, ...] = ()
    waiting_on: tuple[ApprovalItem, ...] = ()
    decisions: tuple[DecisionItem, ...] = ()
    runins: tuple[RunInItem, ...] = ()
    whole_clinic_day: bool = False  # front desk and admins see everyone's appointments
    feeds: tuple[FeedStatus, ...] = ()  # admins: each calendar feed's last sync and error

    @property
    def overdue_callbacks(self) -> int:
        return sum(1 for c in self.callbacks if c.overdue)

    @property
    def chases_due(self) -> int:
        return sum(1 for a in self.appointments if a.chase_due)

    @property
    def owed(self) -> int:
        """Things the person has to do: call-backs, chases to answer, decisions, run-ins."""
        return len(self.callbacks) + self.chases_due + len(self.to_decide) + len(self.runins)

    def fingerprint(self) -> str:
        """A digest of everything shown except the moment it was read: changes when Home should."""
        body = asdict(self)
        body.pop("now")
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def what_i_owe(uow: UnitOfWork, policy: ClinicPolicy, user: str, now: datetime) -> Pending | None:
    """Everything ``user`` owes or waits on at ``now``; None for someone not on the team."""
    member = policy.member(user)
    if member is None:
        return None
    q = PendingQueries(uow.session)
    tz = policy.clinic.timezone
    wait = timedelta(minutes=policy.no_show.wait_minutes)

    callbacks = sorted(
        (CallbackItem(duty_id=d.id, client_code=code, called_at=d.called_at, due_at=d.due_at,
                      voicemail_left=d.voicemail_left,
                      overdue=d.due_at is not None and d.due_at <= now)
         for d, code in q.open_callbacks(user)),
        key=lambda c: (not c.overdue, c.due_at is None, c.due_at or c.called_at, c.called_at),
    )

    whole_day = member.role in ("front_desk", "admin")
    local_today = now.astimezone(tz).date()
    day_start = datetime.combine(local_today, datetime.min.time(), tzinfo=tz)
    day_end = datetime.combine(local_today + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    appointments = tuple(
        AppointmentItem(appointment_id=a.id, client_code=code, clinician=a.clinician,
                        start_at=a.start_at, minutes=a.minutes, status=a.status,
                        chase_at=a.start_at + wait, chase_passed=a.start_at + wait <= now)
        for a, code in q.appointments_between(day_start, day_end, None if whole_day else user)
        if a.status != "cancelled"
    )

    def approval(a, code: str) -> ApprovalItem:  # type: ignore[no-untyped-def]
        return ApprovalItem(approval_id=a.id, kind=a.kind, client_code=code,
                            requester=a.requester, approver=a.approver, created_at=a.created_at,
                            handed_over=a.handed_over_at is not None)

    backup_decides = policy.approvals.backup_may_decide  # else the backup is only told
    decisions = tuple(
        DecisionItem(approval_id=a.id, kind=a.kind, client_code=code, status=a.status,
                     decided_by=a.decided_by, decided_at=a.decided_at, requester=a.requester)
        for a, code in q.decisions_since(user, now - RECENT_DECISIONS, MAX_DECISIONS)
        if a.decided_at is not None
    )

    runin_rows = q.open_runins(user)
    upcoming = q.next_appointments([r.client_id for r, _ in runin_rows], now)
    runins = tuple(
        RunInItem(run_in_id=r.id, client_code=code, occurred_at=r.occurred_at,
                  next_appointment=upcoming.get(r.client_id))
        for r, code in runin_rows
    )

    return Pending(
        member=member, now=now, callbacks=tuple(callbacks), appointments=appointments,
        to_decide=tuple(approval(a, code) for a, code in
                        q.approvals_to_decide(user, backup_decides=backup_decides)),
        waiting_on=tuple(approval(a, code) for a, code in
                         q.approvals_requested(user, backup_told=not backup_decides)),
        decisions=decisions, runins=runins, whole_clinic_day=whole_day,
        feeds=feed_statuses(uow, policy) if member.role == "admin" else (),
    )
