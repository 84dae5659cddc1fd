"""Small looks at the database for tests: how many rows, and an import made to look stopped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from storage.tables import ImportBatch
from storage.types import utcnow
from storage.uow import Store


def count_rows(store: Store, table: Any, *where: Any) -> int:
    """How many rows of ``table`` (meeting ``where``) are committed."""
    with store.unit_of_work(read_only=True) as uow:
        return int(uow.session.execute(
            select(func.count()).select_from(table).where(*where)).scalar_one())


def silence_imports(store: Store, minutes: int) -> None:
    """Every unfinished import last wrote ``minutes`` ago (as if its process had stopped)."""
    with store.unit_of_work() as uow:
        uow.session.execute(update(ImportBatch).values(
            heartbeat_at=utcnow() - timedelta(minutes=minutes)))
        uow.commit()
