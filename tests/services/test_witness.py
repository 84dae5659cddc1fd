"""The audit trail's daily witness: its head (count and hash only) DMed to every admin at the
clinic's opening time on open days, through the outbox; a head that does not verify is reported
instead; ``verify-audit --expect-head`` accepts what was posted."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.clock import ManualClock
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.policy.business_hours import opening_on
from bot.policy.clinic import Clinic, ClinicPolicy, DailyWindow, HolidayCalendar, TeamMember
from bot.sandbox.standin import SlackStandIn
from bot.scheduling import PERIODIC
from bot.services.witness import WITNESS_KIND, queue_witness
from storage.audit import verify_trail
from storage.keycheck import ensure_keys
from storage.tables import OutboxMessage
from storage.uow import Store
from tests.storage.seeding import client_record

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
WEEKDAYS = dict.fromkeys(range(5), DailyWindow(time(9), time(17)))
TEAM = (
    TeamMember(slack_id="U0ANA", role="clinician", first_name="Ana"),
    TeamMember(slack_id="U0ADMIN", role="admin", first_name="Lee"),
    TeamMember(slack_id="U0DIRECTOR", role="admin", first_name="Dana"),
)


def clinic(tz: ZoneInfo = NEW_YORK, opens: time = time(9)) -> Clinic:
    return Clinic(name="Great Agency", timezone=tz,
                  hours=dict.fromkeys(range(5), DailyWindow(opens, time(17))),
                  holidays=HolidayCalendar(country="US", extra=frozenset({date(2026, 12, 24)})))


def policy(tz: ZoneInfo = NEW_YORK, opens: time = time(9)) -> ClinicPolicy:
    return ClinicPolicy(clinic=clinic(tz, opens), team=TEAM)


@pytest.mark.parametrize(("tz", "day", "opens", "expected_utc"), [
    pytest.param(NEW_YORK, date(2026, 11, 24), time(9), datetime(2026, 11, 24, 14, 0),
                 id="a Tuesday in New York: 09:00 EST"),
    pytest.param(LOS_ANGELES, date(2026, 11, 24), time(9), datetime(2026, 11, 24, 17, 0),
                 id="the same Tuesday in Los Angeles: 09:00 PST"),
    pytest.param(NEW_YORK, date(2026, 11, 28), time(9), None, id="a Saturday: closed"),
    pytest.param(NEW_YORK, date(2026, 11, 26), time(9), None, id="Thanksgiving: a holiday"),
    pytest.param(NEW_YORK, date(2026, 12, 24), time(9), None, id="an extra clinic closure"),
    pytest.param(NEW_YORK, date(2026, 11, 2), time(9), datetime(2026, 11, 2, 14, 0),
                 id="the Monday after DST ends (2026-11-01): 09:00 EST"),
    pytest.param(NEW_YORK, date(2026, 3, 9), time(9), datetime(2026, 3, 9, 13, 0),
                 id="the Monday after DST starts (2026-03-08): 09:00 EDT"),
    pytest.param(LOS_ANGELES, date(2026, 3, 9), time(8, 30), datetime(2026, 3, 9, 15, 30),
                 id="an 08:30 opening in Los Angeles after DST starts"),
])
def test_the_opening_time_of_a_day(tz: ZoneInfo, day: date, opens: time,
                                   expected_utc: datetime | None) -> None:
    found = opening_on(clinic(tz, opens), day)
    assert found == (expected_utc.replace(tzinfo=UTC) if expected_utc else None)


def _queued(store: Store) -> list[OutboxMessage]:
    with store.unit_of_work(read_only=True) as uow:
        rows = list(uow.session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == WITNESS_KIND).order_by(OutboxMessage.recipient)).all())
        uow.session.expunge_all()
    return rows


def _tick(store: Store, clinic_policy: ClinicPolicy, now: datetime) -> datetime | None:
    with store.unit_of_work() as uow:
        due = queue_witness(uow, clinic_policy, now)
        uow.commit()
    return due


@pytest.mark.parametrize(("now", "due"), [
    pytest.param(datetime(2026, 11, 24, 6, 0, tzinfo=UTC), datetime(2026, 11, 24, 14, 0),
                 id="01:00 on an open day: due at 09:00"),
    pytest.param(datetime(2026, 11, 24, 20, 0, tzinfo=UTC), datetime(2026, 11, 24, 14, 0),
                 id="after closing on an open day (the bot was down): at once"),
    pytest.param(datetime(2026, 11, 28, 15, 0, tzinfo=UTC), None, id="Saturday: nothing"),
    pytest.param(datetime(2026, 11, 26, 15, 0, tzinfo=UTC), None, id="Thanksgiving: nothing"),
])
def test_every_admin_gets_the_days_head_once(store: Store, now: datetime,
                                             due: datetime | None) -> None:
    clinic_policy = policy()
    first = _tick(store, clinic_policy, now)
    assert first == (due.replace(tzinfo=UTC) if due else None)
    assert _tick(store, clinic_policy, now + timedelta(minutes=10)) == first  # no second row
    rows = _queued(store)
    if due is None:
        assert rows == []
        return
    assert [(r.recipient, r.due_at) for r in rows] == [
        ("U0ADMIN", due.replace(tzinfo=UTC)), ("U0DIRECTOR", due.replace(tzinfo=UTC))]
    assert all(r.payload == {"day": r.payload["day"]} for r in rows)  # a date, nothing else


def test_the_witness_is_a_periodic_job() -> None:
    assert "audit-witness" in [job_id for job_id, _seconds, _run in PERIODIC]


def _send(store: Store, clinic_policy: ClinicPolicy, clock: ManualClock,
          slack: SlackStandIn) -> list[dict]:
    deps = Deps(store=store, policy=clinic_policy, clock=clock, bot_token="xoxb-test",
                slack_api_url=slack.api_url, send_rate=50)
    Dispatcher(deps, per_channel_interval=0.0).drain(max_seconds=10)
    return [c.params for c in slack.calls_to("chat.postMessage")]


def test_the_head_is_posted_at_opening_with_no_client_data(store: Store) -> None:
    with store.unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)
        record, values = client_record("C-1042")
        uow.clients.save(record, now=datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
        uow.commit()
    store.audit_writer.append("U0ANA", "card.viewed", "C-1042", {"level": "details"})
    clinic_policy = policy()
    clock = ManualClock(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))  # 08:00 in New York
    _tick(store, clinic_policy, clock.now())
    with SlackStandIn() as slack:
        assert _send(store, clinic_policy, clock, slack) == []  # not before opening
        clock.advance(timedelta(hours=1))
        posted = _send(store, clinic_policy, clock, slack)
    assert sorted(p["channel"] for p in posted) == ["U0ADMIN", "U0DIRECTOR"]
    head = verify_trail(store.engine, store.keyring)
    for params in posted:
        assert f"{head.events} event(s), head {head.head}" in params["text"]
        shown = json.dumps(params, ensure_ascii=False)
        assert "C-1042" not in shown
        assert not [v for v in values.values() if v in shown]
    kept = posted[0]["text"].rsplit("head ", 1)[1]
    store.audit_writer.append("U0ANA", "card.viewed", "C-1042")
    assert verify_trail(store.engine, store.keyring, expect_head=kept).reached == head.events


def test_a_head_that_does_not_verify_is_reported_not_posted(store: Store) -> None:
    with store.unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)
        uow.commit()
    for _ in range(3):
        store.audit_writer.append("U0ANA", "card.viewed", "C-1042")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET events = 2"))
    clinic_policy = replace(policy(), team=TEAM[1:2])
    clock = ManualClock(datetime(2026, 11, 24, 14, 0, tzinfo=UTC))
    _tick(store, clinic_policy, clock.now())
    with SlackStandIn() as slack:
        (posted,) = _send(store, clinic_policy, clock, slack)
    assert "does not verify" in posted["text"]
    assert "verify-audit" in json.dumps(posted["blocks"])
