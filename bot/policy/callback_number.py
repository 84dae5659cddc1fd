"""The number a script gives a client for calling back: a rule of consent, not of presentation.

Whoever dials the clinic's main line back hears the clinic's name, so a script gives the main line
only when the clinic's name may be said to this client; otherwise (and for every potential client,
and when the policy names no main line) it asks the clinician for their direct line. Pure:
``phonenumbers`` formats the number as a person dials it, nothing is read or written.
"""

from __future__ import annotations

from bot.policy.clinic import ClinicPolicy
from bot.policy.phones import phone_display

DIRECT_LINE_PROMPT = "[your direct line]"


def callback_number(policy: ClinicPolicy, clinic_name_ok: bool) -> str:
    """The number a script gives for calling back (pass the same consent as the script's
    ``{from_clinic}``): the clinic's main line only when the clinic's name may be said."""
    clinic = policy.clinic
    if not clinic_name_ok or not clinic.phone:
        return DIRECT_LINE_PROMPT
    return phone_display(clinic.phone, clinic.phone_region)
