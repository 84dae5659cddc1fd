"""The guidance card use case: load the client, decide who sees what, check contact, audit.

One unit of work: the client is read, ``card_access`` decides the level, ``check_contact`` the
verdict, and the view is written to the audit trail (ids, the level and the verdict only) before
anything is shown. A refused look is audited too.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from bot.policy.access import Access, card_access
from bot.policy.business_hours import next_open
from bot.policy.clinic import ClinicPolicy, TeamMember
from bot.policy.consent import Guidance, check_contact
from bot.policy.model import ClientRecord
from storage.uow import Store


_SQLITE_WRITER = threading.Lock()


def _one_writer(store: Store) -> AbstractContextManager[object]:
    """On SQLite, queue this process's card look-ups in turn rather than in SQLite's busy loop.

    Every SQLite transaction here takes the database's one write lock (``BEGIN IMMEDIATE``),
    and SQLite's busy handler polls with growing sleeps (up to 100 ms), which under 20
    concurrent commands gives some of them a long tail. A process lock hands the turn over
    at once. PostgreSQL needs none.
    """
    return _SQLITE_WRITER if store.engine.dialect.name == "sqlite" else nullcontext()


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
    back_in_office: datetime | None = None


def client_card(store: Store, policy: ClinicPolicy, *, code: str, viewer: str,
                now: datetime) -> ClientCard:
    with _one_writer(store), store.unit_of_work() as uow:
        client = uow.clients.get(code)
        access = card_access(policy, viewer, client)
        member = policy.member(viewer)
        if not access.allowed:
            uow.audit.append(viewer, "card.refused", code, {"reason": access.level.value}, at=now)
            uow.commit()
            return ClientCard(code=code, access=access, viewer=member, now=now)
        guidance = check_contact(client, policy, now)
        uow.audit.append(
            viewer,
            "card.viewed",
            code,
            {"level": access.level.value, "verdict": guidance.verdict.value,
             "known": client is not None},
            at=now,
        )
        uow.commit()
    clinician = policy.member(client.clinician) if client and client.clinician else None
    return ClientCard(
        code=code,
        access=access,
        viewer=member,
        now=now,
        client=client,
        guidance=guidance,
        clinician=clinician,
        back_in_office=next_open(policy.clinic, now) if guidance.potential_client else None,
    )
