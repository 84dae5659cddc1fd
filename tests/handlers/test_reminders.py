"""missed / returned / appt / arrived / noshow and the reminder buttons, through signed requests."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.handlers.conftest import (
    Bot,
    add_client,
    assert_no_private_details,
    buttons,
    click,
    dms,
    maria,
    send_due,
    wait_for,
)


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
    send_due(bot)
    [reminder] = dms(bot, "U0ANA")
    assert "C-1042" in reminder["text"]
    url = click(bot, "U0ANA", reminder, "Returned")
    said = wait_for(lambda: len(bot.slack.responses(url)) >= 2 and bot.slack.responses(url))
    assert said[0]["replace_original"] is True and "returned" in said[0]["text"]
    assert not buttons(said[0])
    assert "closed" in said[1]["text"]
    clock.advance(timedelta(days=7))
    send_due(bot)
    assert len(dms(bot, "U0ANA")) == 1  # the later reminders were cancelled
    assert "no open call-back" in bot.ask("U0ANA", "returned C-1042")["text"]
    assert_no_private_details(bot)


def test_appt_chase_noshow_buttons_and_details_modal(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    local = clock.now().astimezone(bot.deps.policy.clinic.timezone)
    reply = bot.ask("U0ANA", f"appt C-1042 {local:%Y-%m-%d} {local:%H:%M}")
    assert "recorded" in reply["text"]
    assert "no-show check" in json.dumps(reply["blocks"])
    clock.advance(timedelta(minutes=20))
    send_due(bot)
    [chase] = dms(bot, "U0ANA")
    labels = [b["text"]["text"] for b in buttons(chase)]
    assert "Arrived" in labels and "No-show" in labels and "Details" in labels
    assert "Hi, this is Ana." in json.dumps(chase["blocks"])  # 003: her first name only
    # someone else's client: the details are refused
    click(bot, "U0BEN", chase, "Details")
    refused = wait_for(lambda: bot.slack.views)
    assert "Maria" not in json.dumps(refused) and "clinician" in json.dumps(refused)
    click(bot, "U0ANA", chase, "Details")
    views = wait_for(lambda: len(bot.slack.views) >= 2 and bot.slack.views)
    assert "Maria" in json.dumps(views[-1]) and "5550142" in json.dumps(views[-1])
    url = click(bot, "U0ANA", chase, "No-show")
    said = wait_for(lambda: len(bot.slack.responses(url)) >= 2 and bot.slack.responses(url))
    replaced, ephemeral = said[0], said[1]
    assert replaced.get("replace_original") is True and "no-show recorded" in replaced["text"]
    assert "Maria" not in json.dumps(replaced)
    assert "No-show recorded" in ephemeral["text"] and "Documentation note" in json.dumps(
        ephemeral["blocks"])
    # typed again: idempotent
    assert "already recorded" in bot.ask("U0ANA", "noshow C-1042")["text"]
    assert_no_private_details(bot)


def test_arrived_cancels_the_chase(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    local = clock.now().astimezone(bot.deps.policy.clinic.timezone)
    bot.ask("U0ANA", f"appt C-1042 {local:%Y-%m-%d} {local:%H:%M} 45")
    assert "arrived" in bot.ask("U0DESK", "arrived C-1042")["text"]
    clock.advance(timedelta(minutes=30))
    send_due(bot)
    assert dms(bot, "U0ANA") == []


def test_bad_input_and_refusals(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    assert "no client `C-9`" in bot.ask("U0ANA", "missed C-9")["text"]
    assert "not one of your clients" in bot.ask("U0BEN", "returned C-1042")["text"]
    assert "no appointment around now" in bot.ask("U0ANA", "arrived C-1042")["text"]
    potential = bot.ask("U0BEN", "missed +12155550777 no-voicemail")
    assert "potential client" in potential["text"]
