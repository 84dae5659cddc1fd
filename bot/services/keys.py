"""Key rotation: every sealed value re-encrypted under the first key of CONTACT_CHECK_KEYS.

One pass, one transaction (the caller's unit of work): the audit trail is verified under the keys
that signed it and re-signed under the first (``storage.audit.rekey_chain``: signatures only, its
hashes stay, so heads kept elsewhere stay checkable); each field listed in
``storage.sealing.SEALED_FIELDS`` that is sealed under another key is opened and sealed again under
the first; every blind index is recomputed under the first key; the key records are reduced to the
first key alone (its canary proving it), so older keys can then be removed from the variable.
A value that cannot be opened (a key missing from the variable, a tampered value) or a trail that
does not verify (``TrailBroken``: re-signing it would hide what happened) stops the rotation with
nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.repositories.keys import PHONE_INDEXES, sealed_tables
from storage.uow import UnitOfWork

__all__ = ["PHONE_INDEXES", "RotationReport", "rotate_keys", "sealed_tables"]


@dataclass(frozen=True)
class RotationReport:
    primary_key_id: str
    rows: int  # rows holding sealed fields examined
    resealed: int  # values re-encrypted
    indexes: int  # blind indexes recomputed
    retired_key_ids: tuple[str, ...]  # key records removed: no data is sealed under them now
    audit_resigned: int = 0  # audit events re-signed under the first key


def rotate_keys(uow: UnitOfWork, *, actor: str, now: datetime) -> RotationReport:
    """Re-seal everything under the first key, in ``uow``; the caller commits."""
    done = uow.keys.reseal_everything()
    uow.audit.append(actor, "keys.rotated", None,
                     {"primary_key_id": done.primary_key_id, "rows": done.rows,
                      "resealed": done.resealed, "indexes": done.indexes,
                      "retired_key_ids": list(done.retired_key_ids),
                      "audit_resigned": done.audit_resigned}, at=now)
    return RotationReport(primary_key_id=done.primary_key_id, rows=done.rows,
                          resealed=done.resealed, indexes=done.indexes,
                          retired_key_ids=done.retired_key_ids,
                          audit_resigned=done.audit_resigned)
