"""What the dispatcher sends for one outbox row: a message drawn by ``bot.slack_ui``.

Every renderer of ``bot.outbox_kinds`` returns a ``Rendered``: a new DM (``text`` + ``blocks``) to
the row's recipient, or with ``update=(channel, ts)`` a ``chat.update`` of an earlier message.
These messages stay in Slack's history: codes, Slack ids, times and generic scripts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Upload:
    """A file shared in the DM right after its message (the weekly digest's chart)."""

    filename: str
    content: bytes
    title: str
    alt_txt: str


@dataclass(frozen=True)
class Rendered:
    """What to send: a new message, or with ``update`` a ``chat.update`` of (channel, ts).

    ``files``: shared in the same DM just after a new message (``files_upload_v2``); a file that
    cannot be uploaded is logged and does not undo or repeat the message."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    update: tuple[str, str] | None = None
    files: tuple[Upload, ...] = ()
