"""Applying a calendar feed (issue 14): its events become appointments and no-show chases.

Through the same pieces as ``appt`` and ``import appointments`` (``uow.appointments.save`` and
``schedule_chase``), in the caller's unit of work (the job or the CLI commits):

- a new event → an appointment and its chase (an appointment already on file for that client
  and start, typed with ``appt`` or imported, is taken over, never duplicated);
- a moved event (same UID and RECURRENCE-ID, another start) → the appointment moves and its
  chase with it;
- ``STATUS:CANCELLED``, gone from the feed, or excluded by EXDATE → the appointment is
  cancelled and its chase withdrawn, for appointments still ahead only: the past is kept;
- a feed whose content and window are those last applied is not applied again (nothing is
  written but the feed's own state row).

One audit event (``calendar.synced``) per sync that changed something, with counts only. A feed
that suddenly lists less than half of the appointments ahead it listed last time is *held*:
nothing is applied and the admins are told (a truncated export must not cancel a day's chases).
Failures keep every appointment as it is; the admins get one DM per outage and one when the feed
is back (``bot.services.calendar_notices``), and the feed is tried again with a back-off.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.calendars.mapping import UNKNOWN_CODE, MappedEvent, MappedFeed
from bot.calendars.parse import Window
from bot.policy.clinic import CalendarFeed, ClinicPolicy
from bot.policy.model import code_key
from bot.services.appointments import (
    CANCELLED,
    SCHEDULED,
    cancel_appointment,
    reschedule_chase,
    restore_appointment,
    schedule_chases,
)
from bot.services.outcomes import DOWN, HELD, UNKNOWN, UP, FeedNotice, FeedStatus
from bot.services.witness import admins
from storage.repositories.outbox import SENT
from storage.tables import (
    Appointment,
    CalendarEventLink,
    CalendarFeedState,
    Client,
    OutboxMessage,
)
from storage.uow import UnitOfWork

NOTICE_KIND = "calendar_feed"
NOTICE_PRIORITY = 4  # after approvals, before call-back reminders
HOLD_MIN_PREVIOUS = 4  # below this many appointments ahead, no drop is "sudden"
MAX_BACKOFF = timedelta(hours=1)


def actor_for(feed: CalendarFeed) -> str:
    return f"calendar:{feed.name}"[:64]


@dataclass(frozen=True)
class FeedSync:
    """What one sync did. ``outcome``: applied, unchanged or held."""

    feed: str
    outcome: str
    created: int = 0
    moved: int = 0
    updated: int = 0
    cancelled: int = 0
    restored: int = 0
    unchanged: int = 0
    ignored: Mapping[str, int] = field(default_factory=dict)
    in_window: int = 0
    future: int = 0
    previous_future: int | None = None
    recovered: bool = False

    @property
    def changed(self) -> int:
        return self.created + self.moved + self.updated + self.cancelled + self.restored


@dataclass(frozen=True)
class FeedFailure:
    feed: str
    problem: str
    new_outage: bool  # the admins are told (once per outage)
    retry_at: datetime


def known_codes(uow: UnitOfWork, codes: set[str]) -> set[str]:
    """The codes of ``codes`` that name a client on file (as written in the feed)."""
    on_file = uow.clients.rows_by_code(codes)
    return {code for code in codes if code_key(code) in on_file}


def feed_statuses(uow: UnitOfWork, policy: ClinicPolicy) -> tuple[FeedStatus, ...]:
    states = uow.calendars.states(feed.name for feed in policy.calendars)
    return tuple(_status(feed.name, states.get(feed.name)) for feed in policy.calendars)


def _status(name: str, state: CalendarFeedState | None) -> FeedStatus:
    if state is None:
        return FeedStatus(name, None, None, None, None)
    return FeedStatus(name, state.last_success_at, state.last_error, state.last_error_at,
                      state.failing_since)


# --- a sync with nothing new ----------------------------------------------------------------------


def is_unchanged(state: CalendarFeedState, content_hash: str | None, window: Window) -> bool:
    """True when ``content_hash`` (None: the server said 304) and the window are those last
    applied."""
    same_window = state.window_day == window.day.isoformat()
    return same_window and (content_hash is None or content_hash == state.content_hash)


def record_unchanged(uow: UnitOfWork, policy: ClinicPolicy, feed: CalendarFeed, *, owner: str,
                     etag: str | None, last_modified: str | None, now: datetime) -> FeedSync:
    """Nothing to apply: only the feed's state row (lease let go, time of the sync)."""
    state = uow.calendars.state(feed.name)
    recovered = _recovered(uow, policy, feed, state, now)
    uow.calendars.update(feed.name, owner, etag=etag, last_modified=last_modified,
                         last_success_at=now, next_attempt_at=now + feed.every,
                         **_healthy() if recovered else {})
    return FeedSync(feed.name, "unchanged", recovered=recovered,
                    future=(state.future_events or 0) if state else 0)


# --- applying -------------------------------------------------------------------------------------


@dataclass
class _Counts:
    created: int = 0
    moved: int = 0
    updated: int = 0
    cancelled: int = 0
    restored: int = 0
    unchanged: int = 0


@dataclass
class _Batch:
    """What one apply has read and made: the appointments on file in the window by (client,
    start), and the new ones, whose chases are queued together at the end."""

    on_file: dict[tuple[uuid.UUID, datetime], Appointment]
    new: list[tuple[Appointment, Client]] = field(default_factory=list)


def apply_feed(uow: UnitOfWork, policy: ClinicPolicy, feed: CalendarFeed, mapped: MappedFeed, *,
               window: Window, content_hash: str, etag: str | None, last_modified: str | None,
               owner: str, now: datetime, accept_drop: bool = False) -> FeedSync:
    """Make the feed's appointments in ``window`` what ``mapped`` says (see the module)."""
    state = uow.calendars.state(feed.name)
    previous = state.future_events if state is not None else None
    clients = uow.clients.rows_by_code({e.code for e in mapped.events})
    known = [e for e in mapped.events if code_key(e.code) in clients]
    ignored = Counter(mapped.ignored)
    unknown_codes = sorted({e.code for e in mapped.events if code_key(e.code) not in clients})
    if len(known) < len(mapped.events):
        ignored[UNKNOWN_CODE] += len(mapped.events) - len(known)
    future = sum(1 for e in known if e.start > now)
    if (not accept_drop and previous is not None and previous >= HOLD_MIN_PREVIOUS
            and future * 2 < previous):
        problem = (f"held: it lists {future} appointment(s) ahead where it listed {previous}; "
                   "nothing was cancelled. If the calendar is right, run `contact-check "
                   f"calendars sync --accept-drop \"{feed.name}\"`")
        record_failure(uow, policy, feed, owner=owner, problem=problem, now=now, held=True)
        return FeedSync(feed.name, "held", ignored=dict(ignored), in_window=mapped.in_window,
                        future=future, previous_future=previous)
    for code in unknown_codes:
        _notify_admins(uow, policy, {"feed": feed.name, "event": UNKNOWN, "code": code}, now,
                       dedupe=f"{UNKNOWN}:{feed.name}:{code.upper()}")
    counts = _apply(uow, policy, feed, known, clients, window, now)
    recovered = _recovered(uow, policy, feed, state, now)
    result = FeedSync(feed.name, "applied", **vars(counts), ignored=dict(ignored),
                      in_window=mapped.in_window, future=future, previous_future=previous,
                      recovered=recovered)
    if result.changed:
        uow.audit.append(actor_for(feed), "calendar.synced", None, {
            "feed": feed.name, "created": result.created, "moved": result.moved,
            "updated": result.updated, "cancelled": result.cancelled,
            "restored": result.restored, "unchanged": result.unchanged,
            "ignored": dict(sorted(ignored.items())), "accepted_drop": accept_drop,
        }, at=now)
    uow.calendars.update(feed.name, owner, etag=etag, last_modified=last_modified,
                         content_hash=content_hash, window_day=window.day.isoformat(),
                         future_events=future, last_success_at=now,
                         next_attempt_at=now + feed.every, **_healthy())
    return result


def _apply(uow: UnitOfWork, policy: ClinicPolicy, feed: CalendarFeed, events: list[MappedEvent],
           clients: Mapping[str, Client], window: Window, now: datetime) -> _Counts:
    """Two reads (the feed's links with their appointments, the clients' appointments in the
    window), then writes the session sends in batches: no look-up per event."""
    counts = _Counts()
    links = uow.calendars.links(feed.name)
    batch = _Batch({(a.client_id, a.start_at): a for a in uow.appointments.between(
        [c.id for c in clients.values()], window.start, window.end)})
    for event in events:
        client = clients[code_key(event.code)]
        found = links.pop(event.key, None)
        if found is None:
            _new(uow, policy, feed, event, client, batch, None, counts, now)
            continue
        link, appointment = found
        if appointment.client_id == client.id and appointment.start_at == event.start:
            _same(uow, policy, appointment, client, event, counts, now)
        elif appointment.client_id == client.id and appointment.start_at > now and \
                (appointment.client_id, event.start) not in batch.on_file:
            _move(uow, policy, appointment, client, event, batch.on_file, counts, now)
            uow.calendars.relink(link, appointment)
        else:  # another client, or moved onto an appointment already on file, or from the past
            if appointment.start_at > now and appointment.status == SCHEDULED:
                cancel_appointment(uow, appointment, reason=f"moved in calendar {feed.name}")
            _new(uow, policy, feed, event, client, batch, link, counts, now)
    for _link, appointment in links.values():  # no longer in the feed
        if (appointment.status == SCHEDULED and appointment.start_at > now
                and window.start <= appointment.start_at < window.end):
            cancel_appointment(uow, appointment, reason=f"cancelled in calendar {feed.name}")
            counts.cancelled += 1
    uow.calendars.forget_before(feed.name, window.start)
    schedule_chases(uow, policy, batch.new, now)
    return counts


def _new(uow: UnitOfWork, policy: ClinicPolicy, feed: CalendarFeed, event: MappedEvent,
         client: Client, batch: _Batch, link: CalendarEventLink | None, counts: _Counts,
         now: datetime) -> None:
    existing = batch.on_file.get((client.id, event.start))
    if existing is not None:
        _same(uow, policy, existing, client, event, counts, now)
        appointment = existing
    else:  # the window's appointments are all in on_file: this one is not on file
        appointment = uow.appointments.add(client, event.start, event.minutes,
                                           clinician=feed.clinician)
        batch.on_file[(client.id, event.start)] = appointment
        batch.new.append((appointment, client))
        counts.created += 1
    if link is None:
        uow.calendars.link(feed.name, event.key, appointment)
    else:
        uow.calendars.relink(link, appointment)


def _same(uow: UnitOfWork, policy: ClinicPolicy, appointment: Appointment, client: Client,
          event: MappedEvent, counts: _Counts, now: datetime) -> None:
    ahead = appointment.start_at > now
    if appointment.status == CANCELLED and ahead:
        uow.appointments.reschedule(appointment, event.start, event.minutes)
        restore_appointment(uow, policy, appointment, client, now)
        counts.restored += 1
    elif appointment.minutes != event.minutes and ahead:
        uow.appointments.reschedule(appointment, event.start, event.minutes)
        counts.updated += 1
    else:
        counts.unchanged += 1


def _move(uow: UnitOfWork, policy: ClinicPolicy, appointment: Appointment, client: Client,
          event: MappedEvent, on_file: dict[tuple[uuid.UUID, datetime], Appointment],
          counts: _Counts, now: datetime) -> None:
    on_file.pop((appointment.client_id, appointment.start_at), None)
    uow.appointments.reschedule(appointment, event.start, event.minutes)
    on_file[(client.id, event.start)] = appointment
    if appointment.status == CANCELLED:
        restore_appointment(uow, policy, appointment, client, now)
    else:
        reschedule_chase(uow, policy, appointment, client, now)
    counts.moved += 1


# --- failures and recovery ------------------------------------------------------------------------


def record_failure(uow: UnitOfWork, policy: ClinicPolicy, feed: CalendarFeed, *, owner: str,
                   problem: str, now: datetime, held: bool = False) -> FeedFailure:
    """The feed could not be applied: appointments stay as they are, the feed is tried again
    after a back-off, and the admins hear of it once per outage."""
    state = uow.calendars.state(feed.name)
    failures = (state.failures if state is not None else 0) + 1
    since = state.failing_since if state is not None and state.failing_since else None
    backoff = min(feed.every * (2 ** min(failures - 1, 10)), max(feed.every, MAX_BACKOFF))
    retry_at = now + (feed.every if held else backoff)
    if since is None:
        _notify_admins(uow, policy, {"feed": feed.name, "event": HELD if held else DOWN,
                                     "problem": problem, "since": now.isoformat()}, now,
                       dedupe=f"{DOWN}:{feed.name}:{now.isoformat()}")
    uow.calendars.update(feed.name, owner, last_error=problem[:200], last_error_at=now,
                         failing_since=since or now, failures=failures, next_attempt_at=retry_at)
    return FeedFailure(feed.name, problem, since is None, retry_at)


def _healthy() -> dict[str, object]:
    return {"failing_since": None, "failures": 0}


def _recovered(uow: UnitOfWork, policy: ClinicPolicy, feed: CalendarFeed,
               state: CalendarFeedState | None, now: datetime) -> bool:
    if state is None or state.failing_since is None:
        return False
    since = state.failing_since.isoformat()
    _notify_admins(uow, policy, {"feed": feed.name, "event": UP, "since": since}, now,
                   dedupe=f"{UP}:{feed.name}:{since}")
    return True


def down_key(feed: str, since: str, admin: str) -> str:
    return f"{NOTICE_KIND}:{DOWN}:{feed}:{since}:{admin}"


def _notify_admins(uow: UnitOfWork, policy: ClinicPolicy, payload: dict[str, str],
                   now: datetime, *, dedupe: str) -> None:
    for admin in admins(policy):
        uow.outbox.enqueue(NOTICE_KIND, admin, now, payload, priority=NOTICE_PRIORITY,
                           dedupe_key=f"{NOTICE_KIND}:{dedupe}:{admin}"[:200])


# --- the admins' notices as an outbox kind (bot.outbox_kinds) ----------


def notice_still_wanted(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    """None to send; why not otherwise: the outage ended before it was told, a recovery whose
    outage was never told, a code now on file."""
    p = row.payload
    event, feed = p.get("event"), str(p.get("feed", ""))
    if event in (DOWN, HELD):
        state = uow.calendars.state(feed)
        if state is None or state.failing_since is None or \
                state.failing_since.isoformat() != p.get("since"):
            return "the feed was back before this was sent"
    elif event == UP:
        told = uow.outbox.by_dedupe_key(down_key(feed, str(p.get("since")), row.recipient))
        if told is None or told.status != SENT:
            return "the outage was never reported"
    elif event == UNKNOWN and uow.clients.row(str(p.get("code", ""))) is not None:
        return "the client is on file now"
    return None


def notice_facts(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                 now: datetime) -> FeedNotice:
    """What a notice row says: the feed's name, the event, and its problem, time or code."""
    p = row.payload
    since = p.get("since")
    return FeedNotice(feed=str(p.get("feed", "")), event=str(p.get("event", "")),
                      problem=str(p.get("problem", "")), code=str(p.get("code", "")),
                      since=datetime.fromisoformat(str(since)) if since else None)
