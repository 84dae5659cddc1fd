"""Every form of the contract's ``/contact-check`` table, and bad input of every kind, over the
signed HTTP path: each gets an answer, and every answer is ephemeral (in the ack body or through
the command's ``response_url``); the modal forms open a modal instead.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.grammar import USAGES
from tests.handlers.conftest import Bot, add_client, maria, wait_for


def one_answer(bot: Bot, user: str, text: str) -> str:
    return json.dumps(bot.ask(user, text), ensure_ascii=False)


@pytest.fixture
def with_maria(bot: Bot, clock) -> Bot:
    add_client(bot.deps.store, maria(clock), clock)
    return bot


# --- the forms of the table ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "help"])
def test_help_names_every_form(with_maria: Bot, text: str) -> None:
    said = one_answer(with_maria, "U0ANA", text)
    for usage in USAGES.values():
        assert usage.form.split()[0] in said, usage.form


@pytest.mark.parametrize(("user", "text", "says"), [
    ("U0ANA", "C-1042", "OK to call: C-1042"),
    ("U0DESK", "C-1042", "OK to call: C-1042"),
    ("U0ANA", "C-4040", "No consent on file: C-4040"),
    ("U0DESK", "missed C-1042", "Missed call from C-1042 logged"),
    ("U0DESK", "missed C-1042 voicemail", "Missed call from C-1042 logged"),
    ("U0DESK", "missed C-1042 no-voicemail", "Missed call from C-1042 logged"),
    ("U0DESK", "missed +15551234567", "Missed call from a potential client logged"),
    ("U0DESK", "missed +15551234567 voicemail", "Missed call from a potential client logged"),
    ("U0ANA", "missed +15551234567 no-voicemail", "Missed call from a potential client logged"),
    ("U0ANA", "returned C-1042", "no open call-back for C-1042"),
    ("U0ANA", "appt C-1042 2026-11-25 14:00", "Appointment for C-1042 recorded"),
    ("U0ANA", "appt C-1042 2026-11-25 14:00 30", "30 minutes"),
    ("U0ANA", "coaching C-1042", "DBT phone coaching for C-1042"),
    ("U0ANA", "topic", "third-party"),
    ("U0ANA", "topic run-ins", "run"),
    ("U0ANA", "pending", "Pending: nothing owed right now"),
])
def test_each_form_is_answered_ephemerally(with_maria: Bot, user: str, text: str,
                                            says: str) -> None:
    assert says in one_answer(with_maria, user, text)


def test_arrived_and_noshow_answer_for_the_current_appointment(with_maria: Bot, clock) -> None:
    local = clock.now().astimezone(with_maria.deps.policy.clinic.timezone)
    assert "recorded" in one_answer(with_maria, "U0ANA",
                                    f"appt C-1042 {local:%Y-%m-%d} {local:%H:%M}")
    assert "arrived" in one_answer(with_maria, "U0DESK", "arrived C-1042")
    clock.advance(timedelta(minutes=5))
    assert "No-show recorded for C-1042" in one_answer(with_maria, "U0ANA", "noshow C-1042")


@pytest.mark.parametrize(("text", "callback_id"), [
    ("consent C-1042", "consent_modal"),
    ("consent C-5000", "consent_modal"),  # not a client yet: a blank form
    ("runin C-1042", "runin_modal"),
])
def test_modal_forms_open_a_modal_and_leave_nothing_in_the_channel(with_maria: Bot, text: str,
                                                                   callback_id: str) -> None:
    url = with_maria.slack.new_response_url()
    reply = with_maria.command("U0ANA", text, response_url=url)
    assert reply.status == 200 and reply.body == b""
    (call,) = wait_for(lambda: with_maria.slack.calls_to("views.open"))
    assert call.params["view"]["callback_id"].startswith(callback_id.split("_")[0])
    assert with_maria.slack.responses(url) == []
    assert with_maria.slack.calls_to("chat.postMessage") == []


# --- bad input of every kind ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "says"), [
    ("appt C-1042 2026-13-01 10:00", "YYYY-MM-DD"),
    ("appt C-1042 2026-11-25 25:00", "HH:MM"),
    ("appt C-1042 2026-11-25 10:00 fifty", "MINUTES"),
    ("appt C-1042 2026-11-25", "appt CODE YYYY-MM-DD HH:MM"),
    ("appt C-1042 25/11/2026 10:00", "YYYY-MM-DD"),
    ("appt C-1042 9999-12-31 23:59", "more than two years ahead"),
    ("appt C-1042 0001-01-01 00:00", "more than a year ago"),
    ("topic unknown", "There is no topic"),
    ("C-10#42", "neither a form"),
    ("consent C-10/42", "consent CODE"),
    ("runin C-1042; DROP TABLE clients", "runin CODE"),
    ("C-" + "1" * 40, "32"),
    ("missed C-1042 maybe", "voicemail"),
    ("missed +1555", "not a phone number"),
    ("missed", "missed CODE"),
    ("returned", "returned CODE"),
    ("arrived C-1042 now", "arrived CODE"),
    ("noshow", "noshow CODE"),
    ("coaching", "coaching CODE"),
    ("pending everything", "pending"),
    ("x" * 4000, "characters"),
    ("Привет, Мария", "no form starting with"),
    ("🙂", "neither a form"),
    ("<!channel>", "&lt;!channel&gt;"),
    ("<!here> C-1042", "no form starting with"),
    ("returned <!everyone>", "returned CODE"),
    ("topic <https://example.com|click>", "There is no topic"),
])
def test_bad_input_says_what_to_fix_ephemerally(with_maria: Bot, text: str, says: str) -> None:
    said = one_answer(with_maria, "U0ANA", text)
    assert says in said, said
    for mention in ("<!channel>", "<!here>", "<!everyone>", "<https://"):
        assert mention not in said
    assert with_maria.slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(("text", "says"), [
    ("C-9999", "No consent on file"),  # an unknown code is a potential client, not an error
    ("missed C-9999", "no client `C-9999`"),
    ("returned C-9999", "no client `C-9999`"),
    ("appt C-9999 2026-11-25 10:00", "no client `C-9999`"),
    ("arrived C-9999", "no client `C-9999`"),
    ("noshow C-9999", "no client `C-9999`"),
    ("coaching C-9999", "no client with the code C-9999"),
    ("runin C-9999", "no client `C-9999`"),
    ("arrived C-1042", "no appointment around now"),
])
def test_unknown_codes_and_missing_appointments_are_explained(with_maria: Bot, text: str,
                                                              says: str) -> None:
    assert says in one_answer(with_maria, "U0ANA", text)


@pytest.mark.parametrize("text", ["C-1042", "consent C-1042", "missed C-1042", "runin C-1042",
                                  "pending", "topic"])
def test_people_not_on_the_team_get_the_help_and_a_polite_refusal(with_maria: Bot,
                                                                  text: str) -> None:
    said = one_answer(with_maria, "U0NOTONTEAM", text)
    assert "not on it" in said and "Maria" not in said
    assert with_maria.slack.calls_to("views.open") == []
