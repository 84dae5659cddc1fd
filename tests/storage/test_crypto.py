"""Encryption at rest: round trip, tampering, ciphertexts moved between rows, wrong and bad keys."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.crypto import (
    KEYS_VARIABLE,
    DecryptionError,
    KeyConfigError,
    Keyring,
    generate_key,
    parse_keys,
)
from storage.keycheck import ensure_keys
from storage.sealing import Sealer
from storage.tables import Client, ConsentNumber
from storage.uow import Store
from tests.storage.seeding import client_record


def test_round_trip_of_every_client_field(store: Store) -> None:
    record, _ = client_record("C-1")
    with store.unit_of_work() as uow:
        uow.clients.save(record)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.clients.get("C-1") == record


def test_unicode_and_empty_strings_round_trip() -> None:
    sealer = Sealer(Keyring.from_env(generate_key()))
    row = Client(code="C-2")
    for value in ["", "Zoë Ñúñez 王小明 🙂", "x" * 5000]:
        sealer.seal(row, "preferred_name", value)
        assert sealer.open(row, "preferred_name") == value
    sealer.seal(row, "preferred_name", None)
    assert row.preferred_name_enc is None and sealer.open(row, "preferred_name") is None


def test_same_value_seals_differently_each_time() -> None:
    sealer = Sealer(Keyring.from_env(generate_key()))
    row = Client(code="C-3")
    sealer.seal(row, "preferred_name", "Robin")
    first = row.preferred_name_enc
    sealer.seal(row, "preferred_name", "Robin")
    assert first != row.preferred_name_enc
    assert b"Robin" not in first and b"Robin" not in row.preferred_name_enc


@pytest.mark.parametrize("position", [0, 5, 15, 25, -1])
def test_any_flipped_byte_is_refused(position: int) -> None:
    sealer = Sealer(Keyring.from_env(generate_key()))
    row = Client(code="C-4")
    sealer.seal(row, "preferred_name", "Robin")
    blob = bytearray(row.preferred_name_enc)
    blob[position] ^= 0x01
    row.preferred_name_enc = bytes(blob)
    with pytest.raises(DecryptionError) as caught:
        sealer.open(row, "preferred_name")
    assert "Robin" not in str(caught.value)


def test_truncated_value_is_refused() -> None:
    sealer = Sealer(Keyring.from_env(generate_key()))
    row = Client(code="C-5")
    sealer.seal(row, "preferred_name", "Robin")
    row.preferred_name_enc = row.preferred_name_enc[:20]
    with pytest.raises(DecryptionError):
        sealer.open(row, "preferred_name")


def test_a_ciphertext_copied_into_another_row_does_not_open(store: Store) -> None:
    """Swapping sealed phone numbers between two clients' rows in the database is detected."""
    with store.unit_of_work() as uow:
        uow.clients.save(client_record("C-A")[0])
        uow.clients.save(client_record("C-B")[0])
        uow.commit()
    with store.unit_of_work() as uow:
        a = uow.clients.row("C-A")
        b = uow.clients.row("C-B")
        cell_a = uow.session.exec(select(ConsentNumber).where(
            ConsentNumber.client_id == a.id, ConsentNumber.kind == "cell")).one()
        cell_b = uow.session.exec(select(ConsentNumber).where(
            ConsentNumber.client_id == b.id, ConsentNumber.kind == "cell")).one()
        cell_b.number_enc = cell_a.number_enc
        a.preferred_name_enc, b.preferred_name_enc = b.preferred_name_enc, a.preferred_name_enc
        uow.session.add_all([a, b, cell_b])
        uow.commit()
    with store.unit_of_work() as uow:
        for code in ("C-A", "C-B"):
            with pytest.raises(DecryptionError, match="moved from another row"):
                uow.clients.get(code)


def test_a_ciphertext_copied_into_another_column_does_not_open() -> None:
    sealer = Sealer(Keyring.from_env(generate_key()))
    row = ConsentNumber(client_id=Client(code="C-6").id, kind="cell")
    sealer.seal(row, "do_not_call_reason", "secret reason")
    row.number_enc = row.do_not_call_reason_enc
    with pytest.raises(DecryptionError):
        sealer.open(row, "number")


def test_a_different_key_does_not_open_and_says_which_variable() -> None:
    row = Client(code="C-7")
    Sealer(Keyring.from_env(generate_key())).seal(row, "preferred_name", "Robin")
    with pytest.raises(DecryptionError, match=KEYS_VARIABLE):
        Sealer(Keyring.from_env(generate_key())).open(row, "preferred_name")


def test_every_key_opens_the_first_seals() -> None:
    old, new = generate_key(), generate_key()
    row = Client(code="C-8")
    Sealer(Keyring.from_env(old)).seal(row, "preferred_name", "Robin")
    both = Keyring.from_env(f"{new},{old}")
    assert Sealer(both).open(row, "preferred_name") == "Robin"
    Sealer(both).seal(row, "preferred_name", "Robin")
    assert Keyring.key_id_of(row.preferred_name_enc) == both.primary_id
    with pytest.raises(DecryptionError):
        Sealer(Keyring.from_env(old)).open(row, "preferred_name")


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_keys_name_the_variable(value: str | None) -> None:
    with pytest.raises(KeyConfigError, match=f"{KEYS_VARIABLE} is not set"):
        parse_keys(value)


@pytest.mark.parametrize("value", [
    "not-a-key",
    "x" * 44,
    generate_key()[:-4],
    generate_key() + "AAAA",
    f"{generate_key()},",
    "ключ",
])
def test_malformed_keys_name_the_variable_and_do_not_echo_the_value(value: str) -> None:
    with pytest.raises(KeyConfigError) as caught:
        parse_keys(value)
    message = str(caught.value)
    assert KEYS_VARIABLE in message and "malformed" in message
    assert value not in message


def test_the_same_key_twice_is_refused() -> None:
    key = generate_key()
    with pytest.raises(KeyConfigError, match="same key twice"):
        parse_keys(f"{key},{key}")


def test_wrong_key_for_an_existing_database_is_refused(engine, key: str) -> None:
    with Store(engine, Keyring.from_env(key)).unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)
        uow.commit()
    other = Store(engine, Keyring.from_env(generate_key()))
    with other.unit_of_work() as uow, pytest.raises(KeyConfigError, match=KEYS_VARIABLE):
        ensure_keys(uow.session, uow.sealer)
    # the right key, with a new one in front, is accepted and registers the new key
    both = Store(engine, Keyring.from_env(f"{generate_key()},{key}"))
    with both.unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)
        uow.commit()


def test_blind_index_matches_across_rotation_and_hides_the_number() -> None:
    old, new = generate_key(), generate_key()
    before = Keyring.from_env(old).blind_index("phone", "+12155550142")
    during = Keyring.from_env(f"{new},{old}")
    assert before in during.blind_indexes("phone", "+12155550142")
    assert before != during.blind_index("phone", "+12155550142")
    assert "2155550142" not in before
    assert Keyring.from_env(old).blind_index("phone", "+12155550143") != before


def test_phone_lookup_uses_the_blind_index(store: Store) -> None:
    record, values = client_record("C-9")
    with store.unit_of_work() as uow:
        uow.clients.save(record)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.clients.codes_for_phone(values["cell"]) == ["C-9"]
        assert uow.clients.codes_for_phone("+12155550000") == []
        stored = uow.session.exec(select(ConsentNumber.number_index)).all()
        assert all(values["cell"] not in (index or "") for index in stored)
