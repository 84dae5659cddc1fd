"""Which client each event is for: the feed's ``client_code`` regex, group 1, searched in the
SUMMARY, then the DESCRIPTION. Events without a code (lunch, staff meetings) are counted by
reason, never guessed. Pure.

Only the code leaves this module: a summary or description (which may hold a client's name in an
EHR export) is never kept, logged or stored.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.calendars.parse import ParsedFeed
from bot.policy.model import is_client_code

NO_CODE = "no client code"
NOT_A_CODE = "not a client code"
UNKNOWN_CODE = "client not on file"


@dataclass(frozen=True)
class MappedEvent:
    key: str
    code: str
    start: datetime  # UTC
    minutes: int


@dataclass(frozen=True)
class MappedFeed:
    events: tuple[MappedEvent, ...]
    ignored: Mapping[str, int] = field(default_factory=dict)
    in_window: int = 0

    def future(self, now: datetime) -> int:
        return sum(1 for e in self.events if e.start > now)


def client_code_in(pattern: re.Pattern[str], *texts: str) -> str | None:
    """Group 1 of the first match, searched in each text in turn; None when none matches."""
    for text in texts:
        match = pattern.search(text)
        if match is not None and match.group(1):
            return match.group(1).strip()
    return None


def map_events(parsed: ParsedFeed, pattern: re.Pattern[str]) -> MappedFeed:
    ignored: Counter[str] = Counter(parsed.ignored)
    events: list[MappedEvent] = []
    for event in parsed.events:
        code = client_code_in(pattern, event.summary, event.description)
        if code is None:
            ignored[NO_CODE] += 1
        elif not is_client_code(code):
            ignored[NOT_A_CODE] += 1
        else:
            events.append(MappedEvent(event.key, code, event.start, event.minutes))
    return MappedFeed(tuple(events), dict(ignored), parsed.in_window)
