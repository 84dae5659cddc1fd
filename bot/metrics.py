"""What a running bot reports: ``/metrics`` (Prometheus text format) and one log line a request.

Every label value is a kind, an outcome, a Slack method or error code, or a feed's name from the
policy: never a client's code, name, number or anything a person typed (tests/test_metrics.py
scans the output for the canary values of the privacy tests).

Process metrics (this replica's own): requests, ack and card latency, send lateness, Slack API
errors, 429s, outbox retries. Database metrics (the same for every replica, read at each scrape
by ``DatabaseCollector``): outbox depth, due-but-unsent, approvals pending. With several
replicas, sum the process metrics over replicas and take ``max`` of the database ones.

``observed_dispatch`` wraps the Bolt app's ``dispatch`` (HTTP and Socket Mode both go through
it): it times each request to its ack and, unless the listener's work goes on after the ack
(``defer``), counts it and logs its line. Work that goes on calls ``finish`` when it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import Engine, func, select
from sqlmodel import col

from storage.db import read_only
from storage.tables import Approval, OutboxMessage

log = logging.getLogger("contact_check.requests")
slack_log = logging.getLogger("contact_check.slack")

METRICS_PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Context keys a listener sets on the request's BoltContext.
KIND = "contact_check_kind"  # a finer kind (the command's form), set before the ack
OUTCOME = "contact_check_outcome"  # an outcome other than what the ack's status says
DEFERRED = "contact_check_deferred"  # the work goes on after the ack; it calls ``finish``
STARTED = "contact_check_started"

REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)

REQUESTS = Counter("contact_check_requests", "Slack requests handled, by kind and outcome",
                   ["kind", "outcome"], registry=REGISTRY)
ACK_SECONDS = Histogram("contact_check_ack_seconds", "Time from a Slack request to its ack",
                        ["kind"], buckets=LATENCY_BUCKETS, registry=REGISTRY)
CARD_SECONDS = Histogram("contact_check_card_seconds",
                         "Time from /contact-check CODE to the card posted to the user",
                         buckets=LATENCY_BUCKETS, registry=REGISTRY)
SEND_LATENESS = Histogram("contact_check_send_lateness_seconds",
                          "How long after its due time an outbox message went out, by kind",
                          ["kind"], buckets=(1, 5, 15, 60, 300, 900, 3600, 14400),
                          registry=REGISTRY)
SLACK_API_ERRORS = Counter("contact_check_slack_api_errors",
                           "Slack Web API calls that failed, by method and Slack's error code",
                           ["method", "error"], registry=REGISTRY)
SLACK_RATE_LIMITED = Counter("contact_check_slack_rate_limited",
                             "Slack Web API calls answered 429 (rate limited), by method",
                             ["method"], registry=REGISTRY)
OUTBOX_RETRIES = Counter("contact_check_outbox_retries",
                         "Outbox sends put off to try again, by kind and reason",
                         ["kind", "reason"], registry=REGISTRY)
# Set by the calendar feed sync after each successful sync of a feed (the feed's name in the
# policy): ``FEED_LAST_SYNC.labels(feed=name).set_to_current_time()``. Its age is
# ``time() - contact_check_calendar_feed_last_sync_timestamp_seconds`` in PromQL.
FEED_LAST_SYNC = Gauge("contact_check_calendar_feed_last_sync_timestamp_seconds",
                       "When each calendar feed last synced (Unix time)", ["feed"],
                       registry=REGISTRY)

_EVENTS = ("app_home_opened",)
_INTERACTIONS = ("block_actions", "view_submission", "view_closed", "block_suggestion",
                 "shortcut", "message_action")


def _bounded(value: object, limit: int = 48) -> str:
    text = str(value or "unknown")
    return "".join(c if c.isalnum() or c in "._:-" else "_" for c in text[:limit])


# -- requests --------------------------------------------------------------------------------------


def request_ids(body: Mapping[str, Any]) -> dict[str, Any]:
    """The identifiers of a Slack request that are safe to log (no text, no values), whatever
    shape the body has."""
    def field(name: str, key: str) -> Any:
        value = body.get(name)
        return value.get(key) if isinstance(value, dict) else None

    listed = body.get("actions")
    actions = listed if isinstance(listed, list) else []
    ids: dict[str, Any] = {
        "user": body.get("user_id") or field("user", "id"),
        "team": body.get("team_id") or field("team", "id"),
        "command": body.get("command"),
        "callback_id": field("view", "callback_id"),
        "actions": [a.get("action_id") for a in actions if isinstance(a, dict)] or None,
        "event": field("event", "type"),
    }
    return {key: str(value)[:80] if isinstance(value, str) else value
            for key, value in ids.items() if value}


def request_kind(body: Mapping[str, Any]) -> str:
    """``command``, an interaction's type, or ``event:TYPE`` (known events only)."""
    if "command" in body:
        return "command"
    if body.get("type") == "event_callback":
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        return f"event:{event_type}" if event_type in _EVENTS else "event:other"
    kind = body.get("type")
    return kind if kind in _INTERACTIONS else "other"


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "refused"
    if status == 404:
        return "unhandled"
    return "error"


def finish(context: Mapping[str, Any], body: Mapping[str, Any], outcome: str,
           *, now: float | None = None) -> None:
    """Count a request and log its line: kind, outcome, latency from receipt, ids."""
    kind = context.get(KIND) or request_kind(body)
    started = context.get(STARTED)
    seconds = ((now or time.perf_counter()) - started) if started is not None else 0.0
    REQUESTS.labels(kind=kind, outcome=outcome).inc()
    if kind == "command:card" and outcome == "ok":
        CARD_SECONDS.observe(seconds)
    log.info("request %s %s in %.0f ms", kind, outcome, seconds * 1000,
             extra={"fields": {"kind": kind, "outcome": outcome,
                               "latency_ms": round(seconds * 1000, 1),
                               "ids": request_ids(body)}})


def observed_dispatch(dispatch: Callable[[BoltRequest], BoltResponse]
                      ) -> Callable[[BoltRequest], BoltResponse]:
    """Bolt's ``App.dispatch``, timed to the ack, counted and logged (``finish``)."""
    def run(request: BoltRequest) -> BoltResponse:
        context = request.context
        context[STARTED] = time.perf_counter()
        response = dispatch(request)
        acked = time.perf_counter()
        body = request.body if isinstance(request.body, dict) else {}
        kind = context.get(KIND) or request_kind(body)
        ACK_SECONDS.labels(kind=kind).observe(acked - context[STARTED])
        if not context.get(DEFERRED):
            finish(context, body, context.get(OUTCOME) or _outcome(response.status), now=acked)
        return response

    return run


# -- Slack's Web API -------------------------------------------------------------------------------


class ObservedWebClient(WebClient):
    """A ``WebClient`` whose failed calls are logged (method and Slack's error code: neither
    holds client data) and counted, 429s apart."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            note_slack_error(api_method, error)
            raise


def note_slack_error(method: str, error: SlackApiError) -> None:
    response = error.response
    status = getattr(response, "status_code", 0)
    try:
        code = str(response.get("error") or f"http_{status}")
    except Exception:  # a body that is not JSON (a proxy's error page)
        code = f"http_{status}"
    method, code = _bounded(method), _bounded(code)
    if status == 429 or code == "ratelimited":
        SLACK_RATE_LIMITED.labels(method=method).inc()
    SLACK_API_ERRORS.labels(method=method, error=code).inc()
    slack_log.warning("Slack API error: %s %s (HTTP %s)", method, code, status,
                      extra={"fields": {"slack_method": method, "slack_error": code,
                                        "http_status": status}})


# -- the outbox ------------------------------------------------------------------------------------


def note_sent(kind: str, late_by_seconds: float) -> None:
    SEND_LATENESS.labels(kind=_bounded(kind)).observe(max(0.0, late_by_seconds))


def note_retry(kind: str, reason: str) -> None:
    OUTBOX_RETRIES.labels(kind=_bounded(kind), reason=reason).inc()


class DatabaseCollector(Collector):
    """Outbox depth and approvals pending, read from the database at each scrape (read-only:
    never waits on a write lock)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None):
        self.reader = read_only(engine)
        self.clock = clock or (lambda: datetime.now(UTC))

    def collect(self) -> Iterable[GaugeMetricFamily]:
        depth = GaugeMetricFamily("contact_check_outbox_depth",
                                  "Outbox messages not yet sent, by kind and status",
                                  labels=["kind", "status"])
        due = GaugeMetricFamily("contact_check_outbox_due_unsent",
                                "Outbox messages past their due time and not sent, by kind",
                                labels=["kind"])
        pending = GaugeMetricFamily("contact_check_approvals_pending",
                                    "Approval requests awaiting a decision, by kind",
                                    labels=["kind"])
        now = self.clock()
        waiting = ("pending", "sending")
        with self.reader.connect() as connection:
            for kind, status, count in connection.execute(
                    select(col(OutboxMessage.kind), col(OutboxMessage.status), func.count())
                    .where(col(OutboxMessage.status).in_(waiting))
                    .group_by(col(OutboxMessage.kind), col(OutboxMessage.status))):
                depth.add_metric([_bounded(kind), status], count)
            for kind, count in connection.execute(
                    select(col(OutboxMessage.kind), func.count())
                    .where(col(OutboxMessage.status).in_(waiting), col(OutboxMessage.due_at) <= now)
                    .group_by(col(OutboxMessage.kind))):
                due.add_metric([_bounded(kind)], count)
            for kind, count in connection.execute(
                    select(col(Approval.kind), func.count())
                    .where(col(Approval.status) == "pending").group_by(col(Approval.kind))):
                pending.add_metric([_bounded(kind)], count)
        return [depth, due, pending]


def exposition(engine: Engine) -> bytes:
    """The ``/metrics`` body: this process's metrics, then the database's."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(engine))
    try:
        tail = generate_latest(database)
    except Exception as error:  # the database is down: the process metrics still count
        logging.getLogger("contact_check.metrics").warning("database metrics unavailable (%s)",
                                              type(error).__name__)
        tail = b""
    return generate_latest(REGISTRY) + tail


def metrics_wsgi(engine: Engine) -> Callable[..., Iterable[bytes]]:
    """A WSGI app serving ``exposition`` on any path (for ``METRICS_PORT``)."""
    def application(environ: dict[str, Any], start_response: Callable[..., Any]
                    ) -> Iterable[bytes]:
        body = exposition(engine)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE),
                                  ("Content-Length", str(len(body)))])
        return [body]

    return application
