"""Benchmark: import 10,000 clients, re-import them unchanged, rotate keys over them.

Run on demand (not collected by pytest):

    python tests/perf/bench_import.py                      # SQLite in a temporary directory
    python tests/perf/bench_import.py --database-url postgresql+psycopg://cc@127.0.0.1:55432/postgres
    python tests/perf/bench_import.py --clients 2000       # a quicker run

Prints seconds for each step. Runs in a fresh database: a temporary SQLite file, or one created
on the PostgreSQL server the URL names and dropped afterwards.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.csv_formats import CLIENT_COLUMNS
from bot.policy_file import load_policy
from bot.services.imports import import_clients, read_clients_csv
from bot.services.keys import rotate_keys
from storage.crypto import Keyring, generate_key
from storage.db import make_engine
from storage.keycheck import ensure_keys
from storage.migrate import upgrade
from storage.uow import Store
from tests.perf.scratch_db import scratch_database

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def clients_csv(count: int) -> str:
    lines = [",".join(CLIENT_COLUMNS)]
    for i in range(count):
        lines.append(",".join([
            f"C-{i:05d}", f"U0CLIN{i % 40}", f"Client {i}", "yes", "cell",
            f"+1215{2000000 + i:07d}", f"+1267{2000000 + i:07d}", "", "home",
            "asked not to", "cell", "yes" if i % 2 else "no", "09:00", "18:00",
            f"Partner {i}" if i % 3 == 0 else "", "yes" if i % 3 == 0 else "", "active",
        ]))
    return "\n".join(lines) + "\n"


def timed(label: str, action):
    start = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - start:.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        engine = make_engine(url)
        upgrade(engine)
        policy = load_policy(None)
        old = generate_key()
        store = Store(engine, Keyring.from_env(old))
        with store.unit_of_work() as uow:
            ensure_keys(uow.session, uow.sealer)
            uow.commit()
        text = clients_csv(args.clients)
        print(f"{args.clients} clients on {engine.dialect.name}")
        rows = timed("parse CSV", lambda: read_clients_csv(text, policy))

        def run_import() -> object:
            with store.unit_of_work() as uow:
                report = import_clients(uow, policy, rows, actor="bench", source="bench.csv",
                                        now=NOW)
                uow.commit()
            return report

        first = timed("import (new clients)", run_import)
        assert first.created == args.clients, first  # type: ignore[attr-defined]
        again = timed("re-import (unchanged)", run_import)
        assert again.unchanged == args.clients, again  # type: ignore[attr-defined]

        rotated = Store(engine, Keyring.from_env(f"{generate_key()},{old}"))

        def run_rotation() -> object:
            with rotated.unit_of_work() as uow:
                report = rotate_keys(uow, actor="bench", now=NOW)
                uow.commit()
            return report

        report = timed("rotate-keys", run_rotation)
        print(f"  re-encrypted {report.resealed} values in {report.rows} rows, "  # type: ignore[attr-defined]
              f"{report.indexes} indexes")  # type: ignore[attr-defined]
        engine.dispose()


if __name__ == "__main__":
    main()
