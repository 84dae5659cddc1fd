"""Serving the Slack app: HTTP through waitress (a production WSGI server), or Socket Mode.

HTTP mode answers ``POST /slack/events`` and ``GET /healthz``. Slack's requests pass
``bot.gate.SlackGate`` before Bolt sees them: a body over 1 MB gets 413 (waitress refuses it
too, before reading it, whether it comes with a Content-Length or chunked); anything unsigned,
mis-signed or stale gets 401 and reaches nothing; a signed body not shaped as Slack shapes it
gets 400; a replayed signature or a retried event already accepted is answered and not run
again. Socket Mode receives Slack's requests over the app-level token's WebSocket and
still answers ``GET /healthz`` on the port, for the host's health checks.

``/healthz`` is 200 ``{"status": "ok", ...}`` when the database answers and the reminder
dispatcher runs, else 503 with what is wrong. ``"database": "busy"`` (still 200) says a long
write, such as an import, holds the write lock right now: reads are answered, writes wait.
The dispatcher is any object with ``start()``, ``stop()`` and ``is_alive()``; ``serve`` starts it
before accepting requests and stops it last.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy import text
from waitress import wasyncore
from waitress.server import create_server

from bot.config import ConfigError, ServeMode, Settings
from bot.deps import Deps
from bot.gate import MAX_BODY, ReplayGuard, SlackGate
from storage.audit import appends_would_wait
from storage.db import read_only

log = logging.getLogger("contact_check.server")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
HTTP_THREADS = 16

StartResponse = Callable[..., Any]


class Worker(Protocol):
    """A background worker the health check watches (the reminder dispatcher)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def is_alive(self) -> bool: ...


_HEALTHY = {"database": ("ok", "busy")}


def health(deps: Deps, dispatcher_alive: Callable[[], bool] | None) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of ``/healthz``: the database answers, the keys open its data (the
    key canary, checked every few seconds: ``storage.keycheck.KeyHealth``) and the dispatcher
    runs."""
    checks: dict[str, str] = {}
    try:
        with read_only(deps.store.engine).connect() as connection:  # no write lock to wait for
            connection.execute(text("SELECT 1"))
        # A long write (an import) holding the write lock: reads go on, writes wait their turn.
        checks["database"] = "busy" if appends_would_wait(deps.store.engine) else "ok"
    except Exception as error:  # any failure to answer is "not ok"; its text may hold a URL
        checks["database"] = f"failing ({type(error).__name__})"
    key_problem = deps.store.key_health.problem()
    checks["keys"] = "ok" if key_problem is None else f"failing: {key_problem}"
    if dispatcher_alive is None:
        checks["dispatcher"] = "not running"
    else:
        try:
            checks["dispatcher"] = "ok" if dispatcher_alive() else "not running"
        except Exception as error:
            checks["dispatcher"] = f"failing ({type(error).__name__})"
    ok = all(value in _HEALTHY.get(name, ("ok",)) for name, value in checks.items())
    return (200 if ok else 503), {"status": "ok" if ok else "unavailable", **checks}


def wsgi_app(bolt_app: App | None, deps: Deps, dispatcher_alive: Callable[[], bool] | None,
             signing_secret: str = "") -> Callable[..., Iterable[bytes]]:
    """The WSGI application: Slack's requests through the gate to Bolt (when given), the health
    check, else 404."""
    slack = None
    if bolt_app is not None:
        if not signing_secret:
            raise ValueError("HTTP mode needs the signing secret to check Slack's requests")
        slack = SlackGate(signing_secret, ReplayGuard(deps.store), SlackRequestHandler(bolt_app))

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and slack is not None:
            if method != "POST":
                return _json(start_response, 405, {"error": "POST only"}, [("Allow", "POST")])
            return slack(environ, start_response)
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _json(start_response, 405, {"error": "GET only"}, [("Allow", "GET")])
            status, body = health(deps, dispatcher_alive)
            return _json(start_response, status, body)
        return _json(start_response, 404, {"error": "not found"})

    return application


def _json(start_response: StartResponse, status: int, body: dict[str, Any],
          headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    payload = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed",
              503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(payload))),
                                          *(headers or [])])
    return [payload]


def make_http_server(bolt_app: App | None, deps: Deps, *, host: str = "0.0.0.0",  # noqa: S104
                     port: int = 3000, dispatcher_alive: Callable[[], bool] | None = None,
                     threads: int = HTTP_THREADS, signing_secret: str = "") -> Any:
    """A waitress server (not yet running): ``.run()`` serves until stopped,
    ``.effective_port`` is the port bound (give ``port=0`` for any free one);
    ``stop_http_server`` stops it from another thread. ``signing_secret`` is required with a
    ``bolt_app`` (the gate checks every request with it)."""
    return create_server(
        wsgi_app(bolt_app, deps, dispatcher_alive, signing_secret),
        host=host,
        port=port,
        threads=threads,
        ident="contact-check",
        clear_untrusted_proxy_headers=True,
        # Refused with 413 before it is read, chunked or not (waitress refuses at >= this).
        max_request_body_size=MAX_BODY + 1,
    )


def stop_http_server(server: Any) -> None:
    """Stop a running waitress server from any thread: its own loop closes every channel.

    (Closing its sockets from another thread while the loop waits on them fails with EBADF;
    a thunk pulled through the server's trigger runs inside the loop instead.)
    """
    def close_everything() -> None:
        server.task_dispatcher.shutdown(cancel_pending=False)
        wasyncore.close_all(server._map, ignore_all=True)

    server.trigger.pull_trigger(close_everything)


def _unreachable(settings: Settings, call: str, error: OSError) -> ConfigError:
    reason = getattr(error, "reason", None) or error.strerror or type(error).__name__
    return ConfigError([
        f"SLACK_API_URL: cannot reach the Slack Web API at {settings.slack_api_url} ({call}: "
        f"{reason}); check the network, any proxy, and SLACK_API_URL"])


def serve(deps: Deps, settings: Settings, mode: ServeMode, port: int, *,
          dispatcher: Worker | None = None, host: str = "0.0.0.0") -> None:  # noqa: S104
    """Run the bot until SIGTERM or Ctrl-C.

    Socket Mode uses slack_bolt's built-in client (``slack_sdk.socket_mode.builtin``: no extra
    dependency). It opens its connection with ``apps.connections.open`` through the app's own
    ``WebClient``, so ``SLACK_API_URL`` holds for that call as for every other. A token Slack
    refuses at start is a ConfigError naming the variable.
    """
    from bot.app import create_app

    try:
        bolt_app = create_app(deps, signing_secret=settings.slack_signing_secret or "",
                              token=settings.slack_bot_token or "")
    except OSError as error:  # URLError: refused connection, DNS, TLS
        raise _unreachable(settings, "auth.test", error) from None
    except BoltError as error:
        refused = error.__context__
        if not isinstance(refused, SlackApiError):
            raise
        raise ConfigError([
            f"SLACK_BOT_TOKEN was refused by the Slack Web API at {settings.slack_api_url} "
            f"(auth.test: {_slack_error(refused)}); copy the xoxb-… Bot User OAuth Token again "
            "from your Slack app's OAuth & Permissions page"]) from None
    alive = dispatcher.is_alive if dispatcher is not None else None
    socket_handler = None
    try:
        if mode == "socket":
            from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler

            socket_handler = SocketModeHandler(bolt_app, settings.slack_app_token)
            server = make_http_server(None, deps, host=host, port=port, dispatcher_alive=alive)
        else:
            server = make_http_server(bolt_app, deps, host=host, port=port,
                                      dispatcher_alive=alive,
                                      signing_secret=settings.slack_signing_secret or "")
    except OSError as error:
        raise ConfigError([
            f"PORT: cannot listen on {host}:{port} ({error.strerror or error}); another program "
            "may be using it: choose another with --port or PORT"]) from None
    stopping = threading.Event()

    def stop(*_: object) -> None:
        if not stopping.is_set():
            stopping.set()
            stop_http_server(server)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    if dispatcher is not None:
        dispatcher.start()
    try:
        if socket_handler is not None:
            try:
                socket_handler.connect()
            except SlackApiError as error:
                raise ConfigError([
                    f"SLACK_APP_TOKEN was refused by the Slack Web API at "
                    f"{settings.slack_api_url} (apps.connections.open: {_slack_error(error)}); "
                    "it must be an xapp-… app-level token with the connections:write scope, "
                    "and Socket Mode must be on in your Slack app's settings"]) from None
            except OSError as error:
                raise _unreachable(settings, "apps.connections.open", error) from None
        log.info("serving %s mode; HTTP on port %s", mode, server.effective_port)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        if socket_handler is not None:
            socket_handler.close()
        if dispatcher is not None:
            dispatcher.stop()


def _slack_error(error: SlackApiError) -> str:
    """Slack's error code (never the response's other fields)."""
    response = error.response
    code = response.get("error") if isinstance(response.data, dict) else None
    return str(code or f"HTTP {response.status_code}")
