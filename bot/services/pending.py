"""What a team member owes now: the one read behind App Home and ``/contact-check pending``.

Open call-backs with their due times (overdue first), today's appointments and their no-show
chases, approvals awaiting the person's decision, requests they are waiting on, recent decisions,
and run-ins still to revisit with the client. Client codes, ids and times only: nothing here is
decrypted, so whatever is built from it may stay in Slack's history.

Clinicians and supervisors see their own appointments; front desk and admins, who mark arrivals
for everyone, see the whole clinic's day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.policy.clinic import ClinicPolicy
from bot.services.calendars import feed_statuses
from bot.services.outcomes import (
    AppointmentItem,
    ApprovalItem,
    CallbackItem,
    DecisionItem,
    Pending,
    RunInItem,
)
from bot.services.reports import team_overdue
from storage.uow import UnitOfWork

__all__ = ["AppointmentItem", "ApprovalItem", "CallbackItem", "DecisionItem", "Pending",
           "RunInItem", "what_i_owe"]

RECENT_DECISIONS = timedelta(days=7)
MAX_DECISIONS = 5


def what_i_owe(uow: UnitOfWork, policy: ClinicPolicy, user: str, now: datetime) -> Pending | None:
    """Everything ``user`` owes or waits on at ``now``; None for someone not on the team."""
    member = policy.member(user)
    if member is None:
        return None
    q = uow.pending
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

    def approval(a, code: str) -> ApprovalItem:
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
        team_overdue=team_overdue(uow, policy, member, now),
        feeds=feed_statuses(uow, policy) if member.role == "admin" else (),
    )
