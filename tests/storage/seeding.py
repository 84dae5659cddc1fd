"""A client with a value in every sealed field, each a unique canary string, for the
plaintext-scan and rotation tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

from bot.policy.model import ClientRecord, Consent, NumberPermission, Provenance, ThirdParty
from storage.sealing import SEALED_FIELDS
from storage.tables import Approval, CallbackDuty, Client, RunIn
from storage.uow import UnitOfWork

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def canary(label: str) -> str:
    """A value no database would contain by chance."""
    return f"canary-{label}-{uuid.uuid4().hex[:10]}"


def canary_phone() -> str:
    """An E.164 number unique enough to find in a byte dump (US, 555-01xx fiction range)."""
    return f"+1215555{uuid.uuid4().int % 10000:04d}"


def client_record(code: str, clinician: str = "U0ANA") -> tuple[ClientRecord, dict[str, str]]:
    """A record filling every sealed client field with a canary; also the canaries by field."""
    values = {
        "preferred_name": canary("name"),
        "safety_note": canary("safety"),
        "cell": canary_phone(),
        "work": canary_phone(),
        "do_not_call_reason": canary("dnc-reason"),
        "third_party": canary("third-party"),
    }
    record = ClientRecord(
        code=code,
        clinician=clinician,
        preferred_name=values["preferred_name"],
        consent=Consent(
            may_call=True,
            preferred_kind="cell",
            clinic_name_ok=False,
            earliest=time(9),
            latest=time(18),
            numbers=(
                NumberPermission(kind="cell", number=values["cell"], voicemail_ok=True),
                NumberPermission(kind="work", number=values["work"], may_call=False,
                                 do_not_call=True,
                                 do_not_call_reason=values["do_not_call_reason"]),
            ),
            third_parties=(ThirdParty(values["third_party"], written_permission=True),),
            safety_note=values["safety_note"],
            provenance=Provenance(recorded_by="U0ANA", recorded_at=AT, method="modal"),
        ),
    )
    return record, values


def seed_every_sealed_field(uow: UnitOfWork, code: str = "C-1042") -> dict[str, str]:
    """Store one client and one row of every other table with sealed fields; returns the
    canaries by ``table.field`` (the caller commits). Fails when a sealed field is left out,
    so a new sealed column must be seeded here too."""
    record, values = client_record(code)
    client: Client = uow.clients.save(record, now=AT)
    uow.session.flush()
    sealer = uow.sealer
    seeded = {
        "clients.preferred_name": values["preferred_name"],
        "consents.safety_note": values["safety_note"],
        "consent_numbers.number": values["cell"],
        "consent_numbers.do_not_call_reason": values["do_not_call_reason"],
        "third_parties.name": values["third_party"],
    }
    caller = canary_phone()
    duty = CallbackDuty(client_id=None, clinician="U0ANA", logged_by="U0DESK", called_at=AT,
                        caller_phone_index=sealer.phone_index(caller))
    sealer.seal(duty, "caller_phone", caller)
    seeded["callback_duties.caller_phone"] = caller
    approval = Approval(kind="closure_warning", client_id=client.id, requester="U0ANA",
                        approver="U0JAMIE")
    seeded["approvals.reason"] = canary("approval-reason")
    sealer.seal(approval, "reason", seeded["approvals.reason"])
    run_in = RunIn(client_id=client.id, clinician="U0ANA", occurred_at=AT, initiated_by="client",
                   created_by="U0ANA")
    for field in SEALED_FIELDS["run_ins"]:
        seeded[f"run_ins.{field}"] = canary(f"runin-{field}")
        sealer.seal(run_in, field, seeded[f"run_ins.{field}"])
    uow.session.add_all([duty, approval, run_in])
    uow.session.flush()
    expected = {
        f"{table}.{field}" for table, fields in SEALED_FIELDS.items() for field in fields
        if table != "encryption_keys"
    }
    missing = expected - set(seeded)
    assert not missing, f"seed_every_sealed_field does not fill {sorted(missing)}"
    return seeded
