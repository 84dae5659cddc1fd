"""Runs of no-shows in appointment order, whatever order the marks arrive in (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import permutations

import pytest

from bot.policy.no_show import Mark, closure_warning_due, latest_run, run_of, runs

WEEK = timedelta(days=7)
TUE = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)


def marks(pattern: str) -> list[Mark]:
    """One appointment a week from TUE: ``N`` no-show, ``A`` arrived, ``.`` not marked (left
    out: only marked appointments are passed in)."""
    return [Mark(i, TUE + i * WEEK, kind == "N") for i, kind in enumerate(pattern) if kind != "."]


ROWS = [
    # (pattern, the run holding the last appointment, the client's latest run)
    ("NN", 2, 2),
    ("NNN", 3, 3),
    ("ANN", 2, 2),
    ("NAN", 1, 1),
    ("NNA", 0, 0),
    ("N.N", 2, 2),  # a week not marked yet is skipped, not a break
    ("NA.N", 1, 1),
    ("N", 1, 1),
    ("A", 0, 0),
    ("", 0, 0),
]


@pytest.mark.parametrize(("pattern", "holding_last", "latest"), ROWS)
def test_runs_in_time_order(pattern: str, holding_last: int, latest: int) -> None:
    given = marks(pattern)
    last = len(pattern) - 1
    assert len(run_of(given, last)) == holding_last
    assert len(latest_run(given)) == latest


@pytest.mark.parametrize("pattern", ["NN", "NNN", "NAN", "N.NN", "NNAN", "ANNN"])
def test_every_order_of_the_marks_gives_the_same_runs(pattern: str) -> None:
    given = marks(pattern)
    expected = runs(given)
    for order in permutations(given):
        assert runs(order) == expected
        assert latest_run(order) == latest_run(given)
        for mark in given:
            assert run_of(order, mark.appointment) == run_of(given, mark.appointment)


def test_runs_are_in_time_order_and_split_by_arrivals() -> None:
    given = marks("NNANNN")
    assert [[m.appointment for m in run] for run in runs(reversed(given))] == [[0, 1], [3, 4, 5]]


@pytest.mark.parametrize(("length", "after", "due"), [(1, 2, False), (2, 2, True), (3, 2, True),
                                                      (2, 3, False), (1, 1, True)])
def test_closure_warning_due_at_the_threshold(length: int, after: int, due: bool) -> None:
    assert closure_warning_due(tuple(marks("N" * length)), after) is due
