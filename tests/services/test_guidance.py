"""The card use case on both databases: the verdict, the level, and an audit of every look."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.policy.access import Level
from bot.policy.consent import Verdict
from bot.slack_ui.card import card_message
from storage.tables import AuditEvent
from tests.handlers.conftest import add_client, contract_policy, maria
from tests.services.conftest import look

POLICY = contract_policy()


def audit_events(store):
    with store.unit_of_work() as uow:
        return [(e.actor, e.action, e.client_code, e.details)
                for e in uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq))]


def test_clinician_gets_the_verdict_and_the_look_is_audited(store, clock):
    add_client(store, maria(clock), clock)
    card = look(store, POLICY, code="C-1042", viewer="U0ANA", now=clock.now())
    assert card.access.level is Level.DETAILS
    assert card.guidance.verdict is Verdict.OK
    assert card.client.preferred_name == "Maria"
    assert card.clinician.first_name == "Ana"
    assert audit_events(store) == [("U0ANA", "card.viewed", "C-1042",
                                    {"level": "details", "verdict": "OK to call", "known": True})]


def test_refused_look_is_audited_and_carries_nothing(store, clock):
    add_client(store, maria(clock), clock)
    card = look(store, POLICY, code="C-1042", viewer="U0BEN", now=clock.now())
    assert not card.access.allowed
    assert card.client is None and card.guidance is None
    assert audit_events(store) == [("U0BEN", "card.refused", "C-1042", {"reason": "none"})]


def test_unknown_code_is_a_potential_client_called_back_while_the_clinic_is_open(store, clock):
    card = look(store, POLICY, code="C-404", viewer="U0DESK", now=clock.now())
    assert card.guidance.verdict is Verdict.NO_CONSENT
    assert card.access.level is Level.LOGISTICS
    # the clinic is open on Tuesday at 10:00: the callback script says until when
    assert "in the office today until 5:00 PM" in json.dumps(card_message(card, POLICY))
    assert audit_events(store)[0][3]["known"] is False


def test_no_card_without_its_audit_event_committed(store, clock):
    """The look is audited before anything is shown: a failed commit means no card at all."""
    from sqlalchemy import event

    add_client(store, maria(clock), clock)

    def fail(_conn):
        raise RuntimeError("disk full")

    event.listen(store.engine, "commit", fail)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            look(store, POLICY, code="C-1042", viewer="U0ANA", now=clock.now())
    finally:
        event.remove(store.engine, "commit", fail)
    assert audit_events(store) == []
