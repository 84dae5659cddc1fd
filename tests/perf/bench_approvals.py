"""Approvals benchmark: racing deciders and the nudge sweep over many pending requests.

    python tests/perf/bench_approvals.py [--database-url URL] [--clickers 20] [--pending 1000]

Prints, for a fresh database (SQLite in a temporary directory unless ``--database-url`` names an
empty PostgreSQL database):

- ``clickers`` threads deciding the same request at once (half Approve, half Deny with a reason):
  how many decided (must be 1), the spread of their start times and how long until all answered;
- one decision's latency (median of 50 requests decided one after another);
- the nudge and hand-over sweep over ``pending`` undecided requests: the first run (every one is
  due for a nudge) and a run with nothing due.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.policy.model import ClientRecord
from bot.policy_file.validation import parse_policy
from bot.services import approvals as service
from storage.crypto import Keyring, generate_key
from storage.db import make_engine
from storage.migrate import upgrade
from storage.uow import Store

POLICY = parse_policy({
    "clinic": {"name": "Great Agency", "timezone": "America/New_York",
               "holidays": {"country": "US"}},
    "approvals": {"closure_warning": "supervisor", "phone_coaching": "U0BEDICS",
                  "remind_after_business_hours": 4, "backup": "U0DIRECTOR"},
    "team": [
        {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
        {"slack_id": "U0BEDICS", "role": "supervisor", "first_name": "Bedics"},
        {"slack_id": "U0DIRECTOR", "role": "supervisor", "first_name": "Dana"},
        {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
    ],
})
NOW = datetime(2026, 11, 24, 15, tzinfo=UTC)  # Tuesday 10:00 New York


def store_for(url: str | None) -> Store:
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    return Store(engine, Keyring.from_env(generate_key()))


def add_clients(store: Store, count: int, prefix: str) -> list[str]:
    codes = [f"{prefix}-{i}" for i in range(count)]
    with store.unit_of_work() as uow:
        for code in codes:
            uow.clients.save(ClientRecord(code=code, clinician="U0ANA"), now=NOW)
        uow.commit()
    return codes


def request(store: Store, code: str, now: datetime) -> service.RequestResult:
    with store.unit_of_work() as uow:
        result = service.request_coaching(uow, POLICY, client_code=code, requested_by="U0ANA",
                                          now=now)
        uow.commit()
    return result


def decide(store: Store, approval_id: object, decision: str, now: datetime) -> service.Decision:
    with store.unit_of_work() as uow:
        result = service.decide(uow, POLICY, approval_id=str(approval_id), user="U0BEDICS",
                                decision=decision, now=now,
                                reason="bench" if decision == service.DENY else None)
        uow.commit()
    return result.outcome


def bench_race(store: Store, clickers: int) -> None:
    [code] = add_clients(store, 1, "RACE")
    approval_id = request(store, code, NOW).approval_id
    barrier = threading.Barrier(clickers)
    starts: list[float] = []
    ends: list[float] = []
    outcomes: list[service.Decision] = []

    def click(i: int) -> None:
        barrier.wait()
        starts.append(time.perf_counter())
        outcomes.append(decide(store, approval_id,
                               service.APPROVE if i % 2 else service.DENY, NOW))
        ends.append(time.perf_counter())

    threads = [threading.Thread(target=click, args=(i,)) for i in range(clickers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    decided = outcomes.count(service.Decision.DECIDED)
    print(f"race: {clickers} clickers -> {decided} decided, "
          f"{outcomes.count(service.Decision.ALREADY_DECIDED)} told 'already decided'; "
          f"starts spread {1000 * (max(starts) - min(starts)):.1f} ms, "
          f"all answered in {1000 * (max(ends) - min(starts)):.1f} ms")
    if decided != 1:
        raise SystemExit("FAIL: more or fewer than one decision")


def bench_latency(store: Store, count: int = 50) -> None:
    codes = add_clients(store, count, "LAT")
    ids = [request(store, code, NOW).approval_id for code in codes]
    times = []
    for approval_id in ids:
        start = time.perf_counter()
        decide(store, approval_id, service.APPROVE, NOW)
        times.append(time.perf_counter() - start)
    print(f"decide: median {1000 * statistics.median(times):.1f} ms, "
          f"max {1000 * max(times):.1f} ms over {count} decisions")


def bench_sweep(store: Store, pending: int) -> None:
    codes = add_clients(store, pending, "SWEEP")
    for code in codes:
        request(store, code, NOW)
    for label, at in (("all due for a nudge", NOW + timedelta(hours=4)),
                      ("nothing due", NOW + timedelta(hours=5))):
        start = time.perf_counter()
        with store.unit_of_work() as uow:
            report = service.nudge_and_hand_over(uow, POLICY, at)
            uow.commit()
        took = time.perf_counter() - start
        print(f"sweep over {pending} pending ({label}): {report.nudged} nudged, "
              f"{report.handed_over} handed over in {1000 * took:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--clickers", type=int, default=20)
    parser.add_argument("--pending", type=int, default=1000)
    args = parser.parse_args()
    store = store_for(args.database_url)
    print(f"database: {store.engine.dialect.name}")
    bench_race(store, args.clickers)
    bench_latency(store)
    bench_sweep(store, args.pending)


if __name__ == "__main__":
    main()
