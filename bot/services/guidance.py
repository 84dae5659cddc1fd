"""The guidance card use case: load the client, decide who sees what, check contact, audit.

The client is read in the caller's read-only unit of work (no write lock) by its code in any
case (the card and the audit trail then use the spelling on file), ``card_access`` decides the
level, ``check_contact`` the verdict, and the view is written to the audit trail (ids, the
level and the verdict only) and committed before the card is returned to be shown: the store's
``AuditWriter`` commits concurrent look-ups' events together, so they share one chain lock and
one fsync. A refused look is audited too.
"""

from __future__ import annotations

from datetime import datetime

from bot.policy.access import card_access
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import check_contact
from bot.services.outcomes import ClientCard
from storage.audit import AuditWriter
from storage.uow import UnitOfWork

__all__ = ["ClientCard", "client_card"]


def client_card(uow: UnitOfWork, audit: AuditWriter, policy: ClinicPolicy, *, code: str,
                viewer: str, now: datetime) -> ClientCard:
    """The card for ``viewer``, read in the caller's (read-only) unit of work; the look is
    audited through ``audit``, the store's writer, before the card is returned."""
    client = uow.clients.get(code)
    code = client.code if client else code  # the spelling on file (codes match in any case)
    access = card_access(policy, viewer, client)
    member = policy.member(viewer)
    if not access.allowed:
        audit.append(viewer, "card.refused", code, {"reason": access.level.value},
                                  at=now)
        return ClientCard(code=code, access=access, viewer=member, now=now)
    guidance = check_contact(client, policy, now)
    audit.append(
        viewer,
        "card.viewed",
        code,
        {"level": access.level.value, "verdict": guidance.verdict.value,
         "known": client is not None},
        at=now,
    )
    clinician = policy.member(client.clinician) if client and client.clinician else None
    return ClientCard(
        code=code,
        access=access,
        viewer=member,
        now=now,
        client=client,
        guidance=guidance,
        clinician=clinician,
    )
