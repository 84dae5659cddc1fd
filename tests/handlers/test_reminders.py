"""missed / returned / appt / arrived / noshow and the reminder buttons, through signed requests."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

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


@pytest.mark.parametrize(
    ("seed", "require_voicemail", "text"),
    [
        ("000: no call without permission", False, "missed C-1042 voicemail"),
        ("000: no call without permission, whatever the voicemail rule", True, "missed C-1042"),
        ("000: no call without permission, by the number on file", False,
         "missed +12155550142"),
    ],
)
def test_missed_call_from_a_client_who_refused_calls_owes_nothing(
    bot: Bot, clock, seed: str, require_voicemail: bool, text: str
) -> None:
    record = maria(clock)
    add_client(bot.deps.store, replace(record, consent=replace(record.consent, may_call=False)),
               clock)
    policy = bot.deps.policy
    bot.deps.policy = replace(policy, callbacks=replace(policy.callbacks,
                                                        require_voicemail=require_voicemail))
    reply = bot.ask("U0DESK", text)
    said = json.dumps(reply)
    assert "No call back is owed" in reply["text"], seed
    assert "has not given permission to be called" in said
    assert "Do not call" in said and "Reminders to" not in said
    assert "log it again with" not in said  # a voicemail would change nothing
    assert "Partner does not know" not in said  # the do-not-call reason stays private
    with bot.deps.store.unit_of_work() as uow:
        assert uow.outbox.waiting(kinds=["callback_reminder"]) == []
    assert "no open call-back" in bot.ask("U0ANA", "returned C-1042")["text"]


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


def _button_in(message: dict, label: str) -> dict:
    return next(b for b in buttons(message) if b["text"]["text"] == label)


def _noshow_on(bot: Bot, chase: dict) -> dict:
    """No-show pressed on ``chase``: the ephemeral reply (after the chase is replaced)."""
    url = click(bot, "U0ANA", chase, "No-show")
    said = wait_for(lambda: len(bot.slack.responses(url)) >= 2 and bot.slack.responses(url))
    assert said[0]["replace_original"] is True
    return said[1]


def _tuesday_and_wednesday(bot: Bot, clock, at: str) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    for day in ("2026-11-24", "2026-11-25"):
        bot.ask("U0ANA", f"appt C-1042 {day} {at}")


def test_older_chase_pressed_last_completes_the_run_and_the_supervisor_is_asked_once(
    bot: Bot, clock
) -> None:
    """Issue 17 through Slack: this week's chase answered first, last week's second."""
    _tuesday_and_wednesday(bot, clock, "10:30")
    clock.advance(timedelta(days=1, hours=1))  # Wednesday 11:00: both chases go out
    send_due(bot)
    chases = dms(bot, "U0ANA")
    [tuesday] = [m for m in chases if "November 24, 2026" in json.dumps(m)]
    [wednesday] = [m for m in chases if "November 25, 2026" in json.dumps(m)]
    first = _noshow_on(bot, wednesday)
    assert "the first in a row" in first["text"]
    second = _noshow_on(bot, tuesday)
    assert "2 in a row, with Wed Nov 25" in second["text"]
    assert "Asked <@U0JAMIE> to approve a closure warning" in json.dumps(second["blocks"])
    send_due(bot)
    [request] = dms(bot, "U0JAMIE")
    assert "missed 2 appointments in a row (Tue Nov 24 and Wed Nov 25)" in json.dumps(request)
    assert [b["text"]["text"] for b in buttons(request)] == ["Approve", "Deny"]
    assert_no_private_details(bot)


def test_the_note_takes_the_time_the_message_was_left(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    bot.ask("U0ANA", "appt C-1042 2026-11-24 10:00")
    clock.advance(timedelta(minutes=40))  # 10:40
    send_due(bot)
    [chase] = dms(bot, "U0ANA")
    assert "Called the client at [time of your call]" in json.dumps(chase)  # never pre-dated
    reply = _noshow_on(bot, chase)
    note = json.dumps(reply["blocks"])
    assert "Called the client at 10:40 AM (the time the no-show was recorded)" in note
    assert "Client Maria (C-1042) did not come" in note  # ephemeral: the treating team's note

    button = _button_in(reply, "Left the message at another time")
    bot.post(bot.signer.block_action("U0ANA", button["action_id"], button["value"],
                                     channel_id="DU0ANA",
                                     response_url=bot.slack.new_response_url()))
    [opened] = wait_for(lambda: bot.slack.calls_to("views.open"))
    modal = {**opened.params["view"], "id": "V0NOTE"}
    assert "10:40" in json.dumps(modal) and "2026-11-24" in json.dumps(modal)

    def submit(day: str, at: str) -> dict:
        return bot.post(bot.signer.view_submission("U0ANA", modal, {
            "note_day": {"value": {"type": "datepicker", "selected_date": day}},
            "note_time": {"value": {"type": "timepicker", "selected_time": at}},
        })).json()

    assert "still to come" in json.dumps(submit("2026-11-24", "11:30")["errors"])
    assert "before the appointment started" in json.dumps(submit("2026-11-24", "09:30")["errors"])
    done = submit("2026-11-24", "10:25")
    assert done["response_action"] == "update"
    shown = json.dumps(done["view"])
    assert "Called the client at 10:25 AM;" in shown and "recorded)" not in shown
    assert "Next appointment: none booked." in shown
    assert_no_private_details(bot)


def test_arrived_after_a_no_show_withdraws_the_closure_warning_and_the_approver_is_told(
    bot: Bot, clock
) -> None:
    _tuesday_and_wednesday(bot, clock, "10:00")
    clock.advance(timedelta(minutes=30))
    assert "the first in a row" in bot.ask("U0ANA", "noshow C-1042")["text"]
    clock.advance(timedelta(days=1))  # Wednesday 10:30
    assert "2 in a row, with Tue Nov 24" in bot.ask("U0DESK", "noshow C-1042")["text"]
    send_due(bot)
    [request] = [m for m in dms(bot, "U0JAMIE") if buttons(m)]

    corrected = bot.ask("U0DESK", "arrived C-1042")  # Wednesday's was a mistake: she came
    said = json.dumps(corrected)
    assert "the no-show recorded earlier is corrected" in said
    assert "withdrawn" in said and "the no-show on Wed Nov 25 was corrected to arrived" in said
    send_due(bot)
    [updated] = [m for m in dms(bot, "U0JAMIE") if m["ts"] == request["ts"]]
    assert buttons(updated) == [] and "Withdrawn on" in json.dumps(updated)
    told = [m for m in dms(bot, "U0DESK") if "Withdrawn" in json.dumps(m)]
    assert told  # the requester is told
    url = click(bot, "U0JAMIE", request, "Approve")  # the stale message, clicked anyway
    late = json.dumps(wait_for(lambda: bot.slack.responses(url)))
    assert "was withdrawn" in late and "nothing to decide" in late

    again = bot.ask("U0ANA", "noshow C-1042")  # and back: the arrival is replaced
    assert "This replaces the arrival recorded by <@U0DESK>" in json.dumps(again)
    assert_no_private_details(bot)
