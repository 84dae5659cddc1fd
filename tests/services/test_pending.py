"""What a person owes now, from the tables, and the Home / ``pending`` views built from it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlmodel import select

from bot.clock import ManualClock
from bot.policy.model import ClientRecord
from bot.services.pending import what_i_owe
from bot.slack_ui.home import home_view, not_on_team_home
from bot.slack_ui.pending import pending_message
from storage.tables import Approval
from storage.uow import Store
from tests.services.test_runins import POLICY

NY = ZoneInfo("America/New_York")
NAME = "Canary Secretname"
PHONE = "+12155550123"
PLACE = "Canary Park Bench"


def _seed(store: Store, now: datetime) -> None:
    with store.unit_of_work() as uow:
        rows = {}
        for code, clinician in (("C-1", "U0ANA"), ("C-2", "U0ANA"), ("C-3", "U0BEN"),
                                ("C-4", "U0ANA")):
            rows[code] = uow.clients.save(ClientRecord(code=code, clinician=clinician,
                                                       preferred_name=NAME))
        uow.session.flush()
        # call-backs: one overdue, one due later, one potential client, one for Ben, one returned
        uow.callbacks.add(client_id=rows["C-1"].id, caller_phone=None, clinician="U0ANA",
                          logged_by="U0DESK", called_at=now - timedelta(days=3),
                          voicemail_left=True, owed=True, due_at=now - timedelta(hours=1))
        uow.callbacks.add(client_id=rows["C-2"].id, caller_phone=None, clinician="U0ANA",
                          logged_by="U0DESK", called_at=now - timedelta(hours=1),
                          voicemail_left=False, owed=True, due_at=now + timedelta(hours=20))
        uow.callbacks.add(client_id=None, caller_phone=PHONE, clinician="U0ANA",
                          logged_by="U0DESK", called_at=now - timedelta(hours=2),
                          voicemail_left=True, owed=True, due_at=now + timedelta(hours=5))
        uow.callbacks.add(client_id=rows["C-3"].id, caller_phone=None, clinician="U0BEN",
                          logged_by="U0DESK", called_at=now, voicemail_left=True, owed=True,
                          due_at=now + timedelta(hours=8))
        done = uow.callbacks.add(client_id=rows["C-4"].id, caller_phone=None, clinician="U0ANA",
                                 logged_by="U0DESK", called_at=now, voicemail_left=True,
                                 owed=True, due_at=now + timedelta(hours=8))
        done.status = "returned"
        # appointments today (NY): 09:00 arrived, 09:30 unmarked (chase due), 14:00 later; Ben 11:00
        for code, hour, minute, status in (("C-1", 14, 0, "arrived"),
                                           ("C-2", 14, 30, "scheduled"),
                                           ("C-4", 19, 0, "scheduled"),
                                           ("C-3", 16, 0, "scheduled")):
            appt, _ = uow.appointments.save(rows[code], datetime(2026, 11, 24, hour, minute,
                                                                 tzinfo=UTC), 50)
            appt.status = status
        uow.appointments.save(rows["C-1"], datetime(2026, 11, 25, 15, 0, tzinfo=UTC), 50)
        # approvals: Jamie decides one; Ana waits on one; one decided yesterday
        uow.session.add(Approval(kind="closure_warning", client_id=rows["C-2"].id,
                                 requester="U0ANA", approver="U0JAMIE", created_at=now))
        uow.session.add(Approval(kind="phone_coaching", client_id=rows["C-1"].id,
                                 requester="U0ANA", approver="U0JAMIE", status="approved",
                                 decided_by="U0JAMIE", decided_at=now - timedelta(days=1),
                                 created_at=now - timedelta(days=2)))
        uow.session.add(Approval(kind="closure_warning", client_id=rows["C-3"].id,
                                 requester="U0BEN", approver="U0JAMIE", status="denied",
                                 decided_by="U0JAMIE", decided_at=now - timedelta(days=30),
                                 created_at=now - timedelta(days=31)))
        uow.runins.add(rows["C-1"], clinician="U0ANA", occurred_at=now - timedelta(days=2),
                       place=PLACE, initiated_by="client", summary=NAME, revisit=None,
                       created_by="U0ANA", now=now)
        uow.commit()


def test_a_clinician_sees_their_own_debts_overdue_first(store: Store, clock: ManualClock) -> None:
    now = clock.now()
    _seed(store, now)
    with store.unit_of_work() as uow:
        pending = what_i_owe(uow, POLICY, "U0ANA", now)
    assert pending is not None
    assert [c.client_code for c in pending.callbacks] == ["C-1", None, "C-2"]
    assert [c.overdue for c in pending.callbacks] == [True, False, False]
    assert [(a.client_code, a.status, a.chase_due) for a in pending.appointments] == [
        ("C-1", "arrived", False), ("C-2", "scheduled", True), ("C-4", "scheduled", False)]
    assert pending.to_decide == ()
    assert [(w.client_code, w.kind) for w in pending.waiting_on] == [("C-2", "closure_warning")]
    assert [(d.client_code, d.status) for d in pending.decisions] == [("C-1", "approved")]
    assert [(r.client_code, r.next_appointment) for r in pending.runins] == [
        ("C-1", datetime(2026, 11, 25, 15, 0, tzinfo=UTC))]
    assert pending.owed == 3 + 1 + 0 + 1


def test_a_supervisor_sees_what_awaits_their_decision(store: Store, clock: ManualClock) -> None:
    _seed(store, clock.now())
    with store.unit_of_work() as uow:
        pending = what_i_owe(uow, POLICY, "U0JAMIE", clock.now())
    assert pending is not None
    assert [(a.client_code, a.requester) for a in pending.to_decide] == [("C-2", "U0ANA")]
    assert pending.callbacks == () and pending.appointments == ()
    assert [d.client_code for d in pending.decisions] == ["C-1"]  # a month ago is not recent


# Seed 003 names who decides: the backup (Lee, an admin) told of a request waits on the approver
# and decides only where the clinic lets the backup decide.
BACKUP_SEES = {
    "003: told, only the approver decides": (False, False, ["C-2"]),
    "opt-in: handed over, the backup decides": (True, True, []),
}


@pytest.mark.parametrize(("backup_may_decide", "to_decide", "waiting"), BACKUP_SEES.values(),
                         ids=BACKUP_SEES)
def test_a_backup_told_of_a_request_decides_it_only_where_allowed(
    store: Store, clock: ManualClock, backup_may_decide: bool, to_decide: bool,
    waiting: list[str],
) -> None:
    now = clock.now()
    _seed(store, now)
    with store.unit_of_work() as uow:
        approval = uow.session.exec(select(Approval).where(Approval.status == "pending")).one()
        approval.backup = "U0ADMIN"
        uow.session.add(approval)
        uow.commit()
    policy = replace(POLICY, approvals=replace(POLICY.approvals, backup="U0ADMIN",
                                               backup_may_decide=backup_may_decide))
    with store.unit_of_work() as uow:
        before = what_i_owe(uow, policy, "U0ADMIN", now)
        uow.approvals.mark_handed_over(approval.id, now)
        uow.commit()
    with store.unit_of_work() as uow:
        after = what_i_owe(uow, policy, "U0ADMIN", now)
        jamie = what_i_owe(uow, policy, "U0JAMIE", now)
    assert before is not None and after is not None and jamie is not None
    assert before.to_decide == () and before.waiting_on == ()  # not told yet
    assert [a.client_code for a in after.to_decide] == (["C-2"] if to_decide else [])
    assert [a.client_code for a in after.waiting_on] == waiting
    assert [a.client_code for a in jamie.to_decide] == ["C-2"]  # the approver always decides
    shown = json.dumps(home_view(after, policy.clinic.timezone))
    assert ("Awaiting your decision" in shown) is to_decide
    assert ("with <@U0JAMIE>" in shown) is not to_decide


def test_front_desk_sees_the_whole_clinic_day(store: Store, clock: ManualClock) -> None:
    _seed(store, clock.now())
    with store.unit_of_work() as uow:
        pending = what_i_owe(uow, POLICY, "U0DESK", clock.now())
        assert what_i_owe(uow, POLICY, "U0STRANGER", clock.now()) is None
    assert pending is not None and pending.whole_clinic_day
    assert [a.client_code for a in pending.appointments] == ["C-1", "C-2", "C-3", "C-4"]


def test_the_fingerprint_changes_with_the_facts_not_the_minute(
        store: Store, clock: ManualClock) -> None:
    _seed(store, clock.now())
    with store.unit_of_work() as uow:
        first = what_i_owe(uow, POLICY, "U0BEN", clock.now())
        later = what_i_owe(uow, POLICY, "U0BEN", clock.now() + timedelta(seconds=30))
        much_later = what_i_owe(uow, POLICY, "U0BEN", clock.now() + timedelta(hours=9))
    assert first and later and much_later
    assert first.fingerprint() == later.fingerprint()
    assert first.fingerprint() != much_later.fingerprint()  # the call-back fell overdue


def _no_phi(payload: object) -> str:
    text = json.dumps(payload)
    for secret in (NAME, PHONE, PHONE[2:], "215-555", PLACE, "Canary"):
        assert secret not in text
    return text


def test_home_is_valid_block_kit_with_codes_only(store: Store, clock: ManualClock) -> None:
    _seed(store, clock.now())
    for user in ("U0ANA", "U0JAMIE", "U0DESK", "U0ADMIN"):
        with store.unit_of_work() as uow:
            pending = what_i_owe(uow, POLICY, user, clock.now())
        assert pending is not None
        view = home_view(pending, NY)
        assert View(**view).to_dict() == view
        text = _no_phi(view)
        assert len(view["blocks"]) <= 100
    assert "overdue" not in text  # the admin owes nothing
    with store.unit_of_work() as uow:
        ana = home_view(what_i_owe(uow, POLICY, "U0ANA", clock.now()), NY)  # type: ignore[arg-type]
    text = _no_phi(ana)
    for expected in ("*C-1*: *overdue* since 09:00", "a potential client", "C-2",
                     "answer the chase", "run-in", "with <@U0JAMIE>", "approved*"):
        assert expected in text
    assert not_on_team_home()["type"] == "home"
    assert View(**not_on_team_home()).to_dict() == not_on_team_home()


def test_the_pending_reply_is_short_valid_and_codes_only(store: Store, clock: ManualClock) -> None:
    _seed(store, clock.now())
    with store.unit_of_work() as uow:
        pending = what_i_owe(uow, POLICY, "U0ANA", clock.now())
        nothing = what_i_owe(uow, POLICY, "U0ADMIN", clock.now() - timedelta(days=60))
    assert pending is not None and nothing is not None
    message = pending_message(pending, NY)
    assert message["text"] == ("Pending: 3 call-backs (1 overdue), 1 chase to answer, "
                               "1 run-in to revisit.")
    for block in message["blocks"]:
        assert Block.parse(block).to_dict() == block
    _no_phi(message)
    assert pending_message(nothing, NY)["text"] == "Pending: nothing owed right now."


def test_long_lists_are_cut(store: Store, clock: ManualClock) -> None:
    now = clock.now()
    with store.unit_of_work() as uow:
        for i in range(40):
            client = uow.clients.save(ClientRecord(code=f"C-{i:03}", clinician="U0ANA"))
            uow.session.flush()
            uow.callbacks.add(client_id=client.id, caller_phone=None, clinician="U0ANA",
                              logged_by="U0DESK", called_at=now, voicemail_left=True, owed=True,
                              due_at=now + timedelta(hours=i))
        uow.commit()
    with store.unit_of_work() as uow:
        pending = what_i_owe(uow, POLICY, "U0ANA", now)
    assert pending is not None
    view = home_view(pending, NY)
    assert View(**view).to_dict() == view
    assert "…and 25 more" in json.dumps(view, ensure_ascii=False)
    assert "…and 35 more" in json.dumps(pending_message(pending, NY), ensure_ascii=False)
