"""Recording consent from the modal: sealed, with provenance, audited; refused saves nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

import pytest
from sqlmodel import select

from bot.policy.model import Consent, NumberPermission, ThirdParty
from bot.services.authorise import Refused
from bot.services.callbacks import log_missed
from bot.services.consent import ConsentDraft
from storage.tables import AuditEvent, ConsentNumber, ConsentRow, ThirdPartyRow
from tests.handlers.conftest import add_client, contract_policy, maria
from tests.services.conftest import record

POLICY = contract_policy()
DRAFT = ConsentDraft(
    clinician="U0ANA",
    preferred_name="Jo",
    status="active",
    consent=Consent(
        may_call=True, preferred_kind="cell", earliest=time(9, 0), latest=time(18, 0),
        numbers=(NumberPermission("cell", "+12155550111", voicemail_ok=True),
                 NumberPermission("home", "+12155550122", may_call=False, do_not_call=True,
                                  do_not_call_reason="Roommate answers")),
        third_parties=(ThirdParty("Sam Q", written_permission=True),),
        safety_note="Ask if safe to talk",
    ),
)


def actions(store):
    with store.unit_of_work() as uow:
        return [(e.actor, e.action, e.client_code)
                for e in uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq))]


def test_front_desk_records_a_new_clients_consent_with_provenance(store, clock):
    recorded = record(store, POLICY, code="C-2001", draft=DRAFT, actor="U0DESK",
                              now=clock.now())
    assert recorded.new_client
    with store.unit_of_work() as uow:
        client = uow.clients.get("C-2001")
    assert client.clinician == "U0ANA" and client.preferred_name == "Jo"
    assert replace(client.consent, provenance=None) == DRAFT.consent
    provenance = client.consent.provenance
    assert (provenance.recorded_by, provenance.method) == ("U0DESK", "modal")
    assert provenance.recorded_at == clock.now() == provenance.last_verified_at
    assert actions(store) == [("U0DESK", "consent.recorded", "C-2001")]


def test_what_is_private_is_stored_sealed(store, clock):
    record(store, POLICY, code="C-2001", draft=DRAFT, actor="U0ANA", now=clock.now())
    with store.unit_of_work() as uow:
        blobs = b"".join(
            bytes(blob or b"")
            for row in [*uow.session.exec(select(ConsentNumber)),
                        *uow.session.exec(select(ConsentRow)),
                        *uow.session.exec(select(ThirdPartyRow))]
            for blob in (getattr(row, "number_enc", None), getattr(row, "safety_note_enc", None),
                         getattr(row, "do_not_call_reason_enc", None),
                         getattr(row, "name_enc", None))
        )
        audit = repr([e.details for e in uow.session.exec(select(AuditEvent))])
    assert blobs
    for secret in (b"2155550111", b"Roommate", b"Sam Q", b"safe to talk"):
        assert secret not in blobs
    for secret in ("2155550111", "Roommate", "Sam Q", "safe to talk", "Jo"):
        assert secret not in audit


def test_edit_by_the_treating_clinician_replaces_the_consent(store, clock):
    add_client(store, maria(clock), clock)
    record(store, POLICY, code="C-1042", draft=replace(DRAFT, clinician=None),
                   actor="U0ANA", now=clock.now())
    with store.unit_of_work() as uow:
        client = uow.clients.get("C-1042")
    assert client.clinician == "U0ANA"  # kept when the modal names none
    assert client.consent.number("cell").number == "+12155550111"


@pytest.mark.parametrize("actor", ["U0DESK", "U0BEN", "U0STRANGER"])
def test_consent_on_file_cannot_be_overwritten_by_others(store, clock, actor):
    add_client(store, maria(clock), clock)
    with pytest.raises(Refused):
        record(store, POLICY, code="C-1042", draft=DRAFT, actor=actor, now=clock.now())
    with store.unit_of_work() as uow:
        assert uow.clients.get("C-1042") == maria(clock)
    assert actions(store) == []


def test_a_name_on_file_that_the_submitter_was_not_shown_is_kept(store, clock):
    """Front desk records consent for a client with none on file: the modal was blank for them,
    so leaving its name empty keeps the name on file; the treating clinician may clear it."""
    add_client(store, replace(maria(clock), clinician=None, consent=None), clock)
    blank = replace(DRAFT, preferred_name=None, clinician=None)
    record(store, POLICY, code="C-1042", draft=blank, actor="U0DESK", now=clock.now())
    with store.unit_of_work() as uow:
        assert uow.clients.get("C-1042").preferred_name == "Maria"
    add_client(store, replace(maria(clock), consent=None), clock)
    record(store, POLICY, code="C-1042", draft=blank, actor="U0ANA", now=clock.now())
    with store.unit_of_work() as uow:
        assert uow.clients.get("C-1042").preferred_name is None


def _open_call_back(store, clock) -> str:
    """A missed call from C-1042 (maria), owed, with its reminders queued; its duty id."""
    with store.unit_of_work() as uow:
        missed = log_missed(uow, POLICY, actor="U0DESK", code="C-1042", voicemail=True,
                            now=clock.now())
        uow.commit()
    assert missed.due.owed and missed.reminders
    return missed.duty_id


@pytest.mark.parametrize(
    ("seed", "may_call", "status", "queued"),
    [
        ("000: no call back without the client's permission", False, "not_owed", set()),
        ("000: consent kept: the call back stays owed", True, "open", {"pending"}),
    ],
)
def test_recording_that_the_client_refuses_calls_closes_open_call_backs(
    store, clock, seed, may_call, status, queued
):
    add_client(store, maria(clock), clock)
    duty_id = _open_call_back(store, clock)
    draft = replace(DRAFT, consent=replace(DRAFT.consent, may_call=may_call))
    record(store, POLICY, code="C-1042", draft=draft, actor="U0ANA", now=clock.now())
    with store.unit_of_work() as uow:
        duty = uow.callbacks.get(duty_id)
        assert duty.status == status, seed
        rows = uow.outbox.for_subject("callback", duty_id)
        assert {r.status for r in rows if r.status != "cancelled"} == queued
    released = [a for a in actions(store) if a[1] == "callback.not_owed"]
    assert released == ([("U0ANA", "callback.not_owed", "C-1042")] if not may_call else [])
