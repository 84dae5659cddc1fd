"""Appointments and the no-show chase on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.outbox_kinds import OUTBOX_KINDS
from bot.policy.model import AppointmentRecord, ClientRecord
from bot.policy_file.validation import parse_policy
from bot.services import appointments
from bot.services.appointments import CHASE_KIND
from bot.services.authorise import Refused
from bot.services.imports import Numbered, import_appointments
from storage.tables import Approval, AuditEvent
from storage.uow import Store
from tests.services.conftest import NOW, consent

POLICY = parse_policy({
    "clinic": {"name": "Great Agency", "timezone": "America/New_York",
               "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}},
    "no_show": {"wait_minutes": 20, "closure_warning_after": 2},
    "team": [
        {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
        {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
        {"slack_id": "U0BEN", "role": "clinician", "first_name": "Ben"},
        {"slack_id": "U0DESK", "role": "front_desk", "first_name": "Sam"},
        {"slack_id": "U0ADMIN", "role": "admin", "first_name": "Lee"},
    ],
})
START = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 11:00 New York, an hour after NOW


def appt(store: Store, start: datetime = START, now: datetime = NOW, actor: str = "U0ANA"):
    with store.unit_of_work() as uow:
        result = appointments.record_appointment(uow, POLICY, actor=actor, code="C-1042",
                                                 start=start, minutes=50, now=now)
        uow.commit()
    return result


def noshow(store: Store, now: datetime, **kw):
    args = {"actor": "U0ANA", "code": "C-1042"} | kw
    with store.unit_of_work() as uow:
        result = appointments.record_no_show(uow, POLICY, now=now, **args)
        uow.commit()
    return result


def chase_rows(store: Store, appointment_id) -> list:
    with store.unit_of_work() as uow:
        return [(r.due_at, r.status, r.priority, r.recipient, dict(r.payload))
                for r in uow.outbox.for_subject("appointment", appointment_id, [CHASE_KIND])]


def test_recording_an_appointment_schedules_the_chase_once(store: Store,
                                                         client: ClientRecord) -> None:
    result = appt(store)
    assert result.created and result.chase_at == START + timedelta(minutes=20)
    again = appt(store)
    assert not again.created and again.appointment_id == result.appointment_id
    [(due, status, priority, recipient, payload)] = chase_rows(store, result.appointment_id)
    assert (due, status, priority, recipient) == (START + timedelta(minutes=20), "pending", 1,
                                                  "U0ANA")
    assert payload == {"appointment_id": str(result.appointment_id), "client_code": "C-1042"}


def test_no_chase_for_an_appointment_already_over(store: Store, client: ClientRecord) -> None:
    result = appt(store, start=NOW - timedelta(hours=3))
    assert result.chase_at is None
    assert chase_rows(store, result.appointment_id) == []


def test_arrived_cancels_the_chase_and_is_idempotent(store: Store, client: ClientRecord) -> None:
    result = appt(store)
    with store.unit_of_work() as uow:
        arrived = appointments.mark_arrived(uow, POLICY, actor="U0DESK", code="C-1042",
                                            now=START + timedelta(minutes=5))
        uow.commit()
    assert not arrived.already and arrived.appointment_id == result.appointment_id
    assert [r[1] for r in chase_rows(store, result.appointment_id)] == ["cancelled"]
    with store.unit_of_work() as uow:
        again = appointments.mark_arrived(uow, POLICY, actor="U0ANA",
                                          appointment_id=result.appointment_id, now=START)
        uow.commit()
    assert again.already


def test_the_chase_is_rechecked_at_send_time(store: Store, client: ClientRecord) -> None:
    result = appt(store)
    delivery = OUTBOX_KINDS[CHASE_KIND]
    at = START + timedelta(minutes=20)
    with store.unit_of_work() as uow:
        [row] = uow.outbox.for_subject("appointment", result.appointment_id)
        assert delivery.still_wanted(uow, row, at) is None
    with store.unit_of_work() as uow:
        appointments.mark_arrived(uow, POLICY, actor="U0ANA", code="C-1042", now=at)
        uow.commit()
    with store.unit_of_work() as uow:
        [row] = uow.outbox.for_subject("appointment", result.appointment_id)
        assert delivery.still_wanted(uow, row, at) == "the appointment was already marked arrived"


def test_the_chase_dm_carries_the_script_for_this_consent_and_no_phi(
    store: Store, client: ClientRecord
) -> None:
    result = appt(store)
    delivery = OUTBOX_KINDS[CHASE_KIND]
    at = START + timedelta(minutes=20)
    with store.unit_of_work() as uow:
        [row] = uow.outbox.for_subject("appointment", result.appointment_id)
        rendered = delivery.prepare(uow, POLICY, row, at)
    flat = str(rendered.blocks)
    assert "C-1042" in rendered.text
    # 003: the voicemail gives the clinician's first name only; the DM never the client's
    assert "Hi, this is Ana." in flat and "Canary" not in flat and "5550142" not in flat
    assert "Great Agency" not in flat  # no consent to the clinic's name
    assert "paying for two sessions" in flat  # 003: the late fee
    assert "Tuesday, November 24, 2026 at 11:00 AM" in flat  # the note, the appointment filled
    assert "Called the client at [time of your call]" in flat  # never pre-dated
    labels = [e["text"]["text"] for b in rendered.blocks if b["type"] == "actions"
              for e in b["elements"]]
    assert any("Arrived" in x for x in labels) and any("No-show" in x for x in labels)
    # with consent to the clinic's name, the script says it
    with store.unit_of_work() as uow:
        uow.clients.save(replace(client, consent=consent(clinic_name_ok=True)), now=NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        [row] = uow.outbox.for_subject("appointment", result.appointment_id)
        assert "from Great Agency" in str(delivery.prepare(uow, POLICY, row, at).blocks)
    # no voicemail allowed: no script, a warning instead
    with store.unit_of_work() as uow:
        uow.clients.save(replace(client, consent=consent(voicemail_ok=False)), now=NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        [row] = uow.outbox.for_subject("appointment", result.appointment_id)
        flat = str(delivery.prepare(uow, POLICY, row, at).blocks)
    assert "No voicemail" in flat and "paying for two" not in flat


def test_no_show_counts_consecutive_and_asks_for_a_closure_warning_at_the_threshold(
    store: Store, client: ClientRecord
) -> None:
    week = timedelta(days=7)
    first = appt(store, start=START - 2 * week, now=NOW - 2 * week)
    noshow(store, START - 2 * week + timedelta(minutes=25))
    came = appt(store, start=START - week, now=NOW - week)
    with store.unit_of_work() as uow:
        appointments.mark_arrived(uow, POLICY, actor="U0ANA", appointment_id=came.appointment_id,
                                  now=START - week)
        uow.commit()
    appt(store, start=START)
    one = noshow(store, START + timedelta(minutes=25))
    assert one.consecutive == 1 and one.closure_request is None
    assert one.voicemail_script and "paying for two sessions" in one.voicemail_script
    assert "Tuesday, November 24, 2026 at 11:00 AM" in one.note
    assert first.appointment_id != one.appointment_id
    nxt = START + week
    appt(store, start=nxt, now=NOW + week)
    two = noshow(store, nxt + timedelta(minutes=25))
    assert two.consecutive == 2 and two.closure_request is not None
    with store.unit_of_work() as uow:
        [approval] = uow.session.exec(select(Approval)).all()
        assert approval.kind == "closure_warning" and approval.approver == "U0JAMIE"
        assert approval.details["no_show_dates"] == ["2026-11-24", "2026-12-01"]
    # recording it again changes nothing and asks nothing
    again = noshow(store, nxt + timedelta(minutes=30))
    assert again.already and again.consecutive == 2 and again.closure_request is None
    assert "11:25 AM (the time the no-show was recorded)" in again.note  # not the second look
    with store.unit_of_work() as uow:
        assert len(uow.session.exec(select(Approval)).all()) == 1
        actions = [e.action for e in uow.session.exec(select(AuditEvent))]
        assert actions.count("appointment.no_show") == 3


def test_the_note_names_the_client_only_for_the_treating_team_and_the_voicemail_never(
    store: Store, client: ClientRecord
) -> None:
    appt(store)
    treating = noshow(store, START + timedelta(minutes=25))
    assert "Client Canary Maple (C-1042) did not come" in treating.note
    assert "Canary" not in treating.voicemail_script  # 003: the clinician's first name only
    assert "Hi, this is Ana." in treating.voicemail_script
    with store.unit_of_work() as uow:
        desk = appointments.record_no_show(uow, POLICY, actor="U0DESK", code="C-1042",
                                           now=START + timedelta(minutes=26))
        uow.commit()
    assert "Canary" not in desk.note and "Client C-1042 did not come" in desk.note
    with store.unit_of_work() as uow:
        shown = [e.actor for e in uow.session.exec(select(AuditEvent)).all()
                 if e.action == "appointment.note_viewed"]
    assert shown == ["U0ANA"]  # the name read is audited; the desk saw none


def test_refusals(store: Store, client: ClientRecord) -> None:
    with pytest.raises(Refused, match="no appointment around now"):
        noshow(store, NOW)
    with pytest.raises(Refused, match="no client `C-9`"):
        noshow(store, NOW, code="C-9")
    with pytest.raises(Refused, match="not one of your clients"):
        appt(store, actor="U0BEN")


def test_imported_appointments_get_their_chase(store: Store, client: ClientRecord) -> None:
    rows = [Numbered(2, AppointmentRecord("C-1042", START, 50)),
            Numbered(3, AppointmentRecord("C-1042", START - timedelta(days=7), 50))]
    for _ in range(2):  # a re-import changes nothing
        with store.unit_of_work() as uow:
            report = import_appointments(uow, POLICY, rows, actor="import", source="a.csv",
                                         now=NOW)
            uow.commit()
    with store.unit_of_work() as uow:
        chases = uow.outbox.waiting(kinds=[CHASE_KIND])
        assert [c.due_at for c in chases] == [START + timedelta(minutes=20)]
    assert report.unchanged == 2


def test_a_no_show_cannot_be_recorded_before_the_appointment_starts(
        store: Store, client: ClientRecord) -> None:
    appt(store)
    with pytest.raises(Refused, match="has not started yet"):
        noshow(store, START - timedelta(minutes=30))
    with store.unit_of_work() as uow:
        assert not uow.session.exec(
            select(AuditEvent).where(AuditEvent.action == "appointment.no_show")).all()
    assert noshow(store, START + timedelta(minutes=20)).consecutive == 1


# (clinic-name consent, clinic phone, the number the no-show voicemail gives): the main line
# reveals the clinic to whoever dials it back, so only clients who allowed the name hear it
NO_SHOW_NUMBERS = [
    (True, "+12155550100", "(215) 555-0100"),
    (True, None, "[your direct line]"),
    (False, "+12155550100", "[your direct line]"),
    (False, None, "[your direct line]"),
]


@pytest.mark.parametrize(("clinic_name_ok", "phone", "number"), NO_SHOW_NUMBERS)
def test_the_no_show_voicemail_gives_the_main_line_only_with_clinic_name_consent(
    store: Store, client: ClientRecord, clinic_name_ok: bool, phone: str | None, number: str
) -> None:
    policy = replace(POLICY, clinic=replace(POLICY.clinic, phone=phone))
    with store.unit_of_work() as uow:
        uow.clients.save(replace(client, consent=consent(clinic_name_ok=clinic_name_ok)), now=NOW)
        uow.commit()
    result = appt(store)
    with store.unit_of_work() as uow:
        [row] = uow.outbox.for_subject("appointment", result.appointment_id)
        chase = str(OUTBOX_KINDS[CHASE_KIND].prepare(uow, policy, row,
                                                  START + timedelta(minutes=20)).blocks)
        reply = appointments.record_no_show(uow, policy, actor="U0ANA", code="C-1042",
                                            now=START + timedelta(minutes=25))
    for text in (chase, reply.voicemail_script or ""):
        assert number in text
        assert ("555-0100" in text) is (number != "[your direct line]")
