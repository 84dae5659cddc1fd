"""One workspace: the bot serves the Slack workspace (or Enterprise Grid org) its token belongs to.

``auth.test`` at start names it (``bot.app.create_app``). A request from any other workspace is
refused before any handler runs, in HTTP and Socket Mode alike: a slash command gets an
ephemeral "this bot serves workspace X only", a button, a modal or an event nothing at all, and
nothing is read, written or sent. The same signing secret signs every workspace an app is
installed in, so a valid signature alone does not say the request is the clinic's.

Requests that pass are marked ``ADMITTED`` in their context: by then Bolt has verified them and
this check has passed, and only then may the error handler answer through their response_url.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.logs import Throttled
from bot.slack_ui.errors import other_workspace

log = logging.getLogger("contact_check.workspace")

ADMITTED = "contact_check_admitted"


@dataclass(frozen=True)
class Workspace:
    """Who the bot serves, as ``auth.test`` named it."""

    team_id: str | None
    enterprise_id: str | None = None
    name: str = "this clinic's workspace"
    enterprise_install: bool = False  # installed for a whole Enterprise Grid org

    @classmethod
    def from_auth_test(cls, answer: Mapping[str, Any]) -> Workspace:
        return cls(
            team_id=answer.get("team_id") or None,
            enterprise_id=answer.get("enterprise_id") or None,
            name=str(answer.get("team") or answer.get("team_id") or cls.name),
            enterprise_install=bool(answer.get("is_enterprise_install")),
        )

    def serves(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a request from ``team_id`` (in ``enterprise_id``) is this workspace's.

        An org-wide install serves every workspace of its org; any other serves its own
        workspace, whose requests may leave the org out but never name another one."""
        if self.enterprise_install:
            return self.enterprise_id is not None and enterprise_id == self.enterprise_id
        if team_id is None or team_id != self.team_id:
            return False
        return enterprise_id is None or enterprise_id == self.enterprise_id


def register(app: App, workspace: Workspace) -> None:
    """Refuse requests from other workspaces; mark the others ``ADMITTED``. Register it first."""
    refused = Throttled(log)

    @app.middleware
    def one_workspace(body: dict[str, Any], context: BoltContext,
                      next: Callable[[], None]) -> BoltResponse | None:
        team_id, enterprise_id = context.team_id or None, context.enterprise_id or None
        if workspace.serves(team_id, enterprise_id):
            context[ADMITTED] = True
            next()
            return None
        refused.log("refused a request from another workspace (team %s, org %s): this bot "
                    "serves team %s", team_id, enterprise_id, workspace.team_id)
        if body.get("command"):
            reply = {**other_workspace(workspace.name), "response_type": "ephemeral"}
            return BoltResponse(status=200, body=json.dumps(reply),
                                headers={"content-type": "application/json"})
        return BoltResponse(status=200, body="")
