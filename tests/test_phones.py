"""One rule for a typed phone number, the same at every door that puts one on file.

The consent form, ``import clients`` and the policy's ``clinic.phone`` all read numbers with
``bot.policy.phones.normalise_phone``; a number one of them stores, every other accepts. Only the
number a call came from (``missed +NUMBER``) is read as caller ID (a possible number).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.csv_formats import parse_clients_csv
from bot.grammar import Missed, parse_command
from bot.policy.model import ImportErrors
from bot.policy.phones import (
    PhoneError,
    PhoneProblem,
    caller_phone,
    normalise_phone,
    phone_display,
)
from bot.policy_file.validation import PolicyInvalid, parse_policy
from bot.slack_ui.consent_modal import (
    B_MAY_CALL,
    consent_modal,
    number_block,
    read_submission,
)
from tests.handlers.conftest import contract_policy
from tests.policy.test_validation import policy_with
from tests.test_csv_formats import client_row, clients_csv
from tests.views.modal_values import set_choice, set_text, submitted_values

POLICY = contract_policy()

# (typed, read in region, E.164 or the problem)
NUMBERS: list[tuple[str, str, str | PhoneProblem]] = [
    ("(215) 555-0142", "US", "+12155550142"),
    ("215.555.0142", "US", "+12155550142"),
    ("+1 215 555 0142", "GB", "+12155550142"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("+44 20 7946 0958", "US", "+442079460958"),
    ("+1 999 555 0142", "US", PhoneProblem.NOT_IN_USE),  # possible, but no area code 999
    ("(555) 123-4567", "US", PhoneProblem.NOT_IN_USE),  # the 555 of films: no such area code
    ("020 7946 0958", "US", PhoneProblem.UNREADABLE),  # a British number read as American
    ("+1 215 555 0142 ext. 4", "US", PhoneProblem.EXTENSION),
    ("555-01", "US", PhoneProblem.UNREADABLE),
    ("call reception", "US", PhoneProblem.UNREADABLE),
    ("12", "US", PhoneProblem.UNREADABLE),
]


def _outcome(read: Any) -> str | PhoneProblem:
    try:
        return read()
    except PhoneError as error:
        return error.problem


@pytest.mark.parametrize(("typed", "region", "expected"), NUMBERS)
def test_normalise_phone(typed: str, region: str, expected: str | PhoneProblem) -> None:
    assert _outcome(lambda: normalise_phone(typed, region)) == expected


def test_an_unknown_region_reads_national_numbers_as_american() -> None:
    assert normalise_phone("(215) 555-0142", "XX") == "+12155550142"


def _by_consent_form(typed: str) -> str | None:
    view = consent_modal("C-1", None, POLICY, recorder="U0DESK")
    values = submitted_values(view)
    set_choice(values, B_MAY_CALL, "yes")
    set_text(values, number_block("cell", "number"), typed)
    draft = read_submission(values, POLICY)
    return None if isinstance(draft, dict) else draft.consent.number("cell").number  # type: ignore[union-attr]


def _by_import(typed: str) -> str | None:
    try:
        [record] = parse_clients_csv(clients_csv(client_row(cell=typed)), "US")
    except ImportErrors:
        return None
    return record.consent.number("cell").number  # type: ignore[union-attr]


def _by_policy(typed: str) -> str | None:
    try:
        return parse_policy(policy_with(clinic={"phone": typed})).clinic.phone
    except PolicyInvalid:
        return None


@pytest.mark.parametrize(("typed", "region", "expected"),
                         [row for row in NUMBERS if row[1] == "US"])
def test_every_door_that_puts_a_number_on_file_takes_the_same_numbers(
    typed: str, region: str, expected: str | PhoneProblem
) -> None:
    stored = None if isinstance(expected, PhoneProblem) else expected
    assert POLICY.clinic.phone_region == region
    assert {"consent form": _by_consent_form(typed), "import clients": _by_import(typed),
            "clinic.phone": _by_policy(typed)} == {
        "consent form": stored, "import clients": stored, "clinic.phone": stored}


@pytest.mark.parametrize(("typed", "problem_words"), [
    ("+1 999 555 0142", "not a phone number in use"),
    ("+1 215 555 0100 ext. 4", "has an extension"),
    ("call us", "is not a phone number"),
])
def test_the_clinic_phone_says_what_is_wrong_with_it(typed: str, problem_words: str) -> None:
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(policy_with(clinic={"phone": typed}))
    [error] = caught.value.errors
    assert (error.path, problem_words in error.message) == ("clinic.phone", True)


@pytest.mark.parametrize(("typed", "e164"), [
    ("+12155550142", "+12155550142"),
    ("+15551234567", "+15551234567"),  # the contract's own example: caller ID is kept as given
    ("+19995550142", "+19995550142"),
    ("+1555", None),
    ("+1 215 555 0142 ext. 4", None),
])
def test_a_callers_number_needs_only_to_be_possible(typed: str, e164: str | None) -> None:
    assert caller_phone(typed) == e164
    if e164 is not None:
        assert parse_command(f"missed {e164}") == Missed(code=None, phone=e164, voicemail=None)


@pytest.mark.parametrize(("e164", "region", "shown"), [
    ("+12155550142", "US", "(215) 555-0142"),
    ("+442079460958", "US", "+44 20 7946 0958"),
    ("+442079460958", "GB", "020 7946 0958"),
    ("not a number", "US", "not a number"),
])
def test_phone_display_is_national_at_home_and_international_abroad(
    e164: str, region: str, shown: str
) -> None:
    assert phone_display(e164, region) == shown
