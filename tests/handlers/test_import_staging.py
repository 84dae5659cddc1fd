"""A large import writes its new clients hidden, in short transactions, and shows them in its last
(``handlers.imports``): the team never waits long on the write lock, and the import stays all or
nothing, even when it fails, finds a clash or is killed half-way (issue 12, item 9)."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.scheduling import PERIODIC
from bot.services import imports
from bot.services.keys import rotate_keys
from handlers import imports as import_handler
from handlers.consent import consent_view
from handlers.imports import (
    Pace,
    run_import,
    sweep_abandoned_imports,
    sweep_abandoned_imports_job,
)
from storage.audit import verify_chain
from storage.crypto import KeyConfigError, Keyring, generate_key
from storage.tables import AuditEvent, Client, ConsentNumber, ImportBatch
from storage.uow import Store
from tests.handlers.conftest import add_client, maria
from tests.handlers.test_imports import _import, clients_csv
from tests.storage.rows import count_rows, silence_imports


@pytest.fixture(autouse=True)
def parts_of_40(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of 40 clients, whatever the machine's speed, and no pause between them."""
    for name, value in (("FIRST_PART", 40), ("SMALLEST_PART", 40), ("LARGEST_PART", 40),
                        ("PACE", _paced(part=0.1, pause=0))):
        monkeypatch.setattr(import_handler, name, value)


def _paced(part: float, pause: float) -> dict[str, Pace]:
    return dict.fromkeys(("sqlite", "postgresql"), Pace(part=part, pause=pause))


def _actions(store: Store) -> list[tuple[str, dict[str, Any]]]:
    with store.unit_of_work(read_only=True) as uow:
        assert verify_chain(uow.session).ok
        return [(e.action, e.details) for e in
                uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]


def test_new_clients_are_written_in_parts_and_shown_only_at_the_end(deps, clock, writes,
                                                                    monkeypatch):
    add_client(deps.store, maria(clock), clock)
    seen: list[tuple[int, int, int]] = []  # after each part: (on file, hidden, rows of numbers)
    stage = imports.stage_clients

    def watched(uow: Any, prepared: Any, upto: int) -> int:
        written = stage(uow, prepared, upto)
        with deps.store.unit_of_work(read_only=True) as reader:  # what the team sees meanwhile
            assert reader.clients.get("C-00000") is None
            assert reader.clients.codes_for_phone("+12152000000") == []
            seen.append((reader.clients.count(),
                         count_rows(deps.store, Client, Client.import_batch.is_not(None)),
                         count_rows(deps.store, ConsentNumber)))
        return written

    monkeypatch.setattr(imports, "stage_clients", watched)
    writes.began = 0
    report = _import(deps, clients_csv(130))
    assert report.created == 130
    # three parts of 40 committed before the last transaction, which writes the last 10 and
    # shows all 130; the team saw Maria alone throughout
    assert seen == [(1, 0, 2), (1, 40, 82), (1, 80, 162)]
    assert writes.began == 4
    with deps.store.unit_of_work(read_only=True) as uow:
        assert uow.clients.count() == 131
        assert uow.clients.get("C-00129").consent.number("cell").number == "+12152000129"
    assert count_rows(deps.store, Client, Client.import_batch.is_not(None)) == 0
    assert count_rows(deps.store, ImportBatch) == 0
    actions = _actions(deps.store)
    imported = [d for a, d in actions if a == "client.imported"]
    assert len(imported) == 130 and len({d["batch"] for d in imported}) == 1
    assert actions[-1][0] == "clients.imported"


def test_the_parts_are_sized_from_how_long_the_last_one_took(deps, monkeypatch):
    """Each part aims at its database's ``Pace.part`` seconds, within the bounds."""
    sizes: list[int] = []
    stage = imports.stage_clients

    def recorded(uow: Any, prepared: Any, upto: int) -> int:
        sizes.append(upto - prepared.batch.staged)
        return stage(uow, prepared, upto)

    ticks = iter(range(10_000))  # each part "takes" 0.1 s: the next is twice as large
    monkeypatch.setattr(import_handler, "time", SimpleNamespace(
        perf_counter=lambda: next(ticks) * 0.1, sleep=lambda _seconds: None))
    monkeypatch.setattr(imports, "stage_clients", recorded)
    for name, value in (("FIRST_PART", 100), ("SMALLEST_PART", 100), ("LARGEST_PART", 300),
                        ("PACE", _paced(part=0.2, pause=0))):
        monkeypatch.setattr(import_handler, name, value)
    assert _import(deps, clients_csv(1000)).created == 1000
    # 100 written, 200, then 300 (the largest), 300 again; the last 100 go with the last
    # transaction
    assert sizes == [100, 200, 300, 300]


def test_an_import_that_fails_half_way_leaves_nothing_on_file(deps, clock, monkeypatch):
    add_client(deps.store, maria(clock), clock)
    numbers_before = count_rows(deps.store, ConsentNumber)
    stage = imports.stage_clients
    parts: list[int] = []

    def third_part_fails(uow: Any, prepared: Any, upto: int) -> int:
        parts.append(upto)
        if len(parts) == 3:
            raise OSError("disk full")
        return stage(uow, prepared, upto)

    monkeypatch.setattr(imports, "stage_clients", third_part_fails)
    monkeypatch.setattr(import_handler, "DISCARD_PART", 30)  # deleted in 3 transactions
    with pytest.raises(OSError, match="disk full"):
        _import(deps, clients_csv(200))
    with deps.store.unit_of_work(read_only=True) as uow:
        assert uow.clients.codes() == {"C-1042"}
    assert count_rows(deps.store, Client) == 1
    assert count_rows(deps.store, ConsentNumber) == numbers_before
    assert count_rows(deps.store, ImportBatch) == 0
    actions = _actions(deps.store)
    assert sum(a == "client.imported" for a, _ in actions) == 80  # the two parts written
    (abandoned,) = [d for a, d in actions if a == "clients.import_abandoned"]
    assert abandoned["reason"] == "failed" and abandoned["removed"] == 80
    assert abandoned["by"] == "cli:admin" and abandoned["source"] == "clients.csv"
    assert not any(a == "clients.imported" for a, _ in actions)


def test_a_code_put_on_file_while_the_import_writes_is_updated_not_duplicated(
        deps, clock, monkeypatch):
    """A clinician records C-00001 in Slack after the import wrote it hidden: the last
    transaction finds the clash, the import discards its parts and starts again."""
    pauses: list[float] = []

    def clinician_adds_a_client_in_the_first_pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 1:
            add_client(deps.store, replace(maria(clock), code="c-00001"), clock)

    monkeypatch.setattr(import_handler, "PACE", _paced(part=0.1, pause=0.5))
    monkeypatch.setattr(import_handler, "time", SimpleNamespace(
        perf_counter=import_handler.time.perf_counter,
        sleep=clinician_adds_a_client_in_the_first_pause))
    report = _import(deps, clients_csv(100))
    assert (report.created, report.updated) == (99, 1)
    with deps.store.unit_of_work(read_only=True) as uow:
        assert uow.clients.count() == 100
        assert uow.clients.get("C-00001").preferred_name == "Client 1"
    assert count_rows(deps.store, Client) == 100 and count_rows(deps.store, ImportBatch) == 0
    reasons = [d["reason"] for a, d in _actions(deps.store) if a == "clients.import_abandoned"]
    assert reasons == ["changed"]


def _killed_half_way(deps: Any, text: str) -> None:
    """An import whose process died after writing one part: its batch is left hidden."""
    with deps.store.unit_of_work(consistent=True) as uow:
        prepared = imports.prepare_clients(uow, deps.policy, imports.read_clients_csv(
            text, deps.policy), actor="cli:admin", source="clients.csv", now=deps.clock.now())
    with deps.store.unit_of_work() as uow:
        imports.stage_clients(uow, prepared, 40)
        uow.commit()


def test_an_import_killed_half_way_is_discarded_once_it_is_silent_long_enough(deps, caplog):
    _killed_half_way(deps, clients_csv(100))
    assert sweep_abandoned_imports(deps.store, deps.clock.now()) == 0  # it might be alive
    assert count_rows(deps.store, Client) == 40
    silence_imports(deps.store, 16)
    with caplog.at_level("WARNING", logger="contact_check.imports"):
        assert sweep_abandoned_imports(deps.store, deps.clock.now()) == 40
    assert count_rows(deps.store, Client) == 0 and count_rows(deps.store, ImportBatch) == 0
    (abandoned,) = [d for a, d in _actions(deps.store) if a == "clients.import_abandoned"]
    assert (abandoned["reason"], abandoned["by"], abandoned["removed"]) == (
        "stopped", "cli:admin", 40)
    assert "discarded 40 client(s) left hidden by an import that stopped" in caplog.text
    assert "C-000" not in caplog.text  # no client code in the log


def test_the_next_import_and_a_periodic_job_sweep_what_a_killed_import_left(deps):
    assert "abandoned-imports" in [job_id for job_id, _seconds, _run in PERIODIC]
    _killed_half_way(deps, clients_csv(100))
    silence_imports(deps.store, 16)
    report = _import(deps, clients_csv(100))  # the same file again: all of it new
    assert report.created == 100
    assert count_rows(deps.store, Client) == 100
    _killed_half_way(deps, clients_csv(100, start=500))
    silence_imports(deps.store, 60)
    sweep_abandoned_imports_job(deps)
    assert count_rows(deps.store, Client) == 100 and count_rows(deps.store, ImportBatch) == 0


def test_a_small_file_is_still_one_transaction(deps, writes):
    report = run_import(deps.store, deps.policy, "clients",
                        imports.read_clients_csv(clients_csv(30), deps.policy),
                        actor="cli:admin", source="clients.csv", now=deps.clock.now())
    assert report.created == 30 and writes.began == 1
    assert not [s for s, _ in writes.statements if "import_batches" in s]


def test_a_clinician_asking_for_a_hidden_client_is_told_it_is_not_on_file(bot, clock):
    """Half-way through an import, its clients are on no card, and the consent form for one of
    their codes is the blank form of a new client (nothing disclosed, no view audited)."""
    _killed_half_way(bot.deps, clients_csv(100))
    assert count_rows(bot.deps.store, Client) == 40
    said = json.dumps(bot.answers("U0ANA", "C-00001"))
    assert "is not on file" in said, said
    form = json.dumps(consent_view(bot.deps, "U0ANA", "C-00001"))
    for private in ("Client 1", "2152000001", "2672000001", "asked not to"):
        assert private not in said and private not in form
    views = [(a, d) for a, d in _actions(bot.deps.store) if a.endswith("viewed")]
    assert [a for a, _ in views] == ["card.viewed"]  # the look-up, as for any code
    assert "Client 1" not in json.dumps(views)


def test_keys_rotated_during_an_import_stop_it_before_it_seals_under_a_retired_key(
        deps, clock, engine, key, monkeypatch):
    """rotate-keys run while an import, started with the old key first, is writing: what it
    wrote before is re-sealed by the rotation; it writes nothing more (it would be sealed under
    the retired key, and lost with it), and says what to do. Its trail event would be signed by
    the retired key too: serve's sweep, with the new key, discards what it left."""
    new = generate_key()
    rotated = Store(engine, Keyring.from_env(f"{new},{key}"))

    def rotate_in_the_first_pause(_seconds: float) -> None:
        if not pauses:
            with rotated.unit_of_work() as uow:
                rotate_keys(uow, actor="cli:admin", now=clock.now())
                uow.commit()
        pauses.append(_seconds)

    pauses: list[float] = []
    monkeypatch.setattr(import_handler, "PACE", _paced(part=0.1, pause=0.5))
    monkeypatch.setattr(import_handler, "time", SimpleNamespace(
        perf_counter=import_handler.time.perf_counter, sleep=rotate_in_the_first_pause))
    with pytest.raises(KeyConfigError) as stopped:
        _import(deps, clients_csv(100))
    said = str(stopped.value)
    assert "was retired by `rotate-keys` while this process ran" in said
    assert "Nothing was imported. What it had written, hidden, is deleted by `serve`" in said
    assert len(pauses) == 1 and count_rows(deps.store, Client) == 40
    only_new = Store(engine, Keyring.from_env(new))
    with only_new.unit_of_work(read_only=True) as uow:
        assert uow.clients.count() == 0
        assert all(Keyring.key_id_of(bytes(blob)) == Keyring.from_env(new).primary_id
                   for blob in uow.session.execute(select(Client.preferred_name_enc)).scalars())
    silence_imports(only_new, 16)
    assert sweep_abandoned_imports(only_new, clock.now()) == 40
    assert count_rows(only_new, Client) == 0
    (abandoned,) = [d for a, d in _actions(only_new) if a == "clients.import_abandoned"]
    assert abandoned["removed"] == 40
