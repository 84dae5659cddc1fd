"""Call-back duties on both databases: missed calls, owed/due, reminders, returned, the re-check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.outbox_kinds import OUTBOX_KINDS
from bot.policy.model import ClientRecord
from bot.policy_file.validation import parse_policy
from bot.services import callbacks
from bot.services.authorise import Refused
from bot.services.callbacks import REMINDER_KIND
from storage.audit import verify_chain
from storage.tables import AuditEvent, CallbackDuty
from storage.uow import Store
from tests.services.conftest import NOW, PHONE, consent

POLICY = parse_policy({
    "clinic": {"name": "Great Agency", "timezone": "America/New_York",
               "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
               "holidays": {"country": "US"}},
    "callbacks": {"turnaround_hours": 24, "remind_before": ["4h", "1h"]},
    "team": [
        {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
        {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
        {"slack_id": "U0BEN", "role": "clinician", "first_name": "Ben"},
        {"slack_id": "U0DESK", "role": "front_desk", "first_name": "Sam"},
        {"slack_id": "U0ADMIN", "role": "admin", "first_name": "Lee"},
    ],
})


def log(store: Store, **kw):
    args = {"actor": "U0DESK", "now": NOW} | kw
    with store.unit_of_work() as uow:
        result = callbacks.log_missed(uow, POLICY, **args)
        uow.commit()
    return result


def reminders(store: Store) -> list:
    with store.unit_of_work() as uow:
        return [(r.due_at, r.recipient, r.status, r.priority, dict(r.payload))
                for r in uow.outbox.waiting(kinds=[REMINDER_KIND])]


def test_missed_call_from_a_client_is_owed_with_reminders_before_and_at_the_due_time(
    store: Store, client: ClientRecord
) -> None:
    result = log(store, code="C-1042", voicemail=True)
    # seed 001: 24 hours from Tue 10:00 is Wed 10:00
    due = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wed 10:00
    assert result.due.owed and result.due.due_at == due
    assert result.clinician == "U0ANA" and result.client_code == "C-1042"
    assert result.guidance.verdict.value == "OK to call"
    assert not result.calls_refused
    rows = reminders(store)
    assert [r[0] for r in rows] == [
        datetime(2026, 11, 24, 19, 0, tzinfo=UTC),  # Tue 14:00: 4 business hours before
        datetime(2026, 11, 25, 14, 0, tzinfo=UTC),  # Wed 09:00: 1 business hour before
        due,
    ]
    assert {r[1] for r in rows} == {"U0ANA"} and {r[3] for r in rows} == {5}
    assert [r[4]["final"] for r in rows] == [False, False, True]
    assert all(set(r[4]) == {"duty_id", "client_code", "final"} for r in rows)  # no PHI


@pytest.mark.parametrize(
    ("seed", "called_at", "due", "first_reminder"),
    [
        ("001: Wed 15:00, Thanksgiving next day: Fri 15:00",
         datetime(2026, 11, 25, 20, 0, tzinfo=UTC), datetime(2026, 11, 27, 20, 0, tzinfo=UTC),
         datetime(2026, 11, 27, 16, 0, tzinfo=UTC)),  # Fri 11:00: 4 business hours before
        ("001: Sat 12:00: the clock starts at Monday's opening",
         datetime(2026, 11, 28, 17, 0, tzinfo=UTC), datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
         datetime(2026, 11, 30, 18, 0, tzinfo=UTC)),  # Mon 13:00
    ],
)
def test_the_due_time_follows_the_call_back_clock(
    store: Store, client: ClientRecord, seed: str, called_at: datetime, due: datetime,
    first_reminder: datetime,
) -> None:
    result = log(store, code="C-1042", voicemail=True, now=called_at)
    assert result.due.due_at == due, seed
    assert result.reminders[0] == first_reminder and result.reminders[-1] == due


REFUSING = replace(consent(may_call=False), numbers=(
    replace(consent().numbers[0], do_not_call=True, do_not_call_reason="Kestrel reason"),
))


@pytest.mark.parametrize(
    ("seed", "how", "voicemail", "require_voicemail"),
    [
        ("000: no call without permission, by code, voicemail", "code", True, False),
        ("000: no call without permission, by code, no voicemail", "code", False, False),
        ("000: no call without permission, by the number on file", "phone", True, False),
        ("000: no call without permission, whatever the voicemail rule", "code", True, True),
        ("000: no call without permission, voicemail not said", "code", None, True),
    ],
)
def test_a_missed_call_from_a_client_who_refused_calls_owes_nothing(
    store: Store, client: ClientRecord, seed: str, how: str, voicemail: bool | None,
    require_voicemail: bool,
) -> None:
    with store.unit_of_work() as uow:
        uow.clients.save(replace(client, consent=REFUSING), now=NOW)
        uow.commit()
    pol = replace(POLICY, callbacks=replace(POLICY.callbacks, require_voicemail=require_voicemail))
    with store.unit_of_work() as uow:
        target = {"code": "C-1042"} if how == "code" else {"phone": PHONE}
        result = callbacks.log_missed(uow, pol, actor="U0DESK", voicemail=voicemail, now=NOW,
                                      **target)
        uow.commit()
    assert result.client_code == "C-1042", seed
    assert result.calls_refused and not result.due.owed
    assert result.due.due_at is None and result.reminders == ()
    assert "not given permission to be called" in " ".join(result.due.reasons)
    assert "Kestrel" not in str(result.due)  # the do-not-call reason is never given
    assert reminders(store) == []
    with store.unit_of_work() as uow:
        duty = uow.callbacks.get(result.duty_id)
        assert duty.status == "not_owed" and not duty.owed and duty.due_at is None
        [event] = [e for e in uow.session.exec(select(AuditEvent))
                   if e.action == "callback.missed"]
        assert event.details["calls_refused"] is True and event.details["reminders"] == 0
        assert uow.outbox.for_subject("callback", duty.id) == []


def test_an_open_duty_sends_nothing_once_the_client_refuses_calls(
    store: Store, client: ClientRecord
) -> None:
    from bot.deps import Deps
    from bot.dispatcher import Dispatcher
    from bot.sandbox.standin import SlackStandIn

    missed = log(store, code="C-1042", voicemail=True)
    assert len(missed.reminders) == 3
    with store.unit_of_work() as uow:  # the client withdraws permission to be called
        uow.clients.save(replace(client, consent=REFUSING), now=NOW + timedelta(minutes=5))
        uow.commit()
    clock = ManualClock(NOW)
    with SlackStandIn() as slack:
        deps = Deps(store=store, policy=POLICY, clock=clock, bot_token="xoxb-test",
                    slack_api_url=slack.api_url, send_rate=50)
        dispatcher = Dispatcher(deps, per_channel_interval=0)
        for at in missed.reminders:
            clock.set(at)
            report = dispatcher.drain()
            assert report.sent == 0 and report.cancelled == 1
        assert slack.messages(slack.dm_channel("U0ANA")) == []
    with store.unit_of_work() as uow:
        rows = uow.outbox.for_subject("callback", missed.duty_id)
        assert {r.status for r in rows} == {"cancelled"}
        assert {r.last_error for r in rows} == {"not sent: the client no longer consents to calls"}


def test_a_double_submit_logs_the_call_once(store: Store, client: ClientRecord) -> None:
    first = log(store, code="C-1042", voicemail=True)
    again = log(store, code="C-1042", voicemail=True, now=NOW + timedelta(seconds=30))
    assert again.already_logged and again.duty_id == first.duty_id
    assert len(reminders(store)) == 3
    later = log(store, code="C-1042", voicemail=True, now=NOW + timedelta(minutes=30))
    assert not later.already_logged and later.duty_id != first.duty_id


def test_no_voicemail_under_require_voicemail_owes_nothing(store: Store,
                                                          client: ClientRecord) -> None:
    strict = replace(POLICY, callbacks=replace(POLICY.callbacks, require_voicemail=True))
    with store.unit_of_work() as uow:
        result = callbacks.log_missed(uow, strict, actor="U0ANA", code="C-1042",
                                      voicemail=False, now=NOW)
        uow.commit()
    assert not result.due.owed and result.reminders == ()
    assert reminders(store) == []
    with store.unit_of_work() as uow:
        duty = uow.callbacks.get(result.duty_id)
        assert duty.status == "not_owed"


def test_a_known_number_counts_as_its_client(store: Store, client: ClientRecord) -> None:
    result = log(store, phone=PHONE, voicemail=True)
    assert result.client_code == "C-1042" and result.clinician == "U0ANA"


def test_an_unknown_number_is_a_potential_client_stored_sealed(store: Store) -> None:
    result = log(store, phone="+12155550199", voicemail=False, actor="U0BEN")
    assert result.client_code is None and result.guidance.potential_client
    assert result.clinician == "U0BEN"
    with store.unit_of_work() as uow:
        duty = uow.callbacks.get(result.duty_id)
        assert duty.caller_phone_enc is not None and b"5550199" not in duty.caller_phone_enc
        assert uow.callbacks.caller_phone(duty) == "+12155550199"
        assert [d.id for d in uow.callbacks.open_for_phone("+12155550199")] == [duty.id]
        events = uow.session.exec(select(AuditEvent)).all()
        assert "5550199" not in str([e.details for e in events])


def test_unknown_code_and_strangers_are_refused(store: Store, client: ClientRecord) -> None:
    with pytest.raises(Refused, match="no client `C-9`"):
        log(store, code="C-9")
    with pytest.raises(Refused, match="team"):
        log(store, code="C-1042", actor="U0NOBODY")
    with pytest.raises(Refused, match="not one of your clients"):
        log(store, code="C-1042", actor="U0BEN")
    with store.unit_of_work() as uow:
        assert uow.session.exec(select(CallbackDuty)).all() == []


def test_returned_closes_the_duty_cancels_reminders_and_is_idempotent(
    store: Store, client: ClientRecord
) -> None:
    missed = log(store, code="C-1042", voicemail=True)
    with store.unit_of_work() as uow:
        done = callbacks.mark_returned(uow, POLICY, actor="U0ANA", code="C-1042",
                                       now=NOW + timedelta(hours=1))
        uow.commit()
    assert done.closed == 1
    with store.unit_of_work() as uow:
        assert {r.status for r in uow.outbox.for_subject("callback", missed.duty_id)} == {
            "cancelled"}
    # the button on an old reminder, clicked twice
    with store.unit_of_work() as uow:
        again = callbacks.mark_returned(uow, POLICY, actor="U0ANA", duty_id=missed.duty_id,
                                        now=NOW + timedelta(hours=2))
        uow.commit()
    assert again.closed == 0 and again.closed_before_by == "U0ANA"
    with store.unit_of_work() as uow:
        assert callbacks.mark_returned(uow, POLICY, actor="U0ANA", code="C-1042",
                                       now=NOW).closed == 0
        actions = [e.action for e in uow.session.exec(select(AuditEvent))]
        assert actions.count("callback.returned") == 1
        assert verify_chain(uow.session).ok


def test_the_reminder_is_rechecked_and_repeats_the_verdict_at_send_time(
    store: Store, client: ClientRecord
) -> None:
    missed = log(store, code="C-1042", voicemail=True)
    delivery = OUTBOX_KINDS[REMINDER_KIND]
    with store.unit_of_work() as uow:
        row = uow.outbox.for_subject("callback", missed.duty_id)[-1]
        at = row.due_at
        assert delivery.still_wanted(uow, row, at) is None
        rendered = delivery.prepare(uow, POLICY, row, at)
    assert rendered.text.startswith("Call-back reminder: C-1042")
    assert "due now" in rendered.text
    flat = str(rendered.blocks)
    assert "OK to call" in flat and "Returned" in flat and "Details" in flat
    assert "Canary" not in flat and PHONE not in flat and "5550142" not in flat
    # the client withdraws consent: the next reminder is not sent
    with store.unit_of_work() as uow:
        uow.clients.save(replace(client, consent=consent(may_call=False)), now=NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        row = uow.outbox.for_subject("callback", missed.duty_id)[0]
        assert delivery.still_wanted(uow, row, NOW) == "the client no longer consents to calls"
    # returned: not wanted either
    with store.unit_of_work() as uow:
        callbacks.mark_returned(uow, POLICY, actor="U0ANA", code="C-1042", now=NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        row = uow.outbox.for_subject("callback", missed.duty_id)[0]
        assert "already returned" in delivery.still_wanted(uow, row, NOW)


def test_a_reminder_outside_the_clients_window_says_not_now(store: Store) -> None:
    from datetime import time

    record = ClientRecord(code="C-7", clinician="U0ANA",
                          consent=replace(consent(), earliest=time(15, 0), latest=time(20, 0)))
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=NOW)
        uow.commit()
    missed = log(store, code="C-7", voicemail=True)
    with store.unit_of_work() as uow:
        row = uow.outbox.for_subject("callback", missed.duty_id)[0]
        rendered = OUTBOX_KINDS[REMINDER_KIND].prepare(uow, POLICY, row, NOW)
    assert "Not now" in str(rendered.blocks) and "3:00 PM" in str(rendered.blocks)


def test_the_reminder_is_sent_through_the_dispatcher(store: Store, client: ClientRecord) -> None:
    from bot.deps import Deps
    from bot.dispatcher import Dispatcher
    from bot.sandbox.standin import SlackStandIn

    missed = log(store, code="C-1042", voicemail=True)
    clock = ManualClock(missed.reminders[0])
    with SlackStandIn() as slack:
        deps = Deps(store=store, policy=POLICY, clock=clock, bot_token="xoxb-test",
                    slack_api_url=slack.api_url, send_rate=50)
        assert Dispatcher(deps, per_channel_interval=0).drain().sent == 1
        [message] = slack.messages(slack.dm_channel("U0ANA"))
    assert "C-1042" in message["text"] and "Canary" not in str(message)
