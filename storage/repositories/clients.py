"""Clients and their consent: rows in, records out, sealing and unsealing on the way."""

from __future__ import annotations

import functools
import itertools
import uuid
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, type_coerce, update
from sqlalchemy import delete as sa_delete
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import NullType
from sqlmodel import Session, col, delete, func, select

from bot.policy.model import (
    ClientRecord,
    Consent,
    NumberPermission,
    Provenance,
    ThirdParty,
    code_key,
)
from storage.bulk import BoundRows, ordered_id
from storage.repositories import StaleBatch
from storage.sealing import Sealer
from storage.tables import Client, ConsentNumber, ConsentRow, ThirdPartyRow
from storage.tables.base import plain_defaults, table_of
from storage.tables.clients import lowered_code, visible
from storage.types import utcnow

# Reading a client runs on every card look-up, so its statements are built once and read
# without the ORM (plain rows, no identity map): a few times cheaper than ORM entity queries.
_CLIENTS = table_of(Client)
_CONSENTS = table_of(ConsentRow)
_NUMBERS = table_of(ConsentNumber)
_PARTIES = table_of(ThirdPartyRow)
_CONSENTS_OF = core_select(_CONSENTS).where(
    _CONSENTS.c.client_id.in_(bindparam("ids", expanding=True)))
_NUMBERS_OF = core_select(_NUMBERS).where(
    _NUMBERS.c.client_id.in_(bindparam("ids", expanding=True)))
_PARTIES_OF = core_select(_PARTIES).where(
    _PARTIES.c.client_id.in_(bindparam("ids", expanding=True)))
# One client with everything on file in one statement (one consistent read, one round trip):
# a row per (number, third party) pair, split back into each table's rows by position.
_TABLES: tuple[Table, ...] = (_CLIENTS, _CONSENTS, _NUMBERS, _PARTIES)
# namedtuple classes named and shaped at run time, so their type is Any to the type checker
_ROW_TYPES: tuple[Any, ...] = tuple(namedtuple(f"{t.name}_row", [c.name for c in t.c])
                                    for t in _TABLES)
_STARTS = tuple(itertools.accumulate((len(t.c) for t in _TABLES), initial=0))
_SLICES = tuple(slice(a, b) for a, b in itertools.pairwise(_STARTS))
_CLIENT_WITH_CONSENT = (
    core_select(*[c.label(f"{t.name}_{c.name}") for t in _TABLES for c in t.c])
    .select_from(
        _CLIENTS.outerjoin(_CONSENTS, _CONSENTS.c.client_id == _CLIENTS.c.id)
        .outerjoin(_NUMBERS, _NUMBERS.c.client_id == _CLIENTS.c.id)
        .outerjoin(_PARTIES, _PARTIES.c.client_id == _CLIENTS.c.id)
    )
    .where(func.lower(_CLIENTS.c.code) == bindparam("key"), visible)
)


class ClientRepository:
    """Codes are looked up without regard to case (``code_key``; the ``lower(code)`` index) and
    come back as stored: a record's ``code`` is the spelling on file, whatever was typed.

    Every read keeps to ``visible`` clients: one an import is still writing is not on file yet
    (``stage`` / ``write_batch``)."""

    def __init__(self, session: Session, sealer: Sealer):
        self.session = session
        self.sealer = sealer

    # -- reading -----------------------------------------------------------------------------

    def row(self, code: str) -> Client | None:
        return self.session.exec(
            select(Client).where(lowered_code == code_key(code), visible)).first()

    def row_by_id(self, client_id: uuid.UUID) -> Client | None:
        client = self.session.get(Client, client_id)
        return client if client is not None and client.import_batch is None else None

    def get_by_id(self, client_id: uuid.UUID) -> ClientRecord | None:
        """The record of the client with this id (None: gone)."""
        client = self.row_by_id(client_id)
        return self.get(client.code) if client is not None else None

    def get(self, code: str) -> ClientRecord | None:
        rows = self.session.execute(_CLIENT_WITH_CONSENT, {"key": code_key(code)}).all()
        if not rows:
            return None
        split = [[kind._make(row[at]) for kind, at in zip(_ROW_TYPES, _SLICES, strict=True)]
                 for row in rows]
        client, consent = split[0][0], split[0][1]
        # each number appears once per third party and each third party once per number
        numbers = {n.id: n for _, _, n, _ in split if n.id is not None}
        parties = {p.id: p for _, _, _, p in split if p.id is not None}
        return self._record(client, consent if consent.id is not None else None,
                            list(numbers.values()), list(parties.values()))

    def codes(self) -> set[str]:
        return set(self.session.exec(select(Client.code).where(visible)).all())

    def count(self) -> int:
        return self.session.exec(select(func.count()).select_from(Client).where(visible)).one()

    def iter_all(self, batch: int = 1000) -> Iterator[ClientRecord]:
        """Every client in code order, fetched in batches (exports of tens of thousands)."""
        last = ""
        while True:
            rows = self.session.exec(
                select(Client).where(col(Client.code) > last, visible)
                .order_by(col(Client.code)).limit(batch)
            ).all()
            if not rows:
                return
            yield from self._records(rows)
            last = rows[-1].code

    def codes_for_phone(self, e164: str) -> list[str]:
        """Client codes with this number on file, found through the blind index."""
        indexes = self.sealer.phone_indexes(e164)
        return list(
            self.session.exec(
                select(Client.code)
                .join(ConsentNumber, col(ConsentNumber.client_id) == col(Client.id))
                .where(col(ConsentNumber.number_index).in_(indexes), visible)
                .distinct()
            ).all()
        )

    def records(self, clients: Iterable[Client]) -> list[ClientRecord]:
        """The records of already loaded client rows (decrypted), in the same order."""
        clients = list(clients)
        out: list[ClientRecord] = []
        for start in range(0, len(clients), 500):
            out.extend(self._records(clients[start : start + 500]))
        return out

    def _records(self, clients: Iterable[Any]) -> list[ClientRecord]:
        """Records of client rows (ORM or Core), their consent read as plain rows."""
        clients = list(clients)
        ids = {"ids": [c.id for c in clients]}
        execute = self.session.execute
        consents = {c.client_id: c for c in execute(_CONSENTS_OF, ids)}
        numbers: dict[uuid.UUID, list[Any]] = {}
        for n in execute(_NUMBERS_OF, ids):
            numbers.setdefault(n.client_id, []).append(n)
        parties: dict[uuid.UUID, list[Any]] = {}
        for p in execute(_PARTIES_OF, ids):
            parties.setdefault(p.client_id, []).append(p)
        return [
            self._record(c, consents.get(c.id), numbers.get(c.id, []), parties.get(c.id, []))
            for c in clients
        ]

    def _record(self, client: Any, consent: Any, numbers: list[Any],
                parties: list[Any]) -> ClientRecord:
        """A record from a client's row, its consent row, number rows and third-party rows
        (anything with the columns as attributes: ORM objects or Core rows)."""
        unseal = self.sealer.open_column

        def open_(table: str, row: Any, field: str) -> str | None:
            return unseal(table, field, row.id, getattr(row, f"{field}_enc"))

        record_consent = None
        if consent is not None:
            kind_order = {"cell": 0, "home": 1, "work": 2}
            record_consent = Consent(
                may_call=consent.may_call,
                preferred_kind=consent.preferred_kind,
                clinic_name_ok=consent.clinic_name_ok,
                earliest=consent.earliest,
                latest=consent.latest,
                numbers=tuple(
                    NumberPermission(
                        kind=n.kind,
                        number=open_("consent_numbers", n, "number"),
                        may_call=n.may_call,
                        do_not_call=n.do_not_call,
                        do_not_call_reason=open_("consent_numbers", n, "do_not_call_reason"),
                        voicemail_ok=n.voicemail_ok,
                        clinic_name_ok=n.clinic_name_ok,
                        earliest=n.earliest,
                        latest=n.latest,
                    )
                    for n in sorted(numbers, key=lambda n: kind_order.get(n.kind, 9))
                ),
                third_parties=tuple(
                    ThirdParty(name=open_("third_parties", p, "name") or "",
                               written_permission=p.written_permission)
                    for p in parties
                ),
                safety_note=open_("consents", consent, "safety_note"),
                provenance=Provenance(
                    recorded_by=consent.recorded_by,
                    recorded_at=consent.recorded_at,
                    method=consent.method,
                    last_verified_at=consent.last_verified_at,
                ),
            )
        return ClientRecord(
            code=client.code,
            clinician=client.clinician,
            preferred_name=open_("clients", client, "preferred_name"),
            status=client.status,
            consent=record_consent,
            coaching_approved_by=client.coaching_approved_by,
            coaching_approved_at=client.coaching_approved_at,
        )

    # -- writing -----------------------------------------------------------------------------

    def save(self, record: ClientRecord, existing: Client | None = None,
             now: datetime | None = None, *, known_new: bool = False) -> Client:
        """Create or update a client by code; replaces the consent when the record carries one.

        ``known_new``: the caller has checked that no client has this code (a bulk import),
        so the look-up by code is skipped.
        """
        now = now or utcnow()
        client = existing if existing is not None or known_new else self.row(record.code)
        new = client is None
        if client is None:
            client = Client(code=record.code, created_at=now)
        client.clinician = record.clinician
        client.status = record.status
        client.updated_at = now
        self.sealer.seal(client, "preferred_name", record.preferred_name)
        self.session.add(client)
        if record.consent is not None:
            self.save_consent(client, record.consent, now, new_client=new)
        return client

    def save_consent(self, client: Client, consent: Consent, now: datetime, *,
                     new_client: bool = False) -> None:
        """Replace the client's consent; ``new_client``: the client was just created, so there
        is nothing to replace (saves three queries per client in a bulk import)."""
        provenance = consent.provenance
        if provenance is None:
            raise ValueError("a consent is stored only with its provenance")
        row = None
        if not new_client:
            self.session.exec(
                delete(ConsentNumber).where(col(ConsentNumber.client_id) == client.id))
            self.session.exec(
                delete(ThirdPartyRow).where(col(ThirdPartyRow.client_id) == client.id))
            row = self.session.exec(
                select(ConsentRow).where(ConsentRow.client_id == client.id)).first()
        if row is None:
            row = ConsentRow(client_id=client.id, recorded_by=provenance.recorded_by,
                             method=provenance.method)
        row.may_call = consent.may_call
        row.preferred_kind = consent.preferred_kind
        row.clinic_name_ok = consent.clinic_name_ok
        row.earliest = consent.earliest
        row.latest = consent.latest
        row.recorded_by = provenance.recorded_by
        row.recorded_at = provenance.recorded_at
        row.method = provenance.method
        row.last_verified_at = provenance.last_verified_at
        self.sealer.seal(row, "safety_note", consent.safety_note)
        self.session.add(row)
        for number in consent.numbers:
            n = ConsentNumber(
                client_id=client.id,
                kind=number.kind,
                may_call=number.may_call,
                do_not_call=number.do_not_call,
                voicemail_ok=number.voicemail_ok,
                clinic_name_ok=number.clinic_name_ok,
                earliest=number.earliest,
                latest=number.latest,
                number_index=self.sealer.phone_index(number.number) if number.number else None,
            )
            self.sealer.seal(n, "number", number.number)
            self.sealer.seal(n, "do_not_call_reason", number.do_not_call_reason)
            self.session.add(n)
        for party in consent.third_parties:
            p = ThirdPartyRow(client_id=client.id, written_permission=party.written_permission)
            self.sealer.seal(p, "name", party.name)
            self.session.add(p)

    def rows_by_code(self, codes: Iterable[str]) -> dict[str, Client]:
        """The clients with these codes, by ``code_key`` (whatever case either is written in)."""
        keys = list(dict.fromkeys(code_key(code) for code in codes))
        found: dict[str, Client] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for c in self.session.exec(select(Client).where(lowered_code.in_(chunk), visible)):
                found[code_key(c.code)] = c
        return found

    # -- bulk writes (imports): prepared outside the write lock, written in a few statements ----

    def on_file(self, codes: Iterable[str]) -> dict[str, OnFile]:
        """The clients with these codes, by ``code_key``, as the database has them now: the
        record (decrypted) and the raw rows it was read from, which ``write_batch`` compares
        again under the write lock."""
        keys = list(dict.fromkeys(code_key(code) for code in codes))
        found: dict[str, OnFile] = {}
        for start in range(0, len(keys), _CHUNK):
            rows = self.session.execute(_CLIENTS_BY_KEY, {"keys": keys[start:start + _CHUNK]}).all()
            ids = [row.id for row in rows]
            states, raw = self._states(ids, _TYPED), self._states(ids, _RAW)
            for row in rows:
                client, consent, numbers, parties = states[row.id]
                record = self._record(client, consent, list(numbers), list(parties))
                found[code_key(row.code)] = OnFile(row.id, record, raw[row.id])
        return found

    def _states(self, ids: list[uuid.UUID], statements: _Statements) -> dict[uuid.UUID, _State]:
        """Each client's rows (client, consent, numbers, parties), by client id, read with
        ``statements`` (``_TYPED``: values as Python has them; ``_RAW``: as the database driver
        gives them, which is cheaper to read and to compare); a client not on file is missing."""
        states: dict[uuid.UUID, _State] = {}
        execute = self.session.execute
        as_bound = _bound_id(self.session.get_bind().dialect)
        clients_of, consents_of, numbers_of, parties_of = statements
        for start in range(0, len(ids), _CHUNK):
            chunk_ids = ids[start:start + _CHUNK]
            chunk = {"ids": chunk_ids}
            clients = {r.id: r for r in execute(clients_of, chunk)}
            consents = {r.client_id: r for r in execute(consents_of, chunk)}
            numbers: dict[Any, list[Any]] = {}
            for n in execute(numbers_of, chunk):
                numbers.setdefault(n.client_id, []).append(n)
            parties: dict[Any, list[Any]] = {}
            for p in execute(parties_of, chunk):
                parties.setdefault(p.client_id, []).append(p)
            for client_id in chunk_ids:
                key = client_id if statements is _TYPED else as_bound(client_id)
                client = clients.get(key)
                if client is None:
                    continue
                states[client_id] = (
                    client, consents.get(key),
                    tuple(sorted(numbers.get(key, ()), key=lambda r: r.id)),
                    tuple(sorted(parties.get(key, ()), key=lambda r: r.id)),
                )
        return states

    def batch(self) -> ClientBatch:
        """An empty batch to fill with ``ClientBatch.create`` / ``replace`` (sealing as it goes,
        outside any transaction) and write with ``stage`` and ``write_batch``."""
        return ClientBatch(self.sealer, self.session.get_bind().dialect)

    def stage(self, batch: ClientBatch, upto: int) -> int:
        """Write ``batch``'s new clients that are not written yet, up to the ``upto``-th, hidden
        (``storage.tables.clients.visible``) in the current transaction; how many. An import of
        many new clients writes them this way in several short transactions, and
        ``write_batch`` shows them all at once; until then they are on no card, in no count
        and block no code.

        A transaction that wrote part of a batch and then failed leaves the batch unusable
        (``staged`` counts what it wrote): abandon it (``ImportBatchRepository.discard``)."""
        start, stop = batch.staged, min(upto, batch.new)
        if stop <= start:
            return 0
        conn = self.session.connection()
        for rows, params in batch.rows_of_new(start, stop):
            rows.execute(conn, params)
        batch.staged = stop
        return stop - start

    def write_batch(self, batch: ClientBatch) -> None:
        """Finish ``batch`` in the current transaction, in a handful of bulk statements: replace
        the clients it replaces, write the new clients ``stage`` has not written, and show
        every new client.

        Raises ``StaleBatch`` (roll back, prepare again) when a client it replaces is no longer
        as it was read, a client with one of its new codes has meanwhile been created, or some
        of its staged clients are gone (the batch was taken for abandoned and discarded).
        """
        replaced = list(batch.replaced)
        now_on_file = self._states(replaced, _RAW)
        changed = sum(1 for client_id in replaced
                      if now_on_file.get(client_id) != batch.replaced[client_id])
        if changed:
            raise StaleBatch(f"{changed} client(s) changed")
        execute = self.session.execute
        conn = self.session.connection()
        batch.updates.write(conn)
        reconsented = batch.reconsented
        for start in range(0, len(reconsented), _CHUNK):
            chunk = {"ids": reconsented[start:start + _CHUNK]}
            for statement in _DELETE_CONSENT_ROWS:
                execute(statement, chunk)
        for rows in batch.replacing:
            rows.write(conn)
        self.stage(batch, batch.new)
        if not batch.new:
            return
        try:
            shown = getattr(execute(_SHOW, {"batch": batch.id}), "rowcount", 0)
        except IntegrityError as error:  # a code created meanwhile (the unique lower(code))
            raise StaleBatch("a client with one of its codes was created") from error
        if shown != batch.new:
            raise StaleBatch(f"{batch.new - shown} of the import's new clients are gone (the "
                             "import was taken for abandoned)")


_CHUNK = 500
_CLIENTS_BY_KEY = core_select(_CLIENTS).where(func.lower(_CLIENTS.c.code).in_(
    bindparam("keys", expanding=True)), visible)
_CLIENTS_OF = core_select(_CLIENTS).where(_CLIENTS.c.id.in_(bindparam("ids", expanding=True)))
_UPDATE_CLIENT = (
    update(_CLIENTS).where(_CLIENTS.c.id == bindparam("b_id"))
    .values(clinician=bindparam("b_clinician"), status=bindparam("b_status"),
            preferred_name_enc=bindparam("b_name"), updated_at=bindparam("b_at"))
)
_DELETE_CONSENT_ROWS = tuple(
    sa_delete(table).where(table.c.client_id.in_(bindparam("ids", expanding=True)))
    for table in (_NUMBERS, _PARTIES, _CONSENTS)
)
_SHOW = update(_CLIENTS).where(_CLIENTS.c.import_batch == bindparam("batch")).values(
    import_batch=None)
_State = tuple[Any, Any, tuple[Any, ...], tuple[Any, ...]]
_Statements = tuple[Any, Any, Any, Any]  # a client's rows: clients, consents, numbers, parties
_TYPED: _Statements = (_CLIENTS_OF, _CONSENTS_OF, _NUMBERS_OF, _PARTIES_OF)


def _untyped_rows_of(table: Table, key: str) -> Any:
    """``table``'s rows whose ``key`` is one of ``ids``, each value as the driver gives it."""
    return core_select(*[type_coerce(c, NullType()).label(c.name) for c in table.c]).where(
        table.c[key].in_(bindparam("ids", expanding=True)))


_RAW: _Statements = (_untyped_rows_of(_CLIENTS, "id"), _untyped_rows_of(_CONSENTS, "client_id"),
                     _untyped_rows_of(_NUMBERS, "client_id"),
                     _untyped_rows_of(_PARTIES, "client_id"))


@functools.cache
def _bound_id(dialect: Dialect) -> Callable[[uuid.UUID], Any]:
    """A client id as the database driver gives it back (the key of ``_RAW``'s rows)."""
    convert = _CLIENTS.c.id.type.dialect_impl(dialect).bind_processor(dialect)
    return convert if convert is not None else (lambda value: value)


@dataclass(frozen=True)
class OnFile:
    """A client as read for a bulk write: its id, its record and the rows it was read from."""

    id: uuid.UUID
    record: ClientRecord
    state: _State

    @property
    def code(self) -> str:
        return self.record.code


class ClientBatch:
    """Clients to create or replace, as rows ready to insert: every value is sealed (and each
    number's blind index computed) when it is added, so writing it is only inserting.

    New clients are written hidden under the batch's ``id`` (``ClientRepository.stage``, in
    parts if need be) and shown together by ``ClientRepository.write_batch``."""

    def __init__(self, sealer: Sealer, dialect: Dialect):
        self.sealer = sealer
        self.id = ordered_id()  # the import batch its new clients are hidden under
        # the new clients' rows, and the consent rows of the clients on file it replaces
        self.clients = BoundRows(_CLIENTS, dialect)
        self.consents = BoundRows(_CONSENTS, dialect)
        self.numbers = BoundRows(_NUMBERS, dialect)
        self.parties = BoundRows(_PARTIES, dialect)
        self.replacing = (BoundRows(_CONSENTS, dialect), BoundRows(_NUMBERS, dialect),
                          BoundRows(_PARTIES, dialect))
        self.updates = BoundRows(_CLIENTS, dialect, _UPDATE_CLIENT)  # of clients on file
        self.replaced: dict[uuid.UUID, _State] = {}  # clients on file, as read
        self.reconsented: list[uuid.UUID] = []  # those of them whose consent rows it replaces
        # how many consent, number and third-party rows the first n new clients have
        self._ends: list[tuple[int, int, int]] = [(0, 0, 0)]
        self.staged = 0  # new clients written (hidden) so far

    def __len__(self) -> int:
        return len(self.clients) + len(self.updates)

    @property
    def new(self) -> int:
        """How many clients it creates."""
        return len(self.clients)

    def create(self, record: ClientRecord, now: datetime) -> uuid.UUID:
        client_id = ordered_id()
        self.clients.add({
            **_CLIENT_DEFAULTS, "id": client_id, "code": record.code,
            "clinician": record.clinician, "status": record.status,
            "preferred_name_enc": self._seal("clients", "preferred_name", client_id,
                                             record.preferred_name),
            "created_at": now, "updated_at": now, "import_batch": self.id,
        })
        children = (self.consents, self.numbers, self.parties)
        self._consent(client_id, record.consent, children)
        self._ends.append((len(self.consents), len(self.numbers), len(self.parties)))
        return client_id

    def replace(self, on_file: OnFile, record: ClientRecord, now: datetime) -> None:
        """Replace a client on file (its consent rows too, when its consent changes); what is
        not in ``record``'s client columns (the coaching approval) stays."""
        self.replaced[on_file.id] = on_file.state
        self.updates.add({
            "b_id": on_file.id, "b_clinician": record.clinician, "b_status": record.status,
            "b_name": self._seal("clients", "preferred_name", on_file.id, record.preferred_name),
            "b_at": now,
        })
        if record.consent != on_file.record.consent:
            self.reconsented.append(on_file.id)
            self._consent(on_file.id, record.consent, self.replacing)

    def rows_of_new(self, start: int, stop: int) -> Iterator[tuple[BoundRows, list[Any]]]:
        """The rows of new clients ``start`` to ``stop`` (in the order they were created), each
        table's with the table's rows, parents first."""
        yield self.clients, self.clients.params[start:stop]
        first, last = self._ends[start], self._ends[stop]
        for at, rows in enumerate((self.consents, self.numbers, self.parties)):
            yield rows, rows.params[first[at]:last[at]]

    def _seal(self, table: str, field: str, row_id: uuid.UUID, value: str | None) -> bytes | None:
        return self.sealer.seal_column(table, field, row_id, value)

    def _consent(self, client_id: uuid.UUID, consent: Consent | None,
                 into: tuple[BoundRows, BoundRows, BoundRows]) -> None:
        """Add the rows of ``consent`` to ``into`` (consents, numbers, third parties)."""
        if consent is None:
            return
        consents, numbers, parties = into
        provenance = consent.provenance
        if provenance is None:
            raise ValueError("a consent is stored only with its provenance")
        consent_id = ordered_id()
        consents.add({
            "id": consent_id, "client_id": client_id, "may_call": consent.may_call,
            "preferred_kind": consent.preferred_kind, "clinic_name_ok": consent.clinic_name_ok,
            "earliest": consent.earliest, "latest": consent.latest,
            "safety_note_enc": self._seal("consents", "safety_note", consent_id,
                                          consent.safety_note),
            "recorded_by": provenance.recorded_by, "recorded_at": provenance.recorded_at,
            "method": provenance.method, "last_verified_at": provenance.last_verified_at,
        })
        for number in consent.numbers:
            number_id = ordered_id()
            numbers.add({
                "id": number_id, "client_id": client_id, "kind": number.kind,
                "number_enc": self._seal("consent_numbers", "number", number_id, number.number),
                "number_index": self.sealer.phone_index(number.number) if number.number else None,
                "may_call": number.may_call, "do_not_call": number.do_not_call,
                "do_not_call_reason_enc": self._seal("consent_numbers", "do_not_call_reason",
                                                     number_id, number.do_not_call_reason),
                "voicemail_ok": number.voicemail_ok, "clinic_name_ok": number.clinic_name_ok,
                "earliest": number.earliest, "latest": number.latest,
            })
        for party in consent.third_parties:
            party_id = ordered_id()
            parties.add({
                "id": party_id, "client_id": client_id,
                "name_enc": self._seal("third_parties", "name", party_id, party.name),
                "written_permission": party.written_permission,
            })


_CLIENT_DEFAULTS = plain_defaults(Client)
