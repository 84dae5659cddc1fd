"""``/contact-check``: parse, authorise, dispatch to the form's handler, reply ephemerally.

Every form of the grammar (``bot.commands``) maps to one handler in ``HANDLERS``. A handler is
``handle(form, ctx) -> None`` and replies through ``ctx.reply(message)`` (the ack body while not
yet acknowledged, the ``response_url`` after) or ``ctx.ack_now()`` first when it has slow work
(then ``ctx.reply`` goes through the ``response_url``). To add a form's handler, write the
function (here or in a module of its own) and add ``FormClass: function`` to ``HANDLERS``.

Before any handler runs: bad input gets the grammar's message with the right form; people not on
the clinic's team get the help and a polite refusal for anything but ``help``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.commands import (
    COMMAND,
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
    Returned,
    RunIn,
    Topic,
    parse_command,
)
from bot.deps import Deps
from bot.policy.access import NOT_ON_TEAM
from bot.policy.clinic import TeamMember
from bot.views.errors import bad_input, not_available, refusal
from bot.views.help import help_message
from bot.views.topics import topic_list, topic_message
from handlers.approvals import handle_coaching
from handlers.card import handle_card
from handlers.consent import handle_consent
from handlers.home import handle_pending
from handlers.reminders import (
    handle_appt,
    handle_arrived,
    handle_missed,
    handle_noshow,
    handle_returned,
)
from handlers.runins import handle_runin

log = logging.getLogger("contact_check.commands")

Message = dict[str, Any]


@dataclass
class CommandContext:
    """What a form's handler is given: who asked, where, and how to answer."""

    deps: Deps
    user_id: str
    member: TeamMember | None
    channel_id: str
    trigger_id: str
    response_url: str
    client: WebClient
    ack: Ack
    respond: Respond
    _acked: bool = field(default=False, repr=False)

    def reply(self, message: Message) -> None:
        """An ephemeral reply: the ack body when not yet acknowledged, else via response_url."""
        body = {**message, "response_type": "ephemeral"}
        if not self._acked:
            self._acked = True
            self.ack(**body)
        else:
            self.respond(**body)

    def ack_now(self) -> None:
        """Acknowledge with no reply yet, before slow work (opening a modal, Web API calls)."""
        if not self._acked:
            self._acked = True
            self.ack()


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
}

_OPEN_TO_ANYONE = (Help,)


# --- dispatch ----------------------------------------------------------------------------------


def dispatch(form: Form, ctx: CommandContext) -> None:
    """Authorise, then run the form's handler."""
    if ctx.member is None and not isinstance(form, _OPEN_TO_ANYONE):
        message = refusal(NOT_ON_TEAM)
        message["blocks"] = message["blocks"][:1] + help_message(
            ctx.deps.policy, on_team=False
        )["blocks"]
        ctx.reply(message)
        return
    handler = HANDLERS.get(type(form))
    if handler is None:
        ctx.reply(not_available(type(form).__name__.lower()))
        return
    handler(form, ctx)


def on_command(deps: Deps, command: dict[str, Any], ack: Ack, respond: Respond,
               client: WebClient) -> None:
    user_id = command.get("user_id", "")
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
    )
    try:
        form = parse_command(command.get("text"))
    except CommandError as error:
        ctx.reply(bad_input(error))
        return
    dispatch(form, ctx)


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def _command(command: dict[str, Any], ack: Ack, respond: Respond, client: WebClient) -> None:
        on_command(deps, command, ack, respond, client)
