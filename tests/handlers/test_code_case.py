"""Client codes in any case, through the signed HTTP path: commands, buttons, modals, pending.

Every reply names the client by the spelling on file, and the audit trail records that spelling,
so ``access C-1042`` finds every look whatever was typed.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.slack_ui import ids
from storage.tables import AuditEvent
from tests.handlers.conftest import Bot, add_client, maria, wait_for


@pytest.fixture
def with_maria(bot: Bot, clock) -> Bot:
    add_client(bot.deps.store, maria(clock), clock)
    return bot


def said(bot: Bot, user: str, text: str) -> str:
    return json.dumps(bot.ask(user, text), ensure_ascii=False)


@pytest.mark.parametrize(("user", "text", "says"), [
    ("U0ANA", "c-1042", "OK to call: C-1042"),
    ("U0DESK", "C-1042".lower(), "OK to call: C-1042"),
    ("U0DESK", "missed c-1042 voicemail", "Missed call from C-1042 logged"),
    ("U0ANA", "returned c-1042", "no open call-back for C-1042"),
    ("U0ANA", "appt c-1042 2026-11-25 14:00", "Appointment for C-1042 recorded"),
    ("U0ANA", "coaching c-1042", "DBT phone coaching for C-1042"),
])
def test_commands_find_the_client_in_any_case(with_maria: Bot, user: str, text: str,
                                              says: str) -> None:
    assert says in said(with_maria, user, text)


def test_arrived_noshow_and_pending_in_any_case(with_maria: Bot, clock) -> None:
    local = clock.now().astimezone(with_maria.deps.policy.clinic.timezone)
    assert "recorded" in said(with_maria, "U0ANA", f"appt c-1042 {local:%Y-%m-%d} {local:%H:%M}")
    assert "C-1042 arrived" in said(with_maria, "U0DESK", "arrived C-1042".lower())
    clock.advance(timedelta(minutes=5))
    assert "No-show recorded for C-1042" in said(with_maria, "U0ANA", "noshow c-1042")
    said(with_maria, "U0DESK", "missed c-1042")
    pending = said(with_maria, "U0ANA", "pending")
    assert "C-1042" in pending and "c-1042" not in pending


def test_the_audit_trail_records_the_spelling_on_file(with_maria: Bot) -> None:
    said(with_maria, "U0ANA", "c-1042")
    with with_maria.deps.store.unit_of_work() as uow:
        codes = uow.session.exec(select(AuditEvent.client_code)
                                 .where(AuditEvent.action == "card.viewed")).all()
    assert list(codes) == ["C-1042"]


@pytest.mark.parametrize(("text", "callback_id"), [
    ("consent c-1042", "consent_modal"),
    ("runin c-1042", "runin_modal"),
])
def test_modals_open_for_the_spelling_on_file(with_maria: Bot, text: str,
                                              callback_id: str) -> None:
    reply = with_maria.command("U0ANA", text)
    assert reply.status == 200
    (call,) = wait_for(lambda: with_maria.slack.calls_to("views.open"))
    view = call.params["view"]
    assert view["callback_id"] == callback_id
    assert "C-1042" in view["private_metadata"] and "c-1042" not in view["private_metadata"]
    if callback_id == "consent_modal":
        assert "Maria" in json.dumps(view)  # the client on file, not a blank form


def test_the_card_button_finds_the_client_in_any_case(with_maria: Bot) -> None:
    url = with_maria.slack.new_response_url()
    answer = with_maria.post(with_maria.signer.block_action(
        "U0ANA", ids.CARD_SHOW_DETAILS, "c-1042", message={"ts": "1.1", "channel": "D0ANA"},
        channel_id="D0ANA", response_url=url))
    assert answer.status == 200
    (response,) = wait_for(lambda: with_maria.slack.responses(url))
    assert response["text"] == "OK to call: C-1042"


def test_an_unknown_code_says_it_is_not_on_file(with_maria: Bot) -> None:
    message = with_maria.ask("U0ANA", "C-4040")
    text = json.dumps(message, ensure_ascii=False)
    assert message["text"] == "No consent on file: C-4040 (not on file)"
    assert "*C-4040* is not on file: check the code" in text
    assert "Potential client: first name only" in text


def test_a_missed_call_at_night_never_says_ok_to_call(with_maria: Bot, clock) -> None:
    """Seed 001: calls returned only in operating hours; the card agrees with the reply."""
    clock.advance(timedelta(hours=13, minutes=30))  # Tue 23:30 New York
    reply = said(with_maria, "U0DESK", "missed C-1042 voicemail")
    assert "Call back only while the clinic is open, from Wed 25 Nov 09:00" in reply
    assert "Calling them now: *Not now* (it may be returned from Wednesday, November 25" in reply
    assert "OK to call" not in reply
    card = with_maria.ask("U0ANA", "C-1042")
    assert card["text"].startswith("Not now")
