"""How fast the dispatcher may send: ``CONTACT_CHECK_SEND_RATE`` for all messages together, and
nothing at all inside a 429's Retry-After.

Two ways, one interface (``Pace``), chosen by the database (``pace_for``):

- ``LocalPace`` — SQLite runs one dispatcher, which paces itself in memory: no database round
  trip per message.
- ``SharedPace`` — on PostgreSQL any number of replicas share one budget row
  (``storage.repositories.send_pace``): a replica sends only once it has taken the budget's slot,
  and taking it moves the next one an interval on, so the replicas together never exceed the
  rate; a 429 seen by one moves the slot past Retry-After for all. The cost is one single-row
  upsert per message, two more statements per refused try (``tests/perf/bench_dispatch.py``).

Both take a slot at the moment of sending, never ahead: a send made late pushes the next one
back instead of crowding it, so the pace holds in every second, not only on average. Times
handed back are on this process's ``monotonic`` clock; the shared budget's answers (database
clock) are turned into waits from the moment they arrive, which errs on the late, safe side.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from storage.uow import Store


class Pace(Protocol):
    def take(self) -> float | None:
        """Take the send slot now: None when taken (send at once), else the ``monotonic`` time
        to try again."""
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

    def take(self) -> float | None:
        now = self.monotonic()
        ready = max(self._next, self._blocked)
        if ready > now:
            return ready
        self._next = now + self.interval
        return None

    def rate_limited(self, retry_after: float) -> None:
        self._blocked = max(self._blocked, self.monotonic() + retry_after)

    def unblocked_at(self) -> float:
        return self._blocked


class SharedPace:
    """The budget every replica on one PostgreSQL database shares. Its own 429s count at once,
    before the database has them."""

    def __init__(self, store: Store, rate: float, owner: str, monotonic: Callable[[], float]):
        self.store = store
        self.interval = timedelta(seconds=1.0 / rate if rate > 0 else 0.0)
        self.owner = owner
        self.monotonic = monotonic
        self._blocked = 0.0

    def take(self) -> float | None:
        if self._blocked > self.monotonic():
            return self._blocked
        with self.store.unit_of_work() as uow:
            slot = uow.send_pace.take(self.interval)
            uow.commit()
        return None if slot.taken else self.monotonic() + slot.wait()

    def rate_limited(self, retry_after: float) -> None:
        self._blocked = max(self._blocked, self.monotonic() + retry_after)
        with self.store.unit_of_work() as uow:
            uow.send_pace.block(timedelta(seconds=retry_after), self.owner)
            uow.commit()

    def unblocked_at(self) -> float:
        with self.store.unit_of_work() as uow:
            blocked_for = uow.send_pace.read().blocked_for()
        return max(self.monotonic() + blocked_for, self._blocked)


def pace_for(store: Store, rate: float, owner: str, monotonic: Callable[[], float]) -> Pace:
    """``SharedPace`` on PostgreSQL (replicas may run), ``LocalPace`` on SQLite (one runs)."""
    if store.engine.dialect.name == "postgresql":
        return SharedPace(store, rate, owner, monotonic)
    return LocalPace(rate, monotonic)
