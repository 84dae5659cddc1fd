"""Serving the Slack app: HTTP through waitress (a production WSGI server), or Socket Mode.

HTTP mode answers ``POST /slack/events`` and ``GET /healthz``. Slack's requests pass
``bot.gate.SlackGate`` before Bolt sees them: a body over 1 MB gets 413 (waitress refuses it
too, before reading it, whether it comes with a Content-Length or chunked); anything unsigned,
mis-signed or stale gets 401 and reaches nothing; a signed body not shaped as Slack shapes it
gets 400; a replayed signature or a retried event already accepted is answered and not run
again. Socket Mode receives Slack's requests over the app-level token's WebSocket and
still answers ``GET /healthz`` on the port, for the host's health checks.

``/healthz`` is 200 ``{"status": "ok", ...}`` when the database answers and the reminder
dispatcher runs, else 503 with what is wrong; either way it says the running ``version``.
``"database": "busy"`` (still 200) says a long write, such as an import, holds the write
lock right now: reads are answered, writes wait. The dispatcher is any object with
``start()``, ``stop()`` and ``is_alive()``; ``serve`` starts it
before accepting requests and stops it last.
"""

from __future__ import annotations

import errno
import json
import logging
import signal
import socket
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

from bot.app import create_app
from bot.config import ConfigError, ServeMode, Settings
from bot.deps import Deps
from bot.gate import MAX_BODY, ReplayGuard, SlackGate
from bot.logs import throttle_logger
from bot.metrics import METRICS_PATH, metrics_wsgi
from bot.version import version
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
    return (200 if ok else 503), {"status": "ok" if ok else "unavailable", **checks,
                                  "version": version()}


def wsgi_app(bolt_app: App | None, deps: Deps, dispatcher_alive: Callable[[], bool] | None,
             signing_secret: str = "", *, metrics: bool = True) -> Callable[..., Iterable[bytes]]:
    """The WSGI application: Slack's requests through the gate to Bolt (when given), the health
    check, ``/metrics`` (unless ``metrics`` is False: METRICS_PORT serves it), else 404."""
    metrics_app = metrics_wsgi(deps.store.engine) if metrics else None
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
        if path == METRICS_PATH and metrics_app is not None:
            return metrics_app(environ, start_response)
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


class HttpServer:
    """A waitress server (not yet running) and the socket map it was made with, so that
    ``stop`` can close every channel from any thread (waitress asks for the map at creation
    and has no public way to hand it back)."""

    def __init__(self, application: Any, *, host: str, port: int, threads: int):
        # Any request, signed or not, can queue behind busy threads, and waitress says so at
        # WARNING once per queued request: a flood must not become a flood of lines.
        throttle_logger("waitress.queue")
        self.sockets: dict[int, Any] = {}
        # Any: waitress types the result as a union, but one address always gives a TCP server
        # (effective_port, trigger and task_dispatcher, pinned in test_dependency_surface.py).
        self.waitress: Any = create_server(
            application,
            map=self.sockets,
            host=host,
            port=port,
            threads=threads,
            ident="contact-check",
            clear_untrusted_proxy_headers=True,
            # Refused with 413 before it is read, chunked or not (waitress refuses at >= this).
            max_request_body_size=MAX_BODY + 1,
        )

    @property
    def effective_port(self) -> int:
        return int(self.waitress.effective_port)

    def run(self) -> None:
        """Serve until stopped."""
        self.waitress.run()

    def stop(self) -> None:
        """Stop serving from any thread: the server's own loop closes every channel.

        (Closing its sockets from another thread while the loop waits on them fails with EBADF;
        a thunk pulled through the server's trigger runs inside the loop instead.)
        """
        def close_everything() -> None:
            self.waitress.task_dispatcher.shutdown(cancel_pending=False)
            wasyncore.close_all(self.sockets, ignore_all=True)

        self.waitress.trigger.pull_trigger(close_everything)


def make_http_server(bolt_app: App | None, deps: Deps, *, host: str = "0.0.0.0",  # noqa: S104
                     port: int = 3000, dispatcher_alive: Callable[[], bool] | None = None,
                     threads: int = HTTP_THREADS, signing_secret: str = "",
                     metrics: bool = True) -> HttpServer:
    """The HTTP server (not yet running): ``.run()`` serves until stopped, ``.effective_port``
    is the port bound (give ``port=0`` for any free one); ``stop_http_server`` stops it from
    another thread. ``signing_secret`` is required with a ``bolt_app`` (the gate checks every
    request with it)."""
    return HttpServer(wsgi_app(bolt_app, deps, dispatcher_alive, signing_secret, metrics=metrics),
                      host=host, port=port, threads=threads)


def stop_http_server(server: HttpServer) -> None:
    """Stop a running server from any thread."""
    server.stop()


def _cannot_listen(host: str, port: int, error: OSError) -> ConfigError:
    """The port is taken (PORT to fix), or the address is not this machine's (HOST to fix)."""
    reason = error.strerror or str(error)
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return ConfigError([
            f"HOST: cannot listen on {host}:{port} ({reason}); it is not an address of this "
            "machine: choose another with --host or HOST (0.0.0.0 for every interface)"])
    return ConfigError([
        f"PORT: cannot listen on {host}:{port} ({reason}); another program may be using it: "
        "choose another with --port or PORT"])


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
            server = make_http_server(None, deps, host=host, port=port, dispatcher_alive=alive,
                                      metrics=settings.metrics_port is None)
        else:
            server = make_http_server(bolt_app, deps, host=host, port=port,
                                      dispatcher_alive=alive,
                                      signing_secret=settings.slack_signing_secret or "",
                                      metrics=settings.metrics_port is None)
        metrics_server = _metrics_server(deps, host, settings.metrics_port)
    except OSError as error:
        raise _cannot_listen(host, port, error) from None
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
        log.info("serving %s mode; HTTP on %s:%s", mode, host, server.effective_port)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        if metrics_server is not None:
            stop_http_server(metrics_server)
        if socket_handler is not None:
            socket_handler.close()
        if dispatcher is not None:
            dispatcher.stop()


def _metrics_server(deps: Deps, host: str, port: int | None) -> Any:
    """``/metrics`` on METRICS_PORT, running on a thread of its own; None when it is unset."""
    if port is None:
        return None
    try:
        server: Any = create_server(metrics_wsgi(deps.store.engine), host=host, port=port,
                               threads=2, ident="contact-check-metrics")
    except OSError as error:
        raise ConfigError([f"METRICS_PORT: cannot listen on {host}:{port} "
                           f"({error.strerror or error}); choose another port"]) from None
    threading.Thread(target=server.run, name="metrics", daemon=True).start()
    log.info("serving /metrics on port %s", server.effective_port)
    return server


def _slack_error(error: SlackApiError) -> str:
    """Slack's error code (never the response's other fields)."""
    response = error.response
    code = response.get("error") if isinstance(response.data, dict) else None
    return str(code or f"HTTP {response.status_code}")
