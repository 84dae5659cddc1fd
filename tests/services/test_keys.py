"""rotate-keys: everything re-sealed under the first key in one pass, nothing lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel, select

from bot.services.keys import rotate_keys, sealed_tables
from storage.audit import TrailBroken, verify_chain, verify_trail
from storage.crypto import DecryptionError, KeyConfigError, Keyring, generate_key
from storage.keycheck import ensure_keys
from storage.sealing import SEALED_FIELDS
from storage.tables import AuditEvent, CallbackDuty, Client, KeyRecord
from storage.uow import Store, UnitOfWork
from tests.storage.seeding import seed_every_sealed_field

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _store(engine: Engine, keys: str) -> Store:
    return Store(engine, Keyring.from_env(keys))


def _seed(store: Store, codes: tuple[str, ...] = ("C-1", "C-2")) -> dict[str, dict[str, str]]:
    with store.unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)
        seeded = {code: seed_every_sealed_field(uow, code) for code in codes}
        uow.commit()
    return seeded


def _sealed(uow: UnitOfWork) -> Iterator[tuple[str, SQLModel, str, bytes]]:
    """Every sealed value in the database: ``table.field``, the row, the field, the blob."""
    for name, table in sealed_tables().items():
        for row in uow.session.exec(select(table)).all():
            for field in SEALED_FIELDS[name]:
                blob = getattr(row, f"{field}_enc")
                if blob is not None:
                    yield f"{name}.{field}", row, field, bytes(blob)


def _opened(store: Store) -> dict[str, list[tuple[str | None, str]]]:
    """Every sealed value in the database, opened, with the key id that sealed it."""
    found: dict[str, list[tuple[str | None, str]]] = {}
    with store.unit_of_work() as uow:
        for place, row, field, blob in _sealed(uow):
            found.setdefault(place, []).append(
                (uow.sealer.open(row, field), Keyring.key_id_of(blob)))
    return found


def _values(opened: dict[str, list[tuple[str | None, str]]]) -> dict[str, list[str | None]]:
    return {name: sorted(v for v, _ in pairs) for name, pairs in opened.items()}


def test_every_sealed_table_is_known() -> None:
    assert set(sealed_tables()) == set(SEALED_FIELDS)


def test_rotation_reseals_everything_under_the_first_key(engine: Engine) -> None:
    old, new = generate_key(), generate_key()
    seeded = _seed(_store(engine, old))
    before = _values(_opened(_store(engine, old)))
    both = _store(engine, f"{new},{old}")
    with both.unit_of_work() as uow:
        report = rotate_keys(uow, actor="cli:admin", now=NOW)
        uow.commit()
    canaries = sum(len(v) for k, v in before.items() if not k.startswith("encryption_keys."))
    assert report.resealed == canaries
    assert report.retired_key_ids == (Keyring.from_env(old).primary_id,)
    assert report.primary_key_id == Keyring.from_env(new).primary_id

    only_new = _store(engine, new)  # the old key can now be dropped
    with only_new.unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)
        assert [r.key_id for r in uow.session.exec(select(KeyRecord)).all()] == [
            report.primary_key_id]
    after = _opened(only_new)
    assert _values(after) == before  # nothing lost
    assert {key_id for pairs in after.values() for _, key_id in pairs} == {report.primary_key_id}
    with only_new.unit_of_work() as uow:  # blind indexes follow the new key
        for code, canaries in seeded.items():
            assert uow.clients.codes_for_phone(canaries["consent_numbers.number"]) == [code]
            assert len(uow.callbacks.open_for_phone(canaries["callback_duties.caller_phone"])) == 1
        assert len(uow.session.exec(select(Client)).all()) == 2
        assert verify_chain(uow.session).ok
    with _store(engine, old).unit_of_work() as uow, pytest.raises(KeyConfigError):
        ensure_keys(uow.session, uow.sealer)


def test_rotating_again_changes_nothing(engine: Engine) -> None:
    key = generate_key()
    _seed(_store(engine, key), ("C-1",))
    store = _store(engine, key)
    with store.unit_of_work() as uow:
        report = rotate_keys(uow, actor="cli:admin", now=NOW)
        uow.commit()
    assert (report.resealed, report.indexes, report.retired_key_ids) == (0, 0, ())
    assert report.rows > 0


def test_rotation_is_audited(engine: Engine) -> None:
    old, new = generate_key(), generate_key()
    _seed(_store(engine, old), ("C-1",))
    store = _store(engine, f"{new},{old}")
    with store.unit_of_work() as uow:
        report = rotate_keys(uow, actor="cli:admin", now=NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        event = uow.session.exec(select(AuditEvent).where(AuditEvent.action == "keys.rotated")
                                 ).one()
        assert (event.actor, event.at) == ("cli:admin", NOW)
        assert event.details["resealed"] == report.resealed
        assert event.details["retired_key_ids"] == list(report.retired_key_ids)


def test_rotation_without_the_old_key_is_refused(engine: Engine) -> None:
    old = generate_key()
    _seed(_store(engine, old), ("C-1",))
    with _store(engine, generate_key()).unit_of_work() as uow, pytest.raises(KeyConfigError):
        rotate_keys(uow, actor="cli:admin", now=NOW)


def test_a_value_that_cannot_be_opened_stops_the_rotation_with_nothing_changed(
        engine: Engine) -> None:
    old, new = generate_key(), generate_key()
    _seed(_store(engine, old), ("C-1", "C-2"))
    stranger = Keyring.from_env(generate_key())  # sealed data no record knows about
    with _store(engine, old).unit_of_work() as uow:
        duty = uow.session.exec(select(CallbackDuty)).first()
        duty.caller_phone_enc = stranger.seal("+12155550100", b"callback_duties.caller_phone:"
                                              + str(duty.id).encode())
        uow.session.add(duty)
        uow.commit()
    before = _opened_tolerant(_store(engine, old))
    with _store(engine, f"{new},{old}").unit_of_work() as uow, pytest.raises(DecryptionError):
        rotate_keys(uow, actor="cli:admin", now=NOW)
    assert _opened_tolerant(_store(engine, old)) == before
    with _store(engine, old).unit_of_work() as uow:
        assert len(uow.session.exec(select(KeyRecord)).all()) == 1


def _opened_tolerant(store: Store) -> dict[str, list[str]]:
    """Key ids of every sealed value (opening not needed): what a rotation would change."""
    found: dict[str, list[str]] = {}
    with store.unit_of_work() as uow:
        for place, _row, _field, blob in _sealed(uow):
            found.setdefault(place, []).append(Keyring.key_id_of(blob))
    return {k: sorted(v) for k, v in found.items()}


# --- the audit trail through a rotation -----------------------------------------------------------


def _look(store: Store, user: str, code: str = "C-1") -> None:
    store.audit_writer.append(user, "card.viewed", code, {"level": "details"}, at=NOW)


def _key_ids(store: Store) -> set[str | None]:
    with store.unit_of_work(read_only=True) as uow:
        return set(uow.session.exec(select(AuditEvent.key_id)).all())


def test_replicas_mid_rollout_sign_with_their_own_first_key_and_both_verify(
        engine: Engine) -> None:
    """The safe order's middle step: some replicas already put the new key first, others not
    yet. Each signs with its first key; every replica holding both keys verifies the trail."""
    old, new = generate_key(), generate_key()
    _seed(_store(engine, old), ("C-1",))
    not_yet, switched = _store(engine, f"{old},{new}"), _store(engine, f"{new},{old}")
    for i in range(3):
        _look(not_yet, "U0ANA")
        _look(switched, f"U0BEN{i}")
    assert _key_ids(switched) == {Keyring.from_env(old).primary_id,
                                  Keyring.from_env(new).primary_id}
    for store in (not_yet, switched):
        report = verify_trail(store.engine, store.keyring)
        assert report.ok, report.problems
    only_old = _store(engine, old)  # a replica never given the new key cannot check it
    report = verify_trail(only_old.engine, only_old.keyring)
    assert not report.ok and "which CONTACT_CHECK_KEYS does not hold" in report.problems[0]


def test_rotation_re_signs_the_trail_so_the_old_key_can_go(engine: Engine) -> None:
    old, new = generate_key(), generate_key()
    _seed(_store(engine, old), ("C-1",))
    before_rollout = _store(engine, old)
    _look(before_rollout, "U0ANA")
    kept = verify_trail(engine, before_rollout.keyring).head  # posted before the rotation
    both = _store(engine, f"{new},{old}")
    _look(both, "U0BEN")
    with both.unit_of_work() as uow:
        report = rotate_keys(uow, actor="cli:admin", now=NOW)
        uow.commit()
    assert report.audit_resigned == 1  # the look signed with the old key; U0BEN's has the new
    only_new = _store(engine, new)
    assert _key_ids(only_new) == {report.primary_key_id}
    after = verify_trail(engine, only_new.keyring, expect_head=kept)
    assert after.ok, after.problems  # intact under the new key alone, and the old head is on it
    assert after.reached is not None
    _look(only_new, "U0ANA")
    assert verify_trail(engine, only_new.keyring).ok


def test_a_broken_trail_stops_the_rotation_with_nothing_changed(engine: Engine) -> None:
    old, new = generate_key(), generate_key()
    store = _store(engine, old)
    _seed(store, ("C-1",))
    for _ in range(3):
        _look(store, "U0ANA")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    before = _opened_tolerant(store)
    with _store(engine, f"{new},{old}").unit_of_work() as uow, pytest.raises(
            TrailBroken, match="first bad event: 2"):
        rotate_keys(uow, actor="cli:admin", now=NOW)
    assert _opened_tolerant(store) == before  # nothing re-sealed
    assert _key_ids(store) == {store.keyring.primary_id}  # nothing re-signed


def test_a_rotation_waits_for_a_write_that_holds_the_old_key_then_reseals_it_too(
        engine: Engine) -> None:
    """An import's part seals under the key it started with and holds that key
    (``KeyRepository.hold_first_key``): a rotation started meanwhile waits for it to commit,
    then re-seals what it wrote, so nothing is left under the key the rotation retires."""
    old, new = generate_key(), generate_key()
    store = _store(engine, old)
    _seed(store, ("C-1",))
    rotated = threading.Event()

    def rotate() -> None:
        with _store(engine, f"{new},{old}").unit_of_work() as uow:
            rotate_keys(uow, actor="cli:admin", now=NOW)
            uow.commit()
        rotated.set()

    with store.unit_of_work() as uow:
        uow.keys.hold_first_key()
        seed_every_sealed_field(uow, "C-2")
        rotation = threading.Thread(target=rotate)
        rotation.start()
        assert not rotated.wait(0.5)  # waiting for this write
        uow.commit()
    rotation.join(timeout=30)
    assert rotated.is_set()
    opened = _opened(_store(engine, new))  # the new key alone opens everything
    new_id = Keyring.from_env(new).primary_id
    assert {key_id for pairs in opened.values() for _, key_id in pairs} == {new_id}
    assert sum(len(pairs) for pairs in opened.values()) > len(SEALED_FIELDS)  # C-1 and C-2
    with store.unit_of_work() as uow, pytest.raises(KeyConfigError, match="was retired"):
        uow.keys.hold_first_key()  # the old key's process writes nothing more
