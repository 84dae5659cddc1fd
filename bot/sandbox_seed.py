"""Filling the sandbox's database with the sample clinic's recent past, through the real use cases.

The clock is set to each moment in turn (last week's missed session, a run-in, yesterday's missed
call and coaching request, this morning's schedule) and the same use cases the slash commands call
run at that moment; the dispatcher sends what falls due on the way, so the stand-in's DM history
is what Slack's would be. Nothing here is shown: the session starts after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import sandbox_clinic as sample
from bot.services import appointments, approvals, callbacks, imports, runins
from bot.services.runins import RunInForm

if TYPE_CHECKING:
    from bot.sandbox import Sandbox

ADMIN, FRONT_DESK = "U0LEE", "U0SAM"


def seed(box: Sandbox) -> None:
    """The clinic's last week, in order; the clock is left at the last moment seeded."""
    deps, policy = box.deps, box.policy
    store = deps.store

    def at(moment: datetime) -> datetime:
        box.clock.set(moment)
        box.tick()
        return box.clock.now()

    code, last_week = sample.LAST_WEEK_NO_SHOW
    now = at(last_week.replace(hour=9, minute=0))
    with store.unit_of_work() as uow:
        rows = imports.read_clients_csv(sample.CLIENTS_CSV, policy)
        imports.import_clients(uow, policy, rows, actor=ADMIN, source="sample-clients.csv",
                               now=now)
        uow.commit()
    box.tick()
    with store.unit_of_work() as uow:
        appointments.record_appointment(uow, policy, actor=FRONT_DESK, code=code,
                                        start=last_week, minutes=50, now=now)
        uow.commit()
    now = at(last_week + timedelta(minutes=25))
    with store.unit_of_work() as uow:
        appointments.record_no_show(uow, policy, actor="U0ANA", now=now, code=code)
        uow.commit()
    box.tick()

    occurred, code, clinician, place = sample.RUN_IN
    now = at(occurred + timedelta(hours=1))
    with store.unit_of_work() as uow:
        runins.record_runin(uow, policy, actor=clinician, client_code=code, now=now,
                            form=RunInForm(date=f"{occurred:%Y-%m-%d}", time=f"{occurred:%H:%M}",
                                           place=place, initiated_by="client",
                                           summary="They said hello; we kept it brief."))
    box.tick()

    yesterday_call, today_call = sample.MISSED_CALLS
    _missed(box, yesterday_call)

    moment, code, requester = sample.COACHING_REQUEST
    now = at(moment)
    with store.unit_of_work() as uow:
        approvals.request_coaching(uow, policy, client_code=code, requested_by=requester,
                                   now=now)
        uow.commit()
    box.tick()

    now = at(sample.START.replace(hour=8, minute=30))
    with store.unit_of_work() as uow:
        for code, hhmm, minutes in sample.TODAY:
            hour, minute = (int(part) for part in hhmm.split(":"))
            appointments.record_appointment(
                uow, policy, actor=FRONT_DESK, code=code, minutes=minutes, now=now,
                start=sample.START.replace(hour=hour, minute=minute))
        uow.commit()
    box.tick()

    _missed(box, today_call)


def _missed(box: Sandbox, call: tuple[datetime, str, bool, str]) -> None:
    moment, caller, voicemail, logged_by = call
    box.clock.set(moment)
    box.tick()
    who = {"phone": caller} if caller.startswith("+") else {"code": caller}
    with box.deps.store.unit_of_work() as uow:
        callbacks.log_missed(uow, box.policy, actor=logged_by, voicemail=voicemail,
                             now=box.clock.now(), **who)
        uow.commit()
    box.tick()
