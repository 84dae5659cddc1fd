"""What every Slack handler, job and use case is given: one object, built once at start.

``bot.runtime.build_deps`` makes it from the settings (migrations applied, keys checked, team
loaded); tests and the sandbox build it from their own parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.policy.clinic import ClinicPolicy
from storage.uow import Store

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass
class Deps:
    store: Store
    policy: ClinicPolicy
    clock: Clock
    bot_token: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    send_rate: float = 4.0
