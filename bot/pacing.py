"""How fast the dispatcher may send: ``CONTACT_CHECK_SEND_RATE`` for all messages together, and
nothing at all inside a 429's Retry-After.

Two ways, one interface (``Pace``), chosen by the database (``pace_for``):

- ``LocalPace`` — SQLite runs one dispatcher, which paces itself in memory: no database round
  trip per message.
- ``SharedPace`` — on PostgreSQL any number of replicas share one budget row
  (``storage.repositories.send_pace``): before each send a replica reserves the next slot of the
  common schedule, so the replicas' slots never overlap and together never exceed the rate; a
  429 seen by one pushes the schedule past Retry-After for all. The cost is one single-row
  ``INSERT … ON CONFLICT DO UPDATE`` per message (see ``tests/perf/bench_dispatch.py``).

Slots are times on this process's ``monotonic`` clock; the shared budget's answers (database
clock) are turned into waits from the moment they arrive, which errs on the late, safe side.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from storage.repositories.send_pace import Slot
from storage.uow import Store


class Pace(Protocol):
    def slot(self) -> float:
        """Reserve the next send; the ``monotonic`` time at which to make it."""
        ...

    def rate_limited(self, retry_after: float) -> None:
        """Slack answered 429: nothing is sent until ``retry_after`` seconds from now."""
        ...

    def unblocked_at(self) -> float:
        """The ``monotonic`` time a 429's Retry-After ends (in the past when there is none)."""
        ...


class LocalPace:
    """One dispatcher's own pace (SQLite, or a test's)."""

    def __init__(self, rate: float, monotonic: Callable[[], float]):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.monotonic = monotonic
        self._next = 0.0
        self._blocked = 0.0

    def slot(self) -> float:
        at = max(self.monotonic(), self._next, self._blocked)
        self._next = at + self.interval
        return at

    def rate_limited(self, retry_after: float) -> None:
        self._blocked = max(self._blocked, self.monotonic() + retry_after)
        self._next = max(self._next, self._blocked)

    def unblocked_at(self) -> float:
        return self._blocked


class SharedPace:
    """The budget every replica on one PostgreSQL database shares; its own 429s also held locally
    (they count at once, even before the database has them)."""

    def __init__(self, store: Store, rate: float, owner: str, monotonic: Callable[[], float]):
        self.store = store
        self.interval = timedelta(seconds=1.0 / rate if rate > 0 else 0.0)
        self.owner = owner
        self.monotonic = monotonic
        self._local = LocalPace(0.0, monotonic)  # only its Retry-After is used

    def slot(self) -> float:
        with self.store.unit_of_work() as uow:
            slot = uow.send_pace.reserve(self.interval)
            uow.commit()
        return max(self._at(slot.wait()), self._local.unblocked_at())

    def rate_limited(self, retry_after: float) -> None:
        self._local.rate_limited(retry_after)
        with self.store.unit_of_work() as uow:
            uow.send_pace.block(timedelta(seconds=retry_after), self.owner)
            uow.commit()

    def unblocked_at(self) -> float:
        with self.store.unit_of_work() as uow:
            slot: Slot = uow.send_pace.read()
        return max(self._at(slot.blocked_for()), self._local.unblocked_at())

    def _at(self, wait: float) -> float:
        return self.monotonic() + wait


def pace_for(store: Store, rate: float, owner: str, monotonic: Callable[[], float]) -> Pace:
    """``SharedPace`` on PostgreSQL (replicas may run), ``LocalPace`` on SQLite (one runs)."""
    if store.engine.dialect.name == "postgresql":
        return SharedPace(store, rate, owner, monotonic)
    return LocalPace(rate, monotonic)
