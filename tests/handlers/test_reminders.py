"""missed / returned / appt / arrived / noshow and the reminder buttons, through signed requests."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.dispatcher import Dispatcher
from tests.handlers.conftest import Bot, add_client, maria, wait_for

PRIVATE = ("Maria", "5550142", "5550199", "Partner does not know", "partner checks", "Rosa")


def _dms(bot: Bot, user: str) -> list[dict[str, Any]]:
    return bot.slack.messages(bot.slack.dm_channel(user))


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _click(bot: Bot, user: str, message: dict[str, Any], label: str) -> str:
    button = next(b for b in _buttons(message) if label in b["text"]["text"])
    url = bot.slack.new_response_url()
    reply = bot.post(bot.signer.block_action(
        user, button["action_id"], button["value"], message=message,
        channel_id=message["channel"], response_url=url))
    assert reply.status == 200
    return url


def _send_due(bot: Bot) -> None:
    Dispatcher(bot.deps, per_channel_interval=0.0).drain()


def _no_private_details_in_dms(bot: Bot) -> None:
    for call in bot.slack.calls_to("chat.postMessage") + bot.slack.calls_to("chat.update"):
        shown = json.dumps(call.params)
        for private in PRIVATE:
            assert private not in shown


def test_missed_returned_with_reminders_and_the_returned_button(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    reply = bot.ask("U0DESK", "missed C-1042 voicemail")
    assert reply["response_type"] == "ephemeral"
    assert "A call back is owed by" in reply["text"]
    assert "<@U0ANA>" in json.dumps(reply["blocks"])
    again = bot.ask("U0DESK", "missed C-1042 voicemail")
    assert "already logged" in again["text"]
    # jump to the first reminder
    with bot.deps.store.unit_of_work() as uow:
        first = min(r.due_at for r in uow.outbox.waiting(kinds=["callback_reminder"]))
    clock.set(first)
    _send_due(bot)
    [reminder] = _dms(bot, "U0ANA")
    assert "C-1042" in reminder["text"]
    url = _click(bot, "U0ANA", reminder, "Returned")
    said = wait_for(lambda: len(bot.slack.responses(url)) >= 2 and bot.slack.responses(url))
    assert said[0]["replace_original"] is True and "returned" in said[0]["text"]
    assert not _buttons(said[0])
    assert "closed" in said[1]["text"]
    clock.advance(timedelta(days=7))
    _send_due(bot)
    assert len(_dms(bot, "U0ANA")) == 1  # the later reminders were cancelled
    assert "no open call-back" in bot.ask("U0ANA", "returned C-1042")["text"]
    _no_private_details_in_dms(bot)


def test_appt_chase_noshow_buttons_and_details_modal(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    local = clock.now().astimezone(bot.deps.policy.clinic.timezone)
    reply = bot.ask("U0ANA", f"appt C-1042 {local:%Y-%m-%d} {local:%H:%M}")
    assert "recorded" in reply["text"]
    assert "no-show check" in json.dumps(reply["blocks"])
    clock.advance(timedelta(minutes=20))
    _send_due(bot)
    [chase] = _dms(bot, "U0ANA")
    labels = [b["text"]["text"] for b in _buttons(chase)]
    assert "Arrived" in labels and "No-show" in labels and "Details" in labels
    assert "[first name]" in json.dumps(chase["blocks"])
    # someone else's client: the details are refused
    _click(bot, "U0BEN", chase, "Details")
    refused = wait_for(lambda: bot.slack.views)
    assert "Maria" not in json.dumps(refused) and "clinician" in json.dumps(refused)
    _click(bot, "U0ANA", chase, "Details")
    views = wait_for(lambda: len(bot.slack.views) >= 2 and bot.slack.views)
    assert "Maria" in json.dumps(views[-1]) and "5550142" in json.dumps(views[-1])
    url = _click(bot, "U0ANA", chase, "No-show")
    said = wait_for(lambda: len(bot.slack.responses(url)) >= 2 and bot.slack.responses(url))
    replaced, ephemeral = said[0], said[1]
    assert replaced.get("replace_original") is True and "no-show recorded" in replaced["text"]
    assert "Maria" not in json.dumps(replaced)
    assert "No-show recorded" in ephemeral["text"] and "Documentation note" in json.dumps(
        ephemeral["blocks"])
    # typed again: idempotent
    assert "already recorded" in bot.ask("U0ANA", "noshow C-1042")["text"]
    _no_private_details_in_dms(bot)


def test_arrived_cancels_the_chase(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    local = clock.now().astimezone(bot.deps.policy.clinic.timezone)
    bot.ask("U0ANA", f"appt C-1042 {local:%Y-%m-%d} {local:%H:%M} 45")
    assert "arrived" in bot.ask("U0DESK", "arrived C-1042")["text"]
    clock.advance(timedelta(minutes=30))
    _send_due(bot)
    assert _dms(bot, "U0ANA") == []


def test_bad_input_and_refusals(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    assert "no client `C-9`" in bot.ask("U0ANA", "missed C-9")["text"]
    assert "not one of your clients" in bot.ask("U0BEN", "returned C-1042")["text"]
    assert "no appointment around now" in bot.ask("U0ANA", "arrived C-1042")["text"]
    potential = bot.ask("U0BEN", "missed +12155550777 no-voicemail")
    assert "potential client" in potential["text"]
