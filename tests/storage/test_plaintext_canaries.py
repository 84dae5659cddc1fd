"""No client detail is stored in clear: seed unique canary values into every sealed field, then
search the raw SQLite files and every PostgreSQL table's contents for them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from storage.crypto import Keyring
from storage.db import make_engine
from storage.uow import Store
from tests.storage.seeding import canary, seed_every_sealed_field


def _forms(value: str) -> list[bytes]:
    """The byte forms a leaked value could take: UTF-8, UTF-16 and hex (PostgreSQL bytea text)."""
    raw = value.encode()
    forms = [raw, value.encode("utf-16-le"), raw.hex().encode()]
    if value.startswith("+"):
        forms.append(value[1:].encode())  # the digits alone
        forms.append(value[2:].encode())  # national number without country code
    return forms


def _leaks(haystack: bytes, canaries: dict[str, str]) -> list[str]:
    return [name for name, value in canaries.items()
            if any(form in haystack for form in _forms(value))]


def _sqlite_bytes(url: str) -> bytes:
    path = Path(make_url(url).database)
    files = [p for p in path.parent.glob(path.name + "*") if p.is_file()]
    assert path in files
    return b"".join(p.read_bytes() for p in files)


def _table_bytes(engine: Engine) -> bytes:
    """Every value of every table, as bytes (bytea raw, text UTF-8, JSON dumped)."""
    out = bytearray()
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        out += bytes(value)
                    elif isinstance(value, (dict, list)):
                        out += json.dumps(value, ensure_ascii=False).encode()
                    else:
                        out += str(value).encode()
                    out += b"\x00"
    return bytes(out)


def _seed(url: str, key: str) -> dict[str, str]:
    engine = make_engine(url)
    store = Store(engine, Keyring.from_env(key))
    with store.unit_of_work() as uow:
        seeded = seed_every_sealed_field(uow)
        uow.commit()
    engine.dispose()
    return seeded


def test_no_plaintext_in_the_database(database_url: str, key: str) -> None:
    canaries = _seed(database_url, key)
    engine = make_engine(database_url)
    try:
        contents = _table_bytes(engine)
        assert len(contents) > 500  # the scan really read the rows
        assert _leaks(contents, canaries) == []
    finally:
        engine.dispose()
    if database_url.startswith("sqlite"):
        raw = _sqlite_bytes(database_url)
        assert _leaks(raw, canaries) == []


def test_the_scans_find_a_value_stored_in_clear(database_url: str, key: str) -> None:
    """The scanners are not blind: a canary written into an unsealed column is found."""
    leaked = {"audit.details": canary("in-clear")}
    engine = make_engine(database_url)
    store = Store(engine, Keyring.from_env(key))
    with store.unit_of_work() as uow:
        uow.audit.append("U0ANA", "test.leak", None, {"text": leaked["audit.details"]})
        uow.commit()
    try:
        assert _leaks(_table_bytes(engine), leaked) == ["audit.details"]
    finally:
        engine.dispose()
    if database_url.startswith("sqlite"):
        assert _leaks(_sqlite_bytes(database_url), leaked) == ["audit.details"]
