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

from dataclasses import asdict
from datetime import datetime

from storage.repositories.keys import PHONE_INDEXES, sealed_tables
from storage.repositories.keys import Resealed as RotationReport
from storage.uow import UnitOfWork

__all__ = ["PHONE_INDEXES", "RotationReport", "rotate_keys", "sealed_tables"]


def rotate_keys(uow: UnitOfWork, *, actor: str, now: datetime) -> RotationReport:
    """Re-seal everything under the first key, in ``uow``; the caller commits."""
    done = uow.keys.reseal_everything()
    uow.audit.append(actor, "keys.rotated", None,
                     {**asdict(done), "retired_key_ids": list(done.retired_key_ids)}, at=now)
    return done
