"""``/contact-check report`` (the team report) and ``/contact-check access CODE`` (admins: who
viewed a client's details). Both reply ephemerally.

Registered through the dispatch table of ``handlers.commands`` (``Report``, ``Access``).
"""

from __future__ import annotations

from bot.grammar import Access, CommandError, Report, usage_line
from bot.policy.access import audit_access
from bot.services.authorise import Refused, authorise
from bot.services.reports import PeriodInvalid, access_report, resolve_period, team_report
from bot.slack_ui.errors import bad_input, refusal
from bot.slack_ui.reports import access_message, team_report_message
from handlers.context import CommandContext


def handle_report(form: Report, ctx: CommandContext) -> None:
    deps = ctx.deps
    assert ctx.member is not None  # dispatch refuses people not on the team
    now = deps.clock.now()
    today = now.astimezone(deps.policy.clinic.timezone).date()
    try:
        period = resolve_period(form.word, form.first, form.last, today)
    except PeriodInvalid as error:
        ctx.reply(bad_input(CommandError(f"{error}.", usage_line("report"))))
        return
    with deps.store.unit_of_work(read_only=True) as uow:
        report = team_report(uow, deps.policy, ctx.member, period, now)
    ctx.reply(team_report_message(report))


def handle_access(form: Access, ctx: CommandContext) -> None:
    deps = ctx.deps
    try:
        authorise(deps.policy, ctx.user_id, None, rule=audit_access)
    except Refused as refused:
        ctx.reply(refusal(refused.message))
        return
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        report = access_report(uow, deps.policy, form.code, form.since, actor=ctx.user_id,
                               now=now)
        uow.commit()
    ctx.reply(access_message(report, deps.policy.clinic.timezone))
