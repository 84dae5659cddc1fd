"""Who may be offered DBT phone coaching: client status × consent to be called."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.policy.coaching import coaching_eligibility
from bot.policy.model import ClientRecord, Consent

STATUSES = ("active", "prospect", "intake", "former", "closed")
# consent on file -> refused calls?
CONSENTS = {
    "calls allowed": (Consent(may_call=True), False),
    "calls refused": (Consent(may_call=False), True),
    "never asked": (Consent(may_call=None), False),
    "no consent on file": (None, False),
}
# Seed 003: phone coaching is a DBT intervention, used only with the approver's sign-off, else the
# phone is for scheduling only; so it is for clients in active treatment who take phone calls.
STATUS_WORDS = {
    "active": None,
    "prospect": "potential client",
    "intake": "Intake is not complete",
    "former": "former client",
    "closed": "file is closed",
}

CASES = {
    f"003: {status}, {consent_id}": (status, consent, refused)
    for status in STATUSES
    for consent_id, (consent, refused) in CONSENTS.items()
}


@pytest.mark.parametrize(("status", "consent", "refused"), CASES.values(), ids=CASES)
def test_coaching_eligibility(status: str, consent: Consent | None, refused: bool) -> None:
    client = ClientRecord(code="C-7", clinician="U0ANA", status=status,  # type: ignore[arg-type]
                          consent=consent)
    eligibility = coaching_eligibility(client)
    assert eligibility.allowed is (status == "active" and not refused)
    assert eligibility.reasons
    said = " ".join(eligibility.reasons)
    words = STATUS_WORDS[status]
    if words is not None:
        assert words in said and "active treatment" in said
    assert ("not given permission to be called" in said) is refused
    if eligibility.allowed:
        assert eligibility.reasons == (
            "The client is in active treatment and has not refused phone calls.",
        )


def test_a_status_added_later_is_not_eligible_until_named() -> None:
    client = ClientRecord(code="C-7", clinician="U0ANA", status="waitlist")  # type: ignore[arg-type]
    eligibility = coaching_eligibility(client)
    assert not eligibility.allowed
    assert "status is waitlist" in eligibility.reasons[0]


def test_an_approval_on_record_does_not_make_an_ineligible_client_eligible() -> None:
    client = ClientRecord(code="C-7", clinician="U0ANA", status="closed",
                          coaching_approved_by="U0BEDICS",
                          coaching_approved_at=datetime(2026, 11, 1, tzinfo=UTC))
    assert not coaching_eligibility(client).allowed
