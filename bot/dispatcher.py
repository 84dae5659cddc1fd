"""The dispatcher: sends the outbox's due messages to Slack, paced, retried, reconciled.

It runs on a thread of its own and sends when woken (``wake()``: APScheduler does it every few
seconds and at start, see ``bot.scheduling``); everything it must send is in the database, so a
missed wake-up loses nothing and a restart picks up where the last run stopped.

For each row it claims (``uow.outbox.claim``: atomic, leased):

1. **re-check** — the kind's ``still_wanted`` (its row in ``bot.outbox_kinds``): a duty
   returned, a client arrived, consent withdrawn → the row is cancelled with the reason, nothing
   is sent;
2. **reconcile** — when an earlier attempt's outcome is unknown (its holder died, the connection
   broke, Slack answered 5xx), the DM's recent history is read with ``include_all_metadata`` and a
   message tagged with this row's id counts as sent: a crash between Slack's answer and recording
   it neither loses the message nor doubles it;
3. **render** (the kind's use case reads the facts, ``bot.slack_ui`` draws them) and **send**,
   tagged with the row's id in Slack message metadata, marked late when far past its due time
   (never dropped);
4. **record** the outcome in its own transaction.

Slack's limits: at most ``send_rate`` messages a second overall — all replicas together: on
PostgreSQL each send first takes the slot of a budget the replicas share (``bot.pacing``) — and
one a second per DM; on 429 nothing at all is sent until ``Retry-After`` has passed, by this
dispatcher or (PostgreSQL) any other; 5xx and connection errors are retried
with exponential backoff; permanent errors (``user_not_found``, ``account_inactive``,
``missing_scope``…) stop, are recorded and reported to the clinic's admins by DM. Claims take
no-show chases (priority 1) before bulk call-back reminders.

Times: ``deps.clock`` says what is due and how late (tests move a ``ManualClock``); pacing and
waits use ``monotonic``/``sleep`` on the real clock (both injectable).
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.deps import Deps
from bot.metrics import ObservedWebClient, note_retry, note_sent
from bot.outbox_kinds import OUTBOX_KINDS, OutboxKind
from bot.pacing import Pace, pace_for
from bot.policy.scripts import clinic_time_text
from bot.services.deliveries import DELIVERY_FAILED, FAILURE_REPORT_PRIORITY
from bot.slack_ui.outbox import Rendered
from bot.slack_ui.reminders import mark_late
from storage.repositories.outbox import Claimed
from storage.tables import OutboxMessage

log = logging.getLogger(__name__)

METADATA_EVENT = "contact_check_outbox"
# Slack answers these with ok: false when trying again cannot help.
TRANSIENT_ERRORS = frozenset({
    "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited",
})
HISTORY_PAGE = 200
HISTORY_PAGES = 3


@dataclass
class DrainReport:
    """What one ``drain`` did (for tests, the benchmark and logs)."""

    sent: int = 0
    reconciled: int = 0  # found already in Slack after an unknown outcome: recorded, not resent
    cancelled: int = 0
    failed: int = 0
    retried: int = 0  # put back for later after a 5xx or connection error
    rate_limited: int = 0  # 429 answers
    late: int = 0
    lateness: list[float] = field(default_factory=list)  # seconds past due, per message sent

    def add(self, other: DrainReport) -> None:
        for name in ("sent", "reconciled", "cancelled", "failed", "retried", "rate_limited",
                     "late"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lateness.extend(other.lateness)


class _Stopped(Exception):
    pass


@dataclass
class _Outcome:
    kind: str  # sent, rate_limited, transient, permanent
    channel: str | None = None
    ts: str | None = None
    error: str = ""
    retry_after: float = 0.0


class Dispatcher:
    def __init__(
        self,
        deps: Deps,
        *,
        client: WebClient | None = None,
        owner: str | None = None,
        batch: int | None = None,
        lease: timedelta = timedelta(seconds=60),
        per_channel_interval: float = 1.0,
        max_backoff: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
        timeout: float = 10.0,
        pace: Pace | None = None,
        kinds: Mapping[str, OutboxKind] = OUTBOX_KINDS,
    ):
        self.deps = deps
        self.client = client or ObservedWebClient(
            token=deps.bot_token or None, base_url=deps.slack_api_url, timeout=int(timeout),
            retry_handlers=[],  # every retry is decided here, where the outcome is recorded
        )
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch = batch or max(1, min(50, round(deps.send_rate * 2)))
        self.lease = lease
        self.per_channel_interval = per_channel_interval
        self.max_backoff = max_backoff
        self.monotonic = monotonic
        self.kinds = kinds  # what it sends: ``bot.outbox_kinds`` (tests add kinds of their own)
        self.report = DrainReport()
        # The overall pace and a 429's Retry-After; shared by the replicas on PostgreSQL.
        self.pace = pace or pace_for(deps.store, deps.send_rate, self.owner, monotonic)

        self._channel_ready: dict[str, float] = {}  # recipient -> monotonic
        self._dm_channels: dict[str, str] = {}  # recipient -> DM channel id (for history)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beat = monotonic()
        self._database_ok = True

    # -- running on a thread ------------------------------------------------------------------

    def start(self) -> Dispatcher:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="outbox-dispatcher",
                                            daemon=True)
            self._thread.start()
        self.wake()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look for due messages now (APScheduler calls this every few seconds)."""
        self._wake.set()

    def healthy(self, stale_after: float = 60.0) -> bool:
        """For /healthz: the thread runs, beat recently, and last reached the database."""
        alive = self._thread is not None and self._thread.is_alive()
        return alive and self._database_ok and self.monotonic() - self._beat < stale_after

    def _run(self) -> None:
        while not self._stop.is_set():
            self._beat = self.monotonic()
            if not self._wake.wait(timeout=1.0):
                continue
            self._wake.clear()
            try:
                self.report.add(self.drain())
            except _Stopped:
                return
            except Exception:
                self._database_ok = False
                log.exception("dispatcher: drain failed; retrying at the next wake-up")
                self._pause(1.0)

    # -- draining -----------------------------------------------------------------------------

    def drain(self, *, max_seconds: float | None = None) -> DrainReport:
        """Send everything due now; return when nothing due is left (or ``max_seconds`` passed)."""
        report = DrainReport()
        give_up = None if max_seconds is None else self.monotonic() + max_seconds
        while not self._stop.is_set():
            self._beat = self.monotonic()
            if give_up is not None and self.monotonic() >= give_up:
                break
            claims = self._claim()
            if not claims:
                break
            try:
                self._send_batch(claims, report)
            except _Stopped:
                self._release_unsent(claims)
                raise
        return report

    def _claim(self) -> list[Claimed]:
        with self.deps.store.unit_of_work() as uow:
            claims = uow.outbox.claim(self.owner, self.deps.clock.now(), self.batch, self.lease)
            uow.commit()
        self._database_ok = True
        return claims

    def _send_batch(self, claims: list[Claimed], report: DrainReport) -> None:
        queue = deque(claims)
        self._batch = claims
        self._done: set[uuid.UUID] = set()
        renewed = self.monotonic()
        while queue:
            if self.monotonic() - renewed > self.lease.total_seconds() / 3:
                self._renew_for(0.0)  # a long batch (busy DMs, 429s) keeps its rows
                renewed = self.monotonic()
            claimed = self._next_ready(queue)
            row_id = claimed.row.id
            requeue = self._process(claimed, report)
            if requeue:
                queue.appendleft(claimed)
            else:
                self._done.add(row_id)

    def _next_ready(self, queue: deque[Claimed]) -> Claimed:
        """The first row whose DM may take a message now; waits when none may."""
        while True:
            now = self.monotonic()
            for i, claimed in enumerate(queue):
                if self._channel_ready.get(claimed.row.recipient, 0.0) <= now:
                    del queue[i]
                    return claimed
            soonest = min(self._channel_ready.get(c.row.recipient, 0.0) for c in queue)
            self._pause(soonest - now)

    def _release_unsent(self, claims: list[Claimed]) -> None:
        unsent = [c for c in claims if c.row.id not in getattr(self, "_done", set())]
        if not unsent:
            return
        with self.deps.store.unit_of_work() as uow:
            uow.outbox.release(unsent, self.owner)
            uow.commit()

    # -- one message --------------------------------------------------------------------------

    def _process(self, claimed: Claimed, report: DrainReport) -> bool:
        """Handle one claimed row; True to try it again shortly (after a 429)."""
        row = claimed.row
        delivery = self.kinds.get(row.kind)
        if delivery is None:
            self._finish_failed(row, f"unknown message kind {row.kind}", report, notify=False)
            return False
        now = self.deps.clock.now()
        with self.deps.store.unit_of_work() as uow:
            try:
                reason = delivery.still_wanted(uow, row, now)
                rendered = None if reason else delivery.prepare(uow, self.deps.policy, row, now)
            except Exception as error:
                log.exception("dispatcher: outbox %s (%s) could not be prepared", row.id, row.kind)
                reason, rendered = None, None
                failure = f"could not be prepared: {type(error).__name__}"
            if reason is not None:
                uow.outbox.mark_cancelled(row.id, self.owner, f"not sent: {reason}")
                uow.commit()
                report.cancelled += 1
                log.info("dispatcher: outbox %s not sent (%s)", row.id, reason)
                return False
        if rendered is None:
            self._finish_failed(row, failure, report, notify=True)
            return False

        if claimed.uncertain and rendered.update is None:
            self._wait_unblocked()
            found = self._reconcile(row)
            if isinstance(found, _Outcome):
                return self._after_failure(claimed, found, report)
            if found is not None:
                channel, ts = found
                self._record_sent(row, channel, ts, now, report, reconciled=True)
                return False

        late_by = now - row.due_at
        is_late = rendered.update is None and late_by > delivery.late_after
        if is_late:
            marked = mark_late({"text": rendered.text, "blocks": rendered.blocks},
                               due_text=clinic_time_text(self.deps.policy, row.due_at),
                               late_text=_duration_text(late_by))
            rendered = Rendered(text=marked["text"], blocks=marked["blocks"])

        self._wait_for_slot(row.recipient)
        outcome = self._send(row, rendered)
        if outcome.kind == "sent":
            self._record_sent(row, outcome.channel, outcome.ts, self.deps.clock.now(),
                              report, late=is_late, late_by=late_by)
            return False
        return self._after_failure(claimed, outcome, report)

    def _after_failure(self, claimed: Claimed, outcome: _Outcome, report: DrainReport) -> bool:
        row = claimed.row
        if outcome.kind in ("rate_limited", "transient"):
            note_retry(row.kind, outcome.kind)
        if outcome.kind == "rate_limited":
            report.rate_limited += 1
            self.pace.rate_limited(max(outcome.retry_after, 1.0))
            self._renew_for(outcome.retry_after)
            return True
        if outcome.kind == "transient":
            backoff = min(self.max_backoff, 2.0 ** min(row.attempts, 16))
            with self.deps.store.unit_of_work() as uow:
                uow.outbox.retry_at(row.id, self.owner,
                                    self.deps.clock.now() + timedelta(seconds=backoff),
                                    outcome.error, outcome_unknown=True)
                uow.commit()
            report.retried += 1
            log.warning("dispatcher: outbox %s: %s; retry in %.0fs", row.id, outcome.error,
                        backoff)
            return False
        self._finish_failed(row, outcome.error, report, notify=True)
        return False

    # -- Slack ----------------------------------------------------------------------------------

    def _wait_unblocked(self) -> None:
        """Wait out a 429's Retry-After (before a call that is not a message)."""
        while (left := self.pace.unblocked_at() - self.monotonic()) > 0:
            self._renew_for(left)
            self._pause(left)

    def _wait_for_slot(self, recipient: str) -> None:
        """Wait for this DM's pace, then take the overall slot (after any Retry-After)."""
        self._pause(self._channel_ready.get(recipient, 0.0) - self.monotonic())
        while (retry_at := self.pace.take()) is not None:
            wait = retry_at - self.monotonic()
            if wait > 0:
                self._renew_for(wait)  # a long Retry-After (maybe another replica's): keep rows
                self._pause(wait)
        now = self.monotonic()
        self._channel_ready[recipient] = now + self.per_channel_interval
        if len(self._channel_ready) > 10_000:
            self._channel_ready = {k: v for k, v in self._channel_ready.items() if v > now}

    def _send(self, row: OutboxMessage, rendered: Rendered) -> _Outcome:
        metadata = {"event_type": METADATA_EVENT,
                    "event_payload": {"outbox_id": str(row.id), "kind": row.kind}}
        try:
            if rendered.update is not None:
                channel, ts = rendered.update
                response = self.client.chat_update(channel=channel, ts=ts, text=rendered.text,
                                                   blocks=rendered.blocks or None,
                                                   metadata=metadata)
            else:
                response = self.client.chat_postMessage(
                    channel=row.recipient, text=rendered.text, blocks=rendered.blocks or None,
                    metadata=metadata, unfurl_links=False, unfurl_media=False,
                )
        except SlackApiError as error:
            return _api_failure(error)
        except (URLError, OSError, http.client.HTTPException) as error:
            return _Outcome("transient", error=f"connection: {type(error).__name__}")
        posted_in = response.get("channel")
        if posted_in and row.recipient not in self._dm_channels and rendered.update is None:
            self._dm_channels[row.recipient] = posted_in
        if posted_in and rendered.files and rendered.update is None:
            self._upload(row, posted_in, rendered)
        return _Outcome("sent", channel=posted_in, ts=response.get("ts"))

    def _upload(self, row: OutboxMessage, channel: str, rendered: Rendered) -> None:
        """Share the message's files in its DM. The message is already in Slack, so a failure is
        logged and not retried: retrying would send the message twice."""
        try:
            self.client.files_upload_v2(
                channel=channel,
                file_uploads=[{"content": f.content, "filename": f.filename, "title": f.title,
                               "alt_txt": f.alt_txt} for f in rendered.files],
            )
        except (SlackClientError, URLError, OSError, http.client.HTTPException) as error:
            log.warning("dispatcher: outbox %s (%s): its file(s) could not be uploaded: %s",
                        row.id, row.kind, type(error).__name__)

    def _reconcile(self, row: OutboxMessage) -> tuple[str, str | None] | _Outcome | None:
        """(channel, ts) of a message already in Slack for this row; None when there is none."""
        try:
            channel = row.channel or self._dm_channel(row.recipient)
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                page = self.client.conversations_history(
                    channel=channel, limit=HISTORY_PAGE, include_all_metadata=True, cursor=cursor,
                )
                messages: list[dict[str, Any]] = page.get("messages", [])
                for message in messages:
                    meta = message.get("metadata") or {}
                    payload = meta.get("event_payload") or {}
                    if (meta.get("event_type") == METADATA_EVENT
                            and payload.get("outbox_id") == str(row.id)):
                        return channel, message.get("ts")
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    break
        except SlackApiError as error:
            return _api_failure(error)
        except (URLError, OSError, http.client.HTTPException) as error:
            return _Outcome("transient", error=f"connection: {type(error).__name__}")
        return None

    def _dm_channel(self, recipient: str) -> str:
        if recipient[:1] not in ("U", "W"):
            return recipient
        if recipient not in self._dm_channels:
            response = self.client.conversations_open(users=recipient)
            self._dm_channels[recipient] = response["channel"]["id"]
        return self._dm_channels[recipient]

    # -- recording ------------------------------------------------------------------------------

    def _record_sent(self, row: OutboxMessage, channel: str | None,
                     ts: str | None, now: datetime, report: DrainReport, *,
                     reconciled: bool = False, late: bool = False,
                     late_by: timedelta = timedelta(0)) -> None:
        with self.deps.store.unit_of_work() as uow:
            held = uow.outbox.mark_sent(row.id, self.owner, now, channel=channel, ts=ts,
                                        note="late" if late else None)
            uow.commit()
        if not held:
            log.warning("dispatcher: outbox %s was sent but its lease had passed to another "
                        "dispatcher, which will find it in Slack", row.id)
        if reconciled:
            report.reconciled += 1
            return
        report.sent += 1
        report.lateness.append(max(0.0, late_by.total_seconds()))
        note_sent(row.kind, late_by.total_seconds())
        if late:
            report.late += 1

    def _finish_failed(self, row: OutboxMessage, error: str, report: DrainReport, *,
                       notify: bool) -> None:
        now = self.deps.clock.now()
        with self.deps.store.unit_of_work() as uow:
            held = uow.outbox.mark_failed(row.id, self.owner, error)
            if held and notify and row.kind != DELIVERY_FAILED:
                for admin in self._admins():
                    if admin == row.recipient:
                        continue
                    uow.outbox.enqueue(
                        DELIVERY_FAILED, admin, now,
                        {"kind": row.kind, "recipient": row.recipient, "error": error[:80],
                         "client_code": row.payload.get("client_code"),
                         "outbox_id": str(row.id)},
                        priority=FAILURE_REPORT_PRIORITY, subject_kind="outbox",
                        subject_id=row.id, dedupe_key=f"{DELIVERY_FAILED}:{row.id}:{admin}",
                    )
            if held:
                uow.audit.append("dispatcher", "outbox.failed", row.payload.get("client_code"),
                                 {"outbox_id": str(row.id), "kind": row.kind,
                                  "recipient": row.recipient, "error": error[:80]}, at=now)
            uow.commit()
        report.failed += 1
        log.warning("dispatcher: outbox %s to %s failed for good: %s", row.id, row.recipient,
                    error)

    def _admins(self) -> list[str]:
        return [m.slack_id for m in self.deps.policy.team if m.role == "admin"]

    def _renew_for(self, wait: float) -> None:
        """Keep this batch's leases alive across a long wait (0: renew now, whatever the wait)."""
        if 0 < wait < self.lease.total_seconds() / 4:
            return
        held = [c.row.id for c in getattr(self, "_batch", []) if c.row.id not in self._done]
        with self.deps.store.unit_of_work() as uow:
            uow.outbox.renew(held, self.owner,
                             self.deps.clock.now() + self.lease + timedelta(seconds=wait))
            uow.commit()

    def _pause(self, seconds: float) -> None:
        """Sleep in short steps, beating and noticing ``stop``."""
        end = self.monotonic() + max(0.0, seconds)
        while True:
            self._beat = self.monotonic()
            left = end - self._beat
            if left <= 0:
                return
            if self._stop.wait(min(left, 0.5)):
                raise _Stopped()


def _api_failure(error: SlackApiError) -> _Outcome:
    response = error.response
    status = getattr(response, "status_code", 200)
    code = ""
    try:
        code = str(response.get("error") or "")
    except Exception:  # a non-JSON body (a proxy's 502 page)
        code = ""
    if status == 429 or code == "ratelimited":
        headers: Any = getattr(response, "headers", {}) or {}
        retry_after = _retry_after(headers)
        return _Outcome("rate_limited", error="ratelimited", retry_after=retry_after)
    if status >= 500 or code in TRANSIENT_ERRORS:
        return _Outcome("transient", error=f"http {status} {code}".strip())
    return _Outcome("permanent", error=code or f"http {status}")


def _retry_after(headers: Any) -> float:
    for name in ("Retry-After", "retry-after"):
        value = headers.get(name)
        if value is not None:
            if isinstance(value, list):
                value = value[0]
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return 1.0


def _duration_text(amount: timedelta) -> str:
    minutes = int(amount.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
