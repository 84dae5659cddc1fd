"""Sealing a row's sensitive fields: each ciphertext is bound to its table, column and row id."""

from __future__ import annotations

import uuid
from typing import ClassVar, Protocol

from storage.crypto import Keyring


class SealedRow(Protocol):
    """A row of a table with sealed columns: its table's name and its id are bound into each
    ciphertext, so a value copied to another row or column does not open."""

    __tablename__: ClassVar[str]
    id: uuid.UUID


def _context(row: SealedRow, field: str) -> bytes:
    return f"{row.__tablename__}.{field}:{row.id}".encode()


class Sealer:
    """Reads and writes the ``<field>_enc`` columns of rows, encrypting on the way in."""

    def __init__(self, keyring: Keyring):
        self.keyring = keyring

    def seal(self, row: SealedRow, field: str, value: str | None) -> None:
        blob = None if value is None else self.keyring.seal(value, _context(row, field))
        setattr(row, f"{field}_enc", blob)

    def open(self, row: SealedRow, field: str) -> str | None:
        blob = getattr(row, f"{field}_enc")
        return None if blob is None else self.keyring.open(bytes(blob), _context(row, field))

    def seal_column(self, table: str, field: str, row_id: object, value: str | None
                    ) -> bytes | None:
        """``seal`` for a row written without the ORM (a Core insert of ``table``)."""
        return None if value is None else self.keyring.seal(
            value, f"{table}.{field}:{row_id}".encode())

    def open_column(self, table: str, field: str, row_id: object, blob: bytes | None) -> str | None:
        """``open`` for a value read without the ORM (a Core row of ``table``)."""
        return None if blob is None else self.keyring.open(
            bytes(blob), f"{table}.{field}:{row_id}".encode())

    def reseal(self, row: SealedRow, field: str) -> bool:
        """Re-encrypt one field under the first key; True when it changed."""
        blob = getattr(row, f"{field}_enc")
        if blob is None or self.keyring.sealed_with_primary(bytes(blob)):
            return False
        self.seal(row, field, self.open(row, field))
        return True

    def phone_index(self, e164: str) -> str:
        return self.keyring.blind_index("phone", e164)

    def phone_indexes(self, e164: str) -> list[str]:
        return self.keyring.blind_indexes("phone", e164)


# Every sealed field, by table: the single list rotation and the plaintext canary tests walk.
SEALED_FIELDS: dict[str, tuple[str, ...]] = {
    "clients": ("preferred_name",),
    "consents": ("safety_note",),
    "consent_numbers": ("number", "do_not_call_reason"),
    "third_parties": ("name",),
    "callback_duties": ("caller_phone",),
    "approvals": ("reason",),
    "run_ins": ("place", "summary", "revisit"),
    "encryption_keys": ("canary",),
}
