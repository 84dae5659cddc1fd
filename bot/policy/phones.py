"""Phone numbers: one rule for reading a number a person typed, one way of showing one.

Every number put on file (the consent form, ``import clients``, the policy's ``clinic.phone``)
is read by ``normalise_phone``: a number in use (``phonenumbers.is_valid_number``: a real area
code and exchange for its country), with no extension, stored in E.164. What one door accepts
every other accepts too, so a record exported with ``export clients`` imports again.

A number written without ``+`` and a country code is read in the clinic's country (``region``,
an ISO 3166 code such as "US"; one phonenumbers does not know reads as ``DEFAULT_REGION``).

``caller_phone`` is the one number not put on file: the number a call came *from*
(``/contact-check missed +15551234567``), which only has to be a possible number. It is caller
ID, not a record someone is entering: refusing it because the phone library's tables do not
list its area code would lose a call back owed. It is written with ``+`` and a country code,
is matched against the numbers on file, and is never exported.

``phone_display`` shows a stored number as a person dials it: national at home, international
abroad. Pure: phonenumbers only.
"""

from __future__ import annotations

from enum import StrEnum

import phonenumbers

DEFAULT_REGION = "US"


class PhoneProblem(StrEnum):
    UNREADABLE = "unreadable"  # not digits that make a phone number anywhere
    NOT_IN_USE = "not_in_use"  # the right shape, but no such area code or exchange
    EXTENSION = "extension"  # a number with an extension, which cannot be dialled as stored


class PhoneError(ValueError):
    """A typed number that cannot be put on file, and why (the caller words the message)."""

    def __init__(self, problem: PhoneProblem):
        super().__init__(problem.value)
        self.problem = problem


def is_known_region(region: str) -> bool:
    """Whether ``region`` is a country phonenumbers can read national numbers of."""
    return region in phonenumbers.SUPPORTED_REGIONS


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    if region is not None and not is_known_region(region):
        region = DEFAULT_REGION
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(text: str, region: str) -> str:
    """``text`` in E.164 (``+12155550142``); raises ``PhoneError`` saying what is wrong."""
    number = _parse(text, region)
    if number is None:
        raise PhoneError(PhoneProblem.UNREADABLE)
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(PhoneProblem.NOT_IN_USE)
    if number.extension:
        raise PhoneError(PhoneProblem.EXTENSION)
    return _e164(number)


def caller_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """The number a call came from, in E.164, when it is a possible number; else None."""
    number = _parse(text, region)
    if number is None or number.extension:
        return None
    return _e164(number)


def phone_display(e164: str, region: str) -> str:
    """A stored number as a person dials it: national form at home, international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == region
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if home
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)
