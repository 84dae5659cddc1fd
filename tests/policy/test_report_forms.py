"""The ``report`` and ``access`` forms and the ``reports.weekly_digest`` policy key (issue 16)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.grammar import Access, CommandError, Report, parse_command
from bot.policy_file.validation import PolicyInvalid, parse_policy

CLINIC = {"name": "Great Agency", "timezone": "America/New_York"}


@pytest.mark.parametrize(("text", "form"), [
    ("report", Report()),
    ("REPORT week", Report(word="week")),
    ("report month", Report(word="month")),
    ("report 2026-11-02..2026-11-15", Report(first=date(2026, 11, 2), last=date(2026, 11, 15))),
    ("access C-1042", Access("C-1042")),
    ("access c-1042 since 2026-11-01", Access("c-1042", date(2026, 11, 1))),
])
def test_forms(text: str, form: object) -> None:
    assert parse_command(text) == form


@pytest.mark.parametrize(("text", "says"), [
    ("report fortnight", "is not a period"),
    ("report week month", "takes one period"),
    ("report 2026-11-15..2026-11-02", "ends before it starts"),
    ("report 2026-02-30..2026-03-02", "is not a day of the calendar"),
    ("access", "needs a client code"),
    ("access C 1042", "only `since YYYY-MM-DD`"),
    ("access C-1042 since", "only `since YYYY-MM-DD`"),
    ("access C-1042 since 11/01/2026", "is not a date"),
    ("access <!channel>", "is not a client code"),
])
def test_bad_forms_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(CommandError, match=says.replace("`", ".")):
        parse_command(text)


def test_weekly_digest_is_on_by_default_and_can_be_turned_off() -> None:
    assert parse_policy({"clinic": CLINIC}).reports.weekly_digest is True
    assert parse_policy({"clinic": CLINIC,
                         "reports": {"weekly_digest": False}}).reports.weekly_digest is False


@pytest.mark.parametrize(("section", "key"), [
    ({"weekly_digest": "sometimes"}, "reports.weekly_digest"),
    ({"weekly": True}, "reports"),
])
def test_bad_reports_section_is_named(section: dict, key: str) -> None:
    with pytest.raises(PolicyInvalid) as raised:
        parse_policy({"clinic": CLINIC, "reports": section})
    assert key in str(raised.value)
