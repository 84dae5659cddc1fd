"""Run-ins: documenting, sealing, auditing, and the follow-up reminder at the next appointment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.policy.model import ClientRecord
from bot.policy_file.validation import parse_policy
from bot.services import runins
from bot.services.authorise import Refused
from bot.services.runins import RunInForm
from storage.audit import verify_chain
from storage.tables import Appointment, AuditEvent, OutboxMessage, RunIn
from storage.uow import Store

POLICY = parse_policy({
    "clinic": {"name": "Great Agency", "timezone": "America/New_York",
               "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}},
    "team": [
        {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
        {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
        {"slack_id": "U0BEN", "role": "clinician", "first_name": "Ben", "supervisor": "U0JAMIE"},
        {"slack_id": "U0DESK", "role": "front_desk", "first_name": "Sam"},
        {"slack_id": "U0ADMIN", "role": "admin", "first_name": "Lee"},
    ],
})
PLACE = "Canary Grocery on Elm Street"
SUMMARY = "Canary said hello by the apples"


def _form(**changes: str) -> RunInForm:
    values = {"date": "2026-11-21", "time": "11:30", "place": PLACE, "initiated_by": "client",
              "summary": SUMMARY, "revisit": "Canary how it felt"}
    values.update(changes)
    return RunInForm(**values)


def _client(store: Store, code: str = "C-1042", clinician: str = "U0ANA") -> None:
    with store.unit_of_work() as uow:
        uow.clients.save(ClientRecord(code=code, clinician=clinician, preferred_name="Canary Name"))
        uow.commit()


def _appointment(store: Store, start: datetime, code: str = "C-1042") -> None:
    with store.unit_of_work() as uow:
        uow.appointments.save(uow.clients.row(code), start, 50)
        uow.commit()


def _record(store: Store, clock: ManualClock, actor: str = "U0ANA", **form: str):
    with store.unit_of_work() as uow:
        saved = runins.record_runin(uow, POLICY, actor=actor, client_code="C-1042",
                                    form=_form(**form), now=clock.now())
        uow.commit()
        return saved


def test_a_run_in_is_stored_sealed_audited_and_readable_by_the_treating_team(
        store: Store, clock: ManualClock) -> None:
    _client(store)
    saved = _record(store, clock)
    assert saved.ok and saved.run_in_id is not None
    assert saved.occurred_at == datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
    assert saved.followup_at is None  # no appointment booked yet
    with store.unit_of_work() as uow:
        row = uow.session.get(RunIn, saved.run_in_id)
        assert row is not None and row.clinician == "U0ANA" and row.initiated_by == "client"
        for blob in (row.place_enc, row.summary_enc, row.revisit_enc):
            assert blob is not None and b"Canary" not in bytes(blob)
        events = uow.session.exec(select(AuditEvent)).all()
        assert [e.action for e in events] == ["runin.recorded"]
        assert "Canary" not in str(events[0].details)
        assert verify_chain(uow.session).ok
    with store.unit_of_work() as uow:
        record = runins.read_runin(uow, POLICY, actor="U0JAMIE", run_in_id=saved.run_in_id,
                                   now=clock.now())
        uow.commit()
    assert (record.place, record.summary, record.client_code) == (PLACE, SUMMARY, "C-1042")
    with store.unit_of_work() as uow:
        actions = [e.action for e in uow.session.exec(select(AuditEvent))]
    assert actions == ["runin.recorded", "runin.viewed"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"date": "21/11/2026"}, "date"),
    ({"date": "2026-11-25"}, "date"),  # tomorrow: in the future
    ({"time": "25:00"}, "time"),
    ({"time": "9"}, "time"),
    ({"place": "   "}, "place"),
    ({"place": "x" * 201}, "place"),
    ({"initiated_by": ""}, "initiated_by"),
    ({"initiated_by": "stranger"}, "initiated_by"),
    ({"summary": "y" * 1001}, "summary"),
])
def test_a_bad_form_says_what_to_fix_and_stores_nothing(
        store: Store, clock: ManualClock, changes: dict[str, str], field: str) -> None:
    _client(store)
    saved = _record(store, clock, **changes)
    assert not saved.ok and field in saved.errors and saved.run_in_id is None
    with store.unit_of_work() as uow:
        assert uow.session.exec(select(RunIn)).all() == []
        assert uow.session.exec(select(AuditEvent)).all() == []


@pytest.mark.parametrize(("actor", "allowed"), [
    ("U0ANA", True), ("U0JAMIE", True), ("U0ADMIN", True),
    ("U0BEN", False), ("U0DESK", False), ("U0STRANGER", False),
])
def test_only_the_treating_team_documents_a_run_in(
        store: Store, clock: ManualClock, actor: str, allowed: bool) -> None:
    _client(store)
    with store.unit_of_work() as uow:
        if allowed:
            draft = runins.start_runin(uow, POLICY, actor=actor, client_code="C-1042",
                                       now=clock.now())
            assert (draft.date, draft.time) == ("2026-11-24", "10:00")
            return
        with pytest.raises(Refused):
            runins.start_runin(uow, POLICY, actor=actor, client_code="C-1042", now=clock.now())
        with pytest.raises(Refused):
            runins.record_runin(uow, POLICY, actor=actor, client_code="C-1042", form=_form(),
                                now=clock.now())
    with store.unit_of_work() as uow:
        assert uow.session.exec(select(RunIn)).all() == []


@pytest.mark.parametrize("code", ["C-9999", "bad code!", ""])
def test_unknown_or_malformed_codes_are_refused_with_a_reason(
        store: Store, clock: ManualClock, code: str) -> None:
    with store.unit_of_work() as uow, pytest.raises(Refused) as refused:
        runins.start_runin(uow, POLICY, actor="U0ANA", client_code=code, now=clock.now())
    assert "client" in str(refused.value)


def test_the_followup_is_queued_before_the_next_appointment(
        store: Store, clock: ManualClock) -> None:
    _client(store)
    start = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)  # Wed 14:00 New York
    _appointment(store, start)
    saved = _record(store, clock)
    assert saved.followup_at == start - timedelta(minutes=10)
    with store.unit_of_work() as uow:
        rows = uow.session.exec(select(OutboxMessage)).all()
        assert len(rows) == 1
        message = rows[0]
        assert (message.kind, message.recipient, message.priority) == ("runin_followup", "U0ANA", 4)
        assert message.payload["client_code"] == "C-1042"
        assert "Canary" not in str(message.payload)
        assert runins.followup_still_wanted(uow, message, clock.now()) is None
    with store.unit_of_work() as uow:  # sweeping again queues nothing new
        assert runins.sweep_followups(uow, clock.now()) == 0
        uow.commit()
        assert len(uow.session.exec(select(OutboxMessage)).all()) == 1


def test_an_appointment_booked_later_is_picked_up_by_the_sweep(
        store: Store, clock: ManualClock) -> None:
    _client(store)
    _record(store, clock)
    start = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    _appointment(store, start)
    with store.unit_of_work() as uow:
        assert runins.sweep_followups(uow, clock.now()) == 1
        uow.commit()
    with store.unit_of_work() as uow:
        message = uow.session.exec(select(OutboxMessage)).one()
        assert message.due_at == start - timedelta(minutes=10)


def _set(store: Store, model: type, **values: object) -> None:
    with store.unit_of_work() as uow:
        for row in uow.session.exec(select(model)).all():
            for name, value in values.items():
                setattr(row, name, value)
            uow.session.add(row)
        uow.commit()


def test_after_a_no_show_the_reminder_moves_to_the_next_appointment_and_closes_on_arrival(
        store: Store, clock: ManualClock) -> None:
    _client(store)
    first = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    second = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    _appointment(store, first)
    _appointment(store, second)
    saved = _record(store, clock)
    assert saved.followup_at == first - timedelta(minutes=10)
    clock.set(first + timedelta(minutes=30))
    _set(store, OutboxMessage, status="sent", sent_at=first)
    with store.unit_of_work() as uow:
        appt = uow.appointments.save(uow.clients.row("C-1042"), first, 50)[0]
        appt.status = "no_show"
        uow.commit()
    with store.unit_of_work() as uow:
        assert runins.sweep_followups(uow, clock.now()) == 1
        uow.commit()
    with store.unit_of_work() as uow:
        dues = sorted(m.due_at for m in uow.session.exec(select(OutboxMessage)))
        assert dues == [first - timedelta(minutes=10), second - timedelta(minutes=10)]
    clock.set(second + timedelta(minutes=5))
    _set(store, OutboxMessage, status="sent")
    with store.unit_of_work() as uow:
        appt = uow.appointments.save(uow.clients.row("C-1042"), second, 50)[0]
        appt.status = "arrived"
        uow.commit()
    with store.unit_of_work() as uow:
        assert runins.sweep_followups(uow, clock.now()) == 0
        uow.commit()
    with store.unit_of_work() as uow:
        row = uow.session.exec(select(RunIn)).one()
        assert row.followed_up_at == clock.now()
        assert uow.runins.open_rows() == []


def test_asked_closes_the_run_in_and_cancels_its_reminder_once(
        store: Store, clock: ManualClock) -> None:
    _client(store)
    _appointment(store, datetime(2026, 11, 25, 19, 0, tzinfo=UTC))
    saved = _record(store, clock)
    for expected in (True, False):  # a double click changes nothing the second time
        with store.unit_of_work() as uow:
            code, changed = runins.mark_followed_up(uow, POLICY, actor="U0ANA",
                                                    run_in_id=saved.run_in_id, now=clock.now())
            uow.commit()
        assert (code, changed) == ("C-1042", expected)
    with store.unit_of_work() as uow:
        message = uow.session.exec(select(OutboxMessage)).one()
        assert message.status == "cancelled"
        assert runins.followup_still_wanted(uow, message, clock.now()) is not None
        actions = [e.action for e in uow.session.exec(select(AuditEvent))]
    assert actions.count("runin.followed_up") == 1


def test_a_cancelled_appointment_is_not_reminded(store: Store, clock: ManualClock) -> None:
    _client(store)
    _appointment(store, datetime(2026, 11, 25, 19, 0, tzinfo=UTC))
    _record(store, clock)
    _set(store, Appointment,
         status="cancelled")
    with store.unit_of_work() as uow:
        message = uow.session.exec(select(OutboxMessage)).one()
        assert runins.followup_still_wanted(uow, message, clock.now()) == (
            "the appointment is no longer happening")


def test_the_reminder_is_a_registered_delivery_that_renders_codes_and_times(
        store: Store, clock: ManualClock) -> None:
    from bot.outbox_kinds import OUTBOX_KINDS

    assert runins.FOLLOWUP_KIND in OUTBOX_KINDS  # the dispatcher sends it
    delivery = OUTBOX_KINDS[runins.FOLLOWUP_KIND]
    _client(store)
    _appointment(store, datetime(2026, 11, 25, 19, 0, tzinfo=UTC))
    _record(store, clock)
    with store.unit_of_work() as uow:
        message = uow.session.exec(select(OutboxMessage)).one()
        assert delivery.still_wanted(uow, message, clock.now()) is None
        rendered = delivery.prepare(uow, POLICY, message, clock.now())
    assert "C-1042 has an appointment at Wed 25 Nov 14:00" in rendered.text
    assert "Canary" not in str(rendered)


def test_the_same_submission_twice_is_stored_once(store: Store, clock: ManualClock) -> None:
    _client(store)
    results = []
    for _ in range(2):
        with store.unit_of_work() as uow:
            results.append(runins.record_runin(uow, POLICY, actor="U0ANA", client_code="C-1042",
                                               form=_form(), now=clock.now(),
                                               submission_id="V0MODAL1"))
            uow.commit()
    assert [r.duplicate for r in results] == [False, True]
    assert all(r.ok for r in results)
    with store.unit_of_work() as uow:
        assert len(uow.session.exec(select(RunIn)).all()) == 1
