"""Imports match client codes without regard to case and carry the ``intake`` status."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.policy.clinic import ClinicPolicy
from bot.policy.model import ImportErrors
from bot.policy_file import load_policy
from bot.services.imports import (
    export_clients,
    import_appointments,
    read_appointments_csv,
    read_clients_csv,
)
from storage.tables import Appointment
from storage.uow import Store
from tests.services.test_imports import CLIENTS, HEADER, NOW, _import_clients


@pytest.fixture
def policy() -> ClinicPolicy:
    return load_policy(None)


def test_a_reimport_in_another_case_updates_the_client_and_keeps_its_spelling(
    store: Store, policy: ClinicPolicy
) -> None:
    _import_clients(store, policy)
    again = f"{HEADER}\nc-1043,U0BEN,Kim,no,,,,,,,,,,,,,former\n"
    report = _import_clients(store, policy, again)
    assert (report.created, report.updated) == (0, 1)
    with store.unit_of_work() as uow:
        assert uow.clients.count() == 3
        record = uow.clients.get("C-1043")
        assert record is not None
        assert (record.code, record.clinician, record.status) == ("C-1043", "U0BEN", "former")
        text, _ = export_clients(uow, actor="cli:admin", now=NOW)
    assert "\nC-1043," in text and "c-1043" not in text


def test_an_unchanged_row_in_another_case_changes_nothing(
    store: Store, policy: ClinicPolicy
) -> None:
    _import_clients(store, policy)
    report = _import_clients(store, policy, CLIENTS.replace("C-1042", "c-1042"))
    assert report.unchanged == 3 and report.updated == 0


def test_a_file_with_one_code_in_two_cases_writes_nothing(
    store: Store, policy: ClinicPolicy
) -> None:
    text = f"{HEADER}\nC-1,,,,,,,,,,,,,,,,active\nc-1,,,,,,,,,,,,,,,,intake\n"
    with pytest.raises(ImportErrors) as caught:
        read_clients_csv(text, policy)
    assert [str(p) for p in caught.value.problems] == [
        "line 3, column code: 'c-1' and 'C-1' on line 2 are the same client (codes match "
        "without regard to case); give each client one row, in one spelling",
    ]


def test_intake_is_imported_and_exported(store: Store, policy: ClinicPolicy) -> None:
    _import_clients(store, policy, f"{HEADER}\nI-1,U0ANA,,,,,,,,,,,,,,,intake\n")
    with store.unit_of_work() as uow:
        record = uow.clients.get("i-1")
        assert record is not None and record.status == "intake"
        text, _ = export_clients(uow, actor="cli:admin", now=NOW)
    assert text.rstrip("\n").endswith(",intake")


def test_appointments_name_clients_in_any_case(
    store: Store, policy: ClinicPolicy
) -> None:
    _import_clients(store, policy)
    rows = read_appointments_csv("client,start\nc-1042,2026-11-24 14:00\n", policy, NOW)
    with store.unit_of_work() as uow:
        report = import_appointments(uow, policy, rows, actor="cli:admin", source="a.csv",
                                     now=NOW)
        uow.commit()
    assert report.created == 1
    with store.unit_of_work() as uow:
        [appointment] = uow.session.exec(select(Appointment)).all()
        assert appointment.client_id == uow.clients.row("C-1042").id  # type: ignore[union-attr]
