"""The stand-in for Slack behaves like Slack where the bot depends on it."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.sandbox import standin as standin_module
from bot.sandbox.standin import SlackRequests, SlackStandIn, sign
from bot.sandbox.standin_websocket import encode_frame


@pytest.fixture
def slack():
    with SlackStandIn(users={"U0ANA": {"name": "ana"}}) as standin:
        yield standin


def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def test_dm_to_a_user_id_lands_in_their_im_and_keeps_metadata(slack):
    web = client(slack)
    answer = web.chat_postMessage(
        channel="U0ANA", text="hello",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
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
        web.views_open(trigger_id="", view={
            "type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []})
    web.views_open(trigger_id="1.2.3", view={
        "type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []})
    web.views_publish(user_id="U0ANA", view={"type": "home", "blocks": []})
    assert slack.views[0]["how"] == "open"
    assert slack.home("U0ANA") == {"type": "home", "blocks": []}


def test_requests_are_signed_as_slack_signs_them():
    requests = SlackRequests("s3cret")
    body, headers = requests.slash_command("U0ANA", "C-1042", response_url="http://x/r")
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("other").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    form = parse_qs(body.decode())
    assert form["text"] == ["C-1042"] and form["command"] == ["/contact-check"]
    body, headers = requests.block_action("U0ANA", "returned", "id-1", message={"ts": "1.2"},
                                          channel_id="D0ANA")
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["actions"][0]["action_id"] == "returned"
    assert payload["container"] == {"type": "message", "message_ts": "1.2", "channel_id": "D0ANA",
                                    "is_ephemeral": False}
    stale = sign(b"x", "s3cret", int(time.time()) - 600)
    assert not verifier.is_valid(
        b"x", stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])


# --- Socket Mode ------------------------------------------------------------------------------

APP_TOKEN = "xapp-1-A0STANDIN-1234567890-feedface"


def raw_connect(url: str) -> tuple[socket.socket, Any]:
    """Open a WebSocket by hand (RFC 6455 opening handshake) and check the server's accept."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    reader = sock.makefile("rb")
    status = reader.readline().decode()
    headers = {}
    while (line := reader.readline().decode().strip()):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if status.split()[1] != "101":
        sock.close()
        raise AssertionError(status)
    expected = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    assert headers["sec-websocket-accept"] == expected
    return sock, reader


def read_frame(reader: Any) -> tuple[bool, int, bytes]:
    """A server frame: (fin, opcode, payload); servers never mask."""
    first, second = reader.read(2)
    assert not second & 0x80, "server frames must not be masked"
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", reader.read(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", reader.read(8))
    return bool(first & 0x80), first & 0x0F, reader.read(length)


def client_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    return encode_frame(opcode, payload, fin=fin, mask=os.urandom(4))


def socket_url(slack: SlackStandIn) -> str:
    return WebClient(base_url=slack.api_url).apps_connections_open(app_token=APP_TOKEN)["url"]


def test_apps_connections_open_takes_only_an_app_token(slack):
    url = socket_url(slack)
    assert url.startswith(slack.base_url.replace("http://", "ws://")) and "ticket=" in url
    for token, error in (("xoxb-123-bot", "not_allowed_token_type"), ("garbage", "invalid_auth")):
        with pytest.raises(SlackApiError) as refused:
            WebClient(base_url=slack.api_url).apps_connections_open(app_token=token)
        assert refused.value.response["error"] == error
    with pytest.raises(SlackApiError) as refused:  # an app token opens sockets, nothing else
        WebClient(token=APP_TOKEN, base_url=slack.api_url).chat_postMessage(channel="U0ANA",
                                                                            text="x")
    assert refused.value.response["error"] == "not_allowed_token_type"
    slack.app_token = APP_TOKEN
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=slack.api_url).apps_connections_open(app_token=APP_TOKEN + "x")
    assert refused.value.response["error"] == "invalid_auth"
    assert slack.calls_to("apps.connections.open")[0].params["token"] == APP_TOKEN


def test_socket_hello_then_envelopes_and_acks_over_a_raw_websocket(slack):
    url = socket_url(slack)
    sock, reader = raw_connect(url)
    try:
        fin, opcode, data = read_frame(reader)
        hello = json.loads(data)
        assert (fin, opcode) == (True, 0x1)
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": "A0STANDIN"}
        assert slack.wait_connected(1).number == 1
        envelope_id = slack.push_slash_command("U0ANA", "help")
        _fin, _op, data = read_frame(reader)
        envelope = json.loads(data)
        assert envelope["envelope_id"] == envelope_id and envelope["type"] == "slash_commands"
        assert envelope["accepts_response_payload"] is True
        assert envelope["payload"]["text"] == "help"
        assert envelope["payload"]["response_url"].startswith(slack.base_url + "response/")
        sock.sendall(client_frame(0x9, b"are you there"))  # ping: answered with the same data
        assert read_frame(reader) == (True, 0xA, b"are you there")
        ack = json.dumps({"envelope_id": envelope_id,
                          "payload": {"text": "Contact Check: ü"}}).encode()
        sock.sendall(client_frame(0x1, ack[:10], fin=False) + client_frame(0x0, ack[10:]))
        received = slack.wait_for_ack(envelope_id, timeout=5)
        assert received.payload == {"text": "Contact Check: ü"} and received.connection == 1
        assert received.envelope == envelope and 0 <= received.latency < 5
        sock.sendall(client_frame(0x8, struct.pack("!H", 1000) + b"bye"))
        assert read_frame(reader) == (True, 0x8, struct.pack("!H", 1000))
    finally:
        sock.close()
    deadline = time.monotonic() + 5  # the stand-in's side of the connection winds down
    while slack.connections[0].is_open and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slack.disconnect() == 0
    with pytest.raises(RuntimeError, match="no Socket Mode connection is open"):
        slack.push_slash_command("U0ANA", "help")
    closed = slack.connections[0]
    assert closed.close_code == 1000 and not closed.is_open


def test_socket_refuses_unmasked_frames_and_used_or_unknown_tickets(slack):
    url = socket_url(slack)
    sock, reader = raw_connect(url)
    try:
        read_frame(reader)  # hello
        sock.sendall(encode_frame(0x1, b'{"envelope_id": "x"}'))  # unmasked: a protocol error
        _fin, opcode, data = read_frame(reader)
        assert opcode == 0x8 and struct.unpack("!H", data[:2])[0] == 1002
        assert reader.read(1) == b""  # and the connection ends
    finally:
        sock.close()
    assert slack.acks == []
    for reused in (url, url.replace("ticket=", "ticket=forged")):
        with pytest.raises(AssertionError, match="401"):
            raw_connect(reused)


def test_socket_mode_client_of_slack_sdk_round_trip_and_disconnect(slack):
    from slack_sdk.socket_mode.builtin import SocketModeClient
    from slack_sdk.socket_mode.response import SocketModeResponse

    def answer(client, request):
        client.send_socket_mode_response(SocketModeResponse(
            envelope_id=request.envelope_id, payload={"text": f"seen {request.type}"}))

    client = SocketModeClient(app_token=APP_TOKEN,
                              web_client=WebClient(token="xoxb-123-bot", base_url=slack.api_url))
    client.socket_mode_request_listeners.append(answer)
    try:
        client.connect()
        slack.wait_connected(5)
        sent = slack.push_block_action("U0ANA", "returned", "id-1", message={"ts": "1.2"},
                                       channel_id="D0ANA")
        assert slack.wait_for_ack(sent, 5).payload == {"text": "seen interactive"}
        assert slack.disconnect("refresh_requested") == 1  # Slack's notice: move to a new URL
        assert slack.wait_connected(10, count=2).number == 2
        sent = slack.push_event({"type": "app_home_opened", "user": "U0ANA", "tab": "home"})
        ack = slack.wait_for_ack(sent, 5)
        assert ack.connection == 2 and ack.payload == {"text": "seen events_api"}
        assert ack.envelope["payload"]["event"]["type"] == "app_home_opened"
        assert ack.envelope["accepts_response_payload"] is False
        assert len(slack.calls_to("apps.connections.open")) == 2
    finally:
        client.close()


@pytest.mark.parametrize(("frames", "code"), [
    (lambda: client_frame(0x1, b'{"text": "\xff"}'), 1007),  # text that is not UTF-8
    (lambda: client_frame(0x0, b"orphan"), 1002),  # a continuation with nothing to continue
    (lambda: client_frame(0x9, b"x" * 126), 1002),  # a control frame over 125 bytes
    (lambda: client_frame(0x1, b"{", fin=False) + client_frame(0x1, b"}"), 1002),  # interleaved
])
def test_socket_closes_with_the_code_of_the_broken_rule(slack, frames, code):
    sock, reader = raw_connect(socket_url(slack))
    try:
        read_frame(reader)  # hello
        sock.sendall(frames())
        _fin, opcode, data = read_frame(reader)
        assert opcode == 0x8 and struct.unpack("!H", data[:2])[0] == code
    finally:
        sock.close()
    assert slack.socket_messages == []


def test_a_failure_can_target_the_calls_it_matches(slack):
    slack.fail("chat.postMessage", error="user_not_found",
               when=lambda p: p.get("channel") == "U0BEN")
    web = client(slack)
    assert web.chat_postMessage(channel="U0ANA", text="x")["ok"]
    with pytest.raises(SlackApiError) as raised:
        web.chat_postMessage(channel="U0BEN", text="x")
    assert raised.value.response["error"] == "user_not_found"
    assert web.chat_postMessage(channel="U0BEN", text="x")["ok"]


def test_a_clicks_response_url_replaces_or_removes_the_message_clicked(slack):
    web = client(slack)
    first = web.chat_postMessage(channel="U0ANA", text="chase", blocks=[
        {"type": "actions", "elements": [{"type": "button", "action_id": "a", "value": "1",
                                          "text": {"type": "plain_text", "text": "Arrived"}}]}])
    second = web.chat_postMessage(channel="U0ANA", text="reminder")
    untied = slack.new_response_url()
    answer = WebhookClient(untied).send_dict({"text": "reply", "replace_original": True})
    assert answer.status_code == 200
    assert [m["text"] for m in slack.messages("U0ANA")] == ["chase", "reminder"]

    replace = slack.new_response_url(message=("D0ANA", first["ts"]))
    WebhookClient(replace).send_dict({"text": "arrived", "replace_original": True})
    replaced, kept = slack.messages("U0ANA")
    assert (replaced["ts"], replaced["text"], replaced["blocks"]) == (first["ts"], "arrived", [])
    assert "edited" in replaced and "edited" not in kept

    remove = slack.new_response_url(message=("U0ANA", second["ts"]))
    WebhookClient(remove).send_dict({"delete_original": True})
    assert [m["text"] for m in slack.messages("U0ANA")] == ["arrived"]


def test_message_timestamps_follow_the_clock_given():
    moment = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
    with SlackStandIn(clock=lambda: moment) as standin:
        sent = client(standin).chat_postMessage(channel="U0ANA", text="x")
    assert datetime.fromtimestamp(int(float(sent["ts"])), UTC) == moment


class _SlowClockOffMainThread:
    """``time`` as ``bot.sandbox.standin`` sees it, its monotonic clock slow on the stand-in's
    threads: whatever the stand-in does between taking a body and recording the call takes long."""

    def __init__(self, main: threading.Thread):
        self.main = main

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def monotonic(self) -> float:
        if threading.current_thread() is not self.main:
            time.sleep(0.3)
        return time.monotonic()


def test_a_response_url_post_and_its_call_are_seen_together(slack, monkeypatch):
    """A test that waits for a response and then reads the calls must find the call there
    (test_the_card_outlasts_slack_refusing_its_response_url_twice failed 1 run in 15)."""
    monkeypatch.setattr(standin_module, "time", _SlowClockOffMainThread(threading.current_thread()))
    url = slack.new_response_url()
    poster = threading.Thread(target=lambda: WebhookClient(url).send(text="the card"))
    poster.start()
    deadline = time.monotonic() + 5
    while not slack.responses(url) and time.monotonic() < deadline:
        time.sleep(0.005)
    calls = slack.calls_to("response_url")
    poster.join(timeout=5)
    assert slack.responses(url) == [{"text": "the card"}]
    assert [c.params["text"] for c in calls] == ["the card"]


def test_auth_test_names_the_workspace_the_stand_in_plays(slack):
    default = client(slack).auth_test()
    assert (default["team_id"], default["team"]) == (slack.team_id, "Stand-in")
    assert "enterprise_id" not in default.data
    with SlackStandIn(team_id="T0CLINIC", team_name="Great Agency",
                      enterprise_id="E0HEALTH") as grid:
        answer = client(grid).auth_test()
        assert (answer["team_id"], answer["team"], answer["enterprise_id"]) == (
            "T0CLINIC", "Great Agency", "E0HEALTH")
        signed = SlackRequests("s", team_id=grid.team_id).slash_command("U0ANA", "help")[0]
        assert b"team_id=T0CLINIC" in signed
