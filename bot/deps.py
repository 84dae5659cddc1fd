"""What every Slack handler, job and use case is given: one object, built once at start.

``bot.runtime.build_deps`` makes it from the settings (migrations applied, keys checked, team
loaded); tests and the sandbox build it from their own parts. Besides its parts it owns the
little state the app keeps in memory: ``homes``, the Home tabs published since it started.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.policy.clinic import ClinicPolicy
from storage.uow import Store

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class PublishedHomes:
    """Who has a Home tab to keep current, and the fingerprint last published for each.

    ``handlers.home`` publishes and refreshes Homes with it; one per ``Deps``, so two apps in
    one process (the tests, the sandbox) keep apart. At most ``max_users`` people are tracked.
    """

    def __init__(self, max_users: int = 5000):
        self._published: dict[str, str] = {}
        self._lock = threading.Lock()
        self.max_users = max_users

    def known(self) -> dict[str, str]:
        """Every tracked person's Slack id and last published fingerprint (a copy)."""
        with self._lock:
            return dict(self._published)

    def expect(self, user_id: str, fingerprint: str | None) -> str | None:
        """Record ``fingerprint`` as published for ``user_id`` before it is sent (None: nothing
        to track); returns what was known before, for ``put_back``."""
        with self._lock:
            before = self._published.get(user_id)
            if fingerprint is not None and (before is not None
                                            or len(self._published) < self.max_users):
                self._published[user_id] = fingerprint
            return before

    def put_back(self, user_id: str, before: str | None) -> None:
        """Slack refused the Home: what it shows is what was known before."""
        with self._lock:
            if before is None:
                self._published.pop(user_id, None)
            else:
                self._published[user_id] = before


@dataclass
class Deps:
    store: Store
    policy: ClinicPolicy
    clock: Clock
    bot_token: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    send_rate: float = 4.0
    homes: PublishedHomes = field(default_factory=PublishedHomes, compare=False, repr=False)
