"""What a handler is given: ``CommandContext`` (a slash command's form), ``ActionContext`` (a
button click) and ``ViewContext`` (a modal submission).

Defined apart from the dispatch tables (``handlers.commands``, ``handlers.actions``,
``handlers.modals``) so feature handlers import their context without importing the tables that
import them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.policy.clinic import TeamMember

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
    later: Callable[[Callable[[], None]], None]  # runs work after the ack, off the listener
    # The request's BoltContext: where the kind and outcome of the request are noted for the
    # request's log line and metrics (bot.metrics).
    context: dict[str, Any] = field(default_factory=dict)
    _acked: bool = field(default=False, repr=False)

    def reply(self, message: Message) -> None:
        """An ephemeral reply: the ack body when not yet acknowledged, else via response_url.

        Handlers of forms outside ``_FROM_MEMORY`` run after ``dispatch`` acknowledged."""
        body = {**message, "response_type": "ephemeral"}
        if not self._acked:
            self._acked = True
            self.ack(**body)
        else:
            self.respond(**body)

    def ack_now(self) -> None:
        """Acknowledge with no reply yet (``dispatch`` does, before any handler with I/O)."""
        if not self._acked:
            self._acked = True
            self.ack()


@dataclass
class ActionContext:
    deps: Deps
    user_id: str
    action: dict[str, Any]
    body: dict[str, Any]
    client: WebClient
    ack: Ack
    respond: Respond

    @property
    def value(self) -> str:
        return str(self.action.get("value") or "")

    def value_uuid(self) -> uuid.UUID | None:
        """The button's value as the id it carries; None when it is not one."""
        try:
            return uuid.UUID(self.value)
        except ValueError:
            return None

    def reply(self, message: dict[str, Any]) -> None:
        """An ephemeral reply to the clicker, leaving the clicked message as it is."""
        self.respond(**message, response_type="ephemeral", replace_original=False)


@dataclass
class ViewContext:
    """What a submission's handler is given: who submitted which view, and how to answer."""

    deps: Deps
    user_id: str
    view: dict[str, Any]
    ack: Ack
    client: WebClient

    @property
    def values(self) -> Mapping[str, Any]:
        """The submitted ``view.state.values`` (block id -> action id -> value)."""
        return (self.view.get("state") or {}).get("values") or {}
