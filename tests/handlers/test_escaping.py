"""A person's text is shown as typed wherever the bot shows it, acting on nothing (bot.mrkdwn).

Deny reasons, do-not-call reasons, safety notes, third parties' and clients' names, run-in
fields, team members' names and echoed bad input: over real HTTP where a request shows them,
through the builder where only a job or a click of a reminder DM does.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.mrkdwn import escape
from bot.policy.clinic import TeamMember
from bot.policy.consent import Guidance, Verdict
from bot.policy.model import NumberPermission, ThirdParty
from bot.services import approvals as service
from bot.services.pending import Pending
from bot.slack_ui.approvals import REASON_ACTION, REASON_BLOCK
from bot.slack_ui.home import home_view
from bot.slack_ui.reminders import client_lines
from bot.slack_ui.runin_modal import runin_details_view
from storage.repositories.runins import RunInRecord
from tests.handlers.conftest import Bot, add_client, click, dms, eventually, maria, send_due
from tests.test_mrkdwn import what_slack_would_act_on

LINK = "<https://evil.example|Open the file>"
MENTION = "call <@U0ADMIN> and <!channel>"
MARKS = "*urgent* _now_ ~not~ `x` see evil.example"
NY = ZoneInfo("America/New_York")


def texts(blocks_or_view: object) -> str:
    """Every text of a message or view, as Slack receives it."""
    return json.dumps(blocks_or_view, ensure_ascii=False)


def assert_shown_as_typed(shown: str, *typed: str) -> None:
    for text in typed:
        assert escape(text) in shown, text
        if what_slack_would_act_on(text):
            assert text not in shown, text


def test_the_card_shows_reasons_notes_and_names_as_typed(bot: Bot, clock) -> None:
    record = maria(clock)
    consent = record.consent
    assert consent is not None
    record = replace(record, preferred_name="Ma_ria", consent=replace(
        consent,
        numbers=(consent.numbers[0], NumberPermission(
            "home", "+12155550199", may_call=False, do_not_call=True, do_not_call_reason=LINK)),
        third_parties=(ThirdParty(MENTION, written_permission=True),),
        safety_note=MARKS,
    ))
    add_client(bot.deps.store, record, clock)
    card = texts(bot.ask("U0ANA", "C-1042"))
    assert_shown_as_typed(card, LINK, MENTION, MARKS)
    assert "Ma\u2060_\u2060ria" in card  # in the scripts


def test_a_deny_reason_is_shown_as_typed(bot: Bot, clock) -> None:
    add_client(bot.deps.store, maria(clock), clock)
    with bot.deps.store.unit_of_work() as uow:
        service.request_closure_warning(
            uow, bot.deps.policy, client_code="C-1042", clinician="U0ANA", requested_by="U0ANA",
            no_show_dates=[datetime(2026, 11, 24, 15, tzinfo=UTC)], now=clock.now())
        uow.commit()
    send_due(bot)
    [request] = dms(bot, "U0JAMIE")
    click(bot, "U0JAMIE", request, "Deny")
    modal = {**eventually(lambda: bot.slack.calls_to("views.open"))[0].params["view"],
             "id": "V0DENY"}
    reason = f"{LINK} {MARKS}"
    done = bot.post(bot.signer.view_submission(
        "U0JAMIE", modal, {REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input",
                                                          "value": reason}}}))
    assert done.status == 200
    send_due(bot)
    [outcome] = dms(bot, "U0ANA")
    click(bot, "U0ANA", outcome, "Show reason")
    shown = eventually(lambda: [c for c in bot.slack.calls_to("views.open")
                                if "Reason for the decision" in json.dumps(c.params)])
    assert_shown_as_typed(texts(shown[0].params["view"]), reason)


@pytest.mark.parametrize(("typed", "echoed"), [
    ("*bold* https://evil.example", "*bold*"),
    ("<https://evil.example|Open the file>", "<https://evil.example|Open"),
    ("missed C-1042 voicemail a@evil.example", "a@evil.example"),
    ("appt C-1042 2026-11-30 ~10:00~", "~10:00~"),
])
def test_bad_input_is_echoed_as_typed(bot: Bot, typed: str, echoed: str) -> None:
    reply = bot.ask("U0ANA", typed)
    assert ":warning:" in reply["text"]
    assert_shown_as_typed(texts(reply), echoed)


def test_run_in_fields_are_shown_as_typed() -> None:
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    record = RunInRecord(id=uuid.uuid4(), client_code="C-1042", clinician="U0ANA",
                         occurred_at=now, place=LINK, initiated_by="client", summary=MARKS,
                         revisit=MENTION, created_by="U0ANA", created_at=now, followed_up_at=None)
    assert_shown_as_typed(texts(runin_details_view(record, NY)), LINK, MARKS, MENTION)


def test_long_run_in_fields_still_fit_a_section_once_escaped() -> None:
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    record = RunInRecord(id=uuid.uuid4(), client_code="C-1042", clinician="U0ANA",
                         occurred_at=now, place="&" * 200, initiated_by="client",
                         summary="*" * 1000, revisit=None, created_by="U0ANA", created_at=now,
                         followed_up_at=None)
    view = runin_details_view(record, NY)
    sections = [b["text"]["text"] for b in view["blocks"][1:] if b["type"] == "section"]
    assert sections and all(len(text) <= 3000 for text in sections)
    assert what_slack_would_act_on(sections[0].split("\n", 1)[1].rstrip("…")) == []


def test_a_clients_name_in_the_reminder_details_is_shown_as_typed(clock) -> None:
    record = replace(maria(clock), preferred_name=MENTION)
    guidance = Guidance(verdict=Verdict.OK, reasons=())
    (client, *_) = client_lines(record, guidance)
    assert_shown_as_typed(client[1], MENTION)


def test_a_team_members_name_on_the_home_tab_is_shown_as_typed(clock) -> None:
    member = TeamMember(slack_id="U0ANA", role="clinician", first_name="*Ana* <@U0ADMIN>",
                        supervisor=None)
    view = home_view(Pending(member=member, now=clock.now()), NY)
    assert_shown_as_typed(texts(view), "*Ana* <@U0ADMIN>")

