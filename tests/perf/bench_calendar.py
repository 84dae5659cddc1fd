"""Calendar feeds (issue 14): parse and apply a 5,000-event feed with 300 weekly series, an
unchanged feed, and memory for a 20 MB feed. Run on demand:

    .venv/bin/python -m tests.perf.bench_calendar [--database-url URL]

Goals: parse + apply < 2 s; unchanged (same content) < 50 ms with no appointment, outbox or
audit write; peak memory for a 20 MB feed < 200 MB.

Times are wall clock and, in brackets, this process's CPU time (on a shared machine the wall
clock also counts waiting for a core). The 20 MB feed is parsed in fresh processes reading it
from a file: one timed, one under ``tracemalloc`` (Python's peak allocations), each reporting its
own maximum resident set, so building the test feed is not counted.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import create_engine

from bot.calendars.mapping import map_events
from bot.calendars.parse import Window, parse_feed
from bot.policy.clinic import CalendarFeed
from bot.policy.model import ClientRecord
from bot.policy_file import load_policy
from bot.services.calendars import apply_feed, is_unchanged, record_unchanged
from storage.crypto import Keyring, generate_key
from storage.migrate import upgrade
from storage.uow import Store
from tests.calendars.feeds import NY, feed
from tests.perf.scratch_db import scratch_database

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
FEED = CalendarFeed(name="bench", file="bench.ics",
                    client_code=re.compile(r"\b([A-Z]-\d{3,4})\b"))
CLIENTS = 300


def events(total: int, series: int) -> list[dict]:
    out = []
    for n in range(series):  # weekly, started months ago, running a year
        out.append({"uid": f"series-{n}", "summary": f"Session C-{1000 + n % CLIENTS}",
                    "start": datetime(2026, 6, 1 + n % 28, 8 + n % 9, 0, tzinfo=NY),
                    "rrule": "FREQ=WEEKLY;COUNT=52"})
    for n in range(total - series):  # single events over a year around now
        day = datetime(2026, 5, 1, 9, tzinfo=NY) + timedelta(days=n % 365, minutes=10 * (n % 40))
        out.append({"uid": f"one-{n}", "summary": f"Intake C-{1000 + n % CLIENTS}",
                    "start": day})
    return out


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(mark: tuple[float, float]) -> str:
    wall, cpu = _clocks()
    return f"{wall - mark[0]:.2f} s [{cpu - mark[1]:.2f} s CPU]"


def parse_file(path: str, trace: bool) -> None:
    """In a fresh process: parse the feed in ``path`` and print what it cost."""
    with open(path, "rb") as handle:
        data = handle.read()
    if trace:
        tracemalloc.start()
    mark = _clocks()
    mapped = map_events(parse_feed(data, NOW, NY), FEED.client_code)
    took = _since(mark)
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(data) / 1024 / 1024:.1f} MB feed: "
          + (f"peak Python memory {peak / 1e6:.0f} MB under tracemalloc" if trace
             else f"parsed in {took}")
          + f", process max RSS {rss:.0f} MB, {len(mapped.events)} events in the window")


def big_feed() -> bytes:
    big = feed("outlook", events(60000, 300))
    while len(big) < 20 * 1024 * 1024:
        big = big.replace(b"END:VCALENDAR", b"".join(
            b"BEGIN:VEVENT\r\nUID:pad-%d\r\nDTSTART:20250101T090000Z\r\nSUMMARY:Old C-1001\r\n"
            b"END:VEVENT\r\n" % n for n in range(20000)) + b"END:VCALENDAR")
    return big


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--parse-file", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_file:
        parse_file(args.parse_file, args.trace)
        return
    policy = replace(load_policy(None), calendars=(FEED,))
    data = feed("outlook", events(5000, 300))
    with scratch_database(args.database_url) as url:
        engine = create_engine(url)
        upgrade(engine)
        store = Store(engine, Keyring.from_env(generate_key()))
        with store.unit_of_work() as uow:
            for n in range(CLIENTS):
                uow.clients.save(ClientRecord(code=f"C-{1000 + n}", clinician="U0ANA"), now=NOW)
            uow.calendars.take_lease(FEED.name, "bench", NOW, NOW + timedelta(minutes=5))
            uow.commit()
        started = _clocks()
        mapped = map_events(parse_feed(data, NOW, NY), FEED.client_code)
        parse_took = _since(started)
        parsed_at = _clocks()
        window = Window.around(NOW, NY)
        digest = hashlib.sha256(data).hexdigest()
        with store.unit_of_work() as uow:
            result = apply_feed(uow, policy, FEED, mapped, window=window, content_hash=digest,
                                etag=None, last_modified=None, owner="bench", now=NOW)
            uow.commit()
        print(f"5,000 events ({len(data) / 1e6:.1f} MB, 300 weekly series): parse "
              f"{parse_took}, apply {_since(parsed_at)}, total {_since(started)} "
              f"({result.created} appointments and chases in the window)")

        writes: list[str] = []
        event.listen(engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *a: writes.append(statement)
                     if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
                     else None)
        with store.unit_of_work() as uow:
            uow.calendars.take_lease(FEED.name, "bench", NOW, NOW + timedelta(minutes=5))
            uow.commit()
        writes.clear()
        started = time.perf_counter()
        with store.unit_of_work() as uow:
            state = uow.calendars.state(FEED.name)
            assert state is not None
            same = is_unchanged(state, hashlib.sha256(data).hexdigest(), window)
            assert same
            record_unchanged(uow, policy, FEED, owner="bench", etag=None, last_modified=None,
                             now=NOW)
            uow.commit()
        took = time.perf_counter() - started
        domain = [w for w in writes if "calendar_feeds" not in w]
        print(f"unchanged feed (same content, digest compared): {took * 1000:.1f} ms; "
              f"appointment/outbox/audit writes: {len(domain)}; feed-state row updates: "
              f"{len(writes) - len(domain)}")
        engine.dispose()

    with tempfile.NamedTemporaryFile(suffix=".ics") as handle:
        handle.write(big_feed())
        handle.flush()
        for trace in (False, True):
            subprocess.run([sys.executable, "-m", "tests.perf.bench_calendar", "--parse-file",
                            handle.name, *(["--trace"] if trace else [])], check=True)


if __name__ == "__main__":
    main()
