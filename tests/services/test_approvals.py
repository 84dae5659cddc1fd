"""Approvals on both databases: request, decide once, nudge, hand over, coaching on the card.

The outbox is drained the way the dispatcher does it (claim, send-time re-check, render, record the
send with a channel and ts), so what each person would see in Slack is asserted here too.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.outbox_kinds import OUTBOX_KINDS
from bot.policy.clinic import ClinicPolicy
from bot.policy.consent import check_contact
from bot.policy_file.validation import parse_policy
from bot.services import approvals as service
from bot.services.approvals import APPROVE, DENY, Decision, Outcome
from bot.services.outcomes import ReasonResult, RequestResult
from bot.slack_ui import approvals as views
from bot.slack_ui import ids
from bot.slack_ui.card import card_message
from bot.slack_ui.outbox import Rendered
from storage.audit import verify_chain
from storage.tables import Appointment, Approval, AuditEvent, Client, OutboxMessage
from storage.uow import Store
from tests.handlers.conftest import maria
from tests.services.conftest import look
from tests.views.blockkit import assert_valid_message, assert_valid_view

NY = ZoneInfo("America/New_York")
CODE = "C-1042"
CLIENT_NAME = "Mariposa"
# never in a message Slack keeps: the name, the numbers, the do-not-call reason, the safety note
PRIVATE = (CLIENT_NAME, "5550142", "5550199", "Partner does not know", "partner checks", "Rosa")

POLICY_DATA: dict[str, Any] = {
    "clinic": {"name": "Great Agency", "timezone": "America/New_York",
               "holidays": {"country": "US"}},
    "no_show": {"closure_warning_after": 2, "confirm_by": "friday 17:00"},
    "approvals": {"closure_warning": "supervisor", "phone_coaching": "U0BEDICS",
                  "remind_after_business_hours": 4, "backup": "U0DIRECTOR"},
    "team": [
        {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
        {"slack_id": "U0BEDICS", "role": "supervisor", "first_name": "Bedics"},
        {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
        {"slack_id": "U0BO", "role": "clinician", "first_name": "Bo", "supervisor": "U0JAMIE"},
        {"slack_id": "U0DESK", "role": "front_desk", "first_name": "Sam"},
        {"slack_id": "U0DIRECTOR", "role": "admin", "first_name": "Dana"},
    ],
}
NO_SHOWS = (datetime(2026, 11, 17, 15, tzinfo=UTC), datetime(2026, 11, 24, 15, tzinfo=UTC))


@pytest.fixture
def policy() -> ClinicPolicy:
    return parse_policy(POLICY_DATA)


def opted_in() -> ClinicPolicy:
    """The same clinic, letting the backup decide once a request is handed over."""
    return parse_policy({**POLICY_DATA, "approvals": {**POLICY_DATA["approvals"],
                                                      "backup_may_decide": True}})


@pytest.fixture
def seeded(store: Store, clock: ManualClock) -> Store:
    with store.unit_of_work() as uow:
        uow.clients.save(replace(maria(clock), preferred_name=CLIENT_NAME), now=clock.now())
        uow.commit()
    return store


# --- a stand-in for the dispatcher -------------------------------------------------------------


@dataclass
class Sent:
    kind: str
    recipient: str
    rendered: Rendered
    row_id: uuid.UUID

    @property
    def everything(self) -> str:
        return self.rendered.text + json.dumps(self.rendered.blocks)

    def buttons(self) -> list[str]:
        return [e["text"]["text"] for b in self.rendered.blocks if b["type"] == "actions"
                for e in b["elements"]]


def drain(store: Store, policy: ClinicPolicy, now: datetime) -> list[Sent]:
    """Send every message due by ``now`` the way the dispatcher does; what was sent."""
    sent: list[Sent] = []
    with store.unit_of_work() as uow:
        claims = uow.outbox.claim("test", now, 100, timedelta(minutes=1))
        uow.commit()
    for claimed in claims:
        row = claimed.row
        delivery = OUTBOX_KINDS[row.kind]
        with store.unit_of_work() as uow:
            fresh = uow.outbox.get(row.id)
            assert fresh is not None
            why = delivery.still_wanted(uow, fresh, now)
            if why is not None:
                uow.outbox.mark_cancelled(row.id, "test", why)
            else:
                rendered = delivery.prepare(uow, policy, fresh, now)
                assert_valid_message({"text": rendered.text, "blocks": rendered.blocks})
                channel, ts = rendered.update or ("D" + row.recipient, f"{time.time():.6f}")
                uow.outbox.mark_sent(row.id, "test", now, channel=channel, ts=ts)
                sent.append(Sent(row.kind, row.recipient, rendered, row.id))
            uow.commit()
    for message in sent:
        for private in PRIVATE:
            assert private not in message.everything
    return sent


def only(sent: list[Sent], kind: str, recipient: str | None = None) -> Sent:
    found = [s for s in sent if s.kind == kind and recipient in (None, s.recipient)]
    assert len(found) == 1, [(s.kind, s.recipient) for s in sent]
    return found[0]


def audit(store: Store, action: str | None = None) -> list[AuditEvent]:
    with store.unit_of_work() as uow:
        events = uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()
        uow.session.expunge_all()
        return [e for e in events if action is None or e.action == action]


def say(result: Any, policy: ClinicPolicy) -> str:
    """What the handler replies with: the outcome worded by ``bot.slack_ui.approvals``."""
    if isinstance(result, RequestResult):
        return views.request_reply(result, policy)
    return views.decide_reply(result, policy)


def modal(result: Any, policy: ClinicPolicy) -> dict[str, Any] | None:
    """The modal the handler opens for an outcome, if any (the deny modal, the reason)."""
    if isinstance(result, ReasonResult):
        return views.reason_view(result, policy)
    if result.outcome is Decision.REASON_NEEDED:
        return views.deny_modal(result.summary)
    return None


def approval_row(store: Store, approval_id: uuid.UUID) -> Approval:
    with store.unit_of_work() as uow:
        row = uow.approvals.get(approval_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def request_closure(store: Store, policy: ClinicPolicy, now: datetime,
                    by: str = "U0ANA") -> service.RequestResult:
    with store.unit_of_work() as uow:
        result = service.request_closure_warning(
            uow, policy, client_code=CODE, clinician="U0ANA", requested_by=by,
            no_show_dates=NO_SHOWS, now=now,
        )
        uow.commit()
    return result


def click(store: Store, policy: ClinicPolicy, approval_id: uuid.UUID | str, user: str,
          decision: str, now: datetime, reason: str | None = None) -> service.DecideResult:
    with store.unit_of_work() as uow:
        result = service.decide(uow, policy, approval_id=approval_id, user=user,
                                decision=decision, now=now, reason=reason)
        uow.commit()
    return result


# --- the closure-warning flow ------------------------------------------------------------------


def test_closure_warning_from_request_to_the_clinicians_script(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())
    assert result.outcome is Outcome.REQUESTED and result.approver == "U0JAMIE"
    assert "<@U0JAMIE>" in say(result, policy)

    request = only(drain(seeded, policy, clock.now()), service.REQUEST, "U0JAMIE")
    assert request.buttons() == ["Approve", "Deny"]
    assert CODE in request.rendered.text
    assert "Tue Nov 17 and Tue Nov 24" in request.everything
    assert "<@U0ANA>" in request.everything

    clock.advance(timedelta(minutes=30))
    decided = click(seeded, policy, result.approval_id, "U0JAMIE", APPROVE, clock.now())
    assert decided.outcome is Decision.DECIDED
    assert "Approved by <@U0JAMIE> on Tuesday, November 24 at 10:30 AM" in say(decided, policy)

    sent = drain(seeded, policy, clock.now())
    update = only(sent, service.DECIDED, "U0JAMIE")
    assert update.rendered.update == ("DU0JAMIE", _ts_of(seeded, request.row_id))
    assert update.buttons() == []
    assert "Approved by <@U0JAMIE> on Tuesday, November 24 at 10:30 AM" in update.everything

    script = only(sent, service.OUTCOME, "U0ANA")
    text = script.everything
    assert "by Friday, November 27 at 5:00 PM" in text  # the deadline, as an actual date
    assert "[first name]" in text and "Ana" in text  # the client's name is never written
    assert "Great Agency" not in text  # no consent on file to say the clinic's name
    assert "Documentation note" in text and "Tue Nov 17 and Tue Nov 24" in text
    assert "remind you on Friday, November 27 at 5:00 PM" in text
    assert len([s for s in sent if s.kind == service.OUTCOME]) == 1  # requester is the clinician

    # The reminder to close the file comes at the deadline, not before.
    deadline = datetime(2026, 11, 27, 22, tzinfo=UTC)
    assert drain(seeded, policy, deadline - timedelta(seconds=1)) == []
    reminder = only(drain(seeded, policy, deadline), service.CLOSURE_DEADLINE, "U0ANA")
    assert "close the file" in reminder.everything

    actions = [e.action for e in audit(seeded)]
    assert actions == ["approval.requested", "approval.click", "approval.decided"]
    with seeded.unit_of_work() as uow:
        assert verify_chain(uow.session).ok


def _ts_of(store: Store, row_id: uuid.UUID) -> str:
    with store.unit_of_work() as uow:
        row = uow.outbox.get(row_id)
        assert row is not None and row.ts is not None
        return row.ts


def test_the_deadline_reminder_is_dropped_when_the_client_came_back(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())
    click(seeded, policy, result.approval_id, "U0JAMIE", APPROVE, clock.now())
    drain(seeded, policy, clock.now())
    with seeded.unit_of_work() as uow:
        client = uow.clients.row(CODE)
        assert client is not None
        uow.session.add(Appointment(client_id=client.id, clinician="U0ANA", status="arrived",
                                    start_at=datetime(2026, 11, 26, 15, tzinfo=UTC)))
        uow.commit()
    assert drain(seeded, policy, datetime(2026, 11, 28, tzinfo=UTC)) == []
    with seeded.unit_of_work() as uow:
        [row] = uow.outbox.for_subject(service.SUBJECT, result.approval_id,
                                       kinds=[service.CLOSURE_DEADLINE])
        assert row.status == "cancelled" and "came to an appointment" in (row.last_error or "")


def test_a_second_request_while_one_is_pending_asks_nobody_again(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    first = request_closure(seeded, policy, clock.now())
    again = request_closure(seeded, policy, clock.now() + timedelta(minutes=1))
    assert again.outcome is Outcome.ALREADY_PENDING and again.approval_id == first.approval_id
    assert len(drain(seeded, policy, clock.now() + timedelta(minutes=1))) == 1


def test_an_approved_warning_is_not_asked_again_before_its_deadline(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    first = request_closure(seeded, policy, clock.now())
    click(seeded, policy, first.approval_id, "U0JAMIE", APPROVE, clock.now())
    again = request_closure(seeded, policy, clock.now() + timedelta(days=1))
    assert again.outcome is Outcome.ALREADY_APPROVED and "already decided" in say(again, policy)
    # Issue 17: one request per run. After the deadline the same run is not asked about again
    # (this used to open a second request); a new run is.
    same_run = request_closure(seeded, policy, datetime(2026, 12, 1, 15, tzinfo=UTC))
    assert (same_run.outcome is Outcome.ALREADY_DECIDED
            and "already decided" in say(same_run, policy))
    with seeded.unit_of_work() as uow:
        new_run = service.request_closure_warning(
            uow, policy, client_code=CODE, clinician="U0ANA", requested_by="U0ANA",
            no_show_dates=[date(2026, 12, 8), date(2026, 12, 15)],
            now=datetime(2026, 12, 15, 17, tzinfo=UTC))
        uow.commit()
    assert new_run.outcome is Outcome.REQUESTED


@pytest.mark.parametrize(
    "approvals",
    [{"closure_warning": "supervisor"},
     {"closure_warning": "supervisor", "backup": "U0DIRECTOR"},
     {"closure_warning": "supervisor", "backup": "U0DIRECTOR", "backup_may_decide": True}],
    ids=["003: no backup", "003: the backup does not stand in",
         "003: nor where the backup may decide"],
)
def test_a_request_nobody_is_named_to_decide_is_refused_and_says_what_to_fix(
    seeded: Store, clock: ManualClock, approvals: dict[str, Any]
) -> None:
    data = {**POLICY_DATA, "approvals": approvals,
            "team": [m for m in POLICY_DATA["team"] if m["slack_id"] != "U0ANA"]
            + [{"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana"}]}
    policy = parse_policy(data)
    result = request_closure(seeded, policy, clock.now())
    assert result.outcome is Outcome.REFUSED and result.approval_id is None
    assert "<@U0ANA> has no supervisor named on the team" in say(result, policy)
    assert "add a supervisor to their team entry" in say(result, policy)
    assert "approvals.closure_warning" in say(result, policy)
    assert [e.action for e in audit(seeded)] == ["approval.request_refused"]
    with seeded.unit_of_work() as uow:
        assert uow.session.exec(select(Approval)).all() == []
    assert drain(seeded, policy, clock.now()) == []


def test_unknown_client_is_refused(seeded: Store, policy: ClinicPolicy, clock: ManualClock) -> None:
    with seeded.unit_of_work() as uow:
        result = service.request_closure_warning(
            uow, policy, client_code="C-9999", clinician="U0ANA", requested_by="U0ANA",
            no_show_dates=NO_SHOWS, now=clock.now())
    assert result.outcome is Outcome.REFUSED and "C-9999" in say(result, policy)


# --- deciding ----------------------------------------------------------------------------------


ONLY_JAMIE = f"Only <@U0JAMIE> can decide the request for a closure warning for {CODE}."
# clicker -> what they are told (seed 003: "check with Jamie first"; the backup is Dana)
NOT_DECIDERS = {
    "003: the clinician": ("U0ANA", ONLY_JAMIE),
    "003: another supervisor": ("U0BEDICS", ONLY_JAMIE),
    "003: the backup": ("U0DIRECTOR", f"{ONLY_JAMIE} The clinic's policy lets only the named "
                                      "approver decide: as the backup you are told when it "
                                      "waits, and can remind <@U0JAMIE>. Nothing was changed."),
}


def test_a_non_approver_click_changes_nothing_and_says_who_can(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())
    for user, told in NOT_DECIDERS.values():
        for decision in (APPROVE, DENY):
            refused = click(seeded, policy, result.approval_id, user, decision, clock.now())
            assert refused.outcome is Decision.NOT_ALLOWED and modal(refused, policy) is None
            assert say(refused, policy) == told
    assert approval_row(seeded, result.approval_id).status == "pending"
    clicks = audit(seeded, "approval.click")
    assert [(e.actor, e.details["accepted"]) for e in clicks] == [
        (user, False) for user, _ in NOT_DECIDERS.values() for _ in (APPROVE, DENY)
    ]
    assert audit(seeded, "approval.decided") == []
    drain(seeded, policy, clock.now())
    assert drain(seeded, policy, clock.now()) == []  # no outcome, no update


def test_later_clicks_are_told_who_decided_and_when(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())
    click(seeded, policy, result.approval_id, "U0JAMIE", APPROVE, clock.now())
    clock.advance(timedelta(minutes=5))
    for decision in (APPROVE, DENY):
        late = click(seeded, policy, result.approval_id, "U0JAMIE", decision, clock.now())
        assert late.outcome is Decision.ALREADY_DECIDED
        assert "already decided: approved by <@U0JAMIE> on Tuesday, November 24 at 10:00 AM" \
            in say(late, policy)
    # someone else clicking late is told the same: the request is no longer open
    late = click(seeded, policy, result.approval_id, "U0ANA", APPROVE, clock.now())
    assert late.outcome is Decision.ALREADY_DECIDED


def test_five_clicks_within_100_ms_decide_once(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())
    drain(seeded, policy, clock.now())
    barrier = threading.Barrier(5)
    outcomes: list[Decision] = []
    started: list[float] = []
    errors: list[BaseException] = []

    def one_click(decision: str) -> None:
        try:
            barrier.wait(timeout=10)
            started.append(time.monotonic())
            outcomes.append(
                click(seeded, policy, result.approval_id, "U0JAMIE", decision, clock.now(),
                      reason="not yet" if decision == DENY else None).outcome
            )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_click, args=(APPROVE if i % 2 == 0 else DENY,))
               for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert max(started) - min(started) < 0.1  # the five clicks land within 100 ms
    assert sorted(outcomes) == sorted([Decision.DECIDED] + [Decision.ALREADY_DECIDED] * 4)
    assert len(audit(seeded, "approval.decided")) == 1
    assert len(audit(seeded, "approval.click")) == 5
    sent = drain(seeded, policy, clock.now())
    assert len([s for s in sent if s.kind == service.DECIDED]) == 1
    assert len([s for s in sent if s.kind == service.OUTCOME]) == 1


@pytest.mark.postgres
def test_two_deciders_racing_on_postgresql_yield_one_decision(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    if seeded.engine.dialect.name != "postgresql":
        pytest.skip("the race between separate connections is a PostgreSQL matter")
    result = request_closure(seeded, policy, clock.now())
    assert result.approval_id is not None
    # Both read the request as pending on their own connections before either decides.
    first, second = seeded.unit_of_work(), seeded.unit_of_work()
    with first as a, second as b:
        assert a.approvals.get(result.approval_id).status == "pending"  # type: ignore[union-attr]
        assert b.approvals.get(result.approval_id).status == "pending"  # type: ignore[union-attr]
        assert a.approvals.decide(result.approval_id, "approved", "U0JAMIE", clock.now())
        later: list[bool] = []
        blocked = threading.Thread(
            target=lambda: later.append(
                b.approvals.decide(result.approval_id, "denied", "U0DIRECTOR", clock.now(),
                                   "too early")
            )
        )
        blocked.start()
        blocked.join(timeout=0.5)
        assert blocked.is_alive()  # waiting on the first decider's row lock
        a.commit()
        blocked.join(timeout=10)
        assert later == [False]
        row = b.approvals.get(result.approval_id)
        assert row is not None and (row.status, row.decided_by) == ("approved", "U0JAMIE")
        assert row.reason_enc is None
        b.commit()


def test_approver_and_backup_racing_through_the_use_case_yield_one_decision(
    seeded: Store, clock: ManualClock
) -> None:
    policy = opted_in()  # the backup decides only where the clinic lets it
    result = request_closure(seeded, policy, clock.now())
    clock.set(datetime(2026, 11, 25, 15, tzinfo=UTC))  # Wednesday 10:00: hand-over due
    with seeded.unit_of_work() as uow:
        assert service.nudge_and_hand_over(uow, policy, clock.now()).handed_over == 1
        uow.commit()
    barrier = threading.Barrier(2)
    outcomes: dict[str, Decision] = {}

    def decider(user: str, decision: str) -> None:
        barrier.wait(timeout=10)
        outcomes[user] = click(seeded, policy, result.approval_id, user, decision, clock.now(),
                               reason="wait a week" if decision == DENY else None).outcome

    threads = [threading.Thread(target=decider, args=("U0JAMIE", APPROVE)),
               threading.Thread(target=decider, args=("U0DIRECTOR", DENY))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == [Decision.ALREADY_DECIDED, Decision.DECIDED]
    winner = next(user for user, outcome in outcomes.items() if outcome is Decision.DECIDED)
    row = approval_row(seeded, result.approval_id)
    assert row.decided_by == winner
    assert row.status == ("approved" if winner == "U0JAMIE" else "denied")
    assert len(audit(seeded, "approval.decided")) == 1


# --- denial ------------------------------------------------------------------------------------


def test_deny_asks_for_the_reason_then_keeps_it_sealed(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())
    drain(seeded, policy, clock.now())
    opened = click(seeded, policy, result.approval_id, "U0JAMIE", DENY, clock.now())
    assert opened.outcome is Decision.REASON_NEEDED and modal(opened, policy) is not None
    assert_valid_view(modal(opened, policy))
    assert modal(opened, policy)["callback_id"] == ids.APPROVAL_DENY_MODAL
    assert json.loads(modal(opened, policy)["private_metadata"]) == {
        "approval_id": str(result.approval_id)}
    assert approval_row(seeded, result.approval_id).status == "pending"

    reason = f"{CLIENT_NAME} is in hospital this week"
    denied = click(seeded, policy, result.approval_id, "U0JAMIE", DENY, clock.now(), reason=reason)
    assert denied.outcome is Decision.DECIDED
    row = approval_row(seeded, result.approval_id)
    assert row.status == "denied" and row.reason_enc is not None
    assert reason.encode() not in bytes(row.reason_enc)

    sent = drain(seeded, policy, clock.now())
    outcome = only(sent, service.OUTCOME, "U0ANA")
    assert "Denied by <@U0JAMIE>" in outcome.everything and outcome.buttons() == ["Show reason"]
    assert reason not in outcome.everything
    assert not [s for s in sent if s.kind == service.CLOSURE_DEADLINE]

    with seeded.unit_of_work() as uow:
        shown = service.show_reason(uow, policy, approval_id=result.approval_id, user="U0ANA",
                                    now=clock.now())
        refused = service.show_reason(uow, policy, approval_id=result.approval_id,
                                      user="U0DESK", now=clock.now())
        uow.commit()
    assert (shown.allowed and modal(shown, policy) is not None
            and reason in json.dumps(modal(shown, policy)))
    assert_valid_view(modal(shown, policy))
    assert not refused.allowed and modal(refused, policy) is None
    assert [e.actor for e in audit(seeded, "approval.reason_viewed")] == ["U0ANA"]
    assert [e.actor for e in audit(seeded, "approval.reason_refused")] == ["U0DESK"]
    for event in audit(seeded):
        assert reason not in json.dumps(event.details)


# --- nobody decides ----------------------------------------------------------------------------


def run_job(store: Store, policy: ClinicPolicy, now: datetime) -> service.JobReport:
    with store.unit_of_work() as uow:
        report = service.nudge_and_hand_over(uow, policy, now)
        uow.commit()
    return report


def test_003_the_approver_is_nudged_then_the_backup_told_but_only_the_approver_decides(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())  # Tuesday 10:00 New York
    assert "Only <@U0JAMIE> can decide it" in say(result, policy)
    assert ("<@U0DIRECTOR> (the backup) is told it is waiting but cannot decide it"
            in say(result, policy))
    request = only(drain(seeded, policy, clock.now()), service.REQUEST, "U0JAMIE")
    assert "Who decides:* Only <@U0JAMIE> can decide it" in request.everything

    clock.advance(timedelta(hours=3, minutes=59))
    assert run_job(seeded, policy, clock.now()) == service.JobReport(0, 0)
    clock.advance(timedelta(minutes=1))  # 14:00: four business hours
    assert run_job(seeded, policy, clock.now()) == service.JobReport(nudged=1)
    assert run_job(seeded, policy, clock.now()) == service.JobReport(0, 0)  # once
    nudge = only(drain(seeded, policy, clock.now()), service.NUDGE, "U0JAMIE")
    assert "waited 4 business hours" in nudge.everything
    assert ("If it is still undecided on Wednesday, November 25 at 10:00 AM, <@U0DIRECTOR> "
            "(the backup) is told it is waiting; only you can decide it.") in nudge.everything

    clock.set(datetime(2026, 11, 25, 14, 59, tzinfo=UTC))  # Wed 09:59: evening did not count
    assert run_job(seeded, policy, clock.now()) == service.JobReport(0, 0)
    clock.advance(timedelta(minutes=1))
    assert run_job(seeded, policy, clock.now()) == service.JobReport(handed_over=1)
    assert run_job(seeded, policy, clock.now()) == service.JobReport(0, 0)

    sent = drain(seeded, policy, clock.now())
    told = only(sent, service.REQUEST, "U0DIRECTOR")
    assert told.buttons() == []  # nothing to decide
    assert told.rendered.text == ("Waiting for <@U0JAMIE>'s decision: Closure warning for "
                                  f"{CODE}")
    assert "only <@U0JAMIE> can decide it" in told.everything
    assert "remind <@U0JAMIE>" in told.everything
    requester = only(sent, service.HANDED_OVER, "U0ANA")
    assert "still waiting for <@U0JAMIE>" in requester.rendered.text
    assert "<@U0DIRECTOR> (the backup) has been told" in requester.everything
    assert "Only <@U0JAMIE> can decide it" in requester.everything

    # A stale button (or a hand-made click) from the backup changes nothing.
    refused = click(seeded, policy, result.approval_id, "U0DIRECTOR", APPROVE, clock.now())
    assert refused.outcome is Decision.NOT_ALLOWED and "Nothing was changed" in say(refused, policy)
    assert approval_row(seeded, result.approval_id).status == "pending"
    assert drain(seeded, policy, clock.now()) == []

    decided = click(seeded, policy, result.approval_id, "U0JAMIE", APPROVE, clock.now())
    assert decided.outcome is Decision.DECIDED
    sent = drain(seeded, policy, clock.now())
    updates = sorted(s.recipient for s in sent if s.kind == service.DECIDED)
    assert updates == ["U0DIRECTOR", "U0JAMIE"]  # the backup's note shows the decision too
    assert all("Approved by <@U0JAMIE>" in s.everything for s in sent
               if s.kind == service.DECIDED)
    assert "by Friday, November 27 at 5:00 PM" in only(sent, service.OUTCOME, "U0ANA").everything

    actions = [(e.actor, e.action) for e in audit(seeded)]
    assert actions == [("U0ANA", "approval.requested"), ("system", "approval.nudged"),
                       ("system", "approval.handed_over"), ("U0DIRECTOR", "approval.click"),
                       ("U0JAMIE", "approval.click"), ("U0JAMIE", "approval.decided")]
    assert audit(seeded, "approval.handed_over")[0].details["backup_may_decide"] is False


def test_003_a_job_that_did_not_run_still_nudges_the_approver(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    request_closure(seeded, policy, clock.now())
    drain(seeded, policy, clock.now())
    clock.set(datetime(2026, 11, 27, 15, tzinfo=UTC))  # Friday: both steps long due
    assert run_job(seeded, policy, clock.now()) == service.JobReport(nudged=1, handed_over=1)
    sent = drain(seeded, policy, clock.now())
    nudge = only(sent, service.NUDGE, "U0JAMIE")
    assert "<@U0DIRECTOR> (the backup) has been told it is waiting" in nudge.everything
    assert only(sent, service.REQUEST, "U0DIRECTOR").buttons() == []


def test_where_the_backup_may_decide_the_request_is_handed_over_with_buttons(
    seeded: Store, clock: ManualClock
) -> None:
    policy = opted_in()
    result = request_closure(seeded, policy, clock.now())  # Tuesday 10:00 New York
    assert "<@U0DIRECTOR> (the backup) may decide it too" in say(result, policy)
    request = only(drain(seeded, policy, clock.now()), service.REQUEST, "U0JAMIE")
    assert "(the backup) may decide it too" in request.everything

    # The backup may not decide before the hand-over.
    early = click(seeded, policy, result.approval_id, "U0DIRECTOR", APPROVE, clock.now())
    assert early.outcome is Decision.NOT_ALLOWED and "once it is handed over" in say(early, policy)

    clock.advance(timedelta(hours=4))
    assert run_job(seeded, policy, clock.now()) == service.JobReport(nudged=1)
    nudge = only(drain(seeded, policy, clock.now()), service.NUDGE, "U0JAMIE")
    assert ("If it is still undecided on Wednesday, November 25 at 10:00 AM, it goes to "
            "<@U0DIRECTOR>, who may then decide it too.") in nudge.everything

    clock.set(datetime(2026, 11, 25, 15, tzinfo=UTC))  # Wed 10:00
    assert run_job(seeded, policy, clock.now()) == service.JobReport(handed_over=1)
    sent = drain(seeded, policy, clock.now())
    to_backup = only(sent, service.REQUEST, "U0DIRECTOR")
    assert to_backup.buttons() == ["Approve", "Deny"]
    assert "Handed over to you" in to_backup.everything and "<@U0JAMIE>" in to_backup.everything
    told = only(sent, service.HANDED_OVER, "U0ANA")
    assert "<@U0DIRECTOR>" in told.everything and "8 business hours" in told.everything

    decided = click(seeded, policy, result.approval_id, "U0DIRECTOR", APPROVE, clock.now())
    assert decided.outcome is Decision.DECIDED
    sent = drain(seeded, policy, clock.now())
    updates = sorted(s.recipient for s in sent if s.kind == service.DECIDED)
    assert updates == ["U0DIRECTOR", "U0JAMIE"]  # both request messages lose their buttons
    assert all("Approved by <@U0DIRECTOR>" in s.everything for s in sent
               if s.kind == service.DECIDED)
    assert "by Friday, November 27 at 5:00 PM" in only(sent, service.OUTCOME, "U0ANA").everything

    actions = [e.action for e in audit(seeded)]
    assert actions == ["approval.requested", "approval.click", "approval.nudged",
                       "approval.handed_over", "approval.click", "approval.decided"]


def test_a_hand_over_overdue_where_the_backup_decides_skips_the_nudge(
    seeded: Store, clock: ManualClock
) -> None:
    policy = opted_in()
    request_closure(seeded, policy, clock.now())
    clock.set(datetime(2026, 11, 27, 15, tzinfo=UTC))
    assert run_job(seeded, policy, clock.now()) == service.JobReport(handed_over=1)


def test_a_nudge_queued_before_the_decision_is_not_sent(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())
    drain(seeded, policy, clock.now())
    clock.advance(timedelta(hours=4))
    run_job(seeded, policy, clock.now())
    click(seeded, policy, result.approval_id, "U0JAMIE", APPROVE, clock.now())
    kinds = [s.kind for s in drain(seeded, policy, clock.now())]
    assert service.NUDGE not in kinds


# --- DBT phone coaching ------------------------------------------------------------------------


def test_coaching_from_request_to_the_card_showing_approval(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    before = card_message(look(seeded, policy, code=CODE, viewer="U0ANA",
                                      now=clock.now()), policy)
    assert "Phone contact is for scheduling only" in json.dumps(before)
    assert "coaching approved" not in json.dumps(before)
    with seeded.unit_of_work() as uow:
        record = uow.clients.get(CODE)
        assert record is not None
        assert not check_contact(record, policy, clock.now()).coaching_approved
        result = service.request_coaching(uow, policy, client_code=CODE, requested_by="U0ANA",
                                          now=clock.now())
        uow.commit()
    assert result.outcome is Outcome.REQUESTED and result.approver == "U0BEDICS"
    assert "scheduling only" in say(result, policy)
    request = only(drain(seeded, policy, clock.now()), service.REQUEST, "U0BEDICS")
    assert "DBT phone coaching for C-1042" in request.rendered.text

    refused = click(seeded, policy, result.approval_id, "U0JAMIE", APPROVE, clock.now())
    assert refused.outcome is Decision.NOT_ALLOWED and "<@U0BEDICS>" in say(refused, policy)

    clock.advance(timedelta(minutes=10))
    assert click(seeded, policy, result.approval_id, "U0BEDICS", APPROVE,
                 clock.now()).outcome is Decision.DECIDED
    with seeded.unit_of_work() as uow:
        record = uow.clients.get(CODE)
        assert record is not None
        assert (record.coaching_approved_by, record.coaching_approved_at) == (
            "U0BEDICS", clock.now())
        assert check_contact(record, policy, clock.now()).coaching_approved
    card = card_message(look(seeded, policy, code=CODE, viewer="U0ANA", now=clock.now()),
                        policy)
    assert_valid_message(card)
    shown = json.dumps(card)
    assert "DBT phone coaching approved* by <@U0BEDICS> on Tuesday, November 24 at 10:10 AM" \
        in shown
    assert "scheduling only" not in shown
    sent = drain(seeded, policy, clock.now())
    outcome = only(sent, service.OUTCOME, "U0ANA")
    assert "Approved by <@U0BEDICS>" in outcome.everything
    assert "guidance card" in outcome.everything

    with seeded.unit_of_work() as uow:
        again = service.request_coaching(uow, policy, client_code=CODE, requested_by="U0ANA",
                                         now=clock.now())
    assert again.outcome is Outcome.ALREADY_APPROVED and "<@U0BEDICS>" in say(again, policy)


@pytest.mark.parametrize(
    ("requested_by", "allowed"),
    [("U0ANA", True), ("U0JAMIE", True), ("U0DIRECTOR", True), ("U0BO", False),
     ("U0DESK", False), ("U0STRANGER", False)],
)
def test_only_the_treating_team_and_admins_ask_for_coaching(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock, requested_by: str, allowed: bool
) -> None:
    with seeded.unit_of_work() as uow:
        result = service.request_coaching(uow, policy, client_code=CODE,
                                          requested_by=requested_by, now=clock.now())
        uow.commit()
    assert (result.outcome is Outcome.REQUESTED) is allowed
    if not allowed:
        assert "<@U0ANA>" in say(result, policy)
        assert [e.action for e in audit(seeded)] == ["approval.request_refused"]


def save_client(store: Store, clock: ManualClock, *, status: str = "active",
                may_call: bool | None = True, approved: bool = False) -> None:
    """C-1042 with ``status``, its consent to be called, and a coaching approval on file or not."""
    record = maria(clock)
    assert record.consent is not None
    record = replace(record, preferred_name=CLIENT_NAME, status=status,  # type: ignore[arg-type]
                     consent=replace(record.consent, may_call=may_call))
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=clock.now())
        if approved:
            client = uow.clients.row(CODE)
            assert client is not None
            uow.approvals.record_coaching(client.id, "U0BEDICS", clock.now())
        uow.commit()


def ask_coaching(store: Store, policy: ClinicPolicy, now: datetime,
                 by: str = "U0ANA") -> service.RequestResult:
    with store.unit_of_work() as uow:
        result = service.request_coaching(uow, policy, client_code=CODE, requested_by=by, now=now)
        uow.commit()
    return result


# Seed 003: phone coaching is a DBT intervention for a client in care, used only with the
# approver's sign-off. status, may the client be called? -> words of the refusal (None: asked)
COACHING_ASKS = {
    "003: active, calls allowed": ("active", True, None),
    "003: active, consent never asked": ("active", None, None),
    "003: active, calls refused": ("active", False, "not given permission to be called"),
    "003: potential client": ("prospect", True, "potential client"),
    "003: former client": ("former", True, "former client"),
    "003: closed file": ("closed", True, "file is closed"),
    "003: closed file, calls refused": ("closed", False, "not given permission to be called"),
}


@pytest.mark.parametrize(("status", "may_call", "refusal"), COACHING_ASKS.values(),
                         ids=COACHING_ASKS)
def test_coaching_is_asked_only_for_eligible_clients(
    store: Store, policy: ClinicPolicy, clock: ManualClock, status: str, may_call: bool | None,
    refusal: str | None,
) -> None:
    save_client(store, clock, status=status, may_call=may_call)
    result = ask_coaching(store, policy, clock.now())
    if refusal is None:
        assert result.outcome is Outcome.REQUESTED
        return
    assert result.outcome is Outcome.REFUSED and result.approval_id is None
    assert say(result, policy).startswith(f"DBT phone coaching is not offered to {CODE}. ")
    assert refusal in say(result, policy) and "Nothing was asked." in say(result, policy)
    assert "/contact-check coaching" not in say(result, policy)
    [event] = audit(store)
    assert (event.action, event.details["why"]) == (
        "approval.request_refused", "client not eligible for coaching")
    with store.unit_of_work() as uow:
        assert uow.session.exec(select(Approval)).all() == []
    assert drain(store, policy, clock.now()) == []


def test_an_approval_on_file_is_not_reported_for_a_client_who_left_care(
    store: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    save_client(store, clock, status="former", approved=True)
    result = ask_coaching(store, policy, clock.now())
    assert result.outcome is Outcome.REFUSED and "former client" in say(result, policy)
    assert "already approved" not in say(result, policy)


@pytest.mark.parametrize(
    ("status", "may_call", "words"),
    [("closed", True, "file is closed"), ("former", True, "former client"),
     ("active", False, "not given permission to be called")],
    ids=["003: file closed meanwhile", "003: became a former client",
         "003: refused calls meanwhile"],
)
def test_coaching_is_not_approved_for_a_client_who_became_ineligible(
    store: Store, policy: ClinicPolicy, clock: ManualClock, status: str, may_call: bool,
    words: str,
) -> None:
    save_client(store, clock)
    result = ask_coaching(store, policy, clock.now())
    drain(store, policy, clock.now())
    save_client(store, clock, status=status, may_call=may_call)

    refused = click(store, policy, result.approval_id, "U0BEDICS", APPROVE, clock.now())
    assert refused.outcome is Decision.NOT_ELIGIBLE
    # Dr. Bedics is not on Ana's treating team: told that coaching no longer applies, not why.
    assert words not in say(refused, policy) and "use Deny" in say(refused, policy)
    assert approval_row(store, result.approval_id).status == "pending"
    with store.unit_of_work() as uow:
        record = uow.clients.get(CODE)
        assert record is not None and record.coaching_approved_by is None
    assert drain(store, policy, clock.now()) == []
    [event] = audit(store, "approval.click")
    assert event.details["accepted"] is False

    # The treating team's supervisor, as the approver, is told why; a denial still closes it.
    named = parse_policy({**POLICY_DATA, "approvals": {**POLICY_DATA["approvals"],
                                                      "phone_coaching": "U0JAMIE"}})
    with store.unit_of_work() as uow:
        approval = uow.approvals.get(result.approval_id)
        assert approval is not None
        approval.approver = "U0JAMIE"
        uow.session.add(approval)
        uow.commit()
    told = click(store, named, result.approval_id, "U0JAMIE", APPROVE, clock.now())
    assert told.outcome is Decision.NOT_ELIGIBLE and words in say(told, policy)
    denied = click(store, named, result.approval_id, "U0JAMIE", DENY, clock.now(),
                   reason="no longer in care")
    assert denied.outcome is Decision.DECIDED
    assert approval_row(store, result.approval_id).status == "denied"


# status, may the client be called?, approval on file? -> the card's coaching line (seed 003)
OFFER = f"ask with `/contact-check coaching {CODE}`"
NOT_FOR = "*No DBT phone coaching* for this client"
CARD_LINES = {
    "003: active, not approved: how to ask": ("active", True, False, OFFER),
    "003: active, approved": ("active", True, True, "DBT phone coaching approved* by <@U0BEDICS>"),
    "003: closed, not approved: not offered": ("closed", True, False, NOT_FOR),
    "003: former, not approved: not offered": ("former", True, False, NOT_FOR),
    "003: refused calls, not approved: not offered": ("active", False, False, NOT_FOR),
    "003: closed, approved earlier": ("closed", True, True, "no longer applies"),
    "003: former, approved earlier": ("former", True, True, "no longer applies"),
    "003: refused calls, approved earlier": ("active", False, True, "no longer applies"),
}


@pytest.mark.parametrize(("status", "may_call", "approved", "line"), CARD_LINES.values(),
                         ids=CARD_LINES)
def test_the_card_offers_or_shows_coaching_only_for_an_eligible_client(
    store: Store, policy: ClinicPolicy, clock: ManualClock, status: str, may_call: bool,
    approved: bool, line: str,
) -> None:
    save_client(store, clock, status=status, may_call=may_call, approved=approved)
    card = card_message(look(store, policy, code=CODE, viewer="U0ANA", now=clock.now()),
                        policy)
    assert_valid_message(card)
    shown = json.dumps(card)
    assert line in shown
    assert ("/contact-check coaching" in shown) is (line == OFFER)
    if line == "no longer applies":
        assert NOT_FOR in shown and "by <@U0BEDICS> on Tuesday, November 24" in shown
        assert "DBT phone coaching approved*" not in shown


def test_coaching_without_a_named_approver_says_what_to_fix(
    seeded: Store, clock: ManualClock
) -> None:
    policy = parse_policy({**POLICY_DATA, "approvals": {"backup": "U0DIRECTOR"}})
    with seeded.unit_of_work() as uow:
        result = service.request_coaching(uow, policy, client_code=CODE, requested_by="U0ANA",
                                          now=clock.now())
    assert result.outcome is Outcome.REFUSED and "approvals.phone_coaching" in say(result, policy)


def test_unknown_or_malformed_approval_ids_change_nothing(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    for bogus in ("not-a-uuid", str(uuid.uuid4())):
        result = click(seeded, policy, bogus, "U0JAMIE", APPROVE, clock.now())
        assert result.outcome is Decision.UNKNOWN
    assert [e.details["accepted"] for e in audit(seeded, "approval.click")] == [False, False]


def test_no_show_dates_may_be_dates(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    with seeded.unit_of_work() as uow:
        result = service.request_closure_warning(
            uow, policy, client_code=CODE, clinician=None, requested_by="U0ANA",
            no_show_dates=[date(2026, 11, 10), date(2026, 11, 17), date(2026, 11, 24)],
            now=clock.now())
        uow.commit()
    assert result.approver == "U0JAMIE"  # the client's clinician on file
    request = only(drain(seeded, policy, clock.now()), service.REQUEST)
    assert "3 appointments in a row (Tue Nov 10, Tue Nov 17 and Tue Nov 24)" in request.everything


def test_nothing_is_stored_in_clear(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    result = request_closure(seeded, policy, clock.now())
    click(seeded, policy, result.approval_id, "U0JAMIE", DENY, clock.now(), reason="private")
    with seeded.unit_of_work() as uow:
        for row in uow.session.exec(select(OutboxMessage)).all():
            assert "private" not in json.dumps(row.payload)
        client = uow.session.exec(select(Client)).one()
        assert client.coaching_approved_by is None


# --- from the no-show use case -----------------------------------------------------------------


def test_from_two_no_shows_to_the_clinicians_closure_warning_script(
    seeded: Store, policy: ClinicPolicy, clock: ManualClock
) -> None:
    from bot.services.appointments import record_appointment, record_no_show

    first, second = NO_SHOWS
    clock.set(datetime(2026, 11, 16, 15, tzinfo=UTC))
    with seeded.unit_of_work() as uow:
        for start in (first, second):
            record_appointment(uow, policy, actor="U0ANA", code=CODE, start=start, minutes=50,
                               now=clock.now())
        uow.commit()

    clock.set(first + timedelta(minutes=30))
    with seeded.unit_of_work() as uow:
        missed = record_no_show(uow, policy, actor="U0ANA", now=clock.now(), code=CODE)
        uow.commit()
    assert missed.consecutive == 1 and missed.closure_request is None

    clock.set(second + timedelta(minutes=30))
    with seeded.unit_of_work() as uow:
        missed = record_no_show(uow, policy, actor="U0ANA", now=clock.now(), code=CODE)
        uow.commit()
    assert missed.consecutive == 2
    request_result = missed.closure_request
    assert request_result is not None and request_result.outcome is Outcome.REQUESTED
    assert "<@U0JAMIE>" in say(request_result, policy)

    sent = drain(seeded, policy, clock.now())
    request = only(sent, service.REQUEST, "U0JAMIE")
    assert "missed 2 appointments in a row (Tue Nov 17 and Tue Nov 24)" in request.everything
    assert request.buttons() == ["Approve", "Deny"]

    clock.advance(timedelta(minutes=15))
    assert click(seeded, policy, request_result.approval_id, "U0JAMIE", APPROVE,
                 clock.now()).outcome is Decision.DECIDED
    script = only(drain(seeded, policy, clock.now()), service.OUTCOME, "U0ANA").everything
    assert "Hi [first name], this is Ana. Please call me at" in script
    assert "by Friday, November 27 at 5:00 PM" in script
    assert "Documentation note" in script


@pytest.mark.parametrize(("clinic_name_ok", "phone", "number"), [
    (True, "+12155550100", "(215) 555-0100"),
    (True, None, "[your direct line]"),
    (False, "+12155550100", "[your direct line]"),
    (False, None, "[your direct line]"),
])
def test_the_closure_warning_gives_the_main_line_only_with_clinic_name_consent(
    seeded: Store, clock: ManualClock, clinic_name_ok: bool, phone: str | None, number: str
) -> None:
    """Whoever dials the clinic's main line back hears the clinic's name."""
    policy = parse_policy({**POLICY_DATA, "clinic": {**POLICY_DATA["clinic"], "phone": phone}})
    with seeded.unit_of_work() as uow:
        record = uow.clients.get(CODE)
        assert record is not None and record.consent is not None
        uow.clients.save(replace(record, consent=replace(record.consent,
                                                         clinic_name_ok=clinic_name_ok)),
                         now=clock.now())
        uow.commit()
    result = request_closure(seeded, policy, clock.now())
    drain(seeded, policy, clock.now())
    click(seeded, policy, result.approval_id, "U0JAMIE", APPROVE, clock.now())
    text = only(drain(seeded, policy, clock.now()), service.OUTCOME, "U0ANA").everything
    assert number in text
    assert ("555-0100" in text) is (number != "[your direct line]")
