"""Dates a person gives the bot: a year back to two years ahead (issue 12.11)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.policy.dates import date_range_problem

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (TODAY, None),
        (date(2025, 11, 29), None),  # 366 days back
        (date(2028, 12, 1), None),  # 732 days ahead
        (date(2025, 11, 28), "2025-11-28 is more than a year ago; give a date from 2025-11-29 "
                             "to 2028-12-01"),
        (date(2028, 12, 2), "2028-12-02 is more than two years ahead; give a date from "
                            "2025-11-29 to 2028-12-01"),
        (date(9999, 12, 31), "9999-12-31 is more than two years ahead"),
        (date(1, 1, 1), "0001-01-01 is more than a year ago"),
    ],
)
def test_the_accepted_range(day: date, problem: str | None) -> None:
    said = date_range_problem(day, TODAY)
    if problem is None:
        assert said is None
    else:
        assert said is not None and said.startswith(problem)
