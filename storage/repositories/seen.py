"""Keys of accepted Slack requests, shared by every replica of one database.

``claim`` records a request's keys (its signature, and for an Events API delivery its event id)
until each one's expiry, one statement per key: ``INSERT ... ON CONFLICT DO UPDATE ... WHERE the
held row has expired ... RETURNING``. A key another request still holds is left alone and comes
back as no row, so of two replicas claiming one key at once only one can win: the database's
primary key decides. Keys are stored as SHA-256 digests (fixed length, nothing of the request
itself). Expired rows are taken over by ``claim`` and removed by ``purge``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.tables import SeenRequest
from storage.tables.base import table_of

_TABLE = table_of(SeenRequest)
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class SeenRequestRepository:
    def __init__(self, session: Session):
        self.session = session

    def claim(self, keys: Mapping[str, datetime], now: datetime) -> bool:
        """Hold every key until its expiry. True when none was held (the request is new); False
        when any still was (a replay or a retry: the keys not held before are held now too)."""
        insert = _INSERTS[self.session.get_bind().dialect.name]
        taken = 0
        for key, expires_at in keys.items():
            statement: Any = insert(_TABLE).values(key_hash=key_hash(key), expires_at=expires_at)
            statement = statement.on_conflict_do_update(
                index_elements=[_TABLE.c.key_hash],
                set_={"expires_at": statement.excluded.expires_at},
                where=_TABLE.c.expires_at <= now,
            ).returning(_TABLE.c.key_hash)
            taken += len(self.session.connection().execute(statement).all())
        return taken == len(keys)

    def purge(self, now: datetime) -> int:
        """Forget every key whose time has passed; how many."""
        statement = delete(SeenRequest).where(col(SeenRequest.expires_at) <= now)
        return int(self.session.connection().execute(statement).rowcount)
