"""Runs of no-shows: a property of the client's appointments in time order, not of the order the
marks arrive in.

Pure: the client's *marked* appointments in, runs out. A run is a maximal stretch of no-shows with
no arrival between them, in order of start time. Only marks count:

- an appointment marked **arrived** ends the run before it and starts afresh after it;
- an appointment not marked either way (still scheduled, or cancelled) is **skipped**: it neither
  breaks a run nor adds to it. A clinician who has not caught up on last week's chase yet does not
  split this week's no-show from the one before; once they mark it, the run is counted again.

So marking two missed Tuesdays newest first, oldest first, or one by button and one by command
gives the same run of two.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Mark:
    """One marked appointment: which one, when it started, and whether the client came."""

    appointment: Hashable
    start: datetime
    no_show: bool  # False: marked arrived


def runs(marks: Iterable[Mark]) -> list[tuple[Mark, ...]]:
    """Every run of no-shows, each in time order, the runs in time order too."""
    found: list[tuple[Mark, ...]] = []
    current: list[Mark] = []
    for mark in sorted(marks, key=lambda m: m.start):
        if mark.no_show:
            current.append(mark)
        elif current:
            found.append(tuple(current))
            current = []
    if current:
        found.append(tuple(current))
    return found


def run_of(marks: Iterable[Mark], appointment: Hashable) -> tuple[Mark, ...]:
    """The run holding ``appointment`` (empty when it is not a marked no-show)."""
    return next((run for run in runs(marks) if any(m.appointment == appointment for m in run)), ())


def latest_run(marks: Iterable[Mark]) -> tuple[Mark, ...]:
    """The run the client is in now: the no-shows after their last arrival (empty if none)."""
    ordered = sorted(marks, key=lambda m: m.start)
    if not ordered or not ordered[-1].no_show:
        return ()
    return runs(ordered)[-1]


def closure_warning_due(run: tuple[Mark, ...], after: int) -> bool:
    """Whether ``run`` is long enough for a closure-warning request (``closure_warning_after``)."""
    return len(run) >= after
