"""The team report, the weekly digest and the access report against a known history (issue 16).

The week reported is Mon 16 - Sun 22 Nov 2026 (New York, open Mon-Fri 09:00-17:00, turnaround
24 hours on the call-back clock); "now" is Tue 24 Nov 10:00. Every figure is worked out by hand
in the comments next to the rows that make it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.outbox_kinds import OUTBOX_KINDS
from bot.policy.clinic import (
    CallbackPolicy,
    Clinic,
    ClinicPolicy,
    DailyWindow,
    ReportsPolicy,
    TeamMember,
)
from bot.policy.reports import Period
from bot.runtime import sync_team
from bot.sandbox.standin import SlackStandIn
from bot.services.reports import (
    ACCESS_REPORTED,
    DIGEST_KIND,
    PeriodInvalid,
    access_report,
    digest_still_wanted,
    queue_digests,
    resolve_period,
    team_overdue,
    team_report,
)
from bot.slack_ui.reports import access_message, digest_message, team_report_message
from storage.tables import Appointment, Approval, CallbackDuty, Client, OutboxMessage, RunIn
from storage.uow import Store

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=NY)
WEEK = Period(date(2026, 11, 16), date(2026, 11, 22))
CODES = ("C-1042", "C-2000", "C-3000")


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NY).astimezone(UTC)


def clinic_policy(*, digest: bool = True) -> ClinicPolicy:
    weekday = DailyWindow(time(9), time(17))
    return ClinicPolicy(
        clinic=Clinic(name="Great Agency", timezone=NY, hours={d: weekday for d in range(5)}),
        callbacks=CallbackPolicy(turnaround_hours=24),
        reports=ReportsPolicy(weekly_digest=digest),
        team=(
            TeamMember("U0JAMIE", "supervisor", "Jamie"),
            TeamMember("U0ANA", "clinician", "Ana", supervisor="U0JAMIE"),
            TeamMember("U0BEN", "clinician", "Ben", supervisor="U0JAMIE"),
            TeamMember("U0CY", "clinician", "Cy"),
            TeamMember("U0DESK", "front_desk", "Sam"),
            TeamMember("U0ADMIN", "admin", "Lee"),
        ),
    )


POLICY = clinic_policy()


def _duty(client: Client, clinician: str, called: datetime, due: datetime | None,
          status: str = "open", closed: datetime | None = None, *, owed: bool = True,
          logged_by: str = "U0ANA") -> CallbackDuty:
    return CallbackDuty(client_id=client.id, clinician=clinician, logged_by=logged_by,
                        called_at=called, due_at=due, status=status, closed_at=closed,
                        owed=owed)


def _chase(appointment: Appointment, clinician: str, sent: datetime) -> OutboxMessage:
    return OutboxMessage(kind="no_show_chase", recipient=clinician, due_at=sent,
                         available_at=sent, status="sent", sent_at=sent,
                         subject_kind="appointment", subject_id=appointment.id,
                         payload={"client_code": "C-1042"})


def _approval(client: Client, kind: str, clinician: str, status: str, created: datetime,
              decided: datetime | None = None) -> Approval:
    return Approval(kind=kind, client_id=client.id, requester=clinician, approver="U0JAMIE",
                    status=status, created_at=created, decided_at=decided,
                    details={"client_code": client.code, "clinician": clinician})


@pytest.fixture
def history(store: Store) -> dict[str, Client]:
    with store.unit_of_work() as uow:
        clients = {code: Client(code=code, clinician="U0ANA", created_at=ny(1, 9))
                   for code in CODES}
        for c in clients.values():
            uow.session.add(c)
        uow.session.flush()
        c = clients["C-1042"]
        appt1 = Appointment(client_id=c.id, clinician="U0ANA", start_at=ny(16, 13),
                            status="no_show", marked_by="U0ANA", marked_at=ny(16, 13, 50))
        appt2 = Appointment(client_id=c.id, clinician="U0ANA", start_at=ny(18, 14))
        appt3 = Appointment(client_id=clients["C-2000"].id, clinician="U0BEN",
                            start_at=ny(19, 9), status="arrived", marked_by="U0DESK",
                            marked_at=ny(19, 9, 30))
        appt4 = Appointment(client_id=clients["C-3000"].id, clinician="U0ANA",
                            start_at=ny(13, 9), status="arrived", marked_at=ny(13, 9, 40))
        uow.session.add_all([appt1, appt2, appt3, appt4])
        uow.session.flush()
        uow.session.add_all([
            # Ana: owed 4 (the not-owed and the not-owed-at-all are left out, as is the call
            # of the week before); on time 2, late 1, overdue 1; returns on the call-back clock
            # 4 h, 26 h and 17 h: median 17 h.
            _duty(c, "U0ANA", ny(16, 10), ny(17, 10), "returned", ny(16, 14)),  # on time, 4 h
            _duty(c, "U0ANA", ny(17, 10), ny(18, 10), "returned", ny(18, 12)),  # late, 26 h
            _duty(c, "U0ANA", ny(20, 10), ny(23, 10)),  # overdue since Mon 23 10:00
            _duty(c, "U0ANA", ny(20, 16), ny(23, 16), "returned", ny(23, 9)),  # on time, 17 h
            _duty(c, "U0ANA", ny(19, 16), ny(20, 16), "not_owed", ny(19, 17)),
            _duty(c, "U0ANA", ny(19, 11), None, "not_owed", ny(19, 11), owed=False),
            _duty(c, "U0ANA", ny(13, 10), ny(16, 10), "returned", ny(13, 11)),  # week before
            # Ben: one call the front desk logged, open and not yet due.
            _duty(clients["C-2000"], "U0BEN", ny(18, 10), ny(25, 10), logged_by="U0DESK"),
            # Chases: Ana twice (answered after 30 min, and not answered), Ben once (10 min);
            # the chase of the week before is left out.
            _chase(appt1, "U0ANA", ny(16, 13, 20)),
            _chase(appt2, "U0ANA", ny(18, 14, 20)),
            _chase(appt3, "U0BEN", ny(19, 9, 20)),
            _chase(appt4, "U0ANA", ny(13, 9, 20)),
            # Closure warnings for Ana: approved in 2 h, denied in 4 h (median 3 h), withdrawn,
            # pending; DBT coaching for Ben approved in 1 h; Cy's request is not Jamie's team.
            _approval(c, "closure_warning", "U0ANA", "approved", ny(16, 9), ny(16, 11)),
            _approval(c, "closure_warning", "U0ANA", "denied", ny(17, 9), ny(17, 13)),
            _approval(c, "closure_warning", "U0ANA", "withdrawn", ny(18, 9), ny(18, 10)),
            _approval(c, "closure_warning", "U0ANA", "pending", ny(19, 9)),
            _approval(clients["C-2000"], "phone_coaching", "U0BEN", "approved", ny(17, 9),
                      ny(17, 10)),
            _approval(clients["C-3000"], "phone_coaching", "U0CY", "denied", ny(17, 9),
                      ny(17, 9, 30)),
            # Run-ins: Ana documented two, one revisited.
            RunIn(client_id=c.id, clinician="U0ANA", occurred_at=ny(16, 8), initiated_by="client",
                  created_by="U0ANA", created_at=ny(16, 12), followed_up_at=ny(18, 12)),
            RunIn(client_id=c.id, clinician="U0ANA", occurred_at=ny(19, 8), initiated_by="client",
                  created_by="U0ANA", created_at=ny(19, 12)),
        ])
        sync_team(uow.session, uow.audit, POLICY, NOW)
        uow.commit()
    return clients


def _report(store: Store, user: str, policy: ClinicPolicy = POLICY):
    member = policy.member(user)
    assert member is not None
    with store.unit_of_work(read_only=True) as uow:
        return team_report(uow, policy, member, WEEK, NOW)


def test_every_figure_of_the_supervisors_report(store: Store, history: dict) -> None:
    report = _report(store, "U0JAMIE")
    rows = dict(report.figures.rows)
    assert list(rows) == ["U0JAMIE", "U0ANA", "U0BEN"]
    ana, ben = rows["U0ANA"], rows["U0BEN"]
    cb = ana.callbacks
    assert (cb.owed, cb.on_time, cb.late, cb.overdue, cb.open) == (4, 2, 1, 1, 0)
    assert cb.median_hours == 17
    assert (ana.chases.chased, ana.chases.answered, ana.chases.median_minutes) == (2, 1, 30)
    cw = ana.closure_warnings
    assert (cw.requested, cw.approved, cw.denied, cw.withdrawn, cw.pending) == (4, 1, 1, 1, 1)
    assert cw.median_decision_hours == 3
    assert ana.coaching.requested == 0
    assert (ana.runins.documented, ana.runins.revisited) == (2, 1)
    assert (ben.callbacks.owed, ben.callbacks.open, ben.callbacks.median_hours) == (1, 1, None)
    assert (ben.chases.chased, ben.chases.answered, ben.chases.median_minutes) == (1, 1, 10)
    assert (ben.coaching.requested, ben.coaching.approved,
            ben.coaching.median_decision_hours) == (1, 1, 1)
    assert rows["U0JAMIE"].empty
    total = report.figures.total
    assert (total.callbacks.owed, total.callbacks.on_time, total.callbacks.overdue,
            total.callbacks.open) == (5, 2, 1, 1)
    assert (total.chases.chased, total.chases.answered, total.chases.median_minutes) == (3, 2, 20)
    assert total.coaching.requested == 1  # Cy's request is not in Jamie's report


def test_the_report_says_which_call_backs_are_overdue_and_which_not_yet_due(
        store: Store, history: dict) -> None:
    # "1 overdue · 0 open" read as a contradiction (an overdue call-back is still open): the
    # line names the two kinds of unreturned call-back apart.
    text = json.dumps(team_report_message(_report(store, "U0JAMIE")), ensure_ascii=False)
    assert "1 overdue · 0 not yet due" in text  # Ana
    assert "0 overdue · 1 not yet due" in text  # Ben
    assert "1 overdue · 1 not yet due" in text  # the total
    assert " open ·" not in text


def test_who_sees_whom(store: Store, history: dict) -> None:
    assert [c for c, _ in _report(store, "U0ANA").figures.rows] == ["U0ANA"]
    assert [c for c, _ in _report(store, "U0ADMIN").figures.rows] == [
        "U0JAMIE", "U0ANA", "U0BEN", "U0CY"]
    assert _report(store, "U0ADMIN").figures.total.coaching.requested == 2
    desk = _report(store, "U0DESK")
    assert desk.scope.callbacks_only
    assert (desk.figures.total.callbacks.owed, desk.figures.total.callbacks.open) == (1, 1)
    assert desk.figures.total.chases.chased == 0  # front desk see the call-backs they logged


def test_the_report_and_the_digest_carry_no_client_code(store: Store, history: dict) -> None:
    for user in ("U0JAMIE", "U0ADMIN", "U0DESK", "U0ANA"):
        text = json.dumps(team_report_message(_report(store, user)))
        assert not any(code in text for code in CODES)
    assert "Ana" in json.dumps(team_report_message(_report(store, "U0JAMIE")))


@pytest.mark.parametrize(("word", "first", "last", "expected"), [
    (None, None, None, Period(date(2026, 11, 16), date(2026, 11, 22))),
    ("week", None, None, Period(date(2026, 11, 16), date(2026, 11, 22))),
    ("month", None, None, Period(date(2026, 10, 1), date(2026, 10, 31))),
    (None, date(2026, 11, 2), date(2026, 11, 15), Period(date(2026, 11, 2), date(2026, 11, 15))),
])
def test_periods(word, first, last, expected) -> None:
    assert resolve_period(word, first, last, date(2026, 11, 24)) == expected


def test_a_period_too_far_back_is_refused() -> None:
    with pytest.raises(PeriodInvalid, match="more than a year ago"):
        resolve_period(None, date(2024, 1, 1), date(2024, 1, 5), date(2026, 11, 24))


def test_team_overdue_now_for_the_supervisor(store: Store, history: dict) -> None:
    with store.unit_of_work(read_only=True) as uow:
        overdue = team_overdue(uow, POLICY, POLICY.member("U0JAMIE"), NOW)
        assert team_overdue(uow, POLICY, POLICY.member("U0ANA"), NOW) == ()
    assert [(o.first_name, o.codes) for o in overdue] == [("Ana", ("C-1042",))]


# --- the weekly digest -------------------------------------------------------------------------


def _digest_rows(store: Store) -> list[OutboxMessage]:
    with store.unit_of_work(read_only=True) as uow:
        rows = uow.outbox.waiting(kinds=[DIGEST_KIND])
        uow.session.expunge_all()  # kept as read, past the unit of work
        return rows


def test_the_digest_is_queued_once_per_supervisor_at_the_first_opening(
        store: Store, history: dict) -> None:
    monday_early = datetime(2026, 11, 23, 7, 0, tzinfo=NY)
    for minutes in (0, 10):
        with store.unit_of_work() as uow:
            assert queue_digests(uow, POLICY, monday_early + timedelta(minutes=minutes)) == 1
            uow.commit()
    rows = _digest_rows(store)
    assert [(r.recipient, r.due_at, r.payload) for r in rows] == [
        ("U0JAMIE", ny(23, 9), {"week": "2026-11-16"})]
    with store.unit_of_work() as uow:  # turned off: this week's digests not sent are cancelled
        assert queue_digests(uow, clinic_policy(digest=False), monday_early) == 0
        uow.commit()
    assert _digest_rows(store) == []


def test_a_closed_monday_moves_the_digest_to_tuesday_opening(store: Store) -> None:
    weekday = DailyWindow(time(9), time(17))
    policy = ClinicPolicy(clinic=Clinic("X", NY, {d: weekday for d in range(1, 5)}),
                          team=POLICY.team)
    with store.unit_of_work() as uow:
        queue_digests(uow, policy, datetime(2026, 11, 23, 7, 0, tzinfo=NY))
        uow.commit()
    assert [r.due_at for r in _digest_rows(store)] == [ny(24, 9)]


def test_the_digest_is_valid_block_kit_with_a_chart_and_no_codes(
        store: Store, history: dict) -> None:
    with store.unit_of_work() as uow:
        queue_digests(uow, POLICY, ny(23, 7))
        uow.commit()
    row = _digest_rows(store)[0]
    with store.unit_of_work(read_only=True) as uow:
        assert digest_still_wanted(uow, row, ny(23, 9)) is None
        assert digest_still_wanted(uow, row, ny(30, 10)) == "a newer weekly digest is due"
        rendered = OUTBOX_KINDS[DIGEST_KIND].prepare(uow, POLICY, row, ny(23, 9))
    assert 0 < len(rendered.blocks) <= 50
    for block in rendered.blocks:
        assert block["type"] in ("header", "section", "context", "divider")
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    text = json.dumps(rendered.blocks) + rendered.text + rendered.files[0].title
    assert not any(code in text for code in CODES)
    assert "Ana" in text and "Ben" in text
    assert rendered.files[0].content[:4] == b"\x89PNG"


def test_the_digest_is_sent_with_its_chart_through_the_outbox(store: Store, history: dict
                                                              ) -> None:
    with store.unit_of_work() as uow:
        queue_digests(uow, POLICY, ny(23, 7))
        uow.commit()
    with SlackStandIn() as slack:
        deps = Deps(store=store, policy=POLICY, clock=ManualClock(ny(23, 9, 1)),
                    bot_token="xoxb-test", slack_api_url=slack.api_url, send_rate=50)
        Dispatcher(deps, per_channel_interval=0.0).drain(max_seconds=10)
        messages = slack.messages("U0JAMIE")
        files = slack.uploaded("U0JAMIE")
    assert messages[0]["text"].startswith("Your team's week")
    assert len(files) == 1 and files[0]["content"][:4] == b"\x89PNG"
    assert not any(code in json.dumps(messages, default=str) for code in CODES)


# --- the access report -------------------------------------------------------------------------


def test_the_access_report_lists_exactly_the_views(store: Store, history: dict) -> None:
    writer = store.audit_writer
    writer.append("U0ADMIN", "clients.exported", None, {"clients": 1}, at=ny(1, 8))  # before
    writer.append("U0ANA", "card.viewed", "C-1042", {"level": "details"}, at=ny(16, 9))
    writer.append("U0BEN", "card.refused", "C-1042", {"reason": "none"}, at=ny(16, 10))
    writer.append("U0JAMIE", "consent.viewed", "c-1042", {"level": "details"}, at=ny(17, 9))
    writer.append("U0ANA", "callback.returned", "C-1042", {}, at=ny(17, 10))
    writer.append("U0ANA", "card.viewed", "C-2000", {"level": "details"}, at=ny(17, 11))
    writer.append("cli:lee", "client.imported", "C-1042", {}, at=ny(18, 9))
    writer.append("cli:lee", "clients.exported", None, {"clients": 3}, at=ny(19, 9))
    writer.append("U0ANA", "runin.viewed", "C-1042", {}, at=ny(20, 9))
    with store.unit_of_work() as uow:
        report = access_report(uow, POLICY, "c-1042", None, actor="U0ADMIN", now=NOW)
        uow.commit()
    assert report.code == "C-1042" and report.on_file
    assert [(e.actor, e.kind, e.level) for e in report.entries] == [
        ("U0ANA", "run-in (modal)", None),
        ("cli:lee", "export (every client's details written to a file)", None),
        ("cli:lee", "import (details read from a file)", None),
        ("U0JAMIE", "consent form", "details"),
        ("U0ANA", "guidance card", "details"),
    ]
    with store.unit_of_work() as uow:
        since = access_report(uow, POLICY, "C-1042", date(2026, 11, 18), actor="U0ADMIN",
                              now=NOW)
        uow.commit()
        events = uow.reports.events_since(ny(1, 0))
    assert [e.kind for e in since.entries][-1] == "import (details read from a file)"
    assert len(since.entries) == 3  # and the first report's own read is not a view
    reads = [e for e in events if e.action == ACCESS_REPORTED]
    assert [(e.actor, e.client_code, e.details["views"]) for e in reads] == [
        ("U0ADMIN", "C-1042", 5), ("U0ADMIN", "C-1042", 3)]
    message = access_message(report, NY)
    assert "<@U0JAMIE>" in json.dumps(message) and "consent form" in json.dumps(message)


def test_the_access_report_of_a_code_not_on_file(store: Store) -> None:
    store.audit_writer.append("U0ANA", "card.viewed", "C-9", {"level": "logistics",
                                                              "known": False}, at=ny(16, 9))
    with store.unit_of_work() as uow:
        report = access_report(uow, POLICY, "C-9", None, actor="U0ADMIN", now=NOW)
    assert not report.on_file and [e.kind for e in report.entries] == ["guidance card"]


def test_digest_message_names_the_week(store: Store, history: dict) -> None:
    from bot.services.reports import weekly_digest

    with store.unit_of_work(read_only=True) as uow:
        digest = weekly_digest(uow, POLICY, POLICY.member("U0JAMIE"), date(2026, 11, 16), NOW)
    assert digest.on_time["Ana"][-1] == 2 and len(digest.on_time["Ana"]) == 8
    assert digest.on_time["Ana"][-2] == 1  # the call of the week before, returned on time
    assert "16 Nov" in digest_message(digest)["text"]


def test_a_digest_to_someone_who_left_the_team_is_not_sent(store: Store, history: dict) -> None:
    with store.unit_of_work() as uow:
        queue_digests(uow, POLICY, ny(23, 7))
        without_jamie = ClinicPolicy(clinic=POLICY.clinic, team=POLICY.team[1:])
        sync_team(uow.session, uow.audit, without_jamie, NOW)
        uow.commit()
    row = _digest_rows(store)[0]
    with store.unit_of_work(read_only=True) as uow:
        assert digest_still_wanted(uow, row, ny(23, 9)) == "the recipient is no longer on the team"
