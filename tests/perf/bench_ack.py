"""Ack latency of `/contact-check CODE` over real HTTP, side by side with a bare Bolt app.

    python tests/perf/bench_ack.py [--requests 2000] [--rounds 3] [--concurrency 20]
                                   [--clients 10000] [--database-url URL]
    python tests/perf/bench_ack.py --database-url postgresql+psycopg://cc@127.0.0.1:55432/postgres

Both apps run behind the same stack: waitress (``bot.server.make_http_server``), Bolt's WSGI
adapter, signature verification, the same listener executor size. The bare app's listener acks
a fixed ephemeral text at once; ours loads the client (of 10,000), checks consent, writes the
audit event (committed before the card is returned), builds the card and acks it. Requests are
signed like Slack's and sent from ``--concurrency`` threads of this same process; the latency
is from sending the request to the full reply body.

The apps take turns for ``--rounds`` rounds (a busy machine skews one round, not one app).
Prints, a round, p50/p99 (ms) and this process's CPU a request (load generator included, the
same for both), the audit events committed per transaction, and whether the goal holds on the
median round: p99 <= 1.5 x bare and < 300 ms. With a PostgreSQL URL a fresh database is
created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time as clock_time
from pathlib import Path

from slack_bolt import App
from sqlalchemy import event

from bot.app import LISTENER_THREADS, create_app
from bot.clock import ManualClock
from bot.deps import Deps
from bot.policy.model import ClientRecord, Consent, NumberPermission, Provenance
from bot.server import make_http_server, stop_http_server
from bot.standin import SlackRequests, SlackStandIn
from storage.crypto import Keyring, generate_key
from storage.db import make_engine
from storage.migrate import upgrade
from storage.uow import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.handlers.conftest import contract_policy  # noqa: E402
from tests.perf.scratch_db import scratch_database  # noqa: E402

SECRET = "bench-signing-secret"  # noqa: S105
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def seed(store: Store, count: int) -> list[str]:
    codes = [f"C-{i:05d}" for i in range(count)]
    with store.unit_of_work() as uow:
        for i, code in enumerate(codes):
            uow.clients.save(ClientRecord(
                code=code, clinician="U0ANA", preferred_name=f"Client{i}",
                consent=Consent(
                    may_call=True, preferred_kind="cell", earliest=clock_time(9, 0),
                    latest=clock_time(20, 0),
                    numbers=(NumberPermission("cell", f"+1215555{i % 10000:04d}",
                                              voicemail_ok=i % 2 == 0),
                             NumberPermission("home", None, may_call=False, do_not_call=True,
                                              do_not_call_reason="shared line")),
                    safety_note="note" if i % 7 == 0 else None,
                    provenance=Provenance("bench", NOW, "import"),
                ),
            ), now=NOW)
        uow.commit()
    return codes


def bare_app(slack: SlackStandIn) -> App:
    from slack_sdk import WebClient

    app = App(client=WebClient(token="xoxb-bench", base_url=slack.api_url),  # noqa: S106
              signing_secret=SECRET, listener_executor=ThreadPoolExecutor(LISTENER_THREADS))

    @app.command("/contact-check")
    def _bare(ack):  # type: ignore[no-untyped-def]
        ack(text="OK", response_type="ephemeral")

    return app


def serve(app: App, deps: Deps) -> tuple[str, object, threading.Thread]:
    server = make_http_server(app, deps, host="127.0.0.1", port=0, dispatcher_alive=lambda: True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.effective_port}/slack/events", server, thread


def run(url: str, codes: list[str], total: int, concurrency: int, slack: SlackStandIn,
        expect: bytes) -> list[float]:
    signer = SlackRequests(SECRET)
    response_url = slack.new_response_url()

    def one(i: int) -> float:
        body, headers = signer.slash_command("U0ANA", random.choice(codes),  # noqa: S311
                                             response_url=response_url)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - local
            reply = answer.read()
        elapsed = time.perf_counter() - started
        if expect not in reply:
            raise RuntimeError(f"unexpected reply: {reply[:200]!r}")
        return elapsed * 1000

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(total)))


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def measure(url: str, codes: list[str], args: argparse.Namespace, slack: SlackStandIn,
            expect: bytes) -> tuple[float, float, float, float]:
    """p50, p99 (ms) and user, system CPU (ms) of this process a request."""
    cpu = os.times()
    latencies = run(url, codes, args.requests, args.concurrency, slack, expect)
    user, system = ((after - before) * 1000 / args.requests
                    for after, before in zip(os.times()[:2], cpu[:2], strict=True))
    return percentile(latencies, 50), percentile(latencies, 99), user, system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="a round, for each app")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of (bare, ours) in turn; the median round decides")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (a fresh database is made on it and dropped "
                             "afterwards); default: SQLite in a temporary directory")
    parser.add_argument("--sqlite-synchronous", choices=("full", "normal"), default=None,
                        help="override SQLite's PRAGMA synchronous (WAL + normal: no fsync per "
                             "commit), to measure what the commit's fsync costs")
    args = parser.parse_args()

    with scratch_database(args.database_url) as url, SlackStandIn() as slack:
        engine = make_engine(url)
        if args.sqlite_synchronous and engine.dialect.name == "sqlite":
            mode = args.sqlite_synchronous.upper()
            event.listen(engine, "connect",
                         lambda conn, _rec: conn.execute(f"PRAGMA synchronous={mode}"))
        upgrade(engine)
        store = Store(engine, Keyring.from_env(generate_key()))
        started = time.perf_counter()
        codes = seed(store, args.clients)
        print(f"seeded {len(codes)} clients in {time.perf_counter() - started:.1f}s")
        deps = Deps(store=store, policy=contract_policy(), clock=ManualClock(NOW),
                    bot_token="xoxb-bench", slack_api_url=slack.api_url)  # noqa: S106
        ours_url, ours_server, ours_thread = serve(
            create_app(deps, signing_secret=SECRET, token="xoxb-bench"), deps)  # noqa: S106
        bare_url, bare_server, bare_thread = serve(bare_app(slack), deps)
        apps = {"bare Bolt": (bare_url, b"OK"), "contact-check": (ours_url, b"OK to call")}
        rounds: list[dict[str, tuple[float, float, float, float]]] = []
        try:
            warm = max(50, args.requests // 20)
            for target, expect in apps.values():
                run(target, codes, warm, args.concurrency, slack, expect)
            batches_before = store.audit_writer.batches
            for number in range(args.rounds):
                order = list(apps) if number % 2 == 0 else list(reversed(apps))
                rounds.append({name: measure(apps[name][0], codes, args, slack, apps[name][1])
                               for name in order})
            batches = store.audit_writer.batches - batches_before
        finally:
            for server, thread in ((ours_server, ours_thread), (bare_server, bare_thread)):
                stop_http_server(server)
                thread.join(timeout=5)
        engine.dispose()
    print(f"{args.requests} requests a round, {args.rounds} rounds, {args.concurrency} "
          f"concurrent, {args.clients} clients, {engine.dialect.name}"
          + (f", synchronous={args.sqlite_synchronous}" if args.sqlite_synchronous else ""))
    ratios = []
    for number, figures in enumerate(rounds, 1):
        for name in apps:
            p50, p99, user, system = figures[name]
            print(f"  round {number} {name:14s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                  f"CPU a request {user:4.2f} ms user + {system:4.2f} ms system")
        ratios.append((figures["contact-check"][1] / figures["bare Bolt"][1], number))
    views = args.requests * args.rounds
    print(f"  audit: {views} card views committed in {batches} transactions "
          f"({views / max(batches, 1):.1f} events per commit)")
    ratio, median = sorted(ratios)[len(ratios) // 2]
    ours99 = rounds[median - 1]["contact-check"][1]
    holds = ratio <= 1.5 and ours99 < 300
    print(f"  p99 ratio by round: {', '.join(f'{r:.2f}x' for r, _ in ratios)}; median (round "
          f"{median}) {ratio:.2f}x bare, contact-check p99 {ours99:.1f} ms; "
          f"goal (<= 1.5x and < 300 ms): {'met' if holds else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
