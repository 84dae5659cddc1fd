"""The unit of work: one transaction, the repositories that share it, nothing committed by accident.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from storage.audit import KEYRING_INFO, AuditLog, AuditWriter, snapshot
from storage.crypto import Keyring
from storage.db import READ_ONLY, read_only
from storage.keycheck import KeyHealth
from storage.repositories.appointments import AppointmentRepository
from storage.repositories.approvals import ApprovalRepository
from storage.repositories.calendars import CalendarRepository
from storage.repositories.callbacks import CallbackRepository
from storage.repositories.clients import ClientRepository
from storage.repositories.import_batches import ImportBatchRepository
from storage.repositories.keys import KeyRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.pending import PendingQueries
from storage.repositories.reports import ReportQueries
from storage.repositories.retention import RetentionRepository
from storage.repositories.runins import RunInRepository
from storage.repositories.seen import SeenRequestRepository
from storage.repositories.send_pace import SendPaceRepository
from storage.sealing import Sealer


class Store:
    """What a process holds: the engine, the keys and the audit writer. Hands out units of work.

    ``key_health`` says (cached) whether the keys still open this database's data (``/healthz``).

    ``audit_writer`` appends events that stand alone, each committed before ``append`` returns
    (``storage.audit.AuditWriter``); events that must commit with other writes go through
    ``uow.audit``.
    """

    def __init__(self, engine: Engine, keyring: Keyring):
        self.engine = engine
        self.keyring = keyring
        self.sealer = Sealer(keyring)
        self.audit_writer = AuditWriter(engine, keyring)
        self.key_health = KeyHealth(engine, self.sealer)
        self._reader = read_only(engine)
        self._snapshot = snapshot(engine)

    def unit_of_work(self, *, read_only: bool = False, consistent: bool = False) -> UnitOfWork:
        """``read_only``: for reads alone (``storage.db.read_only``: no write lock on SQLite,
        no transaction on PostgreSQL); any write in it raises ``ReadOnlyError``.
        ``consistent`` (read-only too): every read sees the database as of one moment, still
        without a write lock (PostgreSQL's repeatable read), for reading a whole import's worth
        of rows that must agree with each other."""
        if consistent:
            return UnitOfWork(self, self._snapshot, read_only=True)
        return UnitOfWork(self, self._reader if read_only else self.engine, read_only=read_only)


class ReadOnlyError(RuntimeError):
    """Something tried to write in a read-only unit of work."""


class _ReadOnlySession(Session):
    def flush(self, objects: object = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise ReadOnlyError("a read-only unit of work cannot write")

    def commit(self) -> None:
        raise ReadOnlyError("a read-only unit of work cannot commit")


class UnitOfWork:
    """``with store.unit_of_work() as uow: ...; uow.commit()``; no commit: rolled back."""

    def __init__(self, store: Store, bind: Engine | None = None, *, read_only: bool = False):
        self.store = store
        self.sealer = store.sealer
        self.bind = bind or store.engine
        self.read_only = read_only

    def __enter__(self) -> UnitOfWork:
        self.session: Session
        if self.read_only:
            self.session = _ReadOnlySession(self.bind, expire_on_commit=False,
                                            info={READ_ONLY: True,
                                                  KEYRING_INFO: self.store.keyring})
        else:
            self.session = Session(self.bind, expire_on_commit=False,
                                   info={KEYRING_INFO: self.store.keyring})
        self.clients = ClientRepository(self.session, self.sealer)
        self.import_batches = ImportBatchRepository(self.session)
        self.appointments = AppointmentRepository(self.session)
        self.callbacks = CallbackRepository(self.session, self.sealer)
        self.outbox = OutboxRepository(self.session)
        self.audit = AuditLog(self.session, self.store.keyring)
        self.approvals = ApprovalRepository(self.session, self.sealer)
        self.runins = RunInRepository(self.session, self.sealer)
        self.send_pace = SendPaceRepository(self.session)
        self.seen_requests = SeenRequestRepository(self.session)
        self.reports = ReportQueries(self.session)
        self.retention = RetentionRepository(self.session)
        self.pending = PendingQueries(self.session)
        self.keys = KeyRepository(self.session, self.sealer)
        self.calendars = CalendarRepository(self.session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
