"""Filling the sandbox's database with the sample clinic's recent past, through the real use cases.

The sample clinic's history (last week's missed session, a run-in, yesterday's missed call and
coaching request, this morning's schedule and missed call) is written in ``bot.sandbox.clinic``
around its own day, Tuesday 17 November 2026. A session may start on any other day and time
(``--start``): the history moves by whole days to the session's day, each event keeping its
clinic wall-clock time, so the demo reads the same on any date. Events of the session's day
that come after the session's start do not happen; today's appointments are recorded only on a
day the clinic is open; an appointment whose chase would already have been sent by the start is
marked arrived by the front desk a few minutes after it began (the morning went smoothly).

Each event runs in time order: the clock is set to its moment, the same use case the slash
command calls runs then, and the dispatcher sends what falls due on the way, so the stand-in's DM
history is what Slack's would be. Nothing here is shown: the session starts after it.

The practice system's calendar feed (``sample.FEED_EVENTS``) is written as a file before the
history begins, its days moved to the session's like the rest; the periodic job reads it on the
first tick after the clients are imported, as ``serve`` would, so its appointments and chases are
the bot's own. Its appointments of the session's day that began before the start are marked
arrived like the front desk's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.clock import ManualClock
from bot.deps import Deps
from bot.policy.clinic import ClinicPolicy
from bot.sandbox import clinic as sample
from bot.services import appointments, approvals, callbacks, imports, runins
from bot.services.runins import RunInForm


class Stage(Protocol):
    """What the seed needs of the sandbox: its bot, its clock, and the scheduler's tick."""

    deps: Deps
    policy: ClinicPolicy
    clock: ManualClock

    def tick(self) -> None:
        """Run the jobs and the dispatcher at the clock's moment."""

ADMIN, FRONT_DESK = "U0LEE", "U0SAM"
ARRIVED_AFTER = timedelta(minutes=5)  # when the front desk marks an on-time client arrived

Event = tuple[datetime, Callable[[datetime], None]]  # (clinic moment, what happens then)


def shifted(moment: datetime, start: datetime) -> datetime:
    """``moment`` of the sample's history moved to the session starting at ``start``: the same
    number of days before the session's day, at the same clinic wall-clock time."""
    days = start.date() - sample.START.date()
    return datetime.combine(moment.date() + days, moment.time(), tzinfo=sample.TIMEZONE)


def seed(box: Stage, start: datetime) -> None:
    """The sample clinic's past up to ``start`` (clinic time); the clock is left at ``start``."""
    start = start.astimezone(sample.TIMEZONE)
    for feed in box.policy.calendars:
        if feed.file is not None:
            Path(feed.file).write_bytes(sample_feed(box.policy, start))
    events = sorted(_history(box, start) + _today(box, start), key=lambda event: event[0])
    for index, (moment, happen) in enumerate(events):
        if moment > start:
            continue
        box.clock.set(moment)
        if index:  # before the first (the clients' import) there is nothing to do
            box.tick()
        happen(box.clock.now())
        box.tick()
    box.clock.set(start)
    box.tick()


def _history(box: Stage, start: datetime) -> list[Event]:
    store, policy = box.deps.store, box.policy
    code, last_week = sample.LAST_WEEK_NO_SHOW
    last_week = shifted(last_week, start)

    def import_and_book(now: datetime) -> None:
        with store.unit_of_work() as uow:
            rows = imports.read_clients_csv(sample.CLIENTS_CSV, policy)
            imports.import_clients(uow, policy, rows, actor=ADMIN, source="sample-clients.csv",
                                   now=now)
            uow.commit()
        with store.unit_of_work() as uow:
            appointments.record_appointment(uow, policy, actor=FRONT_DESK, code=code,
                                            start=last_week, minutes=50, now=now)
            uow.commit()

    def no_show(now: datetime) -> None:
        with store.unit_of_work() as uow:
            appointments.record_no_show(uow, policy, actor="U0ANA", now=now, code=code)
            uow.commit()

    occurred, runin_code, clinician, place = sample.RUN_IN
    occurred = shifted(occurred, start)

    def runin(now: datetime) -> None:
        with store.unit_of_work() as uow:
            runins.record_runin(uow, policy, actor=clinician, client_code=runin_code, now=now,
                                form=RunInForm(date=f"{occurred:%Y-%m-%d}",
                                               time=f"{occurred:%H:%M}", place=place,
                                               initiated_by="client",
                                               summary="They said hello; we kept it brief."))
            uow.commit()

    moment, coaching_code, requester = sample.COACHING_REQUEST

    def coaching(now: datetime) -> None:
        with store.unit_of_work() as uow:
            approvals.request_coaching(uow, policy, client_code=coaching_code,
                                       requested_by=requester, now=now)
            uow.commit()

    return [
        (last_week.replace(hour=9, minute=0), import_and_book),
        (last_week + timedelta(minutes=25), no_show),
        (occurred + timedelta(hours=1), runin),
        (shifted(moment, start), coaching),
        *(_missed_call(box, call, start) for call in sample.MISSED_CALLS),
    ]


def _missed_call(box: Stage, call: tuple[datetime, str, bool, str], start: datetime) -> Event:
    moment, caller, voicemail, logged_by = call
    who = {"phone": caller} if caller.startswith("+") else {"code": caller}

    def missed(now: datetime) -> None:
        with box.deps.store.unit_of_work() as uow:
            callbacks.log_missed(uow, box.policy, actor=logged_by, voicemail=voicemail, now=now,
                                 **who)
            uow.commit()

    return shifted(moment, start), missed


def _today(box: Stage, start: datetime) -> list[Event]:
    """Today's schedule, recorded before the day begins, and the arrivals before ``start``."""
    store, policy = box.deps.store, box.policy
    if policy.clinic.hours_on(start.date()) is None:
        return []  # a weekend or a holiday: nobody is booked
    schedule = [(code, _at(start.date(), hhmm), minutes) for code, hhmm, minutes in sample.TODAY]
    from_feed = [session for session in _feed_sessions(box.policy, start)
                 if session[1].date() == start.date()]

    def book(now: datetime) -> None:
        with store.unit_of_work() as uow:
            for code, begins, minutes in schedule:
                appointments.record_appointment(uow, policy, actor=FRONT_DESK, code=code,
                                                minutes=minutes, now=now, start=begins)
            uow.commit()

    def arrived(code: str) -> Callable[[datetime], None]:
        def mark(now: datetime) -> None:
            with store.unit_of_work() as uow:
                appointments.mark_arrived(uow, policy, actor=FRONT_DESK, now=now, code=code)
                uow.commit()

        return mark

    chased = timedelta(minutes=policy.no_show.wait_minutes)
    booked_at = min(shifted(sample.START.replace(hour=8, minute=30), start), start)
    return [(booked_at, book), *((begins + ARRIVED_AFTER, arrived(code))
                                 for code, begins, _ in schedule + from_feed
                                 if begins + chased <= start)]


def _at(day: date, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=sample.TIMEZONE)


# --- the practice system's calendar feed ------------------------------------------------------

_CODE_IN = "Client ID: "


def _feed_sessions(policy: ClinicPolicy, start: datetime) -> list[tuple[str, datetime, int]]:
    """The feed's sessions of clients on file, not cancelled, on days the clinic is open, with
    the weekly series' instance of the session's day: (code, start, minutes)."""
    on_file = {client.code for client in sample.CLIENTS}
    sessions = [(description.removeprefix(_CODE_IN),
                 _at(start.date() + timedelta(days=days), hhmm), minutes)
                for _uid, days, hhmm, minutes, _summary, description, status
                in sample.FEED_EVENTS if status is None]
    _uid, hhmm, minutes, _summary, description = sample.FEED_WEEKLY
    sessions.append((description.removeprefix(_CODE_IN), _at(start.date(), hhmm), minutes))
    return [(code, begins, minutes) for code, begins, minutes in sessions
            if code in on_file and policy.clinic.hours_on(begins.date()) is not None]


def sample_feed(policy: ClinicPolicy, start: datetime) -> bytes:
    """The sample's calendar export for a session starting at ``start``: each session in UTC as
    an EHR writes it, the weekly series in the clinic's zone; nothing on a day it is closed."""
    zone = sample.TIMEZONE.key
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Riverside//Practice calendar 1.0//EN",
             "X-WR-CALNAME:Riverside front office"]
    for uid, days, hhmm, minutes, summary, description, status in sample.FEED_EVENTS:
        begins = _at(start.date() + timedelta(days=days), hhmm)
        if policy.clinic.hours_on(begins.date()) is None:
            continue
        lines += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART:{_utc(begins)}",
                  f"DTEND:{_utc(begins + timedelta(minutes=minutes))}", f"SUMMARY:{summary}",
                  *([f"DESCRIPTION:{description}"] if description else []),
                  *([f"STATUS:{status}"] if status else []), "END:VEVENT"]
    uid, hhmm, minutes, summary, description = sample.FEED_WEEKLY
    if policy.clinic.hours_on(start.date()) is not None:
        first = _at(start.date() - timedelta(days=7), hhmm)
        lines += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART;TZID={zone}:{first:%Y%m%dT%H%M%S}",
                  f"DURATION:PT{minutes}M", "RRULE:FREQ=WEEKLY;COUNT=8", f"SUMMARY:{summary}",
                  f"DESCRIPTION:{description}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"
