"""The card says one consistent thing: its verdict, the clinic's hours, statuses, unknown codes.

Seeds: 000 (ask how early / late you may call), 001 (calls only during operating hours),
002 (former clients, incomplete intake).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.policy.access import Access, Level
from bot.policy.business_hours import is_open
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import Verdict, check_contact
from bot.policy.model import CLIENT_STATUSES, ClientRecord
from bot.services.guidance import ClientCard
from bot.slack_ui.card import card_message
from tests.handlers.conftest import contract_policy, maria

NEW_YORK = ZoneInfo("America/New_York")
POLICY = contract_policy()
WINDOW_ONLY = replace(POLICY, callbacks=replace(POLICY.callbacks, operating_hours_only=False))


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


TUESDAY_10 = ny(2026, 11, 24, 10, 0)
MARIA = maria(ManualClock(TUESDAY_10))
CONSENT = MARIA.consent
assert CONSENT is not None


def with_consent(**fields: object) -> ClientRecord:
    return replace(MARIA, consent=replace(CONSENT, **fields))  # type: ignore[arg-type]


NO_HOURS = with_consent(earliest=None, latest=None)
EARLY_ONLY = with_consent(earliest=time(7), latest=time(8))


def card(client: ClientRecord | None, now: datetime, *, policy: ClinicPolicy = POLICY,
         level: Level = Level.DETAILS, code: str = "C-1042") -> dict:
    guidance = check_contact(client, policy, now)
    return card_message(ClientCard(
        code=code, access=Access(level, "test"), viewer=policy.member("U0ANA"), now=now,
        client=client, guidance=guidance,
    ), policy)


def rendered(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


# --- the notification text ----------------------------------------------------------------------

TEXTS = [
    ("000: no hours recorded, 23:30", NO_HOURS, ny(2026, 11, 24, 23, 30),
     "Not now: C-1042 (calling hours open Wednesday, November 25 at 9:00 AM)"),
    ("001: Friday 18:00: Monday's opening", MARIA, ny(2026, 11, 27, 18, 0),
     "Not now: C-1042 (calling hours open Monday, November 30 at 9:00 AM)"),
    ("001: Thanksgiving noon: Friday's opening", MARIA, ny(2026, 11, 26, 12, 0),
     "Not now: C-1042 (calling hours open Friday, November 27 at 9:00 AM)"),
    ("000+001: 07:00-08:00 never overlaps 09:00-17:00", EARLY_ONLY, TUESDAY_10,
     "Not now: C-1042 (the calling hours never fall within the clinic's opening hours)"),
    ("002: intake", replace(MARIA, status="intake"), TUESDAY_10,
     "Do not call: C-1042 (intake not complete)"),
    ("002: former", replace(MARIA, status="former"), TUESDAY_10,
     "No consent on file: C-1042 (file closed)"),
    ("002: closed", replace(MARIA, status="closed"), TUESDAY_10,
     "No consent on file: C-1042 (file closed)"),
    ("unknown code", None, TUESDAY_10, "No consent on file: C-1042 (not on file)"),
    ("active, open", MARIA, TUESDAY_10, "OK to call: C-1042"),
]


@pytest.mark.parametrize(("client", "now", "text"), [c[1:] for c in TEXTS],
                         ids=[c[0] for c in TEXTS])
def test_notification_text(client: ClientRecord | None, now: datetime, text: str) -> None:
    assert card(client, now)["text"] == text


# --- every verdict x status x time: one consistent answer ---------------------------------------

CLIENTS = {"maria": MARIA, "no hours": NO_HOURS, "07-08": EARLY_ONLY,
           "refused": with_consent(may_call=False), "no consent": replace(MARIA, consent=None),
           "night owl": with_consent(earliest=time(16), latest=time(23))}
TIMES = {"tue 10:00": TUESDAY_10, "tue 16:30": ny(2026, 11, 24, 16, 30),
         "tue 21:00": ny(2026, 11, 24, 21, 0), "tue 23:30": ny(2026, 11, 24, 23, 30),
         "fri 18:00": ny(2026, 11, 27, 18, 0), "sat 12:00": ny(2026, 11, 28, 12, 0),
         "thanksgiving": ny(2026, 11, 26, 12, 0), "dst sun": ny(2026, 11, 1, 1, 30)}
VERDICT_WORDS = [v.value for v in Verdict]


@pytest.mark.parametrize("policy", [POLICY, WINDOW_ONLY], ids=["clinic hours", "window only"])
@pytest.mark.parametrize("status", CLIENT_STATUSES)
@pytest.mark.parametrize("client", CLIENTS.values(), ids=CLIENTS.keys())
@pytest.mark.parametrize("now", TIMES.values(), ids=TIMES.keys())
@pytest.mark.parametrize("level", [Level.DETAILS, Level.LOGISTICS])
def test_never_ok_to_call_and_the_clinic_closed_together(
    policy: ClinicPolicy, status: str, client: ClientRecord, now: datetime, level: Level
) -> None:
    message = card(replace(client, status=status), now, policy=policy, level=level)  # type: ignore[arg-type]
    text = rendered(message)
    assert sum(message["text"].startswith(word) for word in VERDICT_WORDS) == 1
    ok = message["text"].startswith("OK to call")
    if ok:
        assert "only while the clinic is open" not in text
        assert "clinic is closed" not in text and "never fall within" not in text
        assert status not in ("intake", "former", "closed")
        if policy.callbacks.operating_hours_only or client is NO_HOURS:
            assert is_open(policy.clinic, now)
    if "OK to call" in text:
        assert ok


# --- what the status cards say ------------------------------------------------------------------

STATUS_CARDS = [
    ("002: intake: do not reach out, and why", "intake",
     ("Intake not complete: do not reach out", "getting in touch is their choice",
      "interrupted", "walked in", "changed their mind", "risk",
      "Returning their call: first name only")),
    ("002: former: file closed, keeping in touch, returned as a potential client", "former",
     ("File closed", "careful consideration", "consultation", "fully informed consent",
      "If they call the clinic, return that call", "Potential client: first name only")),
    ("002: closed: the same", "closed",
     ("File closed", "fully informed consent", "Potential client: first name only")),
]


@pytest.mark.parametrize(("status", "fragments"), [c[1:] for c in STATUS_CARDS],
                         ids=[c[0] for c in STATUS_CARDS])
def test_status_cards_say_why(status: str, fragments: tuple[str, ...]) -> None:
    text = rendered(card(replace(MARIA, status=status), TUESDAY_10))  # type: ignore[arg-type]
    for fragment in fragments:
        assert fragment in text
    # Returning their call is still a call: verify who answers, then ask if it is a good time
    # (000 "always ask"), in that order.
    assert text.index("check who you are speaking with") < text.index("Is this a good time")


@pytest.mark.parametrize("status", ["intake", "former", "closed"])
def test_front_desk_sees_the_status_line_but_no_names_or_reasons(status: str) -> None:
    message = card(replace(MARIA, status=status), TUESDAY_10,  # type: ignore[arg-type]
                   level=Level.LOGISTICS)
    summary = message["blocks"][1]["text"]["text"]
    assert ("Intake not complete" if status == "intake" else "File closed") in summary
    text = rendered(message)
    assert "Maria" not in text and "Partner does not know" not in text


def test_unknown_code_says_it_is_not_on_file_with_the_potential_client_scripts() -> None:
    text = rendered(card(None, TUESDAY_10, code="C-9999"))
    assert "*C-9999* is not on file: check the code" in text
    assert "treat them as a potential client" in text
    assert "Potential client: first name only" in text
    assert "Record consent" in text


def test_a_window_that_never_overlaps_says_to_check_it_with_the_client() -> None:
    message = card(EARLY_ONLY, TUESDAY_10)
    summary = message["blocks"][1]["text"]["text"]
    assert "never fall within the clinic's opening hours" in summary
    assert "how early and how late" in summary
    assert "Opens" not in rendered(message)
