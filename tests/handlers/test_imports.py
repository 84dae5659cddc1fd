"""The command line's import (``handlers.imports``): prepared with no write lock held, written in
one short bulk transaction, all or nothing, again when what it was prepared against changed; the
team is answered meanwhile (issue 12, item 9)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import select

from bot.csv_formats import CLIENT_COLUMNS
from bot.policy.model import ImportErrors
from bot.services import imports
from bot.services.appointments import CHASE_KIND
from handlers.imports import ATTEMPTS, ImportKeptChanging, run_import
from storage.audit import verify_chain
from storage.tables import Appointment, AuditEvent, Client, ConsentNumber, OutboxMessage
from tests.handlers.conftest import add_client, eventually, maria
from tests.storage.rows import count_rows


def clients_csv(count: int, *, clinician: str = "U0ANA", start: int = 0) -> str:
    """A clients file of ``count`` clients C-00000…, every column used (the import benchmark's
    file too)."""
    lines = [",".join(CLIENT_COLUMNS)]
    for i in range(start, start + count):
        lines.append(",".join([
            f"C-{i:05d}", clinician, f"Client {i}", "yes", "cell",
            f"+1215{2000000 + i:07d}", f"+1267{2000000 + i:07d}", "", "home",
            "asked not to", "cell", "yes" if i % 2 else "no", "09:00", "18:00",
            f"Partner {i}" if i % 3 == 0 else "", "yes" if i % 3 == 0 else "", "active",
        ]))
    return "\n".join(lines) + "\n"


def _import(deps: Any, text: str, what: str = "clients") -> imports.ImportReport:
    now = deps.clock.now()
    rows = (imports.read_clients_csv(text, deps.policy) if what == "clients"
            else imports.read_appointments_csv(text, deps.policy, now))
    return run_import(deps.store, deps.policy, what, rows, actor="cli:admin", source=f"{what}.csv",
                      now=now)


def test_nothing_is_sealed_or_merged_while_the_write_transaction_is_open(
        deps, writes, monkeypatch):
    """Encryption, blind indexes and merging with what is on file all happen before the write
    lock is taken; the write is one transaction of a handful of bulk statements."""
    sealed_while_writing: list[str] = []
    sealer = deps.store.sealer

    def watched(name: str, original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if writes.open:
                sealed_while_writing.append(name)
            return original(*args, **kwargs)
        return call

    monkeypatch.setattr(sealer, "seal_column", watched("seal", sealer.seal_column))
    monkeypatch.setattr(sealer, "phone_index", watched("index", sealer.phone_index))
    monkeypatch.setattr(imports, "_merged", watched("merge", imports._merged))
    report = _import(deps, clients_csv(300))
    assert (report.created, report.updated) == (300, 0)
    assert sealed_while_writing == []
    assert writes.began == 1 and writes.open == 0  # one write transaction, committed
    inserted = {table: rows for statement, rows in writes.statements
                if statement.startswith("INSERT INTO")
                for table in [statement.split()[2].strip('"')]}
    assert inserted["clients"] == 300 and inserted["consent_numbers"] == 600
    assert inserted["third_parties"] == 100 and inserted["audit_events"] == 1
    assert len(writes.statements) <= 12  # bulk statements, not one (or more) a client
    # a re-import changing every client: still one short transaction, nothing sealed in it
    writes.began, writes.statements = 0, []
    report = _import(deps, clients_csv(300).replace(",active\n", ",former\n"))
    assert (report.created, report.updated) == (0, 300)
    assert sealed_while_writing == [] and writes.began == 1
    assert len(writes.statements) <= 30
    assert count_rows(deps.store, ConsentNumber) == 600


def test_an_import_audits_each_client_it_wrote_by_code_and_the_counts(deps):
    """One ``client.imported`` per client written (code only: the access report lists an import
    among the reads of a client's details), none for a client unchanged, then the counts."""
    _import(deps, clients_csv(50))
    _import(deps, clients_csv(50, start=25))
    with deps.store.unit_of_work(read_only=True) as uow:
        events = [(e.action, e.client_code, e.details) for e in
                  uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()]
        assert verify_chain(uow.session).ok
    batches = [details.pop("batch") for _, _, details in events if "batch" in details]
    assert len(batches) == 77 and len(set(batches)) == 2  # which import wrote each client
    first = {"source": "clients.csv", "new": True, "consent_changed": True}
    counts = [e for e in events if e[0] == "clients.imported"]
    assert counts == [
        ("clients.imported", None, {"source": "clients.csv", "created": 50, "updated": 0,
                                    "unchanged": 0, "consent_changed": 50}),
        ("clients.imported", None, {"source": "clients.csv", "created": 25, "updated": 0,
                                    "unchanged": 25, "consent_changed": 25}),
    ]
    per_client = [(code, details) for action, code, details in events
                  if action == "client.imported"]
    assert len(per_client) == 75 and all(details == first for _, details in per_client)
    assert len({code for code, _ in per_client}) == 75
    assert events[50][0] == "clients.imported" and events[-1][0] == "clients.imported"


@pytest.mark.parametrize("bad", [
    ("+12152001250", "555", "column cell"),
    (",active", ",retired", "column status"),
])
def test_a_bad_row_in_the_middle_of_a_large_file_writes_nothing(deps, writes, bad):
    old, new, column = bad
    text = clients_csv(2500)
    lines = text.split("\n")
    lines[1251] = lines[1251].replace(old, new, 1)  # C-01250, on line 1252 of the file
    with pytest.raises(ImportErrors) as refused:
        _import(deps, "\n".join(lines))
    assert [str(p).split(":")[0] for p in refused.value.problems] == [f"line 1252, {column}"]
    assert writes.began == 0
    assert count_rows(deps.store, Client) == 0 and count_rows(deps.store, AuditEvent) == 0


def test_an_appointment_for_a_client_not_on_file_mid_file_writes_nothing(deps, writes, clock):
    _import(deps, clients_csv(400))
    writes.began = 0
    rows = [f"C-{i:05d},2026-11-25 {9 + i % 8:02d}:00,50" for i in range(400)]
    rows[200] = "C-99999,2026-11-25 10:00,50"
    with pytest.raises(ImportErrors) as refused:
        _import(deps, "client,start,minutes\n" + "\n".join(rows) + "\n", "appointments")
    assert [str(p).split(":")[0] for p in refused.value.problems] == ["line 202, column client"]
    assert writes.began == 0
    assert count_rows(deps.store, Appointment) == 0 and count_rows(deps.store, OutboxMessage) == 0


def test_appointments_are_written_in_one_bulk_transaction_with_their_chases(deps, writes):
    _import(deps, clients_csv(200))
    writes.began, writes.statements = 0, []
    text = "client,start,minutes\n" + "".join(
        f"C-{i:05d},2026-11-25 {9 + i % 8:02d}:00,50\n" for i in range(200))
    report = _import(deps, text, "appointments")
    assert (report.created, writes.began) == (200, 1)
    assert len(writes.statements) <= 12
    assert count_rows(deps.store, Appointment) == 200
    with deps.store.unit_of_work(read_only=True) as uow:
        chases = uow.outbox.waiting(kinds=[CHASE_KIND])
    assert len(chases) == 200
    again = _import(deps, text.replace(",50\n", ",80\n"), "appointments")
    assert (again.created, again.updated) == (0, 200)
    assert count_rows(deps.store, OutboxMessage) == 200  # each chase queued once


# --- the team is answered while a long import is prepared -------------------------------------


class PausedImport:
    """An import in a thread of its own, paused inside its preparation (at its first sealed
    value) until ``go`` is set."""

    def __init__(self, deps: Any, monkeypatch: pytest.MonkeyPatch, text: str):
        self.preparing, self.go = threading.Event(), threading.Event()
        self.result: list[Any] = []
        sealer = deps.store.sealer
        original = sealer.seal_column

        def seal(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is self.thread and not self.preparing.is_set():
                self.preparing.set()
                self.go.wait(30)
            return original(*args, **kwargs)

        monkeypatch.setattr(sealer, "seal_column", seal)
        self.thread = threading.Thread(target=self._run, args=(deps, text), daemon=True)
        self.thread.start()
        assert self.preparing.wait(10), "the import never started preparing"

    def _run(self, deps: Any, text: str) -> None:
        try:
            self.result.append(_import(deps, text))
        except BaseException as error:  # reported by finish()
            self.result.append(error)

    def finish(self) -> imports.ImportReport:
        self.go.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the import never finished"
        (result,) = self.result
        if isinstance(result, BaseException):
            raise result
        return result


@pytest.mark.parametrize(("text", "answer"), [
    ("C-1042", "OK to call: C-1042"),
    ("missed C-1042 voicemail", "call back"),
])
def test_cards_and_missed_calls_are_answered_while_an_import_is_prepared(
        bot, store, clock, monkeypatch, text, answer):
    add_client(store, maria(clock), clock)
    paused = PausedImport(bot.deps, monkeypatch, clients_csv(200))
    try:
        url = bot.slack.new_response_url()
        assert bot.command("U0ANA", text, response_url=url).status == 200
        (reply,) = eventually(lambda: bot.slack.responses(url), timeout=10)
        assert answer in reply["text"]
        # nothing holds the write lock while the file is prepared
        assert _health(bot) == (200, "ok")
    finally:
        report = paused.finish()
    assert report.created == 200


def _health(bot: Any) -> tuple[int, str]:
    from tests.handlers.conftest import http

    answer = http("GET", bot.url + "/healthz")
    return answer.status, answer.json()["database"]


# --- what the file was prepared against changed before it was written ----------------------------


def test_a_consent_edited_while_the_file_is_prepared_is_not_lost(deps, clock, monkeypatch):
    """Someone records a safety note in Slack between the preparation and the write: the write
    sees it and prepares again, so the note is kept (the file cannot say one)."""
    add_client(deps.store, maria(clock), clock)
    prepare = imports.prepare_clients
    calls = []

    def edit_after_first_prepare(*args: Any, **kwargs: Any) -> Any:
        prepared = prepare(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            with deps.store.unit_of_work() as uow:
                record = uow.clients.get("C-1042")
                uow.clients.save(replace(record, consent=replace(
                    record.consent, safety_note="new note from Slack")), now=clock.now())
                uow.commit()
        return prepared

    monkeypatch.setattr(imports, "prepare_clients", edit_after_first_prepare)
    text = clients_csv(3) + "C-1042,U0ANA,Maria,no,,,,,,,,,,,,,former\n"
    report = _import(deps, text)
    assert len(calls) == 2
    assert (report.created, report.updated) == (3, 1)
    with deps.store.unit_of_work(read_only=True) as uow:
        maria_now = uow.clients.get("C-1042")
    assert maria_now.status == "former" and maria_now.consent.may_call is False
    assert maria_now.consent.safety_note == "new note from Slack"


def test_a_file_whose_clients_keep_changing_is_refused_with_nothing_written(deps, clock,
                                                                           monkeypatch):
    add_client(deps.store, maria(clock), clock)
    prepare = imports.prepare_clients
    calls = []

    def edit_every_time(*args: Any, **kwargs: Any) -> Any:
        prepared = prepare(*args, **kwargs)
        calls.append(1)
        with deps.store.unit_of_work() as uow:
            status = "closed" if len(calls) % 2 else "active"
            uow.clients.save(replace(uow.clients.get("C-1042"), status=status), now=clock.now())
            uow.commit()
        return prepared

    monkeypatch.setattr(imports, "prepare_clients", edit_every_time)
    with pytest.raises(ImportKeptChanging, match="nothing imported: the clients on file kept"):
        _import(deps, clients_csv(5) + "C-1042,U0ANA,Maria,no,,,,,,,,,,,,,former\n")
    assert len(calls) == ATTEMPTS
    assert count_rows(deps.store, Client) == 1 and count_rows(deps.store, AuditEvent) == 0


def test_a_client_created_with_one_of_the_codes_meanwhile_is_updated_not_duplicated(
        deps, clock, monkeypatch):
    prepare = imports.prepare_clients
    calls = []

    def create_after_first_prepare(*args: Any, **kwargs: Any) -> Any:
        prepared = prepare(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            add_client(deps.store, replace(maria(clock), code="c-00001"), clock)
        return prepared

    monkeypatch.setattr(imports, "prepare_clients", create_after_first_prepare)
    report = _import(deps, clients_csv(3))
    assert (report.created, report.updated, len(calls)) == (2, 1, 2)
    with deps.store.unit_of_work(read_only=True) as uow:
        assert uow.clients.get("C-00001").preferred_name == "Client 1"
    assert count_rows(deps.store, Client) == 3


def test_a_file_that_changes_only_names_leaves_the_consent_rows_as_they_are(deps, writes):
    """Updating many clients holds the lock for all of them: their consent rows are replaced
    only when their consent changed."""
    _import(deps, clients_csv(60))

    def number_ids() -> set[Any]:
        with deps.store.unit_of_work(read_only=True) as uow:
            return set(uow.session.execute(select(ConsentNumber.id)).scalars())

    before = number_ids()
    writes.statements = []
    renamed = clients_csv(60).replace(",Client ", ",Person ")
    assert _import(deps, renamed).updated == 60
    assert number_ids() == before
    assert not [s for s, _ in writes.statements
                if "consent_numbers" in s and not s.startswith("SELECT")]  # read, not written
    new_cell = renamed.replace("+12152000007,", "+12155550107,")
    assert _import(deps, new_cell).updated == 1
    after = number_ids()
    assert len(after) == len(before) and len(after - before) == 2  # C-00007's two numbers
    with deps.store.unit_of_work(read_only=True) as uow:
        c7 = uow.clients.get("C-00007")
        assert c7.preferred_name == "Person 7"
        assert c7.consent.number("cell").number == "+12155550107"
        assert uow.clients.get("C-00008").preferred_name == "Person 8"
