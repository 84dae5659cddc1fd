"""Benchmark: the reminder dispatcher under load. Prints figures; run on demand.

    python tests/perf/bench_dispatch.py [--part drain|lateness|claim|pace|all] [--scale 1.0]
                                        [--database-url URL] [--replicas N] [--local-pace]

1. drain — 5,000 call-back reminders for 500 clinicians due the same minute, against a Slack
   stand-in that allows 50 messages/s and answers 429 beyond (Retry-After: 1). Figures: lost,
   doubled, 429s, drain time and its ratio to the 100 s floor (5,000 / 50). Goal ≤ 1.2×.
   ``--replicas N`` (PostgreSQL) drains with N dispatcher processes sharing the send budget;
   ``--local-pace`` makes each pace itself alone instead, as before the budget was shared.
2. lateness — no-show chases falling due over a minute, the dispatcher woken by APScheduler as in
   production, Slack not rate-limiting. Figures: lateness p50/p99 (goal p99 ≤ 5 s).
3. claim — the cost of one claim (50 rows, rolled back) with 1,000 vs 1,000,000 pending rows,
   (a) all pending rows due later, (b) all due now. Goal: ≤ 2× between the sizes.
4. pace — PostgreSQL: what the shared send budget adds to each message (taking the slot),
   alone and with 4 threads taking at once.

``--scale`` shrinks the drain part (e.g. 0.2: 1,000 reminders, 100 clinicians, 20 s floor) and
the large claim table (0.1: 100,000 rows). Default database: a fresh SQLite file; give
``--database-url`` (an empty, migrated PostgreSQL database works; tables are emptied) to run
against PostgreSQL.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, text  # noqa: E402

from bot.clock import ManualClock, SystemClock  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.dispatcher import METADATA_EVENT, Dispatcher, DrainReport  # noqa: E402
from bot.pacing import LocalPace, SharedPace  # noqa: E402
from bot.policy.model import ClientRecord, Consent, NumberPermission, Provenance  # noqa: E402
from bot.policy_file.validation import parse_policy  # noqa: E402
from bot.sandbox.standin import SlackStandIn  # noqa: E402
from bot.scheduling import Jobs  # noqa: E402
from bot.services.appointments import CHASE_KIND, schedule_chase  # noqa: E402
from bot.services.callbacks import REMINDER_KIND, SUBJECT_KIND  # noqa: E402
from storage.crypto import Keyring, generate_key  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.tables import (  # noqa: E402
    Appointment,
    AuditEvent,
    CallbackDuty,
    Client,
    ConsentNumber,
    ConsentRow,
    OutboxMessage,
)
from storage.uow import Store  # noqa: E402

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tue 10:00 New York


def policy_for(clinicians: int):
    return parse_policy({
        "clinic": {"name": "Bench Clinic", "timezone": "America/New_York",
                   "hours": {d: "00:00-23:59" for d in
                             ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
        "team": [{"slack_id": "U0ADMIN", "role": "admin", "first_name": "Lee"}] + [
            {"slack_id": f"U{i:06d}", "role": "clinician", "first_name": f"C{i}"}
            for i in range(clinicians)
        ],
    })


def fresh_store(url: str | None, key: str | None = None) -> Store:
    if url is None:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        for table in (OutboxMessage, CallbackDuty, Appointment, ConsentNumber, ConsentRow,
                      AuditEvent, Client):
            conn.execute(delete(table))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM send_pace"))
    return Store(engine, Keyring.from_env(key or generate_key()))


def add_clients(store: Store, clinicians: int) -> list[Client]:
    rows = []
    with store.unit_of_work() as uow:
        for i in range(clinicians):
            record = ClientRecord(
                code=f"C-{i:05d}", clinician=f"U{i:06d}", preferred_name="Name",
                consent=Consent(may_call=True, preferred_kind="cell",
                                numbers=(NumberPermission("cell", f"+1215555{i:04d}",
                                                          voicemail_ok=True),),
                                provenance=Provenance("bench", NOW, "import")))
            rows.append(uow.clients.save(record, now=NOW))
        uow.commit()
    return rows


# --- 1. drain -------------------------------------------------------------------------------------


def bench_drain(url: str | None, scale: float, send_rate: float, replicas: int = 1,
                local_pace: bool = False) -> None:
    if replicas > 1 and (url is None or not url.startswith("postgresql")):
        raise SystemExit("--replicas needs --database-url postgresql+psycopg://… "
                         "(SQLite runs one dispatcher)")
    clinicians = max(10, round(500 * scale))
    per_clinician = 10
    total = clinicians * per_clinician
    key = generate_key()
    store = fresh_store(url, key)
    policy = policy_for(clinicians)
    clients = add_clients(store, clinicians)
    due = NOW
    with store.unit_of_work() as uow:
        for k in range(per_clinician):
            for client in clients:
                duty = uow.callbacks.add(client_id=client.id, caller_phone=None,
                                         clinician=client.clinician, logged_by="bench",
                                         called_at=NOW - timedelta(hours=k + 1),
                                         voicemail_left=True, owed=True,
                                         due_at=due + timedelta(hours=2))
                uow.outbox.enqueue(REMINDER_KIND, client.clinician, due,
                                   {"duty_id": str(duty.id), "client_code": client.code,
                                    "final": False},
                                   subject_kind=SUBJECT_KIND, subject_id=duty.id)
        uow.commit()
    floor = total / 50
    with SlackStandIn() as slack:
        slack.rate_limit_per_second = 50
        started = time.monotonic()
        if replicas == 1:
            report = drain_once(store, policy, slack.api_url, send_rate, due, local_pace)
        else:
            store.engine.dispose()  # the replicas are forked: no shared connections
            report = DrainReport()
            results: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
            forked = [multiprocessing.get_context("fork").Process(
                target=_replica, args=(url, key, clinicians, slack.api_url, send_rate, due,
                                       local_pace, results)) for _ in range(replicas)]
            for process in forked:
                process.start()
            shares = []
            for _ in forked:
                part = results.get(timeout=3600)
                shares.append(part.sent)
                report.add(part)
            for process in forked:
                process.join()
        elapsed = time.monotonic() - started
        ok = [c for c in slack.calls_to("chat.postMessage") if c.status == 200 and not c.error]
        limited = [c for c in slack.calls_to("chat.postMessage") if c.status == 429]
        ids = Counter(c.params["metadata"]["event_payload"]["outbox_id"] for c in ok
                      if (c.params.get("metadata") or {}).get("event_type") == METADATA_EVENT)
    with store.unit_of_work() as uow:
        expected = {str(r) for r in uow.session.exec(
            text("SELECT id FROM outbox")).scalars()}  # type: ignore[call-overload]
        statuses = uow.outbox.count_by_status()
    expected = {str(uuid.UUID(str(i))) for i in expected}
    lost = len(expected - set(ids))
    doubled = sum(n - 1 for n in ids.values())
    last = max(c.at for c in ok) - min(c.at for c in ok) if ok else 0.0
    pacing = ("each replica paces alone" if local_pace
              else "shared budget" if store.engine.dialect.name == "postgresql" else "in memory")
    print(f"drain: {total} reminders, {clinicians} clinicians, stand-in 50 msg/s, "
          f"CONTACT_CHECK_SEND_RATE={send_rate:g}, database={store.engine.dialect.name}, "
          f"{replicas} dispatcher process(es), {pacing}"
          + (f" (sent {'/'.join(map(str, shares))})" if replicas > 1 else ""))
    print(f"  sent {report.sent}, lost {lost}, doubled {doubled}, 429 answers {len(limited)}, "
          f"statuses {statuses}")
    print(f"  drain {elapsed:.1f} s (first to last message {last:.1f} s); floor {floor:.0f} s; "
          f"ratio {elapsed / floor:.3f}x (goal <= 1.2x)")


def drain_once(store: Store, policy, api_url: str, send_rate: float,
               due: datetime, local_pace: bool) -> DrainReport:
    deps = Deps(store=store, policy=policy, clock=ManualClock(due + timedelta(seconds=30)),
                bot_token="xoxb-bench", slack_api_url=api_url, send_rate=send_rate)
    pace = LocalPace(send_rate, time.monotonic) if local_pace else None
    dispatcher = Dispatcher(deps, pace=pace)  # 1 message/s per DM, as in production
    return dispatcher.drain()


def _replica(url: str, key: str, clinicians: int, api_url: str, send_rate: float,
             due: datetime, local_pace: bool, results: multiprocessing.Queue) -> None:
    store = Store(make_engine(url), Keyring.from_env(key))
    report = drain_once(store, policy_for(clinicians), api_url, send_rate, due, local_pace)
    results.put(report)


# --- 2. chase lateness ----------------------------------------------------------------------------


def bench_lateness(url: str | None, chases: int = 120, spread: float = 60.0) -> None:
    clinicians = chases
    store = fresh_store(url)
    policy = policy_for(clinicians)
    clients = add_clients(store, clinicians)
    start = datetime.now(UTC) + timedelta(seconds=5)
    wait = timedelta(minutes=policy.no_show.wait_minutes)
    with store.unit_of_work() as uow:
        for i, client in enumerate(clients):
            at = start + timedelta(seconds=spread * i / chases)
            appointment = Appointment(client_id=client.id, clinician=client.clinician,
                                      start_at=at - wait, minutes=50)
            uow.session.add(appointment)
            uow.session.flush()
            schedule_chase(uow, policy, appointment, client, at - wait)
        uow.commit()
    with SlackStandIn() as slack:
        deps = Deps(store=store, policy=policy, clock=SystemClock(), bot_token="xoxb-bench",
                    slack_api_url=slack.api_url, send_rate=4)  # the production default rate
        jobs = Jobs(deps, periodic=())
        jobs.start()
        try:
            deadline = time.monotonic() + spread + 60
            while time.monotonic() < deadline:
                with store.unit_of_work() as uow:
                    if uow.outbox.count_by_status().get("sent", 0) >= chases:
                        break
                time.sleep(0.5)
        finally:
            jobs.stop()
    with store.unit_of_work() as uow:
        rows = [r for r in uow.outbox.waiting() if r.kind == CHASE_KIND]
        sent = uow.session.exec(  # type: ignore[call-overload]
            text("SELECT due_at, sent_at FROM outbox WHERE status = 'sent'")).all()
    lateness = sorted(_seconds(s) - _seconds(d) for d, s in sent)
    p = statistics.quantiles(lateness, n=100) if len(lateness) > 1 else lateness * 99
    print(f"lateness: {len(lateness)}/{chases} chases over {spread:.0f} s, APScheduler wake-up "
          f"every {Jobs(deps).wake_every:g} s, CONTACT_CHECK_SEND_RATE=4, not rate-limited, "
          f"database={store.engine.dialect.name}")
    print(f"  p50 {statistics.median(lateness):.2f} s, p99 {p[98]:.2f} s, max {lateness[-1]:.2f} s "
          f"(goal p99 <= 5 s); unsent {len(rows)}")


def _seconds(value) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


# --- 3. claim cost --------------------------------------------------------------------------------


def fill_outbox(store: Store, rows: int, due: datetime) -> None:
    batch = 20_000
    with store.engine.begin() as conn:
        conn.execute(delete(OutboxMessage))
        for start in range(0, rows, batch):
            conn.execute(insert(OutboxMessage), [
                {"id": uuid.uuid4(), "kind": REMINDER_KIND, "priority": 5 if i % 10 else 1,
                 "recipient": f"U{i % 500:06d}", "due_at": due + timedelta(seconds=i % 3600),
                 "available_at": due + timedelta(seconds=i % 3600),
                 "payload": {"duty_id": str(uuid.uuid4()), "client_code": "C-1"},
                 "status": "pending", "attempts": 0, "created_at": NOW}
                for i in range(start, min(rows, start + batch))
            ])
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE outbox"))
    else:
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def claim_cost(store: Store, repeats: int = 200) -> float:
    """Median seconds of one claim of 50 rows (then rolled back)."""
    times = []
    for _ in range(repeats):
        with store.unit_of_work() as uow:
            started = time.perf_counter()
            uow.outbox.claim("bench", NOW, 50, timedelta(seconds=60))
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_claim(url: str | None, scale: float) -> None:
    store = fresh_store(url)
    big = max(10_000, round(1_000_000 * scale))
    print(f"claim: median of 200 claims of 50 rows, database={store.engine.dialect.name}")
    for label, due in (("due later (50 due now)", NOW + timedelta(hours=1)),
                       ("all due now", NOW - timedelta(hours=2))):
        results = {}
        for size in (1_000, big):
            fill_outbox(store, size, due)
            if due > NOW:  # 50 rows due now among the waiting ones
                with store.engine.begin() as conn:
                    conn.execute(insert(OutboxMessage), [
                        {"id": uuid.uuid4(), "kind": REMINDER_KIND, "priority": 5,
                         "recipient": "U000001", "due_at": NOW, "available_at": NOW,
                         "payload": {}, "status": "pending", "attempts": 0, "created_at": NOW}
                        for _ in range(50)])
            results[size] = claim_cost(store)
        ratio = results[big] / results[1_000]
        print(f"  {label}: 1,000 rows {results[1_000] * 1000:.2f} ms, {big:,} rows "
              f"{results[big] * 1000:.2f} ms, ratio {ratio:.2f}x (goal <= 2x)")


# --- 4. the shared send budget's cost ------------------------------------------------------------


def bench_pace(url: str | None, reservations: int = 2000) -> None:
    if url is None or not url.startswith("postgresql"):
        print("pace: PostgreSQL only (SQLite paces in memory: no database call per message)")
        return
    store = fresh_store(url)
    pace = SharedPace(store, 1e9, "bench", time.monotonic)  # no waiting: the call's own cost

    def timed(n: int) -> list[float]:
        times = []
        for _ in range(n):
            started = time.perf_counter()
            pace.take()
            times.append(time.perf_counter() - started)
        return times

    timed(100)
    alone = sorted(timed(reservations))
    together: list[float] = []
    threads = [threading.Thread(target=lambda: together.extend(timed(reservations // 4)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    together.sort()
    for label, times in (("alone", alone), ("4 threads at once", together)):
        print(f"pace: taking the slot ({label}): median {statistics.median(times) * 1000:.2f}"
              f" ms, p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("drain", "lateness", "claim", "pace", "all"),
                        default="all")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--send-rate", type=float, default=50.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--local-pace", action="store_true")
    args = parser.parse_args()
    if args.part in ("claim", "all"):
        bench_claim(args.database_url, args.scale)
    if args.part in ("lateness", "all"):
        bench_lateness(args.database_url)
    if args.part in ("drain", "all"):
        bench_drain(args.database_url, args.scale, args.send_rate, args.replicas,
                    args.local_pace)
    if args.part in ("pace", "all"):
        bench_pace(args.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
