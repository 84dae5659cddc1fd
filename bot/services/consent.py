"""Recording a client's contact consent from the consent modal.

Who may: anyone on the clinic's team (clinicians, supervisors, front desk at intake, admins),
for a client with no consent on file; consent already on file only by the client's clinician,
their supervisor or an admin (``bot.policy.access.consent_access``, checked again on submit).
The consent is stored sealed with its provenance (who, when, "modal", confirmed with the
client now) and audited (ids and non-identifying facts only), all in one unit of work. A client
who no longer gives permission to be called is owed no call back: their open call-back duties
close with it (``callbacks.release_refused``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.policy.access import consent_access
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import calls_refused
from bot.policy.model import ClientRecord, Provenance
from bot.services.authorise import authorise
from bot.services.callbacks import release_refused
from bot.services.outcomes import ConsentDraft
from storage.audit import AuditWriter
from storage.uow import UnitOfWork

__all__ = ["ConsentDraft", "Recorded", "record_consent", "shown_in_modal"]


@dataclass(frozen=True)
class Recorded:
    code: str
    new_client: bool


def shown_in_modal(uow: UnitOfWork, audit: AuditWriter, policy: ClinicPolicy, *, code: str,
                   viewer: str, now: datetime) -> ClientRecord | None:
    """What the consent modal opens with for ``viewer``: the client as on file at the details
    level, else None (a blank form, nothing disclosed); raises ``Refused``.

    Read in the caller's unit of work (read-only: no write lock); a form that shows what is on
    file is audited (``consent.viewed``) through ``audit``, the store's writer that commits the
    event before it returns, so the look is on the trail before the form is shown, as a card's
    look is."""
    client = uow.clients.get(code)
    access = authorise(policy, viewer, client, rule=consent_access)
    if not access.details or client is None:
        return None
    audit.append(viewer, "consent.viewed", code, {"level": access.level.value}, at=now)
    return client


def record_consent(uow: UnitOfWork, policy: ClinicPolicy, *, code: str, draft: ConsentDraft,
                   actor: str, now: datetime) -> Recorded:
    """Save ``draft`` as ``code``'s consent in ``uow`` (the caller commits); raises ``Refused``
    and saves nothing."""
    existing = uow.clients.get(code)
    access = authorise(policy, actor, existing, rule=consent_access)
    code = existing.code if existing else code  # the spelling on file, whatever was typed
    consent = replace(
        draft.consent,
        provenance=Provenance(recorded_by=actor, recorded_at=now, method="modal",
                              last_verified_at=now),
    )
    clinician = draft.clinician or (existing.clinician if existing else None)
    preferred_name = draft.preferred_name
    if preferred_name is None and existing is not None and not access.details:
        preferred_name = existing.preferred_name  # a blank form: never seen, not cleared
    record = ClientRecord(
        code=code,
        clinician=clinician,
        preferred_name=preferred_name,
        status=draft.status,
        consent=consent,
    )
    row = uow.clients.save(record, now=now)
    uow.audit.append(
        actor,
        "consent.recorded",
        code,
        {
            "new_client": existing is None,
            "level": access.level.value,
            "may_call": consent.may_call,
            "numbers": sorted(n.kind for n in consent.numbers),
            "clinician": clinician,
        },
        at=now,
    )
    if calls_refused(record):
        release_refused(uow, [row], actor=actor, now=now)
    return Recorded(code=code, new_client=existing is None)
