"""The no-show voicemail, the no-show note and the closure warning, row by row from seed 003
(the clinic's phone protocol: "Missed Session").

Each row names the rule of the seed it checks. The product's wording paraphrases the seed; these
tests hold its meaning: who is named, what the client is told about the fee, what the note
records, and what the closure warning asks of the client.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from bot.policy import scripts
from bot.policy.clinic import Clinic, ClinicPolicy, DailyWindow, NoShowPolicy
from bot.policy_file.validation import PolicyInvalid, parse_policy
from tests.policy.test_scripts import CALLBACK, CLINIC_NAME, NEW_YORK, make_policy


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


ELEVEN = utc(2026, 11, 24, 16, 0)  # Tuesday, November 24 2026, 11:00 AM New York
SAME_DAY = utc(2026, 11, 24, 16, 25)  # 11:25 AM, the chase 20 minutes late plus a few
NEXT_WEEK = utc(2026, 12, 1, 15, 0)  # Tuesday, December 1, 10:00 AM
FRIDAY_5PM = utc(2026, 11, 27, 22, 0)

WITH_FEE = make_policy()
WITHOUT_FEE = replace(WITH_FEE, no_show=NoShowPolicy(late_fee=False))
FEE_WORDS = ("charged", "paying for two sessions")


def voicemail(policy: ClinicPolicy = WITH_FEE, *, clinic_name_ok: bool = False,
              now: datetime = SAME_DAY) -> str:
    return scripts.no_show_voicemail(policy, clinician_first_name="Ana",
                                     callback_number=CALLBACK, clinic_name_ok=clinic_name_ok,
                                     appointment_start=ELEVEN, now=now)


# --- the voicemail -------------------------------------------------------------------------------

VOICEMAIL_ROWS = [
    # (seed rule, policy, clinic_name_ok, now, said, never said)
    ("003: the clinician gives their first name only", WITH_FEE, False, SAME_DAY,
     ["Hi, this is Ana."], ["Maria", scripts.FIRST_NAME_PROMPT]),
    ("003: the appointment time, today", WITH_FEE, False, SAME_DAY,
     ["at 11:00 AM today"], []),
    ("003: the appointment time, called on a later day", WITH_FEE, False, NEXT_WEEK,
     ["at 11:00 AM on Tuesday, November 24"], ["today"]),
    ("003: a missed session is charged, so the next visit means paying for two", WITH_FEE,
     False, SAME_DAY, ["will be charged", "paying for two sessions"], []),
    ("003: no late fee at this clinic: no fee line", WITHOUT_FEE, False, SAME_DAY,
     [], list(FEE_WORDS)),
    ("003: an invitation to raise concerns", WITH_FEE, False, SAME_DAY,
     ["if anything about this concerns you"], []),
    ("003: an invitation to raise concerns, without a late fee too", WITHOUT_FEE, False,
     SAME_DAY, ["if anything about this concerns you"], []),
    ("003: the clinic's name is not said without consent", WITH_FEE, False, SAME_DAY,
     [], [CLINIC_NAME]),
    ("003: the clinic's name is said with consent", WITH_FEE, True, SAME_DAY,
     [f"this is Ana from {CLINIC_NAME}."], []),
    ("003: a way to get back in touch to confirm the next appointment", WITH_FEE, False,
     SAME_DAY, [f"call me at {CALLBACK} to confirm your next appointment"], []),
]


@pytest.mark.parametrize(("policy", "clinic_name_ok", "now", "said", "never"),
                         [row[1:] for row in VOICEMAIL_ROWS],
                         ids=[row[0] for row in VOICEMAIL_ROWS])
def test_no_show_voicemail(policy: ClinicPolicy, clinic_name_ok: bool, now: datetime,
                           said: list[str], never: list[str]) -> None:
    text = voicemail(policy, clinic_name_ok=clinic_name_ok, now=now)
    for words in said:
        assert words in text
    for words in never:
        assert words.lower() not in text.lower()
    assert "{" not in text and "}" not in text


def test_the_voicemail_says_the_day_in_clinic_time() -> None:
    """11:00 PM in New York is already the next day in UTC: still "today" for the clinic."""
    late = utc(2026, 11, 25, 4, 0)  # Tuesday 11:00 PM New York
    text = scripts.no_show_voicemail(WITH_FEE, clinician_first_name="Ana",
                                     callback_number=CALLBACK, clinic_name_ok=False,
                                     appointment_start=late, now=late)
    assert "at 11:00 PM today" in text


# --- the note ------------------------------------------------------------------------------------


def note(policy: ClinicPolicy = WITH_FEE, **given: object) -> str:
    values: dict[str, object] = {
        "client": "C-1042", "appointment_start": ELEVEN, "called_at": SAME_DAY,
        "reported": True, "voicemail_left": True, "next_appointment": NEXT_WEEK,
        "confirm_by": None,
    } | given
    return scripts.no_show_note(policy, **values)  # type: ignore[arg-type]


NOTE_ROWS = [
    # (seed rule, policy, given, written, never written)
    ("003: the appointment's date and time", WITH_FEE, {},
     ["did not come to the appointment on Tuesday, November 24, 2026 at 11:00 AM"], []),
    ("003: the message left, at the time the clinician reports", WITH_FEE, {},
     ["Called the client at 11:25 AM; left a message asking them to call back and confirm "
      "their next appointment."], ["recorded"]),
    ("003: the message left, at the moment the no-show was recorded (labelled)", WITH_FEE,
     {"reported": False},
     ["Called the client at 11:25 AM (the time the no-show was recorded)"], []),
    ("003: a call on a later day carries its date", WITH_FEE, {"called_at": NEXT_WEEK},
     ["Called the client at Tuesday, December 1 at 10:00 AM"], []),
    ("003: never pre-dated: before the call is reported, its time is left to fill", WITH_FEE,
     {"called_at": None}, [f"Called the client at {scripts.CALL_TIME_PROMPT};"], ["11:25"]),
    ("003: late fee charged, and the message said so", WITH_FEE, {},
     ["Late fee charged for the missed session; the message said so."], []),
    ("003: late fee charged though no message could be left", WITH_FEE,
     {"voicemail_left": False},
     ["no message was left", "Late fee charged for the missed session."], ["said so"]),
    ("003: no late fee at this clinic: none written", WITHOUT_FEE, {}, [], ["fee"]),
    ("003: the next appointment's date", WITH_FEE, {},
     ["Next appointment: Tuesday, December 1, 2026 at 10:00 AM."], []),
    ("003: no next appointment: none booked", WITH_FEE, {"next_appointment": None},
     ["Next appointment: none booked."], []),
    ("003: the confirm-by date of an approved closure warning", WITH_FEE,
     {"confirm_by": FRIDAY_5PM},
     ["confirm their next appointment by Friday, November 27 at 5:00 PM, or the file will be "
      "closed"], []),
    ("003: no closure warning approved: no confirm-by date", WITH_FEE, {}, [], ["closed"]),
    ("the treating team's note names the client by first name and code", WITH_FEE,
     {"client": "Maria (C-1042)"}, ["Client Maria (C-1042) did not come"], []),
]


@pytest.mark.parametrize(("policy", "given", "written", "never"),
                         [row[1:] for row in NOTE_ROWS], ids=[row[0] for row in NOTE_ROWS])
def test_no_show_note(policy: ClinicPolicy, given: dict[str, object], written: list[str],
                      never: list[str]) -> None:
    text = note(policy, **given)
    for words in written:
        assert words in text
    for words in never:
        assert words.lower() not in text.lower()


# --- the closure warning -------------------------------------------------------------------------

CLOSURE_ROWS = [
    ("003: confirm the next appointment by the deadline",
     "call me at +1 555 010 2000 by Friday, November 27 at 5:00 PM to confirm your next "
     "appointment"),
    ("003: otherwise the file is closed", "I'll close your file"),
    ("003: treatment can be started again at any time", "start treatment again at any time"),
]


@pytest.mark.parametrize("said", [row[1] for row in CLOSURE_ROWS],
                         ids=[row[0] for row in CLOSURE_ROWS])
def test_closure_warning(said: str) -> None:
    text = scripts.closure_warning(WITH_FEE, client_first_name=None, clinician_first_name="Ana",
                                   callback_number=CALLBACK, clinic_name_ok=False,
                                   deadline=FRIDAY_5PM)
    assert said in text
    assert CLINIC_NAME not in text


# --- the policy key ------------------------------------------------------------------------------


def test_late_fee_defaults_to_true_and_reads_false() -> None:
    base = {"clinic": {"name": CLINIC_NAME, "timezone": "America/New_York"}}
    assert parse_policy(base).no_show.late_fee is True
    assert parse_policy({**base, "no_show": {"late_fee": False}}).no_show.late_fee is False


@pytest.mark.parametrize("value", ["no", 0, None, "false"])
def test_late_fee_must_be_true_or_false(value: object) -> None:
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy({"clinic": {"name": CLINIC_NAME, "timezone": "America/New_York"},
                      "no_show": {"late_fee": value}})
    assert [e.path for e in caught.value.errors] == ["no_show.late_fee"]
    assert "true or false" in str(caught.value)


def test_an_override_can_place_the_fee_line_and_drops_it_without_a_fee() -> None:
    template = "{clinician_first_name} here about {appointment_time}.{late_fee} {callback_number}"
    nine_to_five = DailyWindow(time(9), time(17))
    clinic = Clinic(name=CLINIC_NAME, timezone=NEW_YORK, hours=dict.fromkeys(range(5),
                                                                             nine_to_five))
    with_fee = ClinicPolicy(clinic=clinic, scripts={"no_show_voicemail": template})
    without = replace(with_fee, no_show=NoShowPolicy(late_fee=False))
    assert "paying for two" in voicemail(with_fee)
    assert voicemail(without) == f"Ana here about 11:00 AM. {CALLBACK}"
