"""The CSV formats: codes that differ only in case are one client; the ``intake`` status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.csv_formats import parse_appointments_csv, parse_clients_csv, write_clients_csv
from bot.policy.model import CLIENT_STATUSES, AppointmentRecord
from tests.test_csv_formats import (
    NEW_YORK,
    appointment_problems,
    client_problems,
    client_row,
    clients_csv,
)


@pytest.mark.parametrize(("first", "second", "problem"), [
    ("C-1004", "c-1004", "line 3, column code: 'c-1004' and 'C-1004' on line 2 are the same "
                         "client (codes match without regard to case); give each client one row, "
                         "in one spelling"),
    ("ab.7", "AB.7", "line 3, column code: 'AB.7' and 'ab.7' on line 2 are the same client"),
    ("C-1", "C-1", "line 3, column code: 'C-1' is already on line 2; give each client one row"),
])
def test_codes_differing_only_in_case_are_refused_with_both_lines(first: str, second: str,
                                                                  problem: str) -> None:
    [found] = client_problems(clients_csv(client_row(code=first), client_row(code=second)))
    assert found.startswith(problem)


def test_codes_keep_the_spelling_of_the_file() -> None:
    records = parse_clients_csv(clients_csv(client_row(code="c-1004")), "US")
    assert [r.code for r in records] == ["c-1004"]


@pytest.mark.parametrize(("written", "status"), [
    ("intake", "intake"), ("INTAKE", "intake"), ("Intake", "intake"), ("former", "former"),
    ("", "active"),
])
def test_the_status_column_accepts_intake(written: str, status: str) -> None:
    [record] = parse_clients_csv(clients_csv(client_row(status=written)), "US")
    assert record.status == status
    assert parse_clients_csv(write_clients_csv([record]), "US") == [record]


def test_every_status_survives_a_round_trip() -> None:
    rows = [client_row(code=f"C-{n}", status=status) for n, status in enumerate(CLIENT_STATUSES)]
    records = parse_clients_csv(clients_csv(*rows), "US")
    assert [r.status for r in records] == list(CLIENT_STATUSES)
    assert parse_clients_csv(write_clients_csv(records), "US") == records


def test_appointments_twice_for_one_client_in_two_cases_are_refused() -> None:
    text = "client,start,minutes\nC-1,2026-03-10 14:00,\nc-1,2026-03-10 14:00,30\n"
    assert appointment_problems(text) == [
        "line 3, column start: c-1 already has an appointment at this time on line 2;"
        " give each appointment one row",
    ]


def test_an_appointment_keeps_the_code_as_written() -> None:
    assert parse_appointments_csv("client,start\nc-1,2026-03-10 14:00\n", NEW_YORK) == [
        AppointmentRecord("c-1", datetime(2026, 3, 10, 18, 0, tzinfo=UTC), 50),
    ]
