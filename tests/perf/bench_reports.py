"""Benchmark (issue 16): the team report of a month and one client's access report on a year of
activity for 50 clinicians: about 100,000 audit events, 20,000 call-backs, 40,000 appointments
(with their no-show chases), approvals and run-ins.

Goals: the month report (an admin's: everyone) under 300 ms; one client's access report under
100 ms. Prints the median and worst of several runs.

    .venv/bin/python tests/perf/bench_reports.py                       # SQLite
    .venv/bin/python tests/perf/bench_reports.py --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.policy.reports import last_full_month
from bot.policy_file.validation import parse_policy
from bot.services.reports import access_report, team_report
from storage.audit import AuditEntry
from storage.crypto import Keyring, generate_key
from storage.db import make_engine
from storage.migrate import upgrade
from storage.tables import (
    Appointment,
    Approval,
    CallbackDuty,
    Client,
    OutboxMessage,
    RunIn,
)
from storage.uow import Store
from tests.perf.scratch_db import scratch_database

CLINICIANS = 50
CLIENTS = 2000
CALLBACKS = 20_000
APPOINTMENTS = 40_000
AUDIT_EVENTS = 100_000
START = datetime(2025, 12, 1, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
VIEWS = ("card.viewed", "consent.viewed", "runin.viewed", "callback.details_viewed")
OTHER = ("callback.returned", "appointment.recorded", "appointment.arrived", "card.refused")


def policy_for(clinicians: list[str]):  # type: ignore[no-untyped-def]
    team = [{"slack_id": "U0SUP", "role": "supervisor", "first_name": "Sup"},
            {"slack_id": "U0ADMIN", "role": "admin", "first_name": "Lee"}]
    team += [{"slack_id": c, "role": "clinician", "first_name": f"C{i}", "supervisor": "U0SUP"}
             for i, c in enumerate(clinicians)]
    return parse_policy({"clinic": {"name": "Bench", "timezone": "America/New_York",
                                    "hours": {d: "09:00-17:00"
                                              for d in ("mon", "tue", "wed", "thu", "fri")}},
                         "team": team})


def at(rng: random.Random) -> datetime:
    return START + timedelta(seconds=rng.randrange(int((NOW - START).total_seconds())))


def seed(store: Store, clinicians: list[str]) -> None:
    rng = random.Random(16)
    t0 = time.perf_counter()
    with store.unit_of_work() as uow:
        conn = uow.session.connection()
        clients = [{"id": uuid.uuid4(), "code": f"C-{i:04d}", "clinician": clinicians[i % 50],
                    "status": "active", "created_at": START, "updated_at": START}
                   for i in range(CLIENTS)]
        conn.execute(Client.__table__.insert(), clients)  # type: ignore[attr-defined]
        duties = []
        for _ in range(CALLBACKS):
            called = at(rng)
            due = called + timedelta(hours=24)
            returned = called + timedelta(hours=rng.choice((2, 5, 20, 30, 50)))
            done = returned < NOW and rng.random() < 0.95
            duties.append({"id": uuid.uuid4(), "client_id": rng.choice(clients)["id"],
                           "clinician": rng.choice(clinicians), "logged_by": "U0DESK",
                           "called_at": called, "voicemail_left": True, "owed": True,
                           "due_at": due, "status": "returned" if done else "open",
                           "closed_at": returned if done else None})
        conn.execute(CallbackDuty.__table__.insert(), duties)  # type: ignore[attr-defined]
        appointments, chases = [], []
        for i in range(APPOINTMENTS):
            client = clients[i % CLIENTS]
            start = START + timedelta(days=i // 120, hours=i % 8, minutes=(i % 120) // 8)
            appt_id = uuid.uuid4()
            status = rng.choice(("arrived", "arrived", "arrived", "no_show", "scheduled"))
            appointments.append({"id": appt_id, "client_id": client["id"],
                                 "clinician": client["clinician"], "start_at": start,
                                 "minutes": 50, "status": status,
                                 "marked_at": start + timedelta(minutes=rng.randrange(5, 60)),
                                 "created_at": START})
            if rng.random() < 0.3:
                sent = start + timedelta(minutes=20)
                chases.append({"id": uuid.uuid4(), "kind": "no_show_chase", "priority": 1,
                               "recipient": client["clinician"], "due_at": sent,
                               "available_at": sent, "payload": {}, "status": "sent",
                               "attempts": 1, "sent_at": sent, "subject_kind": "appointment",
                               "subject_id": appt_id, "created_at": START})
        conn.execute(Appointment.__table__.insert(), appointments)  # type: ignore[attr-defined]
        conn.execute(OutboxMessage.__table__.insert(), chases)  # type: ignore[attr-defined]
        approvals = []
        for _ in range(2000):
            created = at(rng)
            status = rng.choice(("approved", "denied", "withdrawn", "pending"))
            clinician = rng.choice(clinicians)
            approvals.append({"id": uuid.uuid4(), "kind": rng.choice(
                ("closure_warning", "phone_coaching")), "client_id": rng.choice(clients)["id"],
                "requester": clinician, "approver": "U0SUP", "status": status,
                "details": {"clinician": clinician}, "created_at": created,
                "decided_at": None if status == "pending" else created + timedelta(hours=3)})
        conn.execute(Approval.__table__.insert(), approvals)  # type: ignore[attr-defined]
        runins = [{"id": uuid.uuid4(), "client_id": rng.choice(clients)["id"],
                   "clinician": rng.choice(clinicians), "occurred_at": (t := at(rng)),
                   "initiated_by": "client", "created_by": "U0X", "created_at": t,
                   "followed_up_at": t + timedelta(days=3) if rng.random() < 0.5 else None}
                  for _ in range(1000)]
        conn.execute(RunIn.__table__.insert(), runins)  # type: ignore[attr-defined]
        uow.commit()
    moments = sorted(at(rng) for _ in range(AUDIT_EVENTS))
    entries = [AuditEntry(rng.choice(clinicians),
                          rng.choice(VIEWS) if rng.random() < 0.6 else rng.choice(OTHER),
                          rng.choice(clients)["code"], {"level": "details"}, m)
               for m in moments]
    for i in range(0, len(entries), 5000):
        with store.unit_of_work() as uow:
            uow.audit.append_many(entries[i:i + 5000])
            uow.commit()
    print(f"seeded in {time.perf_counter() - t0:.1f} s: {CLIENTS} clients, {CALLBACKS} "
          f"call-backs, {APPOINTMENTS} appointments ({len(chases)} chases), {len(approvals)} "
          f"approvals, {len(runins)} run-ins, {AUDIT_EVENTS} audit events")


def timed(run, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    clinicians = [f"U0CL{i:03d}" for i in range(CLINICIANS)]
    policy = policy_for(clinicians)
    with scratch_database(args.database_url) as url:
        engine = make_engine(url)
        upgrade(engine)
        store = Store(engine, Keyring.from_env(generate_key()))
        seed(store, clinicians)
        admin = policy.member("U0ADMIN")
        month = last_full_month(date(2026, 12, 1))

        def month_report() -> None:
            with store.unit_of_work(read_only=True) as uow:
                report = team_report(uow, policy, admin, month, NOW)
            assert report.figures.total.callbacks.owed > 1000

        def one_access_report() -> None:
            with store.unit_of_work() as uow:
                report = access_report(uow, policy, "c-0042", None, actor="U0ADMIN", now=NOW)
                uow.commit()
            assert len(report.entries) > 10

        month_report()
        one_access_report()  # warm
        median, worst = timed(month_report, args.repeat)
        print(f"month report ({month.text()}, admin, 50 clinicians): median {median:.0f} ms, "
              f"worst {worst:.0f} ms (goal < 300 ms)")
        a_median, a_worst = timed(one_access_report, args.repeat)
        print(f"access report for one client (all time, audited): median {a_median:.0f} ms, "
              f"worst {a_worst:.0f} ms (goal < 100 ms)")
        engine.dispose()
    return 0 if median < 300 and a_median < 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
