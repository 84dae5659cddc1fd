"""The stand-in for Slack behaves like Slack where the bot depends on it."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.standin import SlackRequests, SlackStandIn, sign


@pytest.fixture
def slack():
    with SlackStandIn(users={"U0ANA": {"name": "ana"}}) as standin:
        yield standin


def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def test_dm_to_a_user_id_lands_in_their_im_and_keeps_metadata(slack):
    web = client(slack)
    answer = web.chat_postMessage(
        channel="U0ANA", text="hello", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
        metadata={"event_type": "outbox", "event_payload": {"id": "abc"}},
    )
    assert answer["channel"] == "D0ANA"
    history = web.conversations_history(channel="D0ANA", include_all_metadata=True)
    assert history["messages"][0]["metadata"]["event_payload"] == {"id": "abc"}
    plain = web.conversations_history(channel="D0ANA")
    assert "metadata" not in plain["messages"][0]
    web.chat_update(channel="D0ANA", ts=answer["ts"], text="decided", blocks=[])
    assert slack.messages("U0ANA")[0]["text"] == "decided"
    assert [c.method for c in slack.calls] == [
        "chat.postMessage", "conversations.history", "conversations.history", "chat.update"]


def test_scripted_429_carries_retry_after_then_succeeds(slack):
    slack.fail("chat.postMessage", status=429, retry_after=7)
    web = client(slack)
    with pytest.raises(SlackApiError) as raised:
        web.chat_postMessage(channel="U0ANA", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert web.chat_postMessage(channel="U0ANA", text="x")["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]


def test_scripted_server_error_and_permanent_error(slack):
    slack.fail("chat.postMessage", status=503, times=2)
    slack.fail("chat.postMessage", error="user_not_found")
    web = client(slack)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            web.chat_postMessage(channel="U0ANA", text="x")
        assert raised.value.response.status_code == 503
    with pytest.raises(SlackApiError) as raised:
        web.chat_postMessage(channel="U0ANA", text="x")
    assert raised.value.response["error"] == "user_not_found"
    assert slack.messages("U0ANA") == []


def test_rate_limit_per_rolling_second(slack):
    slack.rate_limit_per_second = 3
    web = client(slack)
    statuses = []
    for _ in range(5):
        try:
            web.chat_postMessage(channel="U0ANA", text="x")
            statuses.append(200)
        except SlackApiError as error:
            statuses.append(error.response.status_code)
    assert statuses == [200, 200, 200, 429, 429]


def test_unauthenticated_calls_are_refused(slack):
    web = WebClient(token=None, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as raised:
        web.chat_postMessage(channel="U0ANA", text="x")
    assert raised.value.response["error"] == "not_authed"


def test_response_url_records_bodies(slack):
    url = slack.new_response_url()
    WebhookClient(url).send(text="only you", response_type="ephemeral")
    assert slack.responses(url) == [{"text": "only you", "response_type": "ephemeral"}]
    assert WebhookClient(slack.base_url + "response/unknown").send(text="x").status_code == 404


def test_views_need_a_trigger_and_home_is_kept_per_user(slack):
    web = client(slack)
    with pytest.raises(SlackApiError):
        web.views_open(trigger_id="", view={"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []})
    web.views_open(trigger_id="1.2.3", view={"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []})
    web.views_publish(user_id="U0ANA", view={"type": "home", "blocks": []})
    assert slack.views[0]["how"] == "open"
    assert slack.home("U0ANA") == {"type": "home", "blocks": []}


def test_requests_are_signed_as_slack_signs_them():
    requests = SlackRequests("s3cret")
    body, headers = requests.slash_command("U0ANA", "C-1042", response_url="http://x/r")
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("other").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    form = parse_qs(body.decode())
    assert form["text"] == ["C-1042"] and form["command"] == ["/contact-check"]
    body, headers = requests.block_action("U0ANA", "returned", "id-1", message={"ts": "1.2"}, channel_id="D0ANA")
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["actions"][0]["action_id"] == "returned"
    assert payload["container"] == {"type": "message", "message_ts": "1.2", "channel_id": "D0ANA", "is_ephemeral": False}
    stale = sign(b"x", "s3cret", int(time.time()) - 600)
    assert not verifier.is_valid(b"x", stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])
