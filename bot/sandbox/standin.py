"""A stand-in for Slack on this machine: its Web API and response URLs, and signed requests in.

The sandbox runs the real bot against it, and the tests use it to fake Slack at the HTTP boundary.
It answers on 127.0.0.1 only and keeps everything in memory:

- ``SlackStandIn`` is the Slack side the bot talks to: ``chat.postMessage``, ``chat.update``,
  ``chat.postEphemeral``, ``conversations.open``, ``conversations.history``, ``views.open``,
  ``views.update``, ``views.push``, ``views.publish``, ``users.info``, ``auth.test`` (naming the
  workspace given as ``team_id``, ``team_name`` and ``enterprise_id``: the one the bot serves)
  and every ``response_url`` it hands out. Each call is recorded. Every answer to a bot token
  carries Slack's ``x-oauth-scopes`` header (``scopes``: by default what ``manifest.yml`` asks
  for); ``bot_token``, when set, is the only bot token accepted (any other: ``invalid_auth``).
  A response URL handed out for a click on a message
  (``new_response_url(message=(channel, ts))``) acts on that message as Slack's does:
  ``replace_original`` replaces it, ``delete_original`` removes it. Message timestamps come
  from ``time.time`` unless a ``clock`` is given (the sandbox gives its clinic clock). Failures
  can be scripted: a 429 with ``Retry-After``, a 5xx, or an ``ok: false`` error;
  ``rate_limit_per_second`` makes ``chat.postMessage`` answer 429 beyond that many messages in
  any rolling second, as Slack does.
- Socket Mode: ``apps.connections.open`` (with an ``xapp-`` app-level token) hands out a
  ``ws://`` URL on the same port, served by a small WebSocket server
  (``bot.sandbox.standin_websocket``, standard library only). On connect the bot gets
  ``hello``; ``push`` (and ``push_slash_command``, ``push_block_action``,
  ``push_view_submission``, ``push_event``) sends Slack's envelopes (``envelope_id``, ``type``,
  ``payload``, ``accepts_response_payload``) and ``acks`` /
  ``wait_for_ack`` give back what the bot answered (``envelope_id`` and its ``payload``);
  ``disconnect`` asks the bot to move to a new connection, as Slack does when it refreshes one.
- ``SlackRequests`` is the Slack side that talks to the bot: slash commands, button clicks and
  modal submissions, as bodies and headers signed the way Slack signs them (v0, HMAC-SHA256).
  The same payloads go over Socket Mode unsigned (``slash_command_payload`` and friends).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.ops.manifest import bot_scopes
from bot.sandbox.standin_websocket import (
    CLOSE_GOING_AWAY,
    WebSocket,
    accept_key,
    handshake_problem,
)

_JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "users")
TEAM_ID = "T0STANDIN"  # the stand-in's workspace unless it is given another
_APP_ID = "A0STANDIN"
_BOT_USER = "U0CONTACTCHECK"


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made to the stand-in's Web API."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when it arrived
    status: int  # the HTTP status the stand-in answered
    error: str | None = None  # Slack's ``error`` when it answered ``ok: false``


ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
# Interactive payloads whose ack body Slack uses (view_submission: errors or a new view;
# block_suggestion: options). Slack uses a slash command's ack body as its reply too.
_RESPONSE_PAYLOAD_TYPES = ("view_submission", "block_suggestion")


@dataclass(frozen=True)
class SocketAck:
    """What the bot sent back over Socket Mode for an envelope: ``{"envelope_id", "payload"}``."""

    envelope_id: str
    payload: dict[str, Any] | None  # None: a bare ack
    at: float  # time.monotonic() when it arrived
    envelope: dict[str, Any] | None  # the envelope it answers; None: an id never pushed
    pushed_at: float | None
    connection: int  # the number of the connection it came over (SocketConnection.number)

    @property
    def latency(self) -> float | None:
        """Seconds from pushing the envelope to its ack (Slack allows 3)."""
        return None if self.pushed_at is None else self.at - self.pushed_at


@dataclass
class SocketConnection:
    """One Socket Mode connection the bot opened to the stand-in."""

    number: int  # 1 for the first connection, 2 for the next...
    opened_at: float
    closed_at: float | None = None
    close_code: int | None = None  # 1006: it ended without a closing handshake
    websocket: WebSocket | None = field(default=None, repr=False)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass
class _Failure:
    status: int
    retry_after: int
    error: str | None
    times: int
    when: Callable[[dict[str, Any]], bool] | None = None

    @property
    def refusal(self) -> str:
        """What a refused call records: Slack's word for a 429, else a server error."""
        return "ratelimited" if self.status == 429 else "server_error"


@dataclass
class _State:
    calls: list[ApiCall] = field(default_factory=list)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    views: list[dict[str, Any]] = field(default_factory=list)
    home: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, deque[_Failure]] = field(default_factory=dict)
    recent_posts: deque[float] = field(default_factory=deque)
    tickets: set[str] = field(default_factory=set)
    pushed: dict[str, tuple[dict[str, Any], float]] = field(default_factory=dict)
    # response URL key -> (channel, ts) of the message whose click it answers
    response_targets: dict[str, tuple[str, str]] = field(default_factory=dict)
    socket_messages: list[tuple[float, int, Any]] = field(default_factory=list)
    # files.getUploadURLExternal -> the upload URL -> files.completeUploadExternal
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> file


class SlackStandIn:
    """Slack's Web API and response URLs on 127.0.0.1, recording every call."""

    def __init__(self, *, users: Mapping[str, Mapping[str, Any]] | None = None,
                 clock: Callable[[], datetime] | None = None,
                 team_id: str = TEAM_ID, team_name: str = "Stand-in",
                 enterprise_id: str | None = None):
        # The workspace (and Enterprise Grid org) the bot is installed in: what auth.test says,
        # and the team of every request the stand-in pushes or signs unless told otherwise.
        self.team_id = team_id
        self.team_name = team_name
        self.enterprise_id = enterprise_id
        self.rate_limit_per_second: float | None = None
        self.clock = clock  # what message timestamps read (None: the machine's clock)
        self.on_call: Callable[[ApiCall], None] | None = None
        self.users: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (users or {}).items()}
        self.app_token: str | None = None  # when set, apps.connections.open takes only this one
        # When set, the only bot token accepted (any other: invalid_auth, as Slack answers a
        # wrong or revoked token); None accepts any xox… token.
        self.bot_token: str | None = None
        # What Slack granted the bot token, sent in every answer's x-oauth-scopes header as Slack
        # does; by default what manifest.yml asks for (a fresh install of the app).
        self.scopes: tuple[str, ...] = bot_scopes()
        self._state = _State()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._sockets: list[SocketConnection] = []
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        handler = type("_Handler", (_Handler,), {"standin": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="slack-standin", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            still_open = [c.websocket for c in self._sockets if c.is_open and c.websocket]
        for websocket in still_open:
            websocket.close(CLOSE_GOING_AWAY, "the stand-in is stopping")
            websocket.abort()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 address (bound to 127.0.0.1 in start)
        return f"http://{host}:{port}/"

    @property
    def api_url(self) -> str:
        """What ``SLACK_API_URL`` (slack_sdk's ``base_url``) should be to talk to this stand-in."""
        return self.base_url + "api/"

    # -- what the tests and the sandbox read ---------------------------------------------------

    def new_response_url(self, *, message: tuple[str, str] | None = None) -> str:
        """A fresh response URL, like the one Slack puts in each command and action.

        ``message``: the (channel, ts) of the message a click came from; posts to the URL with
        ``replace_original`` or ``delete_original`` then replace or remove it.
        """
        key = f"R{next(self._ids):06d}"
        with self._lock:
            self._state.responses[key] = []
            if message is not None:
                self._state.response_targets[key] = (_channel_id(message[0]), message[1])
        return f"{self.base_url}response/{key}"

    @property
    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def responses(self, url: str) -> list[dict[str, Any]]:
        """The bodies the bot posted to one response URL, in order."""
        key = urlsplit(url).path.rsplit("/", 1)[-1]
        with self._lock:
            return list(self._state.responses.get(key, []))

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages in a channel as they stand now (updates applied). A user id means their DM."""
        with self._lock:
            return [dict(m) for m in self._state.channels.get(_channel_id(channel), [])]

    def dm_channel(self, user_id: str) -> str:
        return _channel_id(user_id)

    @property
    def views(self) -> list[dict[str, Any]]:
        """Modals opened, pushed or updated, in order."""
        with self._lock:
            return list(self._state.views)

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for a user."""
        with self._lock:
            return self._state.home.get(user_id)

    def uploaded(self, channel: str) -> list[dict[str, Any]]:
        """Files shared in a channel (a user id means their DM), each with its ``content`` bytes,
        in the order their uploads completed."""
        wanted = _channel_id(channel)
        with self._lock:
            return [dict(f) for f in self._state.files.values()
                    if f.get("completed") and wanted in f.get("channels", ())]

    def reset(self) -> None:
        """Forget every call, message and view (scripted failures too)."""
        with self._lock:
            self._state = _State()

    # -- Socket Mode ---------------------------------------------------------------------------

    @property
    def connections(self) -> list[SocketConnection]:
        """Every Socket Mode connection opened so far, oldest first."""
        with self._lock:
            return list(self._sockets)

    def wait_connected(self, timeout: float = 10.0, *, count: int = 1) -> SocketConnection:
        """Wait until the ``count``-th Socket Mode connection is open (its ``hello`` sent)."""
        def ready() -> bool:
            return len(self._sockets) >= count and self._sockets[-1].is_open

        with self._changed:
            if not self._changed.wait_for(ready, timeout):
                raise TimeoutError(f"no Socket Mode connection number {count} within {timeout}s "
                                   f"({len(self._sockets)} opened so far)")
            return self._sockets[-1]

    def push(self, type: str, payload: Mapping[str, Any], *,
             accepts_response_payload: bool | None = None, retry_attempt: int = 0,
             retry_reason: str = "", envelope_id: str | None = None) -> str:
        """Send an envelope over the newest open connection, as Slack does; its envelope id.

        ``accepts_response_payload`` defaults to what Slack sets: true for slash commands, modal
        submissions and option look-ups, false for button clicks and events.
        """
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {', '.join(ENVELOPE_TYPES)}")
        if accepts_response_payload is None:
            accepts_response_payload = (type == "slash_commands" or (
                type == "interactive" and payload.get("type") in _RESPONSE_PAYLOAD_TYPES))
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()), "type": type,
            "payload": dict(payload), "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._lock:
            connection = next((c for c in reversed(self._sockets) if c.is_open), None)
            if connection is None or connection.websocket is None:
                raise RuntimeError("no Socket Mode connection is open: start the bot in Socket "
                                   "Mode and wait_connected() first")
            self._state.pushed[envelope["envelope_id"]] = (envelope, time.monotonic())
        if not connection.websocket.send_text(json.dumps(envelope)):
            raise RuntimeError(f"Socket Mode connection {connection.number} closed while pushing")
        return str(envelope["envelope_id"])

    def push_slash_command(self, user_id: str, text: str, *, response_url: str | None = None,
                           channel_id: str = "C0GENERAL", team_id: str | None = None) -> str:
        """``/contact-check text`` typed by ``user_id`` (in ``team_id``, by default the
        stand-in's own workspace); a fresh response URL unless given."""
        url = self.new_response_url() if response_url is None else response_url
        return self.push("slash_commands", slash_command_payload(
            user_id, text, response_url=url, channel_id=channel_id, trigger_id=_trigger_id(),
            team_id=team_id or self.team_id))

    def push_block_action(self, user_id: str, action_id: str, value: str = "", *,
                          response_url: str | None = None, **where: Any) -> str:
        """A button click (``where``: ``message``/``channel_id`` or ``view``, as in
        ``SlackRequests.block_action``); a fresh response URL for clicks in messages."""
        if response_url is None and where.get("view") is None:
            response_url = self.new_response_url()
        return self.push("interactive", block_action_payload(
            user_id, action_id, value, response_url=response_url or "", trigger_id=_trigger_id(),
            **{"team_id": self.team_id, **where}))

    def push_view_submission(self, user_id: str, view: Mapping[str, Any],
                             values: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
        return self.push("interactive", view_submission_payload(
            user_id, view, values, trigger_id=_trigger_id(), team_id=self.team_id))

    def push_event(self, event: Mapping[str, Any], *, retry_attempt: int = 0,
                   retry_reason: str = "", team_id: str | None = None) -> str:
        """An Events API event (e.g. ``{"type": "app_home_opened", "user": ...}``), from
        ``team_id`` (by default the stand-in's own workspace)."""
        payload = {
            "token": "standin", "team_id": team_id or self.team_id, "api_app_id": _APP_ID,
            "event": {"event_ts": f"{time.time():.6f}", **event}, "type": "event_callback",
            "event_id": f"Ev{next(self._ids):08d}", "event_time": int(time.time()),
        }
        return self.push("events_api", payload, retry_attempt=retry_attempt,
                         retry_reason=retry_reason)

    @property
    def acks(self) -> list[SocketAck]:
        """Every ack the bot sent over Socket Mode, in order of arrival."""
        with self._lock:
            return [self._ack(at, number, m) for at, number, m in self._state.socket_messages
                    if isinstance(m, dict) and "envelope_id" in m]

    @property
    def socket_messages(self) -> list[Any]:
        """Every text message the bot sent over Socket Mode (acks and anything else), parsed."""
        with self._lock:
            return [m for _at, _number, m in self._state.socket_messages]

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> SocketAck:
        """The bot's ack of one envelope; TimeoutError when none comes in ``timeout`` seconds."""
        def found() -> SocketAck | None:
            return next((a for a in self.acks if a.envelope_id == envelope_id), None)

        with self._changed:
            ack = self._changed.wait_for(found, timeout)
            if ack is None:
                raise TimeoutError(f"no ack of envelope {envelope_id} within {timeout}s")
            return ack

    def disconnect(self, reason: str = "refresh_requested") -> int:
        """Tell every open connection to reconnect (Slack's ``disconnect`` message, e.g.
        ``warning`` or ``refresh_requested``); how many were told. The bot closes the old one."""
        with self._lock:
            sockets = [c.websocket for c in self._sockets if c.is_open and c.websocket]
        message = json.dumps({"type": "disconnect", "reason": reason,
                              "debug_info": {"host": "applink-standin"}})
        return sum(1 for websocket in sockets if websocket.send_text(message))

    def _ack(self, at: float, number: int, message: dict[str, Any]) -> SocketAck:
        envelope_id = str(message["envelope_id"])
        envelope, pushed_at = self._state.pushed.get(envelope_id, (None, None))
        payload = message.get("payload")
        return SocketAck(envelope_id, payload if isinstance(payload, dict) else None, at,
                         envelope, pushed_at, number)

    def _open_socket_url(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.app_token is not None and p.get("token") != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = uuid.uuid4().hex
        self._state.tickets.add(ticket)
        url = self.base_url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{url}link/?ticket={ticket}&app_id={_APP_ID}"}

    def _redeem_ticket(self, ticket: str) -> bool:
        """A URL from apps.connections.open serves one connection."""
        with self._lock:
            if ticket not in self._state.tickets:
                return False
            self._state.tickets.discard(ticket)
            return True

    def _serve_socket(self, websocket: WebSocket) -> None:
        """One connection from hello to close, in the stand-in's thread for that request."""
        with self._changed:
            connection = SocketConnection(len(self._sockets) + 1, time.monotonic(),
                                          websocket=websocket)
            self._sockets.append(connection)
            live = sum(1 for c in self._sockets if c.is_open)
            websocket.send_text(json.dumps({
                "type": "hello", "num_connections": live,
                "debug_info": {"host": "applink-standin", "build_number": 1,
                               "approximate_connection_time": 18060},
                "connection_info": {"app_id": _APP_ID},
            }))
            self._changed.notify_all()
        try:
            while (message := websocket.receive()) is not None:
                _opcode, data = message
                try:
                    parsed: Any = json.loads(data)
                except ValueError:
                    parsed = data.decode("utf-8", errors="replace")
                with self._changed:
                    self._state.socket_messages.append(
                        (time.monotonic(), connection.number, parsed))
                    self._changed.notify_all()
        finally:
            with self._changed:
                connection.closed_at = time.monotonic()
                connection.close_code = websocket.close_code
                self._changed.notify_all()

    # -- scripting failures --------------------------------------------------------------------

    def fail(self, method: str, *, status: int = 429, times: int = 1, retry_after: int = 1,
             error: str | None = None,
             when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Make the next ``times`` calls to ``method`` fail (those whose params satisfy ``when``).

        ``status`` 429 answers with ``Retry-After: retry_after``; another status (e.g. 503) is a
        server error; ``error`` instead answers 200 with ``{"ok": false, "error": error}``.
        ``method`` "response_url" fails posts to response URLs (by status: no ``error`` there).
        """
        failure = _Failure(status=200 if error else status, retry_after=retry_after, error=error,
                           times=times, when=when)
        with self._lock:
            self._state.failures.setdefault(method, deque()).append(failure)

    # -- answering -----------------------------------------------------------------------------

    def _apply(self, change: Callable[[], ApiCall | None]) -> ApiCall | None:
        """Make a change and record the call it answered (``change`` returns it; None records
        nothing) in one hold of the lock, so a reader sees both or neither: a test that waits
        for a message or a response then finds its call. ``on_call`` is told outside the lock."""
        with self._lock:
            call = change()
            if call is not None:
                self._state.calls.append(call)
        if call is not None and self.on_call is not None:
            self.on_call(call)
        return call

    def _record(self, call: ApiCall) -> None:
        self._apply(lambda: call)

    def _scripted_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        with self._lock:
            queue = self._state.failures.get(method)
            failure = next((f for f in queue or () if f.when is None or f.when(params)), None)
            if failure is None or queue is None:
                return None
            failure.times -= 1
            if failure.times <= 0:
                queue.remove(failure)
            return failure

    def _rate_limited(self, method: str, now: float) -> bool:
        if method != "chat.postMessage" or not self.rate_limit_per_second:
            return False
        with self._lock:
            recent = self._state.recent_posts
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= self.rate_limit_per_second:
                return True
            recent.append(now)
            return False

    def answer(self, method: str, params: dict[str, Any]
               ) -> tuple[int, dict[str, str], dict[str, Any]]:
        now = time.monotonic()
        failure = self._scripted_failure(method, params)
        if failure is None and self._rate_limited(method, now):
            failure = _Failure(status=429, retry_after=1, error=None, times=1)
        if failure is not None and failure.error is None:
            self._record(ApiCall(method, params, now, failure.status, failure.refusal))
            headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
            return failure.status, headers, {"ok": False, "error": "ratelimited"
                                             if failure.status == 429 else "internal_error"}
        if failure is not None:
            self._record(ApiCall(method, params, now, 200, failure.error))
            return 200, {}, {"ok": False, "error": failure.error}
        body: dict[str, Any] = {}

        def handle() -> ApiCall:
            body.update(self._handle(method, params))
            return ApiCall(method, params, now, 200, None if body.get("ok") else body.get("error"))

        self._apply(handle)
        return 200, {}, body

    def _handle(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self._lock:
            return handler(self, p)

    def _next_ts(self) -> str:
        seconds = self.clock().timestamp() if self.clock is not None else time.time()
        return f"{int(seconds)}.{next(self._ts):06d}"

    def _post(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (p.get("text") or p.get("blocks")):
            return {"ok": False, "error": "no_text"}
        channel = _channel_id(channel)
        message = {
            "type": "message", "ts": self._next_ts(), "channel": channel, "user": _BOT_USER,
            "text": p.get("text", ""), "blocks": p.get("blocks") or [],
        }
        if p.get("metadata"):
            message["metadata"] = p["metadata"]
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        self._state.channels.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    # -- files: Slack's external upload in three steps (slack_sdk's files_upload_v2) -----------

    def _upload_url(self, p: dict[str, Any]) -> dict[str, Any]:
        """files.getUploadURLExternal: a file id and the URL its bytes are posted to."""
        filename, length = p.get("filename"), str(p.get("length") or "")
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self._state.files[file_id] = {"id": file_id, "name": filename, "size": int(length),
                                      "alt_txt": p.get("alt_txt"), "content": None,
                                      "completed": False, "channels": []}
        return {"ok": True, "upload_url": f"{self.base_url}upload/v1/{file_id}",
                "file_id": file_id}

    def _receive_upload(self, file_id: str, content: bytes) -> bool:
        """The upload URL: the file's bytes, as many as files.getUploadURLExternal announced."""
        with self._lock:
            file = self._state.files.get(file_id)
            if file is None or file["completed"] or len(content) != file["size"]:
                return False
            file["content"] = content
            self._record(ApiCall("upload", {"file_id": file_id, "length": len(content)},
                                 time.time(), 200, None))
            return True

    def _complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        """files.completeUploadExternal: share the uploaded files in ``channel_id`` (a message
        carrying them, with ``initial_comment`` as its text); none shared without a channel."""
        files = p.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except json.JSONDecodeError:
                return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        found = [self._state.files.get(str(f.get("id"))) for f in files if isinstance(f, dict)]
        if len(found) != len(files) or any(f is None or f["content"] is None for f in found):
            return {"ok": False, "error": "file_not_found"}
        channel = _channel_id(str(p["channel_id"])) if p.get("channel_id") else None
        shared = []
        for file, asked in zip(found, files, strict=True):
            assert file is not None
            file.update(completed=True, title=asked.get("title") or file["name"],
                        channels=[channel] if channel else [])
            shared.append({k: v for k, v in file.items() if k != "content"})
        if channel is not None:
            message = {"type": "message", "ts": self._next_ts(), "channel": channel,
                       "user": _BOT_USER, "text": p.get("initial_comment") or "",
                       "files": shared}
            if p.get("thread_ts"):
                message["thread_ts"] = p["thread_ts"]
            self._state.channels.setdefault(channel, []).append(message)
        return {"ok": True, "files": shared}

    def _update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = _channel_id(p.get("channel", ""))
        for message in self._state.channels.get(channel, []):
            if message["ts"] == p.get("ts"):
                self._replace(message, p)
                return {"ok": True, "channel": channel, "ts": message["ts"],
                        "text": message["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _replace(self, message: dict[str, Any], p: Mapping[str, Any]) -> None:
        for key in ("text", "blocks", "metadata"):
            if key in p:
                message[key] = p[key]
        message["edited"] = {"user": _BOT_USER, "ts": self._next_ts()}

    def _act_on_original(self, key: str, body: Mapping[str, Any]) -> None:
        """What a post to a click's response URL does to the message clicked (lock held)."""
        target = self._state.response_targets.get(key)
        if target is None:
            return
        channel, ts = target
        messages = self._state.channels.get(channel, [])
        if _true(body.get("delete_original")):
            messages[:] = [m for m in messages if m["ts"] != ts]
        elif _true(body.get("replace_original")):
            for message in messages:
                if message["ts"] == ts:
                    self._replace(message, {"blocks": [], **body})

    def _ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("user"):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _open_conversation(self, p: dict[str, Any]) -> dict[str, Any]:
        users = p.get("users")
        if isinstance(users, list):
            users = ",".join(users)
        if not users or "," in str(users):
            return {"ok": False, "error": "users_list_not_supplied"}
        return {"ok": True, "channel": {"id": _channel_id(str(users))}}

    def _history(self, p: dict[str, Any]) -> dict[str, Any]:
        messages = list(reversed(self._state.channels.get(_channel_id(p.get("channel", "")), [])))
        oldest = float(p.get("oldest") or 0)
        messages = [m for m in messages if float(m["ts"]) >= oldest]
        if str(p.get("include_all_metadata", "")).lower() not in ("1", "true"):
            messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
        limit = int(p.get("limit") or 100)
        return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}

    def _view(self, p: dict[str, Any], how: str) -> dict[str, Any]:
        view = p.get("view")
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        if how in ("open", "push") and not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        stored = {**view, "id": p.get("view_id") or f"V{next(self._ids):06d}"}
        self._state.views.append({"how": how, **stored})
        return {"ok": True, "view": stored}

    def _publish(self, p: dict[str, Any]) -> dict[str, Any]:
        view, user = p.get("view"), p.get("user_id")
        if not isinstance(view, dict) or not user:
            return {"ok": False, "error": "invalid_arguments"}
        self._state.home[str(user)] = view
        return {"ok": True, "view": {**view, "id": f"V{next(self._ids):06d}"}}

    def _user_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(p.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": p.get("user"), **user}}

    def _auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        answer = {"ok": True, "team_id": self.team_id, "user_id": _BOT_USER,
                  "bot_id": "B0STANDIN", "url": self.base_url, "team": self.team_name,
                  "is_enterprise_install": False}
        if self.enterprise_id is not None:
            answer["enterprise_id"] = self.enterprise_id
        return answer

    def _refuse_response(self, key: str, body: dict[str, Any]) -> _Failure | None:
        """A scripted failure of a post to a response URL (``fail("response_url", ...)``)."""
        failure = self._scripted_failure("response_url", body)
        if failure is not None:
            self._record(ApiCall("response_url", {"key": key, **body}, time.monotonic(),
                                 failure.status, failure.refusal))
        return failure

    def _respond(self, key: str, body: dict[str, Any]) -> bool:
        def append() -> ApiCall | None:
            if key not in self._state.responses:
                return None
            self._state.responses[key].append(body)
            self._act_on_original(key, body)
            return ApiCall("response_url", {"key": key, **body}, time.monotonic(), 200)

        return self._apply(append) is not None


_METHODS: dict[str, Callable[[SlackStandIn, dict[str, Any]], dict[str, Any]]] = {
    "chat.postMessage": SlackStandIn._post,
    "chat.update": SlackStandIn._update,
    "chat.postEphemeral": SlackStandIn._ephemeral,
    "conversations.open": SlackStandIn._open_conversation,
    "conversations.history": SlackStandIn._history,
    "views.open": lambda s, p: s._view(p, "open"),
    "views.push": lambda s, p: s._view(p, "push"),
    "views.update": lambda s, p: s._view(p, "update"),
    "views.publish": SlackStandIn._publish,
    "users.info": SlackStandIn._user_info,
    "auth.test": SlackStandIn._auth_test,
    "apps.connections.open": SlackStandIn._open_socket_url,
    "files.getUploadURLExternal": SlackStandIn._upload_url,
    "files.completeUploadExternal": SlackStandIn._complete_upload,
}


def _true(value: object) -> bool:
    """A response body's flag, sent as JSON ``true`` or form text ``"true"``."""
    return value is True or str(value).lower() == "true"


def _channel_id(channel: str) -> str:
    """Posting to a user id posts in the DM with them, as Slack does."""
    return "D" + channel[1:] if channel[:1] in ("U", "W") else channel


class _Server(ThreadingHTTPServer):
    # Slack takes any number of calls at once; the default listen backlog of 5 would drop
    # connections under concurrent posts, each then retried by TCP a whole second later.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    standin: SlackStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the stand-in records calls instead of printing them."""

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/link/":
            self._upgrade()
            return
        self._serve(dict(parse_qsl(urlsplit(self.path).query)))

    def _upgrade(self) -> None:
        """A Socket Mode URL: the WebSocket opening handshake, then the connection until closed."""
        self.close_connection = True  # refused or upgraded, the HTTP exchange ends here
        problem = handshake_problem(self.command, self.headers)
        if problem is not None:
            self._send(HTTPStatus.BAD_REQUEST, {"Sec-WebSocket-Version": "13",
                                                "Connection": "close"}, problem.encode())
            return
        ticket = dict(parse_qsl(urlsplit(self.path).query)).get("ticket", "")
        if not self.standin._redeem_ticket(ticket):
            self._send(HTTPStatus.UNAUTHORIZED, {"Connection": "close"},
                       b"unknown or used ticket: call apps.connections.open for a new URL")
            return
        self.send_response(HTTPStatus.SWITCHING_PROTOCOLS)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept_key(self.headers["Sec-WebSocket-Key"]))
        self.end_headers()
        self.standin._serve_socket(WebSocket(self.rfile, self.connection))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if path.startswith("/upload/v1/"):
            ok = self.standin._receive_upload(path.rsplit("/", 1)[-1], raw)
            self._send(HTTPStatus.OK if ok else HTTPStatus.NOT_FOUND, {},
                       f"OK - {len(raw)}".encode() if ok else b"")
            return
        self._serve(_decode_body(raw, self.headers.get("Content-Type", "")))

    def _serve(self, params: dict[str, Any]) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/response/"):
            key = path.rsplit("/", 1)[-1]
            refused = self.standin._refuse_response(key, params)
            if refused is not None:
                self._send(refused.status, {"Retry-After": str(refused.retry_after)}
                           if refused.status == 429 else {}, b"")
                return
            ok = self.standin._respond(key, params)
            self._send(HTTPStatus.OK if ok else HTTPStatus.NOT_FOUND, {}, b"ok" if ok else b"")
            return
        if not path.startswith("/api/"):
            self._send(HTTPStatus.NOT_FOUND, {}, b"")
            return
        method = path[len("/api/"):]
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else ""
        error = _token_error(method, token, self.standin.bot_token)
        if error is not None:
            self._send_json(200, {}, {"ok": False, "error": error})
            return
        params = {**dict(parse_qsl(urlsplit(self.path).query)), **params}
        if method == "apps.connections.open":
            params["token"] = token
        status, headers, body = self.standin.answer(method, params)
        if token.startswith("xoxb-"):
            headers = {**headers, "x-oauth-scopes": ",".join(self.standin.scopes)}
        if method == "users.info" and "users:read" not in self.standin.scopes:
            body = {"ok": False, "error": "missing_scope", "needed": "users:read"}
        self._send_json(status, headers, body)

    def _send_json(self, status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
        self._send(status, {"Content-Type": "application/json; charset=utf-8", **headers},
                   json.dumps(body).encode())

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _token_error(method: str, token: str, bot_token: str | None = None) -> str | None:
    """Slack's error for calling ``method`` with ``token``: the app-level (xapp-) token opens
    Socket Mode connections and nothing else; bot and user (xox…) tokens do everything else
    (only ``bot_token`` among them, when one is set)."""
    if method == "api.test":
        return None
    if not token:
        return "not_authed"
    wanted = "xapp-" if method == "apps.connections.open" else "xox"
    if token.startswith(wanted):
        if wanted == "xox" and bot_token is not None and token != bot_token:
            return "invalid_auth"
        return None
    return "not_allowed_token_type" if token.startswith(("xapp-", "xox")) else "invalid_auth"


def _decode_body(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}
    params: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
    for name in _JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                params[name] = json.loads(value)
    return params


# --- requests into the bot, signed as Slack signs them -----------------------------------------


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with ``body``: v0 signature over ``v0:timestamp:body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


Signed = tuple[bytes, dict[str, str]]

_trigger_ids = itertools.count(1)


def _trigger_id() -> str:
    return f"{next(_trigger_ids)}.{int(time.time())}.standin"


def slash_command_payload(user_id: str, text: str, *, response_url: str = "",
                          channel_id: str = "C0GENERAL", trigger_id: str | None = None,
                          team_id: str = TEAM_ID, command: str = "/contact-check",
                          ) -> dict[str, str]:
    """What Slack sends for a slash command: the form fields (a JSON object in Socket Mode)."""
    return {
        "token": "standin", "team_id": team_id, "team_domain": "standin",
        "channel_id": channel_id, "channel_name": "general", "user_id": user_id,
        "user_name": user_id.lower(), "command": command, "text": text,
        "api_app_id": _APP_ID, "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }


def block_action_payload(user_id: str, action_id: str, value: str = "", *,
                         block_id: str = "actions", message: Mapping[str, Any] | None = None,
                         channel_id: str | None = None, view: Mapping[str, Any] | None = None,
                         response_url: str = "", trigger_id: str | None = None,
                         team_id: str = TEAM_ID) -> dict[str, Any]:
    """A button click, in a message (give ``message`` and ``channel_id``) or in a view."""
    payload: dict[str, Any] = {
        "type": "block_actions", "user": {"id": user_id, "team_id": team_id},
        "api_app_id": _APP_ID, "team": {"id": team_id}, "trigger_id": trigger_id or _trigger_id(),
        "actions": [{"type": "button", "action_id": action_id, "block_id": block_id,
                     "value": value, "action_ts": f"{time.time():.6f}"}],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "")}
        payload["view"] = dict(view)
    else:
        ts = (message or {}).get("ts", "")
        channel = channel_id or (message or {}).get("channel", "")
        payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel,
                                "is_ephemeral": False}
        payload["channel"] = {"id": channel}
        payload["message"] = dict(message or {})
        payload["response_url"] = response_url
    return payload


def view_submission_payload(user_id: str, view: Mapping[str, Any],
                            values: Mapping[str, Mapping[str, Mapping[str, Any]]], *,
                            trigger_id: str | None = None,
                            team_id: str = TEAM_ID) -> dict[str, Any]:
    """Submitting a modal; ``values`` is Slack's ``state.values`` (block → action → value)."""
    submitted = {**view, "id": view.get("id") or "V0SUBMITTED",
                 "state": {"values": {b: dict(a) for b, a in values.items()}}}
    return {
        "type": "view_submission", "user": {"id": user_id, "team_id": team_id},
        "api_app_id": _APP_ID, "team": {"id": team_id}, "trigger_id": trigger_id or _trigger_id(),
        "view": submitted,
    }


class SlackRequests:
    """Builds the requests Slack sends to the bot, signed with the app's signing secret."""

    FORM = "application/x-www-form-urlencoded"

    def __init__(self, signing_secret: str, *, team_id: str = TEAM_ID,
                 command: str = "/contact-check"):
        self.secret = signing_secret
        self.team_id = team_id
        self.command = command
        self._triggers = itertools.count(1)

    def _signed(self, body: bytes, timestamp: int | None) -> Signed:
        return body, {"Content-Type": self.FORM, **sign(body, self.secret, timestamp)}

    def trigger_id(self) -> str:
        return f"{next(self._triggers)}.{int(time.time())}.standin"

    def slash_command(self, user_id: str, text: str, *, response_url: str = "",
                      channel_id: str = "C0GENERAL", timestamp: int | None = None) -> Signed:
        form = slash_command_payload(
            user_id, text, response_url=response_url, channel_id=channel_id,
            trigger_id=self.trigger_id(), team_id=self.team_id, command=self.command)
        return self._signed(urlencode(form).encode(), timestamp)

    def interaction(self, payload: Mapping[str, Any], timestamp: int | None = None) -> Signed:
        body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()
        return self._signed(body, timestamp)

    def block_action(self, user_id: str, action_id: str, value: str = "", *,
                     block_id: str = "actions", message: Mapping[str, Any] | None = None,
                     channel_id: str | None = None, view: Mapping[str, Any] | None = None,
                     response_url: str = "", timestamp: int | None = None) -> Signed:
        """A button click, in a message (give ``message`` and ``channel_id``) or in a view."""
        payload = block_action_payload(
            user_id, action_id, value, block_id=block_id, message=message, channel_id=channel_id,
            view=view, response_url=response_url, trigger_id=self.trigger_id(),
            team_id=self.team_id)
        return self.interaction(payload, timestamp)

    def view_submission(self, user_id: str, view: Mapping[str, Any],
                        values: Mapping[str, Mapping[str, Mapping[str, Any]]], *,
                        timestamp: int | None = None) -> Signed:
        """Submitting a modal; ``values`` is Slack's ``state.values`` (block → action → value)."""
        payload = view_submission_payload(user_id, view, values, trigger_id=self.trigger_id(),
                                          team_id=self.team_id)
        return self.interaction(payload, timestamp)
