"""The HTTP surface: /healthz (database, keys, dispatcher), everything that is not Slack's
endpoint, and the gate in front of it (bodies over 1 MB, unsigned or malformed requests)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from importlib.metadata import version
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, event, text

from bot.gate import MAX_BODY
from bot.sandbox.standin import block_action_payload, sign
from bot.server import make_http_server, stop_http_server
from bot.services.keys import rotate_keys
from bot.slack_ui import ids
from storage.audit import read_head
from storage.crypto import Keyring, generate_key
from storage.keycheck import KeyHealth, ensure_keys
from storage.uow import Store
from tests.handlers.conftest import SIGNING_SECRET, add_client, audit_count, http, maria


def serve(deps, alive):
    server = make_http_server(None, deps, host="127.0.0.1", port=0, dispatcher_alive=alive)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture
def serving():
    started = []

    def start(deps, alive):
        server, thread, url = serve(deps, alive)
        started.append((server, thread))
        return url

    yield start
    for server, thread in started:
        stop_http_server(server)
        thread.join(timeout=5)


def test_healthz_is_ok_when_the_database_answers_and_the_dispatcher_runs(bot):
    answer = http("GET", bot.url + "/healthz")
    assert answer.status == 200
    assert answer.json() == {"status": "ok", "database": "ok", "keys": "ok", "dispatcher": "ok",
                             "version": version("contact-check")}


@pytest.mark.parametrize(
    ("alive", "dispatcher"),
    [(None, "not running"), (lambda: False, "not running"), (lambda: 1 / 0, "failing")],
)
def test_healthz_is_503_when_the_dispatcher_does_not_run(deps, serving, alive, dispatcher):
    answer = http("GET", serving(deps, alive) + "/healthz")
    assert answer.status == 503
    body = answer.json()
    assert body["status"] == "unavailable" and body["dispatcher"].startswith(dispatcher)
    assert body["version"] == version("contact-check") != "unknown"  # said when down too


def test_healthz_is_503_when_the_database_does_not_answer(deps, serving, keyring, tmp_path):
    gone = create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    deps.store = Store(gone, keyring)
    answer = http("GET", serving(deps, lambda: True) + "/healthz")
    assert answer.status == 503
    assert answer.json()["database"].startswith("failing")
    assert "missing" not in answer.body.decode()  # no URL or path in the answer


def _started(store: Store) -> None:
    with store.unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)
        uow.commit()


def test_healthz_is_503_once_the_keys_no_longer_open_the_data(deps, serving, engine, key):
    """rotate-keys run elsewhere (the new key first, the old one then dropped) while this bot
    still holds only the old key: it can open no card, and says so."""
    _started(deps.store)
    url = serving(deps, lambda: True)
    assert http("GET", url + "/healthz").status == 200
    new = generate_key()
    elsewhere = Store(engine, Keyring.from_env(f"{new},{key}"))
    with elsewhere.unit_of_work() as uow:
        rotate_keys(uow, actor="cli:admin", now=deps.clock.now())
        uow.commit()
    deps.store.key_health.ttl = 0  # the few seconds' cache has run out
    answer = http("GET", url + "/healthz")
    assert answer.status == 503
    body = answer.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["keys"].startswith("failing: CONTACT_CHECK_KEYS does not hold the key(s)")
    assert Keyring.from_env(new).primary_id in body["keys"]
    assert new not in answer.body.decode() and key not in answer.body.decode()


def test_the_key_check_is_cached_for_a_few_seconds(store, engine, key):
    _started(store)
    now = [100.0]
    health = KeyHealth(engine, store.sealer, ttl=5.0, clock=lambda: now[0])
    reads = []

    def counted(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "encryption_keys" in statement:
            reads.append(statement)

    listen = (engine, "before_cursor_execute", counted)
    event.listen(*listen)
    try:
        assert health.problem() is None and health.problem() is None
        assert len(reads) == 1
        with engine.begin() as conn:  # the key record is gone: the next check must notice
            conn.execute(text("UPDATE encryption_keys SET key_id = 'feedfeedfeedfeed'"))
        now[0] += 4.9
        assert health.problem() is None  # still the cached answer
        now[0] += 0.2
        assert "feedfeedfeedfeed" in (health.problem() or "")
        assert len(reads) == 2
    finally:
        event.remove(*listen)


def test_healthz_never_waits_for_a_write_lock(deps, serving, engine):
    """An import or a rotation holding the write lock (SQLite) or the key rows (PostgreSQL)."""
    _started(deps.store)
    url = serving(deps, lambda: True)
    holder = engine.connect()
    try:
        transaction = holder.begin()  # BEGIN IMMEDIATE on SQLite: the database's write lock
        holder.execute(text("UPDATE encryption_keys SET created_at = created_at"))
        started = time.monotonic()
        answer = http("GET", url + "/healthz")
        assert time.monotonic() - started < 1.0
        assert answer.status == 200 and answer.json()["keys"] == "ok"
        transaction.rollback()
    finally:
        holder.close()


def test_healthz_says_busy_while_a_long_write_holds_the_lock_and_ok_after(deps, serving,
                                                                           engine):
    """An import's write transaction holds what every append needs (SQLite's write lock, the
    trail head's row lock on PostgreSQL): the bot is healthy, and says writes wait their turn."""
    _started(deps.store)
    url = serving(deps, lambda: True)
    holder = engine.connect()
    try:
        transaction = holder.begin()  # BEGIN IMMEDIATE on SQLite
        read_head(holder, lock=True)  # SELECT … FOR UPDATE on PostgreSQL
        answer = http("GET", url + "/healthz")
        assert answer.status == 200
        assert answer.json() == {"status": "ok", "database": "busy", "keys": "ok",
                                 "dispatcher": "ok", "version": version("contact-check")}
        transaction.rollback()
    finally:
        holder.close()
    after = http("GET", url + "/healthz")
    assert after.status == 200 and after.json()["database"] == "ok"
    with deps.store.unit_of_work() as uow:  # the probe left nothing locked behind it
        uow.audit.append("U0ANA", "test.appended")
        uow.commit()


def test_healthz_is_not_busy_for_the_short_writes_of_clinicians_at_work(deps, serving, engine):
    """Cards commit their audit events all day, a few milliseconds each: a write that lets go
    within a quarter of a second is not a long write, and the answer still comes within 1 s."""
    _started(deps.store)
    url = serving(deps, lambda: True)
    holder = engine.connect()
    transaction = holder.begin()
    read_head(holder, lock=True)
    release = threading.Timer(0.03, transaction.rollback)
    release.start()
    try:
        started = time.monotonic()
        answer = http("GET", url + "/healthz")
        assert time.monotonic() - started < 1.0
        assert answer.status == 200 and answer.json()["database"] == "ok"
    finally:
        release.join()
        holder.close()


def test_other_paths_and_methods(bot):
    assert http("GET", bot.url + "/").status == 404
    assert http("GET", bot.url + "/slack/events").status == 405
    assert http("POST", bot.url + "/healthz", b"").status == 405


# --- nothing unsigned reaches the app; nothing malformed gets a traceback ------------------------


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _our_lines(caplog, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= level
            and r.name.startswith(("contact_check", "bot", "handlers", "storage", "waitress"))]


def _nothing_was_done(bot, url: str) -> None:
    time.sleep(0.3)  # anything Bolt would have done after an ack
    assert bot.slack.responses(url) == []
    assert [c.method for c in bot.slack.calls] == ["auth.test"]
    assert audit_count(bot.deps.store) == 0


def _click_with_response_url(bot, url: str) -> bytes:
    """A button click whose body names ``url`` as its response_url (an attacker picks it)."""
    payload = block_action_payload("U0ANA", ids.CARD_SHOW_DETAILS, "C-1042", response_url=url,
                                   message={"ts": "1.1"}, channel_id="D0ANA",
                                   team_id=bot.slack.team_id)
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "", "-5", "1.5", " 17", "9" * 13])
def test_a_timestamp_not_in_whole_seconds_gets_401_and_no_reply_anywhere(bot, caplog, store,
                                                                         clock, timestamp):
    add_client(store, maria(clock), clock)
    caplog.set_level(logging.INFO)
    url = bot.slack.new_response_url()
    for body in (_click_with_response_url(bot, url),
                 bot.signer.slash_command("U0ANA", "C-1042", response_url=url)[0]):
        signed = sign(body, SIGNING_SECRET)  # even a signature made with the secret
        answer = bot.post((body, {**FORM, "X-Slack-Request-Timestamp": timestamp,
                                  "X-Slack-Signature": signed["X-Slack-Signature"]}))
        assert answer.status == 401 and answer.json() == {"error": "invalid request"}
    _nothing_was_done(bot, url)
    assert _our_lines(caplog, logging.ERROR) == []
    assert len(_our_lines(caplog, logging.WARNING)) == 1  # one short line for both


@pytest.mark.parametrize("payload", ["{not json", "null", "[]", '"x"',
                                     '{"type": "view_submission", "view": null}'])
def test_an_unsigned_malformed_payload_gets_401_before_anything_reads_it(bot, caplog, payload):
    caplog.set_level(logging.INFO)
    answer = bot.post((urlencode({"payload": payload}).encode(), FORM))
    assert answer.status == 401
    assert _our_lines(caplog, logging.ERROR) == []


@pytest.mark.parametrize("body", [
    urlencode({"payload": "{not json"}).encode(),
    urlencode({"payload": "null"}).encode(),
    urlencode({"payload": json.dumps({"type": "view_submission", "view": None})}).encode(),
    urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": "U0ANA"},
                                      "view": {"callback_id": "approval_deny_modal",
                                               "state": None}})}).encode(),
    urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": "U0ANA"},
                                      "view": {"type": "modal", "callback_id": "x",
                                               "state": {"values": {"b": "x"}}}})}).encode(),
    urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "U0ANA"},
                                      "actions": [None]})}).encode(),
    urlencode({"payload": json.dumps({"type": "block_actions", "user": "U0ANA",
                                      "actions": [{"action_id": "x"}]})}).encode(),
    b"\xff\xfe not utf-8",
])
def test_a_signed_malformed_body_gets_400_without_a_traceback(bot, caplog, body):
    caplog.set_level(logging.INFO)
    answer = bot.post((body, {**FORM, **sign(body, SIGNING_SECRET)}))
    assert answer.status == 400 and answer.json() == {"error": "malformed request"}
    assert _our_lines(caplog, logging.ERROR) == []
    assert [c.method for c in bot.slack.calls] == ["auth.test"]


@pytest.mark.parametrize("body", [b"{not json", b"null", b'{"type": "event_callback"}',
                                  b'{"type": "event_callback", "event": "x"}',
                                  b'{"type": "event_callback", "event": {"user": "U0ANA"}}'])
def test_a_signed_malformed_event_gets_400_without_a_traceback(bot, caplog, body):
    caplog.set_level(logging.INFO)
    answer = bot.post((body, {"Content-Type": "application/json", **sign(body, SIGNING_SECRET)}))
    assert answer.status == 400
    assert _our_lines(caplog, logging.ERROR) == []


def test_a_flood_of_unsigned_requests_logs_one_line(bot, caplog):
    caplog.set_level(logging.INFO)
    body, headers = bot.signer.slash_command("U0ANA", "C-1042")
    for attempt in range(60):
        forged = {**headers, **sign(body, f"guess-{attempt}")}
        assert bot.post((body, forged)).status == 401
    lines = _our_lines(caplog, logging.INFO)
    # Requests arriving faster than threads free up also make waitress say its queue is deep:
    # that line is throttled too (once a minute), and says nothing about the requests.
    queue_lines = [r for r in lines if r.name == "waitress.queue"]
    lines = [r for r in lines if r.name != "waitress.queue"]
    assert len(queue_lines) <= 1
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    assert "C-1042" not in lines[0].getMessage() and "U0ANA" not in lines[0].getMessage()


# --- bodies over 1 MB -------------------------------------------------------------------------


def _raw_status(bot, head: str, chunks: list[bytes]) -> int:
    """Send a request by hand (so its body can be chunked or never sent); the status answered."""
    port = int(bot.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(head.encode())
        for chunk in chunks:
            connection.sendall(chunk)
        answer = b""
        while b"\r\n" not in answer:
            received = connection.recv(4096)
            if not received:
                break
            answer += received
    return int(answer.split(b" ", 2)[1])


def test_a_declared_body_over_1_mb_gets_413_before_it_is_sent(bot):
    head = ("POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            f"Content-Length: {MAX_BODY + 1}\r\n\r\n")
    assert _raw_status(bot, head, []) == 413


def test_a_chunked_body_over_1_mb_gets_413(bot):
    head = ("POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    piece = b"x" * 4096
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    count = MAX_BODY // len(chunk) + 1  # just past the limit, counting the chunks' framing
    assert _raw_status(bot, head, [chunk] * count) == 413
    assert [c.method for c in bot.slack.calls] == ["auth.test"]


def test_a_signed_body_of_1_mb_is_read(bot):
    body, headers = bot.signer.slash_command("U0ANA", "help")
    body += b"&padding=" + b"x" * (MAX_BODY - len(body) - len(b"&padding="))
    assert len(body) == MAX_BODY
    answer = bot.post((body, {**headers, **sign(body, SIGNING_SECRET)}))
    assert answer.status == 200 and "/contact-check" in answer.json()["text"]


def test_a_bot_whose_first_key_was_rotated_away_is_unhealthy(store, engine, key, clock):
    """A process still sealing with the old key after rotate-keys (it was given the new key
    second and never restarted with it first): what it sealed would be lost with the old key."""
    _started(store)
    new = generate_key()
    stale = Store(engine, Keyring.from_env(f"{key},{new}"))
    health = KeyHealth(engine, stale.sealer, ttl=0)
    assert health.problem() is None
    with Store(engine, Keyring.from_env(f"{new},{key}")).unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)  # restarted with the new key first
        uow.commit()
    assert health.problem() is None  # both keys are the database's until the rotation
    with Store(engine, Keyring.from_env(f"{new},{key}")).unit_of_work() as uow:
        rotate_keys(uow, actor="cli:admin", now=clock.now())
        uow.commit()
    problem = health.problem() or ""
    old_id, new_id = Keyring.from_env(key).primary_id, Keyring.from_env(new).primary_id
    assert f"its first key (key id {old_id}) was retired by `rotate-keys`" in problem
    assert f"this database's key is now {new_id}" in problem
    assert key not in problem and new not in problem
