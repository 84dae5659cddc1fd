"""What Contact Check relies on in its dependencies beyond their documented API, pinned.

``bot.server.HttpServer`` stops waitress from another thread through names waitress does not
document (its trigger, its task dispatcher, ``wasyncore.close_all`` over the socket map given to
``create_server``); none is private (no leading underscore), but a waitress release could move
them, so the range they were checked on is pinned here and in ``pyproject.toml``. A failure
here names what moved: read the new waitress's ``server.py`` and change ``HttpServer`` (its
tests in ``tests/handlers/test_server.py`` show whether stopping still works).

``handlers.respond`` customises slack_sdk's retries through ``RetryHandler.can_retry``, the
public method the clients call.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

from slack_sdk.http_retry.handler import RetryHandler
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from handlers.respond import _ShortRateLimitRetry


def _major(package: str) -> int:
    return int(version(package).split(".")[0])


def test_waitress_is_in_the_range_http_server_was_checked_on() -> None:
    assert _major("waitress") == 3, (
        f"waitress {version('waitress')}: bot.server.HttpServer was checked on 3.x")


def test_the_waitress_names_http_server_uses_are_there() -> None:
    assert "map" in inspect.signature(create_server).parameters
    assert "ignore_all" in inspect.signature(wasyncore.close_all).parameters
    server = create_server(lambda environ, start: [], map={}, host="127.0.0.1", port=0)
    try:
        assert isinstance(server, BaseWSGIServer)
        assert callable(server.trigger.pull_trigger)
        assert "cancel_pending" in inspect.signature(server.task_dispatcher.shutdown).parameters
    finally:
        server.close()


def test_the_rate_limit_retry_overrides_slack_sdks_public_check() -> None:
    assert _major("slack_sdk") == 3
    assert "can_retry" in vars(_ShortRateLimitRetry)
    assert set(inspect.signature(RetryHandler.can_retry).parameters) == {
        "self", "state", "request", "response", "error"}
    assert not any(name.startswith("_") and not name.startswith("__")
                   for name in vars(_ShortRateLimitRetry))
