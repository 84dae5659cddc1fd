"""``purge --closed-before``: the files closed before the date go, everything else stays, the
audit trail keeps its events and gains one with the counts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from bot.ops.commands import OperationRefused, closed_before_date
from bot.policy.clinic import ClinicPolicy
from bot.policy_file import load_policy
from bot.services.retention import PURGED_EVENT, cutoff_instant, purge_closed
from storage.audit import verify_chain
from storage.repositories.retention import CLOSED_STATUSES
from storage.tables import (
    Appointment,
    Approval,
    AuditEvent,
    CallbackDuty,
    Client,
    ConsentNumber,
    ConsentRow,
    OutboxMessage,
    RunIn,
)
from storage.uow import Store
from tests.storage.seeding import client_record, seed_every_sealed_field

LONG_AGO = datetime(2019, 5, 1, 15, tzinfo=UTC)
CUTOFF_DAY = date(2020, 1, 1)
NOW = datetime(2026, 11, 24, 15, tzinfo=UTC)


def _client(store: Store, code: str, status: str, *, at: datetime) -> None:
    record, _ = client_record(code)
    with store.unit_of_work() as uow:
        assert record.consent is not None and record.consent.provenance is not None
        provenance = replace(record.consent.provenance, recorded_at=at)
        record = replace(record, status=status,  # type: ignore[arg-type]
                         consent=replace(record.consent, provenance=provenance))
        saved = uow.clients.save(record, now=at)
        uow.session.flush()
        uow.session.add(Appointment(client_id=saved.id, clinician="U0ANA", start_at=at))
        uow.session.add(CallbackDuty(client_id=saved.id, clinician="U0ANA", logged_by="U0ANA",
                                     called_at=at))
        uow.audit.append("U0ANA", "card.viewed", code, {}, at=at)
        uow.commit()


@pytest.fixture
def policy() -> ClinicPolicy:
    return load_policy(None)


@pytest.fixture
def clinic(store: Store) -> Store:
    with store.unit_of_work() as uow:  # closed long ago, with every sealed field and a run-in
        seed_every_sealed_field(uow, "C-OLD")
        row = uow.clients.row("C-OLD")
        row.status, row.updated_at = "closed", LONG_AGO
        uow.session.add(row)
        consent = uow.session.exec(select(ConsentRow)).one()
        consent.recorded_at = LONG_AGO
        uow.session.add(consent)
        for table in (Approval, RunIn):
            for item in uow.session.exec(select(table)).all():
                item.created_at = LONG_AGO
                if table is RunIn:
                    item.occurred_at = LONG_AGO
                uow.session.add(item)
        uow.session.add(OutboxMessage(kind="runin_followup", recipient="U0ANA", due_at=NOW,
                                      available_at=NOW, subject_kind="run_in",
                                      subject_id=uow.session.exec(select(RunIn.id)).one()))
        uow.commit()
    _client(store, "C-FORMER", "former", at=LONG_AGO)
    _client(store, "C-ACTIVE", "active", at=LONG_AGO)  # old, but in care: kept
    _client(store, "C-RECENT", "closed", at=NOW - timedelta(days=30))  # closed after the date
    _client(store, "C-BACK", "former", at=LONG_AGO)  # former, but seen after the date
    with store.unit_of_work() as uow:
        back = uow.clients.row("C-BACK")
        uow.session.add(Appointment(client_id=back.id, clinician="U0ANA",
                                    start_at=NOW - timedelta(days=3)))
        uow.commit()
    return store


def _codes(store: Store) -> list[str]:
    with store.unit_of_work(read_only=True) as uow:
        return sorted(uow.session.exec(select(Client.code)).all())


def test_a_dry_run_counts_and_changes_nothing(clinic: Store, policy: ClinicPolicy) -> None:
    with clinic.unit_of_work() as uow:
        outcome = purge_closed(uow, policy, CUTOFF_DAY, dry_run=True, actor="cli:admin", now=NOW)
        uow.commit()
    assert outcome.codes == ("C-FORMER", "C-OLD")
    counts = outcome.counts
    assert (counts.clients, counts.consents, counts.phone_numbers, counts.third_parties) == (
        2, 2, 4, 2)
    assert (counts.appointments, counts.callbacks, counts.run_ins, counts.approvals,
            counts.outbox_messages) == (1, 1, 1, 1, 1)
    assert len(_codes(clinic)) == 5
    with clinic.unit_of_work(read_only=True) as uow:
        assert not uow.session.exec(
            select(AuditEvent).where(AuditEvent.action == PURGED_EVENT)).all()


def test_purge_deletes_closed_files_and_keeps_the_trail(clinic: Store,
                                                       policy: ClinicPolicy) -> None:
    with clinic.unit_of_work(read_only=True) as uow:
        events_before = uow.session.exec(select(func.count()).select_from(AuditEvent)).one()
    with clinic.unit_of_work() as uow:
        outcome = purge_closed(uow, policy, CUTOFF_DAY, dry_run=False, actor="cli:admin",
                               now=NOW)
        uow.commit()
    assert _codes(clinic) == ["C-ACTIVE", "C-BACK", "C-RECENT"]
    with clinic.unit_of_work(read_only=True) as uow:
        assert uow.clients.get("C-OLD") is None
        assert not uow.session.exec(select(OutboxMessage)).all()
        assert not uow.session.exec(select(RunIn)).all()
        assert len(uow.session.exec(select(ConsentNumber)).all()) == 6  # 3 clients kept, 2 each
        events = uow.session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
        assert len(events) == events_before + 1
        purged = events[-1]
        assert (purged.action, purged.actor) == (PURGED_EVENT, "cli:admin")
        assert purged.details["codes"] == ["C-FORMER", "C-OLD"]
        assert purged.details["clients"] == 2 and purged.details["closed_before"] == "2020-01-01"
        assert any(e.client_code == "C-FORMER" for e in events)  # earlier events stay
        assert verify_chain(uow.session, clinic.keyring).ok
    assert outcome.counts.clients == 2


def test_the_date_is_the_start_of_the_day_in_the_clinics_zone(policy: ClinicPolicy) -> None:
    assert policy.clinic.timezone.key == "America/New_York"
    assert cutoff_instant(policy, date(2020, 1, 1)) == datetime(2020, 1, 1, 5, tzinfo=UTC)
    assert CLOSED_STATUSES == ("former", "closed")


@pytest.mark.parametrize(("text", "message"), [
    ("2020-13-01", "takes a date as YYYY-MM-DD"),
    ("01/02/2020", "takes a date as YYYY-MM-DD"),
    ("2020-1-1", "takes a date as YYYY-MM-DD"),
    ("", "takes a date as YYYY-MM-DD"),
    ("2026-11-25", "is after today (2026-11-24)"),
    ("1969-12-31", "is before 1970-01-01"),
])
def test_bad_dates_are_named(text: str, message: str) -> None:
    with pytest.raises(OperationRefused, match=re.escape(message)):
        closed_before_date(text, date(2026, 11, 24))
    assert closed_before_date(" 2019-06-30 ", date(2026, 11, 24)) == date(2019, 6, 30)


def test_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    from storage.crypto import generate_key

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CONTACT_CHECK_", "DATABASE_URL"))}
    env.update(CONTACT_CHECK_KEYS=generate_key(), DATABASE_URL=sqlite_url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "purge", *args], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              check=False)

    bad = run("--closed-before", "2020-02-30")
    assert bad.returncode == 2 and "takes a date as YYYY-MM-DD" in bad.stderr
    assert "Traceback" not in bad.stderr
    dry = run("--closed-before", "2020-01-01", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("Dry run: files closed before 2020-01-01 hold 0 clients,")
    done = run("--closed-before", "2020-01-01")
    assert done.returncode == 0 and "Deleted the files closed before 2020-01-01" in done.stdout
