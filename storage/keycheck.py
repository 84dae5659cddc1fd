"""Refusing to run with the wrong keys, and remembering which keys have sealed data."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.crypto import KEYS_VARIABLE, DecryptionError, KeyConfigError
from storage.sealing import Sealer
from storage.tables import KeyRecord

CANARY = "contact-check key canary"


def ensure_keys(session: Session, sealer: Sealer) -> None:
    """Check the configured keys against the ones this database was sealed with.

    Raises KeyConfigError when a key that sealed data here is missing from CONTACT_CHECK_KEYS, or
    when a configured key with the same id fails to open its canary. Registers the first key
    (flushes, does not commit) when it has not sealed anything yet.
    """
    keyring = sealer.keyring
    records = session.exec(select(KeyRecord)).all()
    configured = set(keyring.key_ids)
    missing = [r.key_id for r in records if r.key_id not in configured]
    if missing:
        raise KeyConfigError(
            f"{KEYS_VARIABLE} does not hold the key(s) this database was encrypted with "
            f"(key id {', '.join(sorted(missing))}). Set {KEYS_VARIABLE} to the clinic's keys; "
            "to change keys, put the new key first, keep the old one after it, and run "
            "`contact-check rotate-keys`."
        )
    for record in records:
        try:
            ok = sealer.open(record, "canary") == CANARY
        except DecryptionError:
            ok = False
        if not ok:
            raise KeyConfigError(
                f"{KEYS_VARIABLE}: key id {record.key_id} does not match this database.")
    if keyring.primary_id not in {r.key_id for r in records}:
        record = KeyRecord(key_id=keyring.primary_id)
        sealer.seal(record, "canary", CANARY)
        session.add(record)
        session.flush()
