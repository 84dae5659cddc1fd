"""What may reach the Slack app over HTTP at all: checked before Bolt reads a byte of it.

``SlackGate`` stands in front of Bolt on ``POST /slack/events``, in this order:

1. **Size.** A body over ``MAX_BODY`` (1 MB) is refused with 413 before it is read (waitress
   refuses it too, chunked or not: ``bot.server``).
2. **Signature.** Slack's v0 signature, checked here: the timestamp must be a whole number of
   seconds (not ``abc``, ``1e9``, empty or negative) within ``WINDOW`` (5 minutes) of now, and
   the HMAC-SHA256 of ``v0:timestamp:body`` under the signing secret must match, compared in
   constant time. Anything else gets 401: no Bolt, no listener, no error handler, no reply to
   any URL the body names, no database write. Bolt's own check still runs after this one.
3. **Shape.** A signed body that is not what Slack sends (not UTF-8, a ``payload`` that is not a
   JSON object, a ``view`` or ``event`` that is not an object...) gets 400, never a traceback.
4. **Replays.** Each accepted request's keys are claimed in the database (``seen_requests``,
   shared by every replica): its signature until its timestamp leaves the window, and for an
   Events API delivery its ``event_id`` for ``EVENT_MEMORY`` (Slack's retries of an event,
   ``X-Slack-Retry-Num``, come with a fresh timestamp and signature but the same ``event_id``).
   A request whose key is already held is answered 200 and not run again.

Every refusal above is logged as one short WARNING line, at most one a minute
(``bot.logs.Throttled``), with no request data in it.

The replay claim is the only database write before the ack, and it may not hold the ack past
Slack's 3 seconds: when the database does not answer within ``CLAIM_WAIT``, the request is let
through on this replica's memory of recent keys (a replay to this replica is still refused), the
claim finishes in the background, and a WARNING says so.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from bot.logs import Throttled, frames_only
from storage.uow import Store

log = logging.getLogger("contact_check.gate")

MAX_BODY = 1024 * 1024  # bytes; Slack's largest payloads (a modal's state) are far smaller
WINDOW = 5 * 60  # seconds either side of now that a request's timestamp may be
SKEW = timedelta(minutes=1)  # kept beyond the window, for replicas whose clocks differ a little
EVENT_MEMORY = timedelta(hours=1)  # Slack retries an event within minutes (0, 1 and 5 later)
CLAIM_WAIT = 1.0  # seconds the replay claim may hold a request before memory alone decides
PURGE_EVERY = 60.0  # seconds between purges of expired keys (database and memory)
MAX_REMEMBERED = 100_000  # keys kept in memory; the oldest go first beyond that
MAX_FORM_FIELDS = 100

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# Fields Bolt and the handlers read as objects (or lists of objects) when they are present.
_OBJECTS = ("user", "team", "enterprise", "channel", "container", "message", "view", "event",
            "previous_message", "item", "assistant_thread", "function_data")
_LISTS = ("actions", "authorizations", "response_urls")
# What each kind of request cannot do without.
_REQUIRED = {
    "block_actions": ("actions", "user"),
    "view_submission": ("view", "user"),
    "view_closed": ("view", "user"),
    "event_callback": ("event",),
}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Refused:
    status: int
    why: str  # for the log: which rule, never what the request held


def signature_problem(secret: str, timestamp: str, signature: str, body: bytes,
                      now: float) -> str | None:
    """Why ``body`` is not signed by Slack with ``secret`` (None: it is)."""
    if not secret:
        return "no signing secret is configured"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "the timestamp is not a whole number of seconds"
    if abs(now - int(timestamp)) > WINDOW:
        return "the timestamp is outside the 5-minute window"
    if not _SIGNATURE.fullmatch(signature):
        return "the signature is missing or not a v0 signature"
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "the signature does not match"
    return None


def parse_body(body: bytes, content_type: str) -> tuple[dict[str, Any] | None, str | None]:
    """The request as Bolt will read it: (the payload, None), or (None, what is wrong)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, "the body is not UTF-8"
    if "json" in content_type.lower():
        return _json_object(text)
    try:
        fields = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
    except ValueError:
        return None, "the form has too many fields"
    if "payload" not in fields:
        return fields, None
    return _json_object(fields["payload"])


def _json_object(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        value = json.loads(text)
    except ValueError:
        return None, "the JSON does not parse"
    if not isinstance(value, dict):
        return None, "the JSON is not an object"
    problem = shape_problem(value)
    return (None, problem) if problem else (value, None)


def shape_problem(payload: Mapping[str, Any]) -> str | None:
    """What in a payload is not shaped as Slack shapes it (None: nothing)."""
    for name in _REQUIRED.get(str(payload.get("type")), ()):
        if not payload.get(name):
            return f"a {payload.get('type')} has no {name}"
    for name in _OBJECTS:
        if payload.get(name) is not None and not isinstance(payload[name], dict):
            return f"{name} is not an object"
    for name in _LISTS:
        value = payload.get(name)
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(item, dict) for item in value)):
            return f"{name} is not a list of objects"
    event = payload.get("event")
    if isinstance(event, dict) and not isinstance(event.get("type"), str):
        return "the event has no type"
    view = payload.get("view")
    return _view_problem(view) if isinstance(view, dict) else None


def _view_problem(view: Mapping[str, Any]) -> str | None:
    if not isinstance(view.get("type"), str):
        return "the view has no type"
    for name in ("id", "callback_id", "private_metadata"):
        if view.get(name) is not None and not isinstance(view[name], str):
            return f"the view's {name} is not text"
    state = view.get("state")
    if state is None:
        return None
    values = state.get("values") if isinstance(state, dict) else ()
    if values is not None and not (isinstance(values, dict) and all(
            isinstance(block, dict) and all(isinstance(v, dict) for v in block.values())
            for block in values.values())):
        return "the view's state is not blocks of actions"
    return None


def replay_keys(signature: str, timestamp: int, payload: Mapping[str, Any],
                now: datetime) -> dict[str, datetime]:
    """The keys a request holds, each until it expires: its signature for as long as it could
    be accepted again, and an Events API delivery's event id for ``EVENT_MEMORY``."""
    keys = {f"signature:{signature}": datetime.fromtimestamp(timestamp + WINDOW, UTC) + SKEW}
    event_id = payload.get("event_id")
    if payload.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
        team = payload.get("team_id") or payload.get("enterprise_id") or ""
        keys[f"event:{team}:{event_id}"] = now + EVENT_MEMORY
    return keys


class ReplayGuard:
    """Which requests were accepted already, here and by every replica of the database."""

    def __init__(self, store: Store, *, wait: float = CLAIM_WAIT,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.wait = wait
        self.clock = clock
        self._memory: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._purged_at = 0.0
        self._claims = ThreadPoolExecutor(max_workers=4, thread_name_prefix="replay-claim")
        self._stalled = Throttled(log)

    def first_time(self, keys: dict[str, datetime]) -> bool:
        """True when no key is held (the keys are held from now on); False for a repeat."""
        now = self.clock()
        with self._lock:
            if any(key in self._memory and self._memory[key] > now for key in keys):
                return False
            self._memory.update(keys)  # a twin arriving meanwhile on this replica is a repeat
            purge = time.monotonic() - self._purged_at >= PURGE_EVERY
            if purge:
                self._purged_at = time.monotonic()
                self._forget(now)
        claim = self._claims.submit(self._claim, keys, now, purge)
        try:
            return claim.result(timeout=self.wait)
        except WaitedTooLong:
            self._stalled.log("the replay check waited %.1fs for the database; the request was "
                              "let through on this replica's memory of recent requests", self.wait)
            claim.add_done_callback(self._late_claim)
            return True
        except Exception as error:  # the database failed: the request's own work will say so
            self._stalled.log("the replay check could not reach the database (%s); the request "
                              "was let through on this replica's memory of recent requests",
                              type(error).__name__)
            return True

    def _claim(self, keys: dict[str, datetime], now: datetime, purge: bool) -> bool:
        with self.store.unit_of_work() as uow:
            if purge:
                uow.seen_requests.purge(now)
            new = uow.seen_requests.claim(keys, now)
            uow.commit()
        return new

    def _late_claim(self, claim: Any) -> None:
        if not claim.cancelled() and claim.exception() is None and claim.result() is False:
            log.warning("a request let through while the database stalled had already been "
                        "accepted by another replica (a replay)")

    def _forget(self, now: datetime) -> None:
        for key in [k for k, expires in self._memory.items() if expires <= now]:
            del self._memory[key]
        while len(self._memory) > MAX_REMEMBERED:
            del self._memory[next(iter(self._memory))]


class SlackGate:
    """The WSGI gate in front of Bolt's handler (``downstream``) for ``POST /slack/events``."""

    def __init__(self, signing_secret: str, replays: ReplayGuard, downstream: WsgiApp, *,
                 clock: Callable[[], float] = time.time):
        self.secret = signing_secret
        self.replays = replays
        self.downstream = downstream
        self.clock = clock
        self._refusals = Throttled(log)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        declared = _content_length(environ)
        if declared is None:
            return self._refuse(start_response, Refused(400, "the Content-Length is not a number"))
        if declared > MAX_BODY:
            return self._refuse(start_response, Refused(413, "the body is over 1 MB"))
        body = environ["wsgi.input"].read(declared) if declared else b""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        unsigned = signature_problem(self.secret, timestamp, signature, body, self.clock())
        if unsigned is not None:
            return self._refuse(start_response, Refused(401, unsigned))
        payload, malformed = parse_body(body, environ.get("CONTENT_TYPE", ""))
        if payload is None:
            return self._refuse(start_response, Refused(400, malformed or "malformed"))
        keys = replay_keys(signature, int(timestamp), payload, self.replays.clock())
        if not self.replays.first_time(keys):
            self._repeat(environ)
            return _json(start_response, 200, None)
        admitted = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        try:
            return self.downstream(admitted, start_response)
        except Exception as error:  # Bolt itself failed on a signed request: no traceback text
            reference = uuid.uuid4().hex[:10]
            log.error("Bolt failed on a signed request (reference %s)\n%s", reference,
                      frames_only(error))
            return _json(start_response, 500, {"error": f"internal error {reference}"},
                         exc_info=sys.exc_info())

    def _refuse(self, start_response: StartResponse, refused: Refused) -> list[bytes]:
        self._refusals.log("refused a request to /slack/events with %d: %s", refused.status,
                           refused.why)
        messages = {400: "malformed request", 401: "invalid request",
                    413: "request body too large"}
        return _json(start_response, refused.status, {"error": messages[refused.status]})

    def _repeat(self, environ: Mapping[str, Any]) -> None:
        retry = str(environ.get("HTTP_X_SLACK_RETRY_NUM", ""))
        if retry.isdigit():
            log.info("Slack's retry %s of a request already accepted was not run again",
                     retry[:3])
        else:
            self._refusals.log("a replayed request was answered and not run again")


def _content_length(environ: Mapping[str, Any]) -> int | None:
    declared = str(environ.get("CONTENT_LENGTH") or "0").strip()
    return int(declared) if declared.isdigit() else None


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 413: "Content Too Large",
            500: "Internal Server Error"}


def _json(start_response: StartResponse, status: int, body: dict[str, Any] | None,
          exc_info: Any = None) -> list[bytes]:
    payload = b"" if body is None else json.dumps(body).encode()
    headers = [("Content-Length", str(len(payload)))]
    if body is not None:
        headers.insert(0, ("Content-Type", "application/json"))
    start_response(f"{status} {_REASONS[status]}", headers, exc_info)
    return [payload]
