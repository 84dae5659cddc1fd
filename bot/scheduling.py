"""Timed work: APScheduler wakes the reminder dispatcher and runs the periodic sweeps.

APScheduler holds no reminders: every message to send is an outbox row, so the scheduler only
*wakes* the dispatcher (at start and every ``WAKE_EVERY`` seconds) and a missed or late wake-up
loses nothing. ``Jobs`` is the worker ``bot.server.serve`` starts before taking requests, stops
last, and asks ``is_alive()`` for ``/healthz``.

Periodic use cases run in a unit of work of their own, each in ``PERIODIC`` as
``(job id, seconds between runs, function(deps))``; add a sweep by adding a line there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App

from bot.app import web_client
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.services.reports import queue_digests
from bot.services.runins import sweep_followups
from bot.services.witness import queue_witness
from handlers.approvals import nudge_approvals
from handlers.calendars import JOB_EVERY, sync_feeds_job
from handlers.home import refresh_homes
from handlers.imports import sweep_abandoned_imports_job

log = logging.getLogger("contact_check.jobs")

WAKE_EVERY = 2.0  # seconds: a chase is sent at most this long after it falls due (unthrottled)


def _runin_followups_tick(deps: Deps) -> None:
    with deps.store.unit_of_work() as uow:
        sweep_followups(uow, deps.clock.now())
        uow.commit()


def _audit_witness_tick(deps: Deps) -> None:
    """Queue today's audit-trail head for the admins, due at opening (``bot.services.witness``)."""
    with deps.store.unit_of_work() as uow:
        queue_witness(uow, deps.policy, deps.clock.now())
        uow.commit()


def _weekly_digest_tick(deps: Deps) -> None:
    """Queue this week's team digest for the supervisors (``bot.services.reports``)."""
    with deps.store.unit_of_work() as uow:
        queue_digests(uow, deps.policy, deps.clock.now())
        uow.commit()


def _home_refresh_tick(deps: Deps) -> None:
    """Republish the Homes whose content changed, through the app's Web API client."""
    refresh_homes(deps, web_client(deps, deps.bot_token))


PERIODIC: tuple[tuple[str, float, Callable[[Deps], object]], ...] = (
    ("approvals-nudge", 60.0, nudge_approvals),
    ("runin-followups", 300.0, _runin_followups_tick),
    ("home-refresh", 30.0, _home_refresh_tick),
    ("audit-witness", 600.0, _audit_witness_tick),
    ("weekly-digest", 600.0, _weekly_digest_tick),
    ("calendar-feeds", JOB_EVERY, sync_feeds_job),  # each feed at its own `every`, from start
    ("abandoned-imports", 600.0, sweep_abandoned_imports_job),
)


class Jobs:
    """The dispatcher and the scheduler that wakes it, started and stopped together."""

    def __init__(self, deps: Deps, *, dispatcher: Dispatcher | None = None,
                 wake_every: float = WAKE_EVERY,
                 periodic: tuple[tuple[str, float, Callable[[Deps], object]], ...] = PERIODIC):
        self.deps = deps
        self.dispatcher = dispatcher or Dispatcher(deps)
        self.wake_every = wake_every
        self.periodic = periodic
        self.scheduler = BackgroundScheduler(timezone=UTC)

    def start(self) -> None:
        self.dispatcher.start()  # wakes once at start: overdue rows go out at once
        self.scheduler.add_job(
            self.dispatcher.wake, "interval", seconds=self.wake_every, id="dispatcher-wake",
            name="dispatcher-wake", coalesce=True, max_instances=1, replace_existing=True,
        )
        for job_id, seconds, function in self.periodic:
            self.scheduler.add_job(
                _logged(job_id, function), "interval", seconds=seconds, args=(self.deps,),
                id=job_id, name=job_id, coalesce=True, max_instances=1, replace_existing=True,
                next_run_time=datetime.now(UTC),
            )
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.dispatcher.stop()

    def is_alive(self) -> bool:
        return self.scheduler.running and self.dispatcher.healthy()


def _logged(job_id: str, function: Callable[[Deps], object]) -> Callable[[Deps], None]:
    def run(deps: Deps) -> None:
        try:
            function(deps)
        except Exception:
            log.exception("job %s failed; it runs again at its next time", job_id)

    return run


def build_jobs(deps: Deps) -> Jobs:
    return Jobs(deps)


def register(app: App, deps: Deps) -> None:
    """Jobs listen to no Slack request: ``bot.server.serve`` runs ``build_jobs(deps)`` instead."""
