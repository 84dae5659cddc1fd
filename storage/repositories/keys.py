"""The keys' side of the database: every sealed value and blind index re-sealed under the first key
of the keyring, the audit trail re-signed, older key records retired (``bot.services.keys``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

import storage.tables as tables
from storage.audit import rekey_chain
from storage.crypto import KeyConfigError
from storage.keycheck import ensure_keys, lock_keys, retired_first_key
from storage.sealing import SEALED_FIELDS, SealedRow, Sealer
from storage.tables import KeyRecord

# Blind-index columns and the sealed field each indexes (purpose "phone").
PHONE_INDEXES: dict[str, tuple[str, str]] = {
    "consent_numbers": ("number", "number_index"),
    "callback_duties": ("caller_phone", "caller_phone_index"),
}
_BATCH = 1000


def sealed_tables() -> dict[str, type[SealedRow]]:
    """The table class of every table in SEALED_FIELDS; an unknown table is a programming error."""
    classes = {
        getattr(cls, "__tablename__", None): cls
        for cls in (getattr(tables, name) for name in tables.__all__)
    }
    missing = [name for name in SEALED_FIELDS if name not in classes]
    if missing:
        raise LookupError(f"SEALED_FIELDS names tables storage.tables does not export: {missing}")
    return {name: classes[name] for name in SEALED_FIELDS}


@dataclass(frozen=True)
class Resealed:
    primary_key_id: str
    rows: int  # rows holding sealed fields examined
    resealed: int  # values re-encrypted
    indexes: int  # blind indexes recomputed
    retired_key_ids: tuple[str, ...]  # key records removed: no data is sealed under them now
    audit_resigned: int  # audit events re-signed under the first key


class KeyRepository:
    def __init__(self, session: Session, sealer: Sealer):
        self.session = session
        self.sealer = sealer

    def hold_first_key(self) -> None:
        """Before a long job seals more in this transaction (an import's part): raise
        ``KeyConfigError`` when ``rotate-keys`` retired this process's first key since it
        started, else keep that key from being retired until this transaction ends
        (``storage.keycheck.retired_first_key``)."""
        problem = retired_first_key(self.session.connection(), self.sealer, hold=True)
        if problem is not None:
            raise KeyConfigError(problem)

    def reseal_everything(self) -> Resealed:
        """Re-seal every sealed value and blind index under the first key, re-sign the trail and
        retire the other key records, in this transaction (nothing committed)."""
        sealer, session = self.sealer, self.session
        lock_keys(session.connection())
        ensure_keys(session, sealer)
        rows = resealed = indexes = 0
        for name, table in sealed_tables().items():
            if table is KeyRecord:
                continue  # each canary stays sealed under its own key; old records retire below
            fields = SEALED_FIELDS[name]
            index = PHONE_INDEXES.get(name)
            last = None
            while True:
                query = select(table).order_by(col(table.id)).limit(_BATCH)
                if last is not None:
                    query = query.where(col(table.id) > last)
                batch = session.exec(query).all()
                if not batch:
                    break
                for row in batch:
                    rows += 1
                    resealed += sum(sealer.reseal(row, f) for f in fields)
                    if index is not None:
                        field, column = index
                        value = sealer.open(row, field)
                        wanted = None if value is None else sealer.phone_index(value)
                        if getattr(row, column) != wanted:
                            setattr(row, column, wanted)
                            indexes += 1
                    session.add(row)
                last = batch[-1].id
                session.flush()
                session.expunge_all()
        # Last, so that on PostgreSQL looks are audited on while the values are re-sealed: from
        # here the trail's head is locked until the commit.
        resigned = rekey_chain(session.connection(), sealer.keyring)
        primary = sealer.keyring.primary_id
        retired = tuple(sorted(
            r.key_id for r in session.exec(select(KeyRecord)).all() if r.key_id != primary
        ))
        if retired:
            session.exec(delete(KeyRecord).where(col(KeyRecord.key_id).in_(retired)))
        session.flush()
        return Resealed(primary, rows, resealed, indexes, retired, resigned)
