"""The HTTP surface: /healthz and everything that is not Slack's endpoint."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine

from bot.server import make_http_server, stop_http_server
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
    assert answer.json() == {"status": "ok", "database": "ok", "dispatcher": "ok"}


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


def test_other_paths_and_methods(bot):
    assert http("GET", bot.url + "/").status == 404
    assert http("GET", bot.url + "/slack/events").status == 405
    assert http("POST", bot.url + "/healthz", b"").status == 405
