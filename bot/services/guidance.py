"""The guidance card use case: load the client, decide who sees what, check contact, audit.

The client is read in a read-only unit of work (no write lock) by its code in any case (the card
and the audit trail then use the spelling on file), ``card_access`` decides the level,
``check_contact`` the verdict, and the view is written to the audit trail (ids, the level and the
verdict only) and committed before the card is returned to be shown: the store's
``AuditWriter`` commits concurrent look-ups' events together, so they share one chain lock and
one fsync. A refused look is audited too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.policy.access import Access, card_access
from bot.policy.clinic import ClinicPolicy, TeamMember
from bot.policy.consent import Guidance, check_contact
from bot.policy.model import ClientRecord
from storage.uow import Store


@dataclass(frozen=True)
class ClientCard:
    """What the card is drawn from. ``client`` and ``guidance`` are None when refused."""

    code: str
    access: Access
    viewer: TeamMember | None
    now: datetime
    client: ClientRecord | None = None
    guidance: Guidance | None = None
    clinician: TeamMember | None = None


def client_card(store: Store, policy: ClinicPolicy, *, code: str, viewer: str,
                now: datetime) -> ClientCard:
    with store.unit_of_work(read_only=True) as uow:
        client = uow.clients.get(code)
    code = client.code if client else code  # the spelling on file (codes match in any case)
    access = card_access(policy, viewer, client)
    member = policy.member(viewer)
    if not access.allowed:
        store.audit_writer.append(viewer, "card.refused", code, {"reason": access.level.value},
                                  at=now)
        return ClientCard(code=code, access=access, viewer=member, now=now)
    guidance = check_contact(client, policy, now)
    store.audit_writer.append(
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
