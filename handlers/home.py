"""App Home and ``pending``: what a person owes now, published to their Home tab or replied.

- ``app_home_opened`` (``handlers.events``) and the Home's Refresh button (``handlers.actions``)
  publish the person's Home with ``views.publish``;
- ``pending`` (``handlers.commands``) replies with the short ephemeral list;
- ``refresh_homes`` (a job, ``bot.scheduling``, given the app's Web API client) keeps Home
  current when something changes for someone: for each person who has opened Home since the
  process started, it reads what they owe and publishes only when that differs from what was
  last published (a fingerprint of the codes, ids, statuses and times; the clock moving alone
  changes nothing). It reads the tables every use case writes, so no use case has to remember
  to ask for a refresh, and a change made by another process (an import, another replica) shows
  up too. Who has a Home and what it last showed is ``deps.homes``
  (``bot.deps.PublishedHomes``), owned by the app's ``Deps``.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.grammar import Pending as PendingForm
from bot.policy.access import NOT_ON_TEAM
from bot.services.pending import what_i_owe
from bot.slack_ui.errors import refusal
from bot.slack_ui.home import home_view, not_on_team_home
from bot.slack_ui.pending import pending_message
from handlers.context import ActionContext, CommandContext

log = logging.getLogger("contact_check.home")


def publish_home(deps: Deps, client: WebClient, user_id: str) -> bool:
    """Publish ``user_id``'s Home now; True when Slack took it."""
    with deps.store.unit_of_work() as uow:
        pending = what_i_owe(uow, deps.policy, user_id, deps.clock.now())
    view = (home_view(pending, deps.policy.clinic.timezone) if pending is not None
            else not_on_team_home())
    # Known from before it is sent: once Slack has the Home, a refresh compares with it (and
    # one running meanwhile does not publish the same again). Slack refusing it puts back
    # what was known before.
    before = deps.homes.expect(user_id, pending.fingerprint() if pending is not None else None)
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        deps.homes.put_back(user_id, before)
        log.warning("views.publish for a Home failed: %s", error.response.get("error"))
        return False
    return True


def refresh_homes(deps: Deps, client: WebClient) -> int:
    """Republish every known Home whose content changed; how many were published."""
    changed = []
    now = deps.clock.now()
    with deps.store.unit_of_work() as uow:
        for user_id, fingerprint in deps.homes.known().items():
            pending = what_i_owe(uow, deps.policy, user_id, now)
            if pending is not None and pending.fingerprint() != fingerprint:
                changed.append(user_id)
    return sum(1 for user_id in changed if publish_home(deps, client, user_id))


def on_app_home_opened(deps: Deps, event: dict[str, Any], client: WebClient) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    publish_home(deps, client, str(event["user"]))


def refresh_home(ctx: ActionContext) -> None:
    """The Home's Refresh button."""
    ctx.ack()
    publish_home(ctx.deps, ctx.client, ctx.user_id)


def handle_pending(form: PendingForm, ctx: CommandContext) -> None:
    deps = ctx.deps
    with deps.store.unit_of_work() as uow:
        pending = what_i_owe(uow, deps.policy, ctx.user_id, deps.clock.now())
    if pending is None:
        ctx.reply(refusal(NOT_ON_TEAM))  # the one wording for anyone off the team
        return
    ctx.reply(pending_message(pending, deps.policy.clinic.timezone))
