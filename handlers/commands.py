"""``/contact-check``: parse, authorise, dispatch to the form's handler, reply ephemerally.

Every form of the grammar (``bot.grammar``) maps to one handler in ``HANDLERS``. A handler is
``handle(form, ctx) -> None`` and replies through ``ctx.reply(message)``. To add a form's
handler, write the function (here or in a module of its own) and add ``FormClass: function`` to
``HANDLERS``.

Acknowledged first: only answers built from memory alone (bad input, the refusal of someone not on
the team, ``help``, ``topic``) travel in the ack body. Every other form is acknowledged, empty,
and its handler then runs on the ``work`` executor given to ``register`` (a few threads of its
own), replying through the ``response_url``. No database or Web API call ever stands between
Slack's request and the ack, so a busy database (an import holding the write lock, a PostgreSQL
failover) cannot push the ack past Slack's 3-second limit; and a burst of slow handlers waits on
the work threads, not on Bolt's listener threads, which stay free to acknowledge what comes next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.grammar import (
    COMMAND,
    Access,
    Appt,
    Arrived,
    Card,
    Coaching,
    CommandError,
    ConsentForm,
    Form,
    Help,
    Missed,
    NoShow,
    Pending,
    Report,
    Returned,
    RunIn,
    Topic,
    parse_command,
)
from bot.metrics import DEFERRED, KIND, OUTCOME, finish
from bot.policy.access import NOT_ON_TEAM
from bot.slack_ui.errors import bad_input, not_available, refusal
from bot.slack_ui.help import help_message
from bot.slack_ui.topics import topic_list, topic_message
from handlers.approvals import handle_coaching
from handlers.card import handle_card
from handlers.consent import handle_consent
from handlers.context import CommandContext
from handlers.errors import on_error
from handlers.home import handle_pending
from handlers.reminders import (
    handle_appt,
    handle_arrived,
    handle_missed,
    handle_noshow,
    handle_returned,
)
from handlers.reports import handle_access, handle_report
from handlers.runins import handle_runin

log = logging.getLogger("contact_check.commands")

Message = dict[str, Any]


Handler = Callable[[Any, CommandContext], None]


# --- the forms of this module -------------------------------------------------------------------


def handle_help(form: Help, ctx: CommandContext) -> None:
    ctx.reply(help_message(ctx.deps.policy, on_team=ctx.member is not None))


def handle_topic(form: Topic, ctx: CommandContext) -> None:
    if form.name is None:
        ctx.reply(topic_list())
    else:
        ctx.reply(topic_message(form.name, ctx.deps.policy))


HANDLERS: dict[type, Handler] = {
    Missed: handle_missed,
    Returned: handle_returned,
    Appt: handle_appt,
    Arrived: handle_arrived,
    NoShow: handle_noshow,
    Coaching: handle_coaching,
    RunIn: handle_runin,
    Pending: handle_pending,
    Help: handle_help,
    Topic: handle_topic,
    Card: handle_card,
    ConsentForm: handle_consent,
    Report: handle_report,
    Access: handle_access,
}

_OPEN_TO_ANYONE = (Help,)
_FROM_MEMORY = (Help, Topic)  # answered from the policy alone: the reply is the ack body


# --- dispatch ----------------------------------------------------------------------------------


def dispatch(form: Form, ctx: CommandContext) -> None:
    """Authorise, acknowledge unless the answer comes from memory, then run the form's handler."""
    if ctx.member is None and not isinstance(form, _OPEN_TO_ANYONE):
        message = refusal(NOT_ON_TEAM)
        message["blocks"] = message["blocks"][:1] + help_message(
            ctx.deps.policy, on_team=False
        )["blocks"]
        ctx.context[OUTCOME] = "refused"
        ctx.reply(message)
        return
    handler = HANDLERS.get(type(form))
    ctx.context[KIND] = f"command:{type(form).__name__.lower()}"
    if handler is None:
        ctx.reply(not_available(type(form).__name__.lower()))
        return
    if isinstance(form, _FROM_MEMORY):
        handler(form, ctx)
        return
    ctx.context[DEFERRED] = True  # counted and logged when the handler ends (_reporting_errors)
    ctx.ack_now()
    ctx.later(lambda: handler(form, ctx))


def on_command(deps: Deps, command: dict[str, Any], ack: Ack, respond: Respond,
               client: WebClient, work: Executor, context: BoltContext) -> None:
    user_id = command.get("user_id", "")

    def later(job: Callable[[], None]) -> None:
        work.submit(_reporting_errors, job, command, ack, respond, context)

    ctx = CommandContext(
        deps=deps,
        user_id=user_id,
        member=deps.policy.member(user_id),
        channel_id=command.get("channel_id", ""),
        trigger_id=command.get("trigger_id", ""),
        response_url=command.get("response_url", ""),
        client=client,
        ack=ack,
        respond=respond,
        later=later,
        context=context,
    )
    try:
        form = parse_command(command.get("text"))
    except CommandError as error:
        context[OUTCOME] = "bad_input"
        ctx.reply(bad_input(error))
        return
    dispatch(form, ctx)


def _reporting_errors(job: Callable[[], None], command: dict[str, Any], ack: Ack,
                      respond: Respond, context: BoltContext) -> None:
    """Run ``job``; what it raises goes to the one error handler, as a listener's error would."""
    try:
        job()
    except Exception as error:
        on_error(error, command, ack, respond, context)
        finish(context, command, "error")
    else:
        finish(context, command, "ok")


def register(app: App, deps: Deps, *, work: Executor) -> None:
    """``/contact-check``; ``work`` runs each form's handler after the ack (``dispatch``)."""

    @app.command(COMMAND)
    def _command(command: dict[str, Any], ack: Ack, respond: Respond, client: WebClient,
                 context: BoltContext) -> None:
        on_command(deps, command, ack, respond, client, work, context)
