"""Shared by the service tests: C-1042 (Canary Maple), Ana's client, and her consent to calls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.policy.clinic import ClinicPolicy
from bot.policy.model import ClientRecord, Consent, NumberPermission, Provenance
from bot.services.consent import Recorded, record_consent
from bot.services.guidance import client_card
from bot.services.outcomes import ClientCard
from storage.uow import Store

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tue 10:00 New York
PHONE = "+12155550142"


def consent(*, voicemail_ok: bool = True, clinic_name_ok: bool = False,
            may_call: bool = True) -> Consent:
    """Calls to the cell (PHONE) preferred, recorded by Ana at NOW."""
    return Consent(
        may_call=may_call, preferred_kind="cell", clinic_name_ok=clinic_name_ok,
        numbers=(NumberPermission(kind="cell", number=PHONE, voicemail_ok=voicemail_ok),),
        provenance=Provenance(recorded_by="U0ANA", recorded_at=NOW, method="modal"),
    )


@pytest.fixture
def client(store: Store) -> ClientRecord:
    """C-1042, Canary Maple, Ana's client with ``consent()``, saved at NOW."""
    record = ClientRecord(code="C-1042", clinician="U0ANA", preferred_name="Canary Maple",
                          consent=consent())
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=NOW)
        uow.commit()
    return record


def look(store: Store, policy: ClinicPolicy, **kw: Any) -> ClientCard:
    """``client_card`` as ``handlers.card`` calls it: a read-only unit of work, the store's
    audit writer."""
    with store.unit_of_work(read_only=True) as uow:
        return client_card(uow, store.audit_writer, policy, **kw)


def record(store: Store, policy: ClinicPolicy, **kw: Any) -> Recorded:
    """``record_consent`` as ``handlers.consent`` calls it: in a unit of work it commits."""
    with store.unit_of_work() as uow:
        recorded = record_consent(uow, policy, **kw)
        uow.commit()
    return recorded
