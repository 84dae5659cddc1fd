"""Client and appointment repositories: rows in, records out, nothing committed by them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from bot.policy.model import ClientRecord, Consent, NumberPermission, Provenance
from storage.tables import Appointment, Client, ConsentNumber, ThirdPartyRow
from storage.uow import Store
from tests.storage.seeding import client_record

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _count(store: Store, table: type) -> int:
    with store.unit_of_work() as uow:
        return uow.session.exec(select(func.count()).select_from(table)).one()


def test_nothing_is_written_without_commit(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.clients.save(client_record("C-1")[0])
        uow.session.flush()
        assert uow.clients.count() == 1
    assert _count(store, Client) == 0


def test_save_updates_by_code_and_replaces_numbers(store: Store) -> None:
    record, _ = client_record("C-1")
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=AT)
        uow.commit()
    fewer = replace(record, status="former", consent=replace(
        record.consent, numbers=record.consent.numbers[:1], third_parties=()))
    with store.unit_of_work() as uow:
        uow.clients.save(fewer, now=AT + timedelta(days=1))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.clients.count() == 1
        assert uow.clients.get("C-1") == fewer
    assert _count(store, ConsentNumber) == 1
    assert _count(store, ThirdPartyRow) == 0


def test_a_client_without_consent(store: Store) -> None:
    record = ClientRecord(code="P-1", clinician=None, status="prospect")
    with store.unit_of_work() as uow:
        uow.clients.save(record)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.clients.get("P-1") == record
        assert uow.clients.get("nobody") is None


def test_records_and_iter_all_in_code_order_across_batches(store: Store) -> None:
    codes = [f"C-{i:03d}" for i in range(25)]
    with store.unit_of_work() as uow:
        for code in reversed(codes):
            uow.clients.save(client_record(code)[0])
        uow.commit()
    with store.unit_of_work() as uow:
        assert [r.code for r in uow.clients.iter_all(batch=7)] == codes
        rows = list(uow.clients.rows_by_code(codes[:3]).values())
        assert [r.code for r in uow.clients.records(rows)] == [r.code for r in rows]
        assert uow.clients.codes() == set(codes)


def test_consent_provenance_round_trips(store: Store) -> None:
    provenance = Provenance(recorded_by="import:clients.csv", recorded_at=AT, method="import",
                            last_verified_at=AT + timedelta(hours=1))
    record = ClientRecord(code="C-2", clinician="U0ANA", consent=Consent(
        may_call=False, numbers=(NumberPermission(kind="home", number=None, may_call=False,
                                                  do_not_call=True),),
        provenance=provenance))
    with store.unit_of_work() as uow:
        uow.clients.save(record)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.clients.get("C-2").consent.provenance == provenance


def test_appointments_are_stored_once_per_client_and_start(store: Store) -> None:
    with store.unit_of_work() as uow:
        client = uow.clients.save(client_record("C-1")[0])
        uow.session.flush()
        row, new = uow.appointments.save(client, AT, 50)
        assert new and row.clinician == "U0ANA" and row.status == "scheduled"
        again, new_again = uow.appointments.save(client, AT, 30)
        assert not new_again and again.id == row.id and again.minutes == 30
        assert uow.appointments.find(client, AT) is row
        assert uow.appointments.find(client, AT + timedelta(days=7)) is None
        uow.commit()
    with store.unit_of_work() as uow:
        stored = uow.session.exec(select(Appointment)).all()
        assert [(a.start_at, a.minutes) for a in stored] == [(AT, 30)]


def test_get_reads_every_number_and_third_party_once(store: Store) -> None:
    """``get`` reads a client in one joined statement: numbers x third parties come back once."""
    from bot.policy.model import ThirdParty

    record, _ = client_record("C-1")
    record = replace(record, consent=replace(
        record.consent,
        numbers=(record.consent.numbers[0], NumberPermission(kind="home", number="+12155550100"),
                 record.consent.numbers[1]),  # cell, home, work: the order records keep
        third_parties=(ThirdParty("Partner", written_permission=True),
                       ThirdParty("Sister", written_permission=False),
                       ThirdParty("Friend", written_permission=True)),
    ))
    bare = ClientRecord(code="C-2", clinician="U0ANA", consent=replace(
        record.consent, numbers=(), third_parties=()))
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=AT)
        uow.clients.save(bare, now=AT)
        uow.commit()
    with store.unit_of_work(read_only=True) as uow:
        got = uow.clients.get("C-1")
        assert got.consent.numbers == record.consent.numbers
        assert sorted(got.consent.third_parties, key=lambda p: p.name) == sorted(
            record.consent.third_parties, key=lambda p: p.name)
        assert replace(got, consent=replace(got.consent, third_parties=())) == replace(
            record, consent=replace(record.consent, third_parties=()))
        assert uow.clients.get("C-2") == bare
        assert [r for r in uow.clients.iter_all() if r.code == "C-2"] == [bare]
