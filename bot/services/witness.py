"""The audit trail's outside witness: its head posted to the admins' DMs every open day.

The signed head (``storage.audit``) shows a trail cut short or rewritten by someone without the
key, but not one put back whole to an older, genuinely signed state, or rewritten by someone who
holds the key. A copy kept where the database cannot reach does: every day the clinic is open,
at its opening time, each admin gets a DM with the number of events and the last hash (nothing
about any client), and ``verify-audit --expect-head HASH`` later checks the trail still reaches
it.

``queue_witness`` (a job, ``bot.scheduling``) queues the day's DM as an outbox row due at the
opening time, once per admin and day (its dedupe key), so every replica may run it; the
dispatcher sends it like every other message, reading the head at send time and checking its
signature first: a head that does not verify is reported instead of posted.
"""

from __future__ import annotations

from datetime import datetime

from bot.policy.business_hours import opening_on
from bot.policy.clinic import ClinicPolicy
from bot.services.outcomes import AuditHead
from storage.tables import OutboxMessage
from storage.uow import UnitOfWork

WITNESS_KIND = "audit_head"
WITNESS_PRIORITY = 6  # after everything about a client's call


def admins(policy: ClinicPolicy) -> list[str]:
    return [m.slack_id for m in policy.team if m.role == "admin"]


def queue_witness(uow: UnitOfWork, policy: ClinicPolicy, now: datetime) -> datetime | None:
    """Queue today's head for every admin, due at today's opening; when it is due (None on a
    day the clinic is closed). Queuing again the same day changes nothing."""
    day = now.astimezone(policy.clinic.timezone).date()
    opens = opening_on(policy.clinic, day)
    if opens is None:
        return None
    for admin in admins(policy):
        uow.outbox.enqueue(WITNESS_KIND, admin, opens, {"day": day.isoformat()},
                           priority=WITNESS_PRIORITY,
                           dedupe_key=f"{WITNESS_KIND}:{day.isoformat()}:{admin}")
    return opens


def audit_head(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
               now: datetime) -> AuditHead:
    """The trail's head as it stands when the witness DM is sent."""
    head, problem = uow.audit.checked_head()
    return AuditHead(at=now, events=head.events if head is not None else 0,
                     hash=head.hash if head is not None else "", problem=problem)
