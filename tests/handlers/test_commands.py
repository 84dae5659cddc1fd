"""/contact-check over real HTTP: signed requests in, ephemeral replies out, Slack stood in."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.sandbox.standin import sign
from bot.slack_ui import ids
from handlers import commands
from tests.handlers.conftest import SIGNING_SECRET, add_client, audit_count, maria, wait_for
from tests.views.blockkit import assert_valid_message, assert_valid_view

FIXTURES = Path("/work/shared/slack-fixtures")


def reply_of(answer) -> dict:
    assert answer.status == 200, answer.body
    message = answer.json()
    assert message["response_type"] == "ephemeral"
    assert_valid_message({k: v for k, v in message.items() if k != "response_type"})
    return message


@pytest.mark.parametrize("text", [
    "C-1042", "consent C-1042", "missed C-1042 voicemail", "returned C-1042", "arrived C-1042",
    "noshow C-1042", "coaching C-1042", "runin C-1042", "pending",
])
def test_every_form_with_io_is_acknowledged_before_touching_the_database(bot, stalled_database,
                                                                        text):
    """A stalled database (an import holding SQLite's write lock, a PostgreSQL failover) must
    not hold the ack: Slack's 3 seconds are never spent on I/O."""
    url = bot.slack.new_response_url()
    answer = bot.command("U0ANA", text, response_url=url)
    assert answer.status == 200 and answer.body == b""  # acknowledged while the database stalls
    assert bot.slack.responses(url) == [] and bot.slack.calls_to("views.open") == []
    stalled_database.set()
    wait_for(lambda: bot.slack.responses(url) or bot.slack.calls_to("views.open"))
    answered = bot.slack.responses(url) + [c.params for c in bot.slack.calls_to("views.open")]
    assert answered, f"`{text}` was never answered once the database came back"


def test_a_burst_of_commands_on_a_stalled_database_is_still_acknowledged(bot, stalled_database):
    """More stalled commands than Bolt has listener threads: each is acknowledged at once (its
    work waits on the command threads), and each is answered once the database is back."""
    from bot.app import LISTENER_THREADS

    urls = [bot.slack.new_response_url() for _ in range(LISTENER_THREADS + 8)]
    with ThreadPoolExecutor(len(urls)) as pool:
        answers = list(pool.map(lambda url: bot.command("U0ANA", "C-1042", response_url=url),
                                urls))
    assert [(a.status, a.body) for a in answers] == [(200, b"")] * len(urls)
    assert not stalled_database.is_set()
    stalled_database.set()
    assert wait_for(lambda: all(bot.slack.responses(url) for url in urls), timeout=20)
    assert {bot.slack.responses(url)[0]["text"] for url in urls} == {"OK to call: C-1042"}


@pytest.mark.parametrize("status", [503, 429])
def test_the_card_outlasts_slack_refusing_its_response_url_twice(bot, store, clock, status):
    add_client(store, maria(clock), clock)
    bot.slack.fail("response_url", status=status, times=2, retry_after=1)
    url = bot.slack.new_response_url()
    assert bot.command("U0ANA", "C-1042", response_url=url).body == b""
    (card,) = wait_for(lambda: bot.slack.responses(url), timeout=10)
    assert card["text"] == "OK to call: C-1042"
    tries = [c.status for c in bot.slack.calls_to("response_url")]
    assert tries == [status, status, 200]


@pytest.mark.parametrize(("status", "retry_after", "times", "tries"), [
    (503, 1, 3, [503, 503, 503]),  # refused three times: given up
    (429, 60, 1, [429]),  # a long Retry-After is not waited out on one of the command threads
])
def test_a_reply_slack_refuses_is_given_up_and_logged_without_its_content(
        bot, store, clock, caplog, status, retry_after, times, tries):
    add_client(store, maria(clock), clock)
    bot.slack.fail("response_url", status=status, times=times, retry_after=retry_after)
    caplog.set_level("WARNING", logger="contact_check")
    url = bot.slack.new_response_url()
    assert bot.command("U0ANA", "C-1042", response_url=url).body == b""
    refused = wait_for(lambda: [r for r in caplog.records if r.name == "contact_check.respond"],
                       timeout=10)
    assert refused and f"HTTP {status}" in refused[0].getMessage()
    assert [c.status for c in bot.slack.calls_to("response_url")] == tries
    assert bot.slack.responses(url) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Maria" not in logged and "C-1042" not in logged and "2155550142" not in logged


def test_clinician_gets_the_card_after_an_empty_ack(bot, store, clock):
    add_client(store, maria(clock), clock)
    message = bot.ask("U0ANA", "C-1042")
    assert message["text"] == "OK to call: C-1042"
    assert "Maria" in json.dumps(message)
    assert bot.slack.calls_to("chat.postMessage") == []  # nothing that stays in Slack


def test_front_desk_gets_logistics_without_details(bot, store, clock):
    add_client(store, maria(clock), clock)
    message = bot.ask("U0DESK", "C-1042")
    text = json.dumps(message)
    assert message["text"].startswith("OK to call")
    assert "(215) 555-0142" in text and "Maria" not in text and "Partner" not in text


def test_other_clinician_and_strangers_are_refused_politely(bot, store, clock):
    add_client(store, maria(clock), clock)
    other = bot.ask("U0BEN", "C-1042")
    assert other["text"].startswith(":lock: Sorry, C-1042 is not one of your clients")
    stranger = bot.ask("U0NOTONTEAM", "C-1042")
    assert "not on it" in stranger["text"]
    assert "/contact-check help" in json.dumps(stranger)  # the help comes along
    assert "Maria" not in json.dumps([other, stranger])


def test_strangers_get_the_help(bot):
    message = bot.ask("U0NOTONTEAM", "help")
    assert "only this help is available" in json.dumps(message)


@pytest.mark.parametrize("text", ["", "help", "topic", "topic voicemail-greeting", "C-404"])
def test_forms_of_this_issue_answer_ephemerally(bot, text):
    bot.ask("U0ANA", text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U0BEN> please", "no form starting with"),
        ("appt C-1042 2026-02-30 10:00", "not a day of the calendar"),
        ("appt C-1042 tomorrow 10:00", "YYYY-MM-DD"),
        ("C-1042!", "neither a form"),
        ("كود", "neither a form"),
        ("x" * 4000, "characters"),
        ("topic nonsense", "There is no topic"),
        ("consent", "needs a client code"),
    ],
)
def test_bad_input_gets_a_clear_ephemeral_answer(bot, text, says):
    message = bot.ask("U0ANA", text)
    assert says in message["text"]
    assert "<!channel>" not in json.dumps(message)


def test_forms_owned_by_other_handlers_never_go_unanswered(bot, monkeypatch):
    from bot.grammar import Pending

    monkeypatch.delitem(commands.HANDLERS, Pending, raising=False)
    message = bot.ask("U0ANA", "pending")
    assert "not available" in message["text"]


def test_consent_opens_the_modal_through_the_stand_in(bot, store, clock):
    add_client(store, maria(clock), clock)
    answer = bot.command("U0ANA", "consent C-1042")
    assert answer.status == 200 and answer.body == b""
    (call,) = wait_for(lambda: bot.slack.calls_to("views.open"))
    view = call.params["view"]
    assert_valid_view(view)
    assert view["private_metadata"] == "C-1042"
    assert "Maria" in json.dumps(view)


def test_front_desk_may_not_open_consent_already_on_file(bot, store, clock):
    add_client(store, maria(clock), clock)
    message = bot.ask("U0DESK", "consent C-1042")
    assert "only <@U0ANA>" in message["text"]
    assert bot.slack.calls_to("views.open") == []


def test_every_web_api_call_goes_to_slack_api_url(bot):
    assert [c.method for c in bot.slack.calls] == ["auth.test"]  # made at start


# --- requests Slack did not sign ---------------------------------------------------------------


def _signed_card_request(bot):
    return bot.signer.slash_command("U0ANA", "C-1042", response_url=bot.slack.new_response_url())


def test_forged_tampered_stale_and_unsigned_requests_get_401_and_change_nothing(bot, store,
                                                                                 clock):
    add_client(store, maria(clock), clock)
    body, headers = _signed_card_request(bot)
    forged = (body, {**headers, **sign(body, "not-the-secret")})
    tampered = (body.replace(b"C-1042", b"C-1043"), headers)
    stale_ts = int(time.time()) - 6 * 60
    stale = (body, {"Content-Type": headers["Content-Type"], **sign(body, SIGNING_SECRET,
                                                                      stale_ts)})
    unsigned = (body, {"Content-Type": headers["Content-Type"]})
    for request in (forged, tampered, stale, unsigned):
        answer = bot.post(request)
        assert answer.status == 401
        assert b"Maria" not in answer.body
    assert audit_count(store) == 0
    assert [c.method for c in bot.slack.calls] == ["auth.test"]
    assert bot.post((body, headers)).status == 200  # the genuine one still works
    assert wait_for(lambda: audit_count(store) == 1)  # the card, shown after the ack


def test_slacks_own_signed_example_is_stale_and_refused(bot):
    example = json.loads((FIXTURES / "signing_example_docs_slack_dev.json").read_text())
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Request-Timestamp": example["x_slack_request_timestamp"],
               "X-Slack-Signature": example["x_slack_signature"]}
    assert bot.post((example["raw_body"].encode(), headers)).status == 401


def test_slacks_example_slash_command_body_is_understood(bot):
    form = dict(parse_qsl((FIXTURES / "bolt-python-tests/slash_command.form.txt").read_text()
                          .strip()))
    form.update(command="/contact-check", text="topic", response_url=bot.slack.new_response_url(),
                team_id=bot.slack.team_id, enterprise_id="")  # from the workspace served
    body = urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SIGNING_SECRET)}
    message = reply_of(bot.post((body, headers)))
    assert "help" in message["text"] or "Contact Check" in json.dumps(message)


def test_slacks_example_payload_shape_with_blank_values_is_tolerated(bot):
    shape = json.loads((FIXTURES / "java-slack-sdk-samples/app-backend/SlashCommandPayload.json")
                       .read_text())
    shape.update(command="/contact-check", user_id="U0ANA", text="help", team_id=bot.slack.team_id)
    body = urlencode({k: str(v).lower() if isinstance(v, bool) else v
                      for k, v in shape.items()}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SIGNING_SECRET)}
    assert "Contact Check help" in reply_of(bot.post((body, headers)))["text"]


# --- failures ----------------------------------------------------------------------------------


def test_an_unexpected_failure_is_answered_and_logged_with_ids_only(bot, store, clock,
                                                                    monkeypatch, caplog):
    from bot.grammar import Card

    add_client(store, maria(clock), clock)

    def explode(form, ctx):
        raise RuntimeError("Maria +12155550142")  # a message that must not reach the log

    monkeypatch.setitem(commands.HANDLERS, Card, explode)
    caplog.set_level("DEBUG", logger="contact_check")
    message = bot.ask("U0ANA", "C-1042")
    assert "something went wrong" in message["text"]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("contact_check"))
    assert "RuntimeError" in logged and "U0ANA" in logged
    assert "Maria" not in logged and "2155550142" not in logged and "C-1042" not in logged


def test_card_button_shows_the_card_through_the_response_url(bot, store, clock):
    add_client(store, maria(clock), clock)
    url = bot.slack.new_response_url()
    answer = bot.post(bot.signer.block_action("U0JAMIE", ids.CARD_SHOW_DETAILS, "C-1042",
                                              message={"ts": "1.1", "channel": "D0JAMIE"},
                                              channel_id="D0JAMIE", response_url=url))
    assert answer.status == 200
    (response,) = wait_for(lambda: bot.slack.responses(url))
    assert response["response_type"] == "ephemeral" and response["replace_original"] is False
    assert response["text"] == "OK to call: C-1042"


def test_record_consent_button_opens_the_modal(bot, clock):
    answer = bot.post(bot.signer.block_action("U0DESK", ids.CARD_RECORD_CONSENT, "C-777",
                                              message={"ts": "1.1", "channel": "C0GENERAL"},
                                              channel_id="C0GENERAL",
                                              response_url=bot.slack.new_response_url()))
    assert answer.status == 200
    (call,) = wait_for(lambda: bot.slack.calls_to("views.open"))
    assert call.params["view"]["private_metadata"] == "C-777"
