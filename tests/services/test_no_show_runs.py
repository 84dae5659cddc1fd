"""Issue 17 and issue 11 (facts re-checked) on both databases: consecutive no-shows count the same
whatever order they are marked in, exactly one closure-warning request reaches the supervisor per
run, and an arrival that breaks the run withdraws the pending request.

Every test asserts the counts and the requests the supervisor actually receives (the outbox
drained the way the dispatcher drains it, ``tests.services.test_approvals.drain``).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import permutations

import pytest

from bot.clock import ManualClock
from bot.policy.clinic import ClinicPolicy
from bot.policy_file.validation import parse_policy
from bot.services import appointments
from bot.services import approvals as service
from bot.services.appointments import CHASE_KIND, ArrivedResult, NoShowResult
from bot.services.approvals import APPROVE, Decision, Outcome
from storage.tables import Approval
from storage.uow import Store
from tests.handlers.conftest import maria
from tests.services.test_approvals import POLICY_DATA, Sent, click, drain, only, say

WEEK = timedelta(days=7)
# Three Tuesdays at 11:00 in New York; every mark is made on the last one, at noon.
TUESDAYS = tuple(datetime(2026, 11, 10, 16, tzinfo=UTC) + i * WEEK for i in range(3))
BOOKED_AT = datetime(2026, 11, 9, 15, tzinfo=UTC)
NOON = datetime(2026, 11, 24, 17, tzinfo=UTC)
DAYS = ("Tue Nov 10", "Tue Nov 17", "Tue Nov 24")
ISO = ("2026-11-10", "2026-11-17", "2026-11-24")


@pytest.fixture
def policy() -> ClinicPolicy:
    return parse_policy(POLICY_DATA)


def new_client(store: Store, code: str, clock: ManualClock | None = None) -> str:
    record = replace(maria(clock or ManualClock(BOOKED_AT)), code=code, preferred_name="Mariposa")
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=BOOKED_AT)
        uow.commit()
    return code


def book(store: Store, policy: ClinicPolicy, code: str,
         starts: tuple[datetime, ...] = TUESDAYS) -> list[uuid.UUID]:
    """The appointments, booked before they happen (so each gets its chase)."""
    with store.unit_of_work() as uow:
        ids = [appointments.record_appointment(uow, policy, actor="U0ANA", code=code, start=s,
                                               minutes=50, now=BOOKED_AT).appointment_id
               for s in starts]
        uow.commit()
    return ids


def no_show(store: Store, policy: ClinicPolicy, appointment_id: uuid.UUID | None = None, *,
            code: str | None = None, actor: str = "U0ANA", now: datetime = NOON) -> NoShowResult:
    """By the chase's button (``appointment_id``) or by ``noshow CODE`` (``code``)."""
    with store.unit_of_work() as uow:
        result = appointments.record_no_show(uow, policy, actor=actor, now=now,
                                             appointment_id=appointment_id, code=code)
        uow.commit()
    return result


def arrived(store: Store, policy: ClinicPolicy, appointment_id: uuid.UUID, *,
            actor: str = "U0DESK", now: datetime = NOON) -> ArrivedResult:
    with store.unit_of_work() as uow:
        result = appointments.mark_arrived(uow, policy, actor=actor, now=now,
                                           appointment_id=appointment_id)
        uow.commit()
    return result


def closure_requests(store: Store, code: str) -> list[Approval]:
    with store.unit_of_work() as uow:
        client = uow.clients.row(code)
        assert client is not None
        rows = uow.approvals.for_client(client.id, "closure_warning")
        uow.session.expunge_all()
        return rows


def to_supervisor(sent: list[Sent], kind: str = service.REQUEST) -> list[Sent]:
    return [s for s in sent if s.kind == kind and s.recipient == "U0JAMIE"]


# --- every order of marking ----------------------------------------------------------------------

ORDERS = [order for size in (2, 3) for order in permutations(range(size))]


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(DAYS[i][4:] for i in o) for o in ORDERS])
def test_every_order_of_marking_counts_the_same_and_asks_once(
    store: Store, policy: ClinicPolicy, order: tuple[int, ...]
) -> None:
    code = new_client(store, "C-1042")
    ids = book(store, policy, "C-1042", TUESDAYS[:len(order)])
    requests_seen: list[Sent] = []
    for marked, index in enumerate(order, start=1):
        # today's appointment by `noshow CODE`, the older ones by their chase's button
        result = (no_show(store, policy, code=code) if index == 2
                  else no_show(store, policy, ids[index]))
        assert result.consecutive == marked  # the unmarked ones are skipped, not breaks
        others = sorted(set(order[:marked]) - {index})
        assert [t for t in result.run_starts if t != TUESDAYS[index]] == [TUESDAYS[i]
                                                                          for i in others]
        expected = {1: None, 2: Outcome.REQUESTED, 3: Outcome.UPDATED}[marked]
        assert (result.closure_request.outcome if result.closure_request else None) == expected
        sent = drain(store, policy, NOON)
        requests_seen += to_supervisor(sent)
        if marked == 3:  # the supervisor's request message now lists all three
            [update] = to_supervisor(sent, service.DECIDED)
            assert update.buttons() == ["Approve", "Deny"]
            assert f"missed 3 appointments in a row ({DAYS[0]}, {DAYS[1]} and {DAYS[2]})" \
                in update.everything
    [request] = closure_requests(store, code)
    assert request.status == "pending"
    assert request.details["no_show_dates"] == list(ISO[:len(order)])  # in time order
    assert len(requests_seen) == 1
    assert "missed 2 appointments in a row" in requests_seen[0].everything


def test_a_third_no_show_adds_to_the_pending_request_and_its_reply_says_so(
    store: Store, policy: ClinicPolicy
) -> None:
    code = new_client(store, "C-1042")
    ids = book(store, policy, code)
    no_show(store, policy, ids[0])
    first = no_show(store, policy, ids[1])
    assert first.closure_request is not None
    third = no_show(store, policy, ids[2])
    assert third.closure_request is not None
    assert third.closure_request.approval_id == first.closure_request.approval_id
    assert "now lists 3 missed appointments in a row" in say(third.closure_request, policy)
    assert "No second request" in say(third.closure_request, policy)
    again = no_show(store, policy, ids[2])  # recorded again: nothing changes, nothing asked
    assert again.already and again.consecutive == 3 and again.closure_request is None
    assert len(closure_requests(store, code)) == 1


# --- chases delivered in either order ------------------------------------------------------------


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest chase first",
                                                             "oldest chase first"])
def test_chases_delivered_in_either_order(store: Store, policy: ClinicPolicy,
                                          newest_first: bool) -> None:
    code = new_client(store, "C-1042")
    book(store, policy, code, TUESDAYS[1:])
    chases = [s for s in drain(store, policy, NOON) if s.kind == CHASE_KIND]
    assert len(chases) == 2  # both chases reached Ana (last week's, late)
    texts = sorted(c.rendered.text for c in chases)
    assert "for 11:00 AM (it started 60 minutes ago)" in texts[0]  # today's
    assert "for Tuesday, November 17 at 11:00 AM (it started 7 days ago)" in texts[1]
    with store.unit_of_work() as uow:
        rows = [uow.outbox.get(s.row_id) for s in chases]
        chased = [uuid.UUID(r.payload["appointment_id"]) for r in rows if r]
    pressed = sorted(chased, key=lambda i: _start(store, i), reverse=newest_first)
    first = no_show(store, policy, pressed[0])
    second = no_show(store, policy, pressed[1])
    assert (first.consecutive, second.consecutive) == (1, 2)
    assert first.closure_request is None
    assert second.closure_request is not None
    assert second.closure_request.outcome is Outcome.REQUESTED
    [request] = to_supervisor(drain(store, policy, NOON))
    assert f"missed 2 appointments in a row ({DAYS[1]} and {DAYS[2]})" in request.everything


def _start(store: Store, appointment_id: uuid.UUID) -> datetime:
    with store.unit_of_work() as uow:
        found = appointments.find_appointment(uow, appointment_id)
        assert found is not None
        return found[1]


# --- two clicks racing ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_mark_waits_for_the_other_marks_transaction_on_postgresql(
    store: Store, policy: ClinicPolicy
) -> None:
    """The second mark is counted with the first in it, not beside it."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("two transactions at once are a PostgreSQL matter (SQLite has one writer)")
    code = new_client(store, "C-1042")
    ids = book(store, policy, code, TUESDAYS[1:])
    later: list[NoShowResult] = []
    with store.unit_of_work() as first:
        appointments.record_no_show(first, policy, actor="U0ANA", now=NOON,
                                    appointment_id=ids[1])
        other = threading.Thread(target=lambda: later.append(
            no_show(store, policy, ids[0], actor="U0DESK")))
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive()  # waiting on the lock of the first mark
        first.commit()
    other.join(timeout=10)
    [result] = later
    assert result.consecutive == 2 and result.closure_request is not None
    assert result.closure_request.outcome is Outcome.REQUESTED
    assert len(closure_requests(store, code)) == 1
    assert len(to_supervisor(drain(store, policy, NOON))) == 1


def race(store: Store, policy: ClinicPolicy, presses: list[tuple[uuid.UUID, str]]
         ) -> list[NoShowResult]:
    """Each (appointment, clinician) pressed at the same moment on its own connection."""
    barrier = threading.Barrier(len(presses))
    results: list[NoShowResult] = []
    errors: list[BaseException] = []

    def press(appointment_id: uuid.UUID, actor: str) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(no_show(store, policy, appointment_id, actor=actor))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=press, args=p) for p in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_clinicians_clicks_racing_ask_once(store: Store, policy: ClinicPolicy) -> None:
    for attempt in range(4):
        code = new_client(store, f"C-RACE{attempt}")
        ids = book(store, policy, code, TUESDAYS[1:])
        results = race(store, policy, [(ids[0], "U0ANA"), (ids[1], "U0DESK")])
        assert sorted(r.consecutive for r in results) == [1, 2]
        asked = [r.closure_request for r in results if r.closure_request is not None]
        assert [a.outcome for a in asked] == [Outcome.REQUESTED]
        assert len(closure_requests(store, code)) == 1
    sent = drain(store, policy, NOON)
    assert len(to_supervisor(sent)) == 4  # one per client, never two


def test_three_clicks_racing_make_one_request_with_three_dates(
    store: Store, policy: ClinicPolicy
) -> None:
    code = new_client(store, "C-1042")
    ids = book(store, policy, code)
    results = race(store, policy, list(zip(ids, ("U0ANA", "U0DESK", "U0JAMIE"), strict=True)))
    assert sorted(r.consecutive for r in results) == [1, 2, 3]
    outcomes = sorted(r.closure_request.outcome for r in results if r.closure_request)
    assert outcomes == sorted([Outcome.REQUESTED, Outcome.UPDATED])
    [request] = closure_requests(store, code)
    assert request.details["no_show_dates"] == list(ISO)
    [sent] = to_supervisor(drain(store, policy, NOON))
    assert "missed 3 appointments in a row" in sent.everything


# --- corrections and arrivals --------------------------------------------------------------------


def three_in_a_row(store: Store, policy: ClinicPolicy) -> tuple[str, list[uuid.UUID], Sent]:
    code = new_client(store, "C-1042")
    ids = book(store, policy, code)
    for appointment_id in ids:
        no_show(store, policy, appointment_id)
    [request] = to_supervisor(drain(store, policy, NOON))
    return code, ids, request


def test_correcting_the_first_of_three_keeps_the_request_on_the_two_left(
    store: Store, policy: ClinicPolicy
) -> None:
    code, ids, _ = three_in_a_row(store, policy)
    corrected = arrived(store, policy, ids[0])
    assert corrected.corrected_no_show
    assert corrected.closure_request is not None
    assert corrected.closure_request.outcome is Outcome.UPDATED
    [request] = closure_requests(store, code)
    assert request.status == "pending" and request.details["no_show_dates"] == list(ISO[1:])
    [update] = to_supervisor(drain(store, policy, NOON), service.DECIDED)
    assert update.buttons() == ["Approve", "Deny"]
    assert f"missed 2 appointments in a row ({DAYS[1]} and {DAYS[2]})" in update.everything


@pytest.mark.parametrize(("size", "corrected_index"), [(2, 0), (2, 1), (3, 1)],
                         ids=["first of two", "second of two", "middle of three"])
def test_a_correction_that_breaks_the_run_withdraws_the_request(
    store: Store, policy: ClinicPolicy, size: int, corrected_index: int
) -> None:
    code = new_client(store, "C-1042")
    ids = book(store, policy, code, TUESDAYS[:size])
    for appointment_id in ids:
        no_show(store, policy, appointment_id)
    [request] = to_supervisor(drain(store, policy, NOON))

    result = arrived(store, policy, ids[corrected_index], now=NOON + timedelta(minutes=5))
    assert result.closure_request is not None
    assert result.closure_request.outcome is Outcome.WITHDRAWN
    cause = f"the no-show on {DAYS[corrected_index]} was corrected to arrived by <@U0DESK>"
    assert (cause in say(result.closure_request, policy)
            and "withdrawn" in say(result.closure_request, policy))
    [approval] = closure_requests(store, code)
    assert (approval.status, approval.decided_by) == ("withdrawn", "U0DESK")

    sent = drain(store, policy, NOON + timedelta(minutes=5))
    [update] = to_supervisor(sent, service.DECIDED)  # the approver's message says so
    assert update.rendered.update is not None and update.buttons() == []
    assert "Withdrawn on Tuesday, November 24 at 12:05 PM" in update.everything
    assert cause in update.everything
    told = only(sent, service.OUTCOME, "U0ANA")  # the requester is told
    assert "Withdrawn" in told.everything and "Don't warn the client" in told.everything
    assert to_supervisor(sent) == []  # nothing new to decide

    assert f"Approval needed: Closure warning for {code}" in request.rendered.text
    late = click(store, policy, approval.id, "U0JAMIE", APPROVE, NOON + timedelta(minutes=10))
    assert late.outcome is Decision.ALREADY_DECIDED
    assert "was withdrawn" in say(late, policy) and "nothing to decide" in say(late, policy)
    assert closure_requests(store, code)[0].status == "withdrawn"


def test_the_client_coming_back_withdraws_the_pending_request(
    store: Store, policy: ClinicPolicy
) -> None:
    code = new_client(store, "C-1042")
    ids = book(store, policy, code)
    no_show(store, policy, ids[0])
    no_show(store, policy, ids[1])
    result = arrived(store, policy, ids[2], now=TUESDAYS[2])
    assert result.closure_request is not None
    assert result.closure_request.outcome is Outcome.WITHDRAWN
    assert f"C-1042 was marked arrived for {DAYS[2]}" in say(result.closure_request, policy)
    assert closure_requests(store, code)[0].status == "withdrawn"
    # shown again, last week's run is still two in a row, but she came back since
    late = no_show(store, policy, ids[1])
    assert late.already and late.consecutive == 2 and late.came_back == TUESDAYS[2]
    assert late.closure_request is None


def test_noshow_after_arrived_replaces_the_arrival_and_counts_again(
    store: Store, policy: ClinicPolicy
) -> None:
    code = new_client(store, "C-1042")
    ids = book(store, policy, code, TUESDAYS[1:])
    arrived(store, policy, ids[1], actor="U0DESK", now=TUESDAYS[2])
    first = no_show(store, policy, ids[0])
    assert first.consecutive == 1 and first.came_back is None
    replaced = no_show(store, policy, ids[1])
    assert replaced.replaced_arrival is not None
    assert replaced.replaced_arrival.marked_by == "U0DESK"
    assert replaced.consecutive == 2 and replaced.closure_request is not None
    assert replaced.closure_request.outcome is Outcome.REQUESTED
    assert len(closure_requests(store, code)) == 1


def test_a_long_run_behind_a_later_arrival_asks_nothing_and_says_why(
    store: Store, policy: ClinicPolicy
) -> None:
    code = new_client(store, "C-1042")
    ids = book(store, policy, code)
    arrived(store, policy, ids[2], now=TUESDAYS[2])
    no_show(store, policy, ids[1])
    result = no_show(store, policy, ids[0])
    assert result.consecutive == 2 and result.closure_request is None
    assert result.came_back == TUESDAYS[2]
    assert closure_requests(store, code) == []


def decided_run(store: Store, policy: ClinicPolicy, code: str, starts: tuple[datetime, ...],
                decision: str, at: datetime = NOON) -> tuple[list[uuid.UUID], uuid.UUID]:
    """Two no-shows on the first two ``starts``, their request decided at ``at``."""
    ids = book(store, policy, new_client(store, code), starts)
    no_show(store, policy, ids[0])
    asked = no_show(store, policy, ids[1]).closure_request
    assert asked is not None and asked.approval_id is not None
    click(store, policy, asked.approval_id, "U0JAMIE", decision, at,
          reason="not yet" if decision == service.DENY else None)
    return ids, asked.approval_id


def test_a_decided_run_is_not_asked_about_again(store: Store, policy: ClinicPolicy) -> None:
    ids, _ = decided_run(store, policy, "C-1042", TUESDAYS, service.DENY)
    third = no_show(store, policy, ids[2])
    assert third.consecutive == 3 and third.closure_request is not None
    assert third.closure_request.outcome is Outcome.ALREADY_DECIDED
    assert "already decided: denied by <@U0JAMIE>" in say(third.closure_request, policy)
    assert len(closure_requests(store, "C-1042")) == 1


def test_correcting_a_no_show_an_approved_warning_counted(
    store: Store, policy: ClinicPolicy
) -> None:
    ids, approval_id = decided_run(store, policy, "C-1042", TUESDAYS[1:], APPROVE)
    drain(store, policy, NOON)
    result = arrived(store, policy, ids[0], now=NOON + timedelta(hours=1))
    assert result.closure_request is not None
    assert result.closure_request.outcome is Outcome.ALREADY_APPROVED
    assert "don't warn them" in say(result.closure_request, policy)
    # the reminder to close the file is dropped at the deadline (Friday 5:00 PM)
    assert drain(store, policy, datetime(2026, 11, 27, 22, 1, tzinfo=UTC)) == []
    with store.unit_of_work() as uow:
        [row] = uow.outbox.for_subject(service.SUBJECT, approval_id,
                                       kinds=[service.CLOSURE_DEADLINE])
        assert row.status == "cancelled" and "corrected to arrived" in (row.last_error or "")
    assert len(closure_requests(store, "C-1042")) == 1


def test_the_note_says_the_confirm_by_date_of_an_approved_warning_until_it_passes(
    store: Store, policy: ClinicPolicy
) -> None:
    ids, _ = decided_run(store, policy, "C-1042", TUESDAYS, APPROVE)  # deadline Fri Nov 27
    note = no_show(store, policy, ids[2], now=NOON + timedelta(minutes=1)).note
    assert "confirm their next appointment by Friday, November 27 at 5:00 PM" in note
    assert "Next appointment: none booked." in note
    after = no_show(store, policy, ids[2], now=datetime(2026, 11, 28, tzinfo=UTC)).note
    assert "Closure warning approved" not in after
