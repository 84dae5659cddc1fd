"""Importing clients and appointments: all or nothing, update by code, audited; export back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from bot.csv_formats import CLIENT_COLUMNS, parse_clients_csv
from bot.policy.clinic import ClinicPolicy, Role, TeamMember
from bot.policy.model import ImportErrors
from bot.policy_file import load_policy
from bot.services.callbacks import log_missed
from bot.services.imports import (
    export_clients,
    import_appointments,
    import_clients,
    read_appointments_csv,
    read_clients_csv,
)
from storage.audit import verify_chain
from storage.tables import Appointment, AuditEvent, Client
from storage.uow import Store

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
HEADER = ",".join(CLIENT_COLUMNS)
CLIENTS = f"""{HEADER}
C-1042,U0ANA,Robin,yes,cell,(215) 555-0142,215-555-0143,,home,abusive partner,\
cell,no,09:00,18:00,Pat,yes,active
C-1043,U0ANA,Kim,no,,,,,,,,,,,,,active

P-7,,,,,,,,,,,,,,,,prospect
"""
APPOINTMENTS = """client,start,minutes
C-1042,2026-11-24 14:00,50
C-1043,2026-11-25T10:00:00-05:00,
"""


@pytest.fixture
def policy() -> ClinicPolicy:
    return load_policy(None)


def _import_clients(store: Store, policy: ClinicPolicy, text: str = CLIENTS, now: datetime = NOW,
                    source: str = "clients.csv"):
    with store.unit_of_work() as uow:
        report = import_clients(uow, policy, read_clients_csv(text, policy), actor="cli:admin",
                                source=source, now=now)
        uow.commit()
    return report


def _events(store: Store, action: str | None = None) -> list[AuditEvent]:
    with store.unit_of_work() as uow:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            query = query.where(AuditEvent.action == action)
        events = list(uow.session.exec(query).all())
        uow.session.expunge_all()  # keep their loaded values once the unit of work ends
        return events


def test_rows_are_numbered_by_their_line_in_the_file(policy: ClinicPolicy) -> None:
    text = f"{HEADER}\n\nC-1,,Robin,,,,,,,,,,,,,,\n,,,,,,,,,,,,,,,,\nC-2,,,,,,,,,,,,,,,,\n"
    rows = read_clients_csv(text, policy)
    assert [(r.line, r.record.code) for r in rows] == [(3, "C-1"), (5, "C-2")]


def test_a_name_spanning_lines_is_refused_where_its_row_starts(policy: ClinicPolicy) -> None:
    text = f'{HEADER}\n\nC-1,,"two\nlines",,,,,,,,,,,,,,\n,,,,,,,,,,,,,,,,\nC-2,,,,,,,,,,,,,,,,\n'
    with pytest.raises(ImportErrors) as refused:
        read_clients_csv(text, policy)
    assert [str(p) for p in refused.value.problems] == [
        "line 3, column preferred_name: character 4 is a line break, which a name or note may "
        "not hold"
    ]


def test_import_creates_clients_with_import_provenance(store: Store, policy: ClinicPolicy) -> None:
    report = _import_clients(store, policy)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    with store.unit_of_work() as uow:
        robin = uow.clients.get("C-1042")
        assert robin.preferred_name == "Robin"
        assert robin.consent.number("cell").number == "+12155550142"
        assert robin.consent.number("home").do_not_call_reason == "abusive partner"
        provenance = robin.consent.provenance
        assert (provenance.recorded_by, provenance.method, provenance.recorded_at) == (
            "import:clients.csv", "import", NOW)
        assert uow.clients.get("P-7").status == "prospect"
    imported = _events(store, "client.imported")
    assert [e.client_code for e in imported] == ["C-1042", "C-1043", "P-7"]
    assert all(e.actor == "cli:admin" and e.details["new"] for e in imported)
    summary = _events(store, "clients.imported")
    batch = summary[0].details.pop("batch")  # the import's, in each of its events
    assert {e.details["batch"] for e in imported} == {batch}
    assert [e.details for e in summary] == [
        {"source": "clients.csv", "created": 3, "updated": 0, "unchanged": 0,
         "consent_changed": 3}]
    for event in _events(store):  # no client detail in the audit trail
        assert "Robin" not in str(event.details) and "555" not in str(event.details)


def test_reimporting_the_same_file_changes_nothing(store: Store, policy: ClinicPolicy) -> None:
    _import_clients(store, policy)
    with store.unit_of_work() as uow:
        before = uow.clients.get("C-1042")
    report = _import_clients(store, policy, now=NOW + timedelta(days=1))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    with store.unit_of_work() as uow:
        assert uow.session.exec(select(func.count()).select_from(Client)).one() == 3
        assert uow.clients.get("C-1042") == before  # provenance kept: nothing was re-recorded
    assert len(_events(store, "client.imported")) == 3


def test_reimport_updates_by_code(store: Store, policy: ClinicPolicy) -> None:
    _import_clients(store, policy)
    changed = CLIENTS.replace(",active\nC-1043,U0ANA,Kim,no,", ",closed\nC-1043,U0ANA,Kim,yes,")
    later = NOW + timedelta(days=2)
    report = _import_clients(store, policy, changed, now=later, source="fix.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    with store.unit_of_work() as uow:
        assert uow.clients.get("C-1042").status == "closed"
        robin_provenance = uow.clients.get("C-1042").consent.provenance
        kim = uow.clients.get("C-1043")
    assert robin_provenance.recorded_at == NOW  # only the status changed, not the consent
    assert kim.consent.may_call is True
    assert kim.consent.provenance.recorded_by == "import:fix.csv"
    assert kim.consent.provenance.recorded_at == later
    updates = [e for e in _events(store, "client.imported") if e.details["source"] == "fix.csv"]
    assert [(e.client_code, e.details["consent_changed"]) for e in updates] == [
        ("C-1042", False), ("C-1043", True)]


def test_reimport_keeps_what_the_file_cannot_say(store: Store, policy: ClinicPolicy) -> None:
    _import_clients(store, policy)
    with store.unit_of_work() as uow:
        robin = uow.clients.get("C-1042")
        consent = robin.consent
        cell = replace(consent.number("cell"), clinic_name_ok=True)
        numbers = tuple(cell if n.kind == "cell" else n for n in consent.numbers)
        uow.clients.save(replace(robin, consent=replace(consent, safety_note="safe word: lemon",
                                                        numbers=numbers)))
        uow.commit()
    report = _import_clients(store, policy, now=NOW + timedelta(days=1))
    assert report.unchanged == 3
    with store.unit_of_work() as uow:
        kept = uow.clients.get("C-1042").consent
    assert kept.safety_note == "safe word: lemon"
    assert kept.number("cell").clinic_name_ok is True


def test_a_clinician_not_on_the_team_is_a_warning(store: Store, policy: ClinicPolicy) -> None:
    team_policy = replace(policy, team=(TeamMember("U0BEA", "clinician", "Bea"),))
    report = _import_clients(store, team_policy)
    assert report.created == 3
    assert [(w.line, w.column) for w in report.warnings] == [(2, "clinician"), (3, "clinician")]
    assert "U0ANA is not on the team" in str(report.warnings[0])
    assert _import_clients(store, policy).warnings == ()  # no team named: nothing to check


def test_a_reimport_that_refuses_calls_closes_open_call_backs(
    store: Store, policy: ClinicPolicy
) -> None:
    """Seed 000: no call without the client's permission, so no call back is owed any more."""
    team_policy = replace(policy, team=(TeamMember("U0ANA", "clinician", "Ana"),))
    _import_clients(store, team_policy)
    with store.unit_of_work() as uow:
        duties = [log_missed(uow, team_policy, actor="U0ANA", code=code, voicemail=True,
                             now=NOW).duty_id for code in ("C-1042", "P-7")]
        uow.commit()
    refusing = CLIENTS.replace("C-1042,U0ANA,Robin,yes,", "C-1042,U0ANA,Robin,no,")
    _import_clients(store, team_policy, refusing, now=NOW + timedelta(hours=1))
    with store.unit_of_work() as uow:
        robin, prospect = (uow.callbacks.get(d) for d in duties)
        assert (robin.status, robin.closed_by) == ("not_owed", "cli:admin")
        assert prospect.status == "open"  # P-7 still has no refusal on file
        assert {r.status for r in uow.outbox.for_subject("callback", robin.id)} == {"cancelled"}
    assert [e.client_code for e in _events(store, "callback.not_owed")] == ["C-1042"]


@pytest.mark.parametrize(
    ("role", "refused"),
    [("clinician", False), ("supervisor", False), ("front_desk", True), ("admin", True)],
)
def test_a_clients_clinician_must_treat_clients_as_in_the_consent_form(
    policy: ClinicPolicy, role: Role, refused: bool
) -> None:
    team_policy = replace(policy, team=(TeamMember("U0ANA", role, "Ana"),))
    if not refused:
        assert len(read_clients_csv(CLIENTS, team_policy)) == 3
        return
    with pytest.raises(ImportErrors) as caught:
        read_clients_csv(CLIENTS, team_policy)
    shown = role.replace("_", " ")
    assert [str(p) for p in caught.value.problems][:1] == [
        f"line 2, column clinician: U0ANA is on the team as {shown}; a client's clinician must "
        "be a clinician or supervisor"
    ]


def test_a_bad_row_means_nothing_is_read(policy: ClinicPolicy) -> None:
    bad = CLIENTS.replace("(215) 555-0142", "555").replace("C-1043", "C 1043")
    with pytest.raises(ImportErrors) as caught:
        read_clients_csv(bad, policy)
    assert [str(p).split(":")[0] for p in caught.value.problems] == [
        "line 2, column cell", "line 3, column code"]


def test_appointments_import_and_reimport(store: Store, policy: ClinicPolicy) -> None:
    _import_clients(store, policy)
    rows = read_appointments_csv(APPOINTMENTS, policy, NOW)
    with store.unit_of_work() as uow:
        report = import_appointments(uow, policy, rows, actor="cli:admin", source="a.csv",
                                     now=NOW)
        uow.commit()
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert [new for _, new in report.appointments] == [True, True]
    longer = APPOINTMENTS.replace("14:00,50", "14:00,80")
    with store.unit_of_work() as uow:
        report = import_appointments(uow, policy, read_appointments_csv(longer, policy, NOW),
                                     actor="cli:admin", source="a.csv", now=NOW)
        uow.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    with store.unit_of_work() as uow:
        stored = [(a.start_at, a.minutes, a.clinician) for a in
                  uow.session.exec(select(Appointment).order_by(Appointment.start_at)).all()]
    assert stored == [
        (datetime(2026, 11, 24, 19, 0, tzinfo=UTC), 80, "U0ANA"),
        (datetime(2026, 11, 25, 15, 0, tzinfo=UTC), 50, "U0ANA"),
    ]
    assert [e.details["created"] for e in _events(store, "appointments.imported")] == [2, 0]


def test_an_unknown_client_means_no_appointment_is_stored(store: Store,
                                                          policy: ClinicPolicy) -> None:
    _import_clients(store, policy)
    text = APPOINTMENTS + "C-404,2026-11-26 09:00,50\n\nC-405,2026-11-26 10:00,50\n"
    with store.unit_of_work() as uow, pytest.raises(ImportErrors) as caught:
        import_appointments(uow, policy, read_appointments_csv(text, policy, NOW),
                            actor="cli:admin", source="a.csv", now=NOW)
    assert [str(p) for p in caught.value.problems] == [
        "line 4, column client: no client with code C-404 is on file; import clients first, or"
        " check the code",
        "line 6, column client: no client with code C-405 is on file; import clients first, or"
        " check the code",
    ]
    with store.unit_of_work() as uow:
        assert uow.session.exec(select(func.count()).select_from(Appointment)).one() == 0


def test_export_writes_the_import_format_back(store: Store, policy: ClinicPolicy) -> None:
    _import_clients(store, policy)
    with store.unit_of_work() as uow:
        text, count = export_clients(uow, actor="cli:admin", now=NOW)
        uow.commit()
    assert count == 3
    exported = {r.code: r for r in parse_clients_csv(text, "US")}
    original = {r.code: r for r in parse_clients_csv(CLIENTS, "US")}
    assert exported == original
    assert [e.details for e in _events(store, "clients.exported")] == [{"clients": 3}]
    report = _import_clients(store, policy, text, now=NOW + timedelta(days=1))
    assert report.unchanged == 3
    with store.unit_of_work() as uow:
        assert verify_chain(uow.session).ok
