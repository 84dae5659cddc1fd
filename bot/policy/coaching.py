"""DBT phone coaching: which clients it may be offered to, and why not.

Pure: reads a client record, never the clock, never I/O.

Seed 003 makes phone coaching an intervention in a client's DBT treatment, used only with the
approver's sign-off; otherwise the phone is for scheduling only. So coaching is offered, asked
for and used only for a client in active treatment who has not refused phone calls:

- any status other than ``active`` rules it out (a potential client not yet in care, a client
  whose intake is not complete, a former client, a closed file), written so that any status added
  later is ruled out too until it is named here;
- a client who said no to phone calls (``bot.policy.consent.calls_refused``) is not phoned for
  coaching either.

An approval on record does not change this: a client approved for coaching who then leaves care or
refuses calls is no longer coached (the card says so rather than showing the approval as usable).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.policy.consent import calls_refused
from bot.policy.model import ClientRecord

ELIGIBLE_STATUS = "active"

_ONLY_ACTIVE = "DBT phone coaching is only for clients in active treatment"
_STATUS_REASONS = {
    "prospect": f"A potential client, not yet in care: {_ONLY_ACTIVE}.",
    "intake": f"Intake is not complete: {_ONLY_ACTIVE}.",
    "former": f"A former client: {_ONLY_ACTIVE}.",
    "closed": f"The client's file is closed: {_ONLY_ACTIVE}.",
}
_CALLS_REFUSED = "The client has not given permission to be called, so no coaching calls."
_ELIGIBLE = "The client is in active treatment and has not refused phone calls."


@dataclass(frozen=True)
class CoachingEligibility:
    """Whether DBT phone coaching may be offered to (or asked for) a client, with the reasons."""

    allowed: bool
    reasons: tuple[str, ...]


def coaching_eligibility(client: ClientRecord) -> CoachingEligibility:
    """Whether ``client`` may be offered DBT phone coaching; every reason against it, or why yes."""
    reasons: list[str] = []
    if client.status != ELIGIBLE_STATUS:
        reasons.append(_STATUS_REASONS.get(
            client.status, f"The client's status is {client.status}: {_ONLY_ACTIVE}."))
    if calls_refused(client):
        reasons.append(_CALLS_REFUSED)
    if reasons:
        return CoachingEligibility(False, tuple(reasons))
    return CoachingEligibility(True, (_ELIGIBLE,))
