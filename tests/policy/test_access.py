"""Who sees what on a client's card and in the consent modal."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.policy.access import (
    CALLER_ONLY,
    DETAILS_ONLY,
    NOT_ON_TEAM,
    Level,
    caller_access,
    card_access,
    consent_access,
    details_access,
    treating_team,
)
from bot.policy.clinic import Clinic, ClinicPolicy, TeamMember
from bot.policy.model import ClientRecord, Consent

POLICY = ClinicPolicy(
    clinic=Clinic(name="Great Agency", timezone=ZoneInfo("America/New_York"), hours={}),
    team=(
        TeamMember("U0JAMIE", "supervisor", "Jamie"),
        TeamMember("U0BEDICS", "supervisor", "Bedics"),
        TeamMember("U0ANA", "clinician", "Ana", supervisor="U0JAMIE"),
        TeamMember("U0BEN", "clinician", "Ben", supervisor="U0BEDICS"),
        TeamMember("U0DESK", "front_desk", "Sam"),
        TeamMember("U0ADMIN", "admin", "Lee"),
    ),
)
ANAS = ClientRecord("C-1042", "U0ANA", consent=Consent(may_call=True))
ANAS_NO_CONSENT = ClientRecord("C-1043", "U0ANA")
UNASSIGNED = ClientRecord("C-2000", None)

CARD = [
    ("U0ANA", ANAS, Level.DETAILS),  # the clinician
    ("U0JAMIE", ANAS, Level.DETAILS),  # the clinician's supervisor
    ("U0ADMIN", ANAS, Level.DETAILS),
    ("U0DESK", ANAS, Level.LOGISTICS),
    ("U0BEN", ANAS, Level.NONE),  # another clinician
    ("U0BEDICS", ANAS, Level.NONE),  # another supervisor
    ("U0STRANGER", ANAS, Level.NONE),
    ("U0BEN", UNASSIGNED, Level.LOGISTICS),
    ("U0BEN", None, Level.LOGISTICS),  # unknown code: a potential client
    ("U0DESK", None, Level.LOGISTICS),
    ("U0ADMIN", None, Level.DETAILS),
    ("U0STRANGER", None, Level.NONE),
    ("U0STRANGER", UNASSIGNED, Level.NONE),
]


@pytest.mark.parametrize(("user", "client", "level"), CARD)
def test_card_access(user, client, level):
    assert card_access(POLICY, user, client).level is level


def test_refusals_are_polite_and_say_who_can_help():
    other = card_access(POLICY, "U0BEN", ANAS)
    assert other.reason.startswith("Sorry, C-1042 is not one of your clients")
    assert "<@U0ANA> (their clinician)" in other.reason
    assert "<@U0JAMIE> (the supervisor)" in other.reason
    stranger = card_access(POLICY, "U0STRANGER", ANAS)
    assert stranger.reason.startswith("Sorry") and "admin" in stranger.reason


CONSENT = [
    ("U0ANA", ANAS, Level.DETAILS),
    ("U0JAMIE", ANAS, Level.DETAILS),
    ("U0ADMIN", ANAS, Level.DETAILS),
    ("U0DESK", ANAS, Level.NONE),  # consent on file: its details are not the front desk's
    ("U0BEN", ANAS, Level.NONE),
    ("U0DESK", None, Level.LOGISTICS),  # front desk at intake: a new client
    ("U0DESK", ANAS_NO_CONSENT, Level.LOGISTICS),
    ("U0BEN", ANAS_NO_CONSENT, Level.LOGISTICS),
    ("U0STRANGER", None, Level.NONE),
]


@pytest.mark.parametrize(("user", "client", "level"), CONSENT)
def test_consent_access(user, client, level):
    assert consent_access(POLICY, user, client).level is level


def test_team_membership_and_treating_team():
    assert POLICY.member("U0DESK") is not None and POLICY.member("U0STRANGER") is None
    assert treating_team(POLICY, ANAS) == {"U0ANA", "U0JAMIE"}
    assert treating_team(POLICY, UNASSIGNED) == frozenset()


@pytest.mark.parametrize(("user", "client", "level"), CARD)
def test_details_access_is_the_card_details_level_or_a_refusal(user, client, level):
    access = details_access(POLICY, user, client)
    assert access.details is (level is Level.DETAILS)
    assert access.allowed is access.details
    if level is Level.LOGISTICS:
        assert access.reason == DETAILS_ONLY
    elif level is Level.NONE:
        assert access.reason == card_access(POLICY, user, client).reason


def test_access_is_decided_from_the_code_and_clinician_alone():
    """A table row (anything with ``code`` and ``clinician``) gets the record's answer."""

    class Row:
        code = "C-1042"
        clinician = "U0ANA"

    for user, _, _ in CARD:
        assert card_access(POLICY, user, Row()) == card_access(POLICY, user, ANAS)
    assert treating_team(POLICY, Row()) == treating_team(POLICY, ANAS)


@pytest.mark.parametrize(("user", "allowed"), [
    ("U0ANA", True),  # assigned the call-back
    ("U0DESK", True),  # logged the call
    ("U0ADMIN", True),
    ("U0JAMIE", False),  # Ana's supervisor: there is no client, so no treating team
    ("U0BEN", False),
])
def test_a_potential_clients_number_is_for_the_call_back_only(user, allowed):
    access = caller_access(POLICY, user, assigned="U0ANA", logged_by="U0DESK")
    assert access.details is allowed
    assert access.allowed is allowed
    assert allowed or access.reason == CALLER_ONLY
    assert caller_access(POLICY, "U0STRANGER", assigned="U0STRANGER",
                         logged_by="U0STRANGER").reason == NOT_ON_TEAM
