"""``runin``, ``pending`` and App Home over real HTTP, signed like Slack, against the stand-in."""

from __future__ import annotations

import json
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.views import View
from sqlmodel import select

from bot.sandbox.standin import sign
from bot.slack_ui import ids
from bot.slack_ui.runin_modal import BLOCKS
from handlers.home import refresh_homes
from storage.tables import RunIn
from tests.handlers.conftest import SIGNING_SECRET, Bot, add_client, eventually, maria


def _values(**overrides: Any) -> dict[str, Any]:
    values = {
        BLOCKS["date"]: {"value": {"type": "datepicker", "selected_date": "2026-11-21"}},
        BLOCKS["time"]: {"value": {"type": "timepicker", "selected_time": "11:30"}},
        BLOCKS["place"]: {"value": {"type": "plain_text_input", "value": "farmers market"}},
        BLOCKS["initiated_by"]: {"value": {"type": "radio_buttons",
                                           "selected_option": {"value": "client"}}},
        BLOCKS["summary"]: {"value": {"type": "plain_text_input", "value": "hello only"}},
        BLOCKS["revisit"]: {"value": {"type": "plain_text_input", "value": None}},
    }
    values.update(overrides)
    return values


def test_runin_opens_the_modal_and_its_submission_is_stored_once(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    assert bot.command("U0ANA", "runin C-1042").body == b""  # acknowledged; the modal opens
    opened = eventually(lambda: bot.slack.calls_to("views.open"))
    view = opened[0].params["view"]
    assert view["callback_id"] == ids.RUNIN_MODAL
    assert "Maria" not in json.dumps(view)
    view = {**view, "id": "V0RUNIN1"}

    bad = bot.post(bot.signer.view_submission(
        "U0ANA", view, _values(**{BLOCKS["place"]: {"value": {"type": "plain_text_input",
                                                              "value": " "}}})))
    assert bad.status == 200
    assert bad.json()["response_action"] == "errors"
    assert BLOCKS["place"] in bad.json()["errors"]

    for _ in range(2):  # a retried submission stores nothing more
        good = bot.post(bot.signer.view_submission("U0ANA", view, _values()))
        assert good.status == 200 and good.json()["response_action"] == "update"
        assert "documented" in json.dumps(good.json()["view"])
    with bot.deps.store.unit_of_work() as uow:
        assert len(uow.session.exec(select(RunIn)).all()) == 1


def test_runin_by_someone_outside_the_treating_team_is_refused(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    assert "treating team" in bot.ask("U0BEN", "runin C-1042")["text"]
    assert bot.slack.calls_to("views.open") == []


def test_pending_replies_ephemerally(bot: Bot, clock) -> None:
    assert bot.ask("U0ANA", "pending")["text"] == "Pending: nothing owed right now."


def _home_opened(bot: Bot, user: str, event_id: str) -> None:
    body = json.dumps({
        "token": "standin", "team_id": bot.slack.team_id, "api_app_id": "A0STANDIN",
        "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": "D" + user[1:],
                  "tab": "home", "event_ts": f"{time.time():.6f}"},
    }).encode()
    reply = bot.post((body, {"Content-Type": "application/json", **sign(body, SIGNING_SECRET)}))
    assert reply.status == 200


def test_opening_home_publishes_it_and_changes_republish_it(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    _home_opened(bot, "U0ANA", "Ev001")
    published = eventually(lambda: bot.slack.calls_to("views.publish"))
    view = published[0].params["view"]
    assert published[0].params["user_id"] == "U0ANA"
    assert View(**view).to_dict() == view
    assert "Nothing owed right now" in json.dumps(view)

    client = WebClient(token="xoxb-test-token", base_url=bot.slack.api_url)
    assert refresh_homes(bot.deps, client) == 0  # nothing changed: nothing published
    with bot.deps.store.unit_of_work() as uow:
        row = uow.clients.row("C-1042")
        uow.callbacks.add(client_id=row.id, caller_phone=None, clinician="U0ANA",
                          logged_by="U0DESK", called_at=clock.now(), voicemail_left=True,
                          owed=True, due_at=clock.now())
        uow.commit()
    assert refresh_homes(bot.deps, client) == 1
    latest = bot.slack.home("U0ANA")
    assert latest is not None and "C-1042" in json.dumps(latest)
    assert "Maria" not in json.dumps(latest) and "555" not in json.dumps(latest)
    assert refresh_homes(bot.deps, client) == 0


def test_a_home_slack_refused_is_published_again_by_the_next_refresh(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    _home_opened(bot, "U0ANA", "Ev002")
    eventually(lambda: bot.slack.calls_to("views.publish"))
    client = WebClient(token="xoxb-test-token", base_url=bot.slack.api_url)
    with bot.deps.store.unit_of_work() as uow:
        row = uow.clients.row("C-1042")
        uow.callbacks.add(client_id=row.id, caller_phone=None, clinician="U0ANA",
                          logged_by="U0DESK", called_at=clock.now(), voicemail_left=True,
                          owed=True, due_at=clock.now())
        uow.commit()
    bot.slack.fail("views.publish", error="internal_error")
    assert refresh_homes(bot.deps, client) == 0  # refused: what Slack shows is unchanged
    assert refresh_homes(bot.deps, client) == 1  # so the next refresh publishes it
    assert refresh_homes(bot.deps, client) == 0
