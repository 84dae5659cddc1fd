"""The calendar-feed job and the CLI's sync: lease, fetch, parse, apply, commit.

For each feed: take its lease (one process at a time per feed; a unit of work of its own,
committed), fetch with the validators of the last response (no transaction held meanwhile),
parse and map (pure), then apply in one unit of work and commit (``bot.services.calendars``).
A feed whose lease another process holds, or that is not due, is skipped. Logs carry the feed's
name and counts, never its URL or an event's text.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.calendars.fetch import FeedError, Fetched, fetch_feed
from bot.calendars.mapping import map_events
from bot.calendars.parse import FeedUnreadable, Window, parse_feed
from bot.deps import Deps
from bot.policy.clinic import CalendarFeed
from bot.services.calendars import (
    FeedFailure,
    FeedSync,
    apply_feed,
    is_unchanged,
    record_failure,
    record_unchanged,
)

log = logging.getLogger("contact_check.calendars")

LEASE = timedelta(minutes=5)
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
JOB_EVERY = 30.0  # seconds between looks at which feeds are due (each has its own `every`)


@dataclass(frozen=True)
class Skipped:
    feed: str
    reason: str


SyncOutcome = FeedSync | FeedFailure | Skipped


def sync_feed(deps: Deps, feed: CalendarFeed, *, force: bool = False,
              accept_drop: bool = False, owner: str = OWNER,
              environ: Mapping[str, str] = os.environ) -> SyncOutcome:
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        state = uow.calendars.take_lease(feed.name, owner, now, now + LEASE, force=force)
        uow.commit()
    if state is None:
        return Skipped(feed.name, "another process is syncing it, or it is not due yet")
    window = Window.around(now, deps.policy.clinic.timezone)
    same_day = state.window_day == window.day.isoformat()
    try:
        fetched = fetch_feed(feed, environ=environ,
                             etag=state.etag if same_day else None,
                             last_modified=state.last_modified if same_day else None)
        digest = None if fetched.body is None else hashlib.sha256(fetched.body).hexdigest()
        if not accept_drop and is_unchanged(state, digest, window):
            return _unchanged(deps, feed, fetched, owner)
        assert fetched.body is not None
        mapped = map_events(parse_feed(fetched.body, now, deps.policy.clinic.timezone),
                            feed.client_code)
        with deps.store.unit_of_work() as uow:
            result = apply_feed(uow, deps.policy, feed, mapped, window=window,
                                content_hash=digest or "", etag=fetched.etag,
                                last_modified=fetched.last_modified, owner=owner, now=now,
                                accept_drop=accept_drop)
            uow.commit()
    except (FeedError, FeedUnreadable) as problem:
        return _failed(deps, feed, str(problem), owner)
    except Exception:
        log.exception("calendar feed %s could not be applied", feed.name)
        return _failed(deps, feed, "it could not be applied (an internal error; see the bot's "
                                   "log)", owner)
    _log(result)
    return result


def _unchanged(deps: Deps, feed: CalendarFeed, fetched: Fetched, owner: str) -> FeedSync:
    with deps.store.unit_of_work() as uow:
        result = record_unchanged(uow, deps.policy, feed, owner=owner, etag=fetched.etag,
                                  last_modified=fetched.last_modified, now=deps.clock.now())
        uow.commit()
    log.debug("calendar feed %s: unchanged", feed.name)
    return result


def _failed(deps: Deps, feed: CalendarFeed, problem: str, owner: str) -> FeedFailure:
    with deps.store.unit_of_work() as uow:
        failure = record_failure(uow, deps.policy, feed, owner=owner, problem=problem,
                                 now=deps.clock.now())
        uow.commit()
    log.warning("calendar feed %s failed: %s (tried again after %s)", feed.name, problem,
                failure.retry_at.isoformat(timespec="seconds"))
    return failure


def _log(result: FeedSync) -> None:
    if result.outcome == "held":
        log.warning("calendar feed %s held: %d appointment(s) ahead, %s before", result.feed,
                    result.future, result.previous_future)
        return
    log.info("calendar feed %s synced: %d new, %d moved, %d updated, %d cancelled, %d restored, "
             "%d unchanged, ignored %s", result.feed, result.created, result.moved,
             result.updated, result.cancelled, result.restored, result.unchanged,
             dict(result.ignored) or "none")


def sync_all(deps: Deps, *, force: bool = False, accept_drop: frozenset[str] = frozenset(),
             environ: Mapping[str, str] = os.environ) -> list[SyncOutcome]:
    return [sync_feed(deps, feed, force=force, accept_drop=feed.name in accept_drop,
                      environ=environ) for feed in deps.policy.calendars]


def sync_feeds_job(deps: Deps) -> None:
    """The periodic job (``bot.scheduling.PERIODIC``): every feed that is due."""
    sync_all(deps)
