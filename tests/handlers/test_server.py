"""The HTTP surface: /healthz (database, keys, dispatcher) and everything that is not Slack's
endpoint."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, event, text

from bot.server import make_http_server, stop_http_server
from bot.services.keys import rotate_keys
from storage.crypto import Keyring, generate_key
from storage.keycheck import KeyHealth, ensure_keys
from storage.uow import Store
from tests.handlers.conftest import http


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
    assert answer.json() == {"status": "ok", "database": "ok", "keys": "ok", "dispatcher": "ok"}


@pytest.mark.parametrize(
    ("alive", "dispatcher"),
    [(None, "not running"), (lambda: False, "not running"), (lambda: 1 / 0, "failing")],
)
def test_healthz_is_503_when_the_dispatcher_does_not_run(deps, serving, alive, dispatcher):
    answer = http("GET", serving(deps, alive) + "/healthz")
    assert answer.status == 503
    body = answer.json()
    assert body["status"] == "unavailable" and body["dispatcher"].startswith(dispatcher)


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


def test_other_paths_and_methods(bot):
    assert http("GET", bot.url + "/").status == 404
    assert http("GET", bot.url + "/slack/events").status == 405
    assert http("POST", bot.url + "/healthz", b"").status == 405
