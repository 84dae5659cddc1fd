"""Call-backs and appointments in Slack: ``missed``, ``returned``, ``appt``, ``arrived``, ``noshow``
and the reminders' ``Returned`` / ``Arrived`` / ``No-show`` / ``Details`` buttons.

Registered through the dispatch tables of ``handlers.commands`` and ``handlers.actions``. Each
handler parses, calls one use case in one unit of work, and replies ephemerally; a click on a
reminder also replaces the reminder with its outcome, so its buttons are gone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.grammar import Appt, Arrived, Missed, NoShow, Returned
from bot.policy.scripts import clinic_time_text
from bot.services import appointments, callbacks
from bot.services.authorise import Refused
from bot.services.outcomes import Outcome
from bot.slack_ui.approvals import dates_text, request_reply
from bot.slack_ui.errors import refusal
from bot.slack_ui.reminders import (
    NoShowFacts,
    appointment_details_modal,
    appt_reply,
    arrived_reply,
    callback_closed,
    callback_details_modal,
    chase_closed,
    details_refused_modal,
    missed_reply,
    noshow_reply,
    note_shown_view,
    note_time_errors,
    note_time_modal,
    note_time_values,
    parse_details_value,
    returned_reply,
)
from handlers.context import ActionContext, CommandContext, ViewContext

log = logging.getLogger("contact_check.reminders")
Message = dict[str, Any]
# ``arrived`` / ``noshow`` by code or by the chase's button: (the reply, the chase as it stays)
ChaseUseCase = Callable[..., tuple[Message, Message]]


# --- commands -------------------------------------------------------------------------------------


def handle_missed(form: Missed, ctx: CommandContext) -> None:
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            result = callbacks.log_missed(uow, deps.policy, actor=ctx.user_id, code=form.code,
                                          phone=form.phone, voicemail=form.voicemail,
                                          now=deps.clock.now())
            uow.commit()
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    policy = deps.policy
    reasons = result.due.reasons
    if (form.voicemail is None and policy.callbacks.require_voicemail
            and not result.calls_refused):
        reasons = (*reasons, "If a voicemail was left, log it again with `voicemail`.")
    ctx.reply(missed_reply(
        who=result.client_code or "a potential client",
        owed=result.due.owed,
        due_text=clinic_time_text(policy, result.due.due_at) if result.due.due_at else None,
        reasons=reasons,
        reminder_texts=tuple(clinic_time_text(policy, t) for t in result.reminders),
        clinician=result.clinician,
        verdict=result.verdict.value,
        verdict_when=(clinic_time_text(policy, result.returnable_from)
                      if result.returnable_from else None),
        already_logged=result.already_logged,
    ))


def handle_returned(form: Returned, ctx: CommandContext) -> None:
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            result = callbacks.mark_returned(uow, deps.policy, actor=ctx.user_id, code=form.code,
                                             now=deps.clock.now())
            uow.commit()
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    ctx.reply(returned_reply(who=result.client_code or form.code, closed=result.closed,
                             closed_before=None))


def handle_appt(form: Appt, ctx: CommandContext) -> None:
    deps = ctx.deps
    policy = deps.policy
    start = datetime.combine(form.day, form.at, tzinfo=policy.clinic.timezone)
    try:
        with deps.store.unit_of_work() as uow:
            result = appointments.record_appointment(uow, policy, actor=ctx.user_id,
                                                     code=form.code, start=start,
                                                     minutes=form.minutes, now=deps.clock.now())
            client = uow.clients.row(form.code)
            assert client is not None  # record_appointment refuses a code not on file
            clinician = client.clinician
            uow.commit()
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    today = deps.clock.now().astimezone(policy.clinic.timezone).date()
    ctx.reply(appt_reply(
        client_code=result.client_code,
        start_text=clinic_time_text(policy, result.start_at, today),
        minutes=result.minutes, created=result.created,
        chase_text=clinic_time_text(policy, result.chase_at, today) if result.chase_at else None,
        clinician=clinician,
    ))


def handle_arrived(form: Arrived, ctx: CommandContext) -> None:
    _chase_command(ctx, _arrived, form.code)


def handle_noshow(form: NoShow, ctx: CommandContext) -> None:
    _chase_command(ctx, _noshow, form.code)


def _chase_command(ctx: CommandContext, use_case: ChaseUseCase, code: str) -> None:
    try:
        reply, _closed = use_case(ctx.deps, ctx.user_id, code=code)
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    ctx.reply(reply)


def _arrived(deps: Deps, user_id: str, *, code: str | None = None,
             appointment_id: uuid.UUID | None = None) -> tuple[Message, Message]:
    with deps.store.unit_of_work() as uow:
        result = appointments.mark_arrived(uow, deps.policy, actor=user_id, code=code,
                                           appointment_id=appointment_id, now=deps.clock.now())
        uow.commit()
    start = clinic_time_text(deps.policy, result.start_at)
    closure = result.closure_request
    if closure is not None:
        log.info("closure-warning request after an arrival: %s", closure.outcome.value)
    reply = arrived_reply(client_code=result.client_code, start_text=start,
                          already=result.already, corrected=result.corrected_no_show,
                          closure_text=request_reply(closure, deps.policy) if closure is not None
                          else None)
    return reply, chase_closed(result.client_code, start, "arrived")


def _noshow(deps: Deps, user_id: str, *, code: str | None = None,
            appointment_id: uuid.UUID | None = None) -> tuple[Message, Message]:
    with deps.store.unit_of_work() as uow:
        result = appointments.record_no_show(uow, deps.policy, actor=user_id, code=code,
                                             appointment_id=appointment_id, now=deps.clock.now())
        uow.commit()
    policy = deps.policy
    start = clinic_time_text(policy, result.start_at)
    closure = None
    if result.closure_request is not None:
        request = result.closure_request
        closure = request_reply(request, policy)
        log.info("closure-warning request after no-shows: %s", request.outcome.value)
        if request.outcome is Outcome.REFUSED:
            log.warning("closure-warning request refused for appointment %s",
                        result.appointment_id)
    tz = policy.clinic.timezone
    others = [t.astimezone(tz).date() for t in result.run_starts if t != result.start_at]
    replaced = result.replaced_arrival
    replaced_text = None
    if replaced is not None:
        by = f" by <@{replaced.marked_by}>" if replaced.marked_by else ""
        at = f" on {clinic_time_text(policy, replaced.marked_at)}" if replaced.marked_at else ""
        replaced_text = f"{by}{at}".strip() or "earlier"
    reply = noshow_reply(NoShowFacts(
        appointment_id=str(result.appointment_id), client_code=result.client_code,
        start_text=start, consecutive=result.consecutive,
        others_text=dates_text(others) if others else None, already=result.already,
        voicemail_script=result.voicemail_script, note=result.note, closure_text=closure,
        replaced_text=replaced_text,
        came_back_text=dates_text([result.came_back.astimezone(tz).date()])
        if result.came_back else None,
    ))
    return reply, chase_closed(result.client_code, start, "no-show recorded")


# --- buttons --------------------------------------------------------------------------------------


def returned_clicked(ctx: ActionContext) -> None:
    ctx.ack()
    duty_id = ctx.value_uuid()
    if duty_id is None:
        return
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            result = callbacks.mark_returned(uow, deps.policy, actor=ctx.user_id,
                                             duty_id=duty_id, now=deps.clock.now())
            uow.commit()
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    who = result.client_code or "the potential client"
    before = None
    if result.closed_before_at is not None:
        before = (f"by <@{result.closed_before_by}>, "
                  f"{clinic_time_text(deps.policy, result.closed_before_at)}")
    ctx.respond(replace_original=True,
                **callback_closed(who, "returned" if result.closed else "already closed"))
    ctx.reply(returned_reply(who=who, closed=result.closed, closed_before=before))


def arrived_clicked(ctx: ActionContext) -> None:
    _chase_clicked(ctx, _arrived)


def noshow_clicked(ctx: ActionContext) -> None:
    _chase_clicked(ctx, _noshow)


def _chase_clicked(ctx: ActionContext, use_case: ChaseUseCase) -> None:
    ctx.ack()
    appointment_id = ctx.value_uuid()
    if appointment_id is None:
        return
    try:
        reply, closed = use_case(ctx.deps, ctx.user_id, appointment_id=appointment_id)
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    ctx.respond(replace_original=True, **closed)
    ctx.reply(reply)


def note_time_clicked(ctx: ActionContext) -> None:
    """"Left the message at another time" on a no-show reply: ask when, in a modal."""
    ctx.ack()
    appointment_id = ctx.value_uuid()
    if appointment_id is None:
        return
    deps = ctx.deps
    now = deps.clock.now()
    with deps.store.unit_of_work(read_only=True) as uow:
        found = appointments.find_appointment(uow, appointment_id)
    if found is None:
        ctx.reply(refusal("That appointment is no longer on file."))
        return
    code, start_at = found
    local = now.astimezone(deps.policy.clinic.timezone)
    ctx.client.views_open(trigger_id=ctx.body.get("trigger_id", ""), view=note_time_modal(
        appointment_id=str(appointment_id), client_code=code,
        start_text=clinic_time_text(deps.policy, start_at),
        day=f"{local:%Y-%m-%d}", at=f"{local:%H:%M}"))


def handle_note_time_submission(ctx: ViewContext) -> None:
    """The modal's day and time: the note comes back filled in with them, or what to fix."""
    raw_id, day, at = note_time_values(ctx.view)
    try:
        appointment_id = uuid.UUID(raw_id or "")
    except ValueError:
        ctx.ack(response_action="errors", errors=note_time_errors(
            "This form lost track of its appointment. Close it and press the button again."))
        return
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            result = appointments.note_with_call_time(uow, deps.policy, actor=ctx.user_id,
                                                      appointment_id=appointment_id, day=day,
                                                      at=at, now=deps.clock.now())
            uow.commit()
    except Refused as refused:
        ctx.ack(response_action="errors", errors=note_time_errors(refused.message))
        return
    ctx.ack(response_action="update",
            view=note_shown_view(client_code=result.client_code, note=result.note))


def details_clicked(ctx: ActionContext) -> None:
    """Open the reminder's details in a modal, for the treating team only."""
    ctx.ack()
    parsed = parse_details_value(ctx.value)
    if parsed is None:
        return
    kind, raw_id = parsed
    try:
        subject_id = uuid.UUID(raw_id)
    except ValueError:
        return
    deps = ctx.deps
    try:
        with deps.store.unit_of_work() as uow:
            if kind == "callback":
                details = callbacks.callback_details(uow, deps.policy, viewer=ctx.user_id,
                                                     duty_id=subject_id, now=deps.clock.now())
                uow.commit()
                view = callback_details_modal(details, deps.policy)
            else:
                found = appointments.appointment_details(uow, deps.policy, viewer=ctx.user_id,
                                                         appointment_id=subject_id,
                                                         now=deps.clock.now())
                uow.commit()
                view = appointment_details_modal(found, deps.policy)
    except Refused as refused:
        view = details_refused_modal(refused.message)
    ctx.client.views_open(trigger_id=ctx.body.get("trigger_id", ""), view=view)
