"""The unit of work: one transaction, the repositories that share it, and nothing committed by accident."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from storage.audit import AuditLog
from storage.crypto import Keyring
from storage.repositories.appointments import AppointmentRepository
from storage.repositories.approvals import ApprovalRepository
from storage.repositories.callbacks import CallbackRepository
from storage.repositories.clients import ClientRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.runins import RunInRepository
from storage.repositories.send_pace import SendPaceRepository
from storage.sealing import Sealer


class Store:
    """What a process holds: the engine and the keys. Hands out units of work."""

    def __init__(self, engine: Engine, keyring: Keyring):
        self.engine = engine
        self.sealer = Sealer(keyring)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)


class UnitOfWork:
    """``with store.unit_of_work() as uow: ...; uow.commit()`` — leaving without commit rolls back."""

    def __init__(self, store: Store):
        self.store = store
        self.sealer = store.sealer

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self.store.engine, expire_on_commit=False)
        self.clients = ClientRepository(self.session, self.sealer)
        self.appointments = AppointmentRepository(self.session)
        self.callbacks = CallbackRepository(self.session, self.sealer)
        self.outbox = OutboxRepository(self.session)
        self.audit = AuditLog(self.session)
        self.approvals = ApprovalRepository(self.session, self.sealer)
        self.runins = RunInRepository(self.session, self.sealer)
        self.send_pace = SendPaceRepository(self.session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
