"""What a modal carries back to its submission handler in ``private_metadata``: ids and codes only.

Pure: ``private_metadata(approval_id="…")`` writes it when the modal is built, and
``metadata_value(view, "approval_id")`` reads it back from the submitted view (None when it is
missing, unreadable or not a string: the handler then says the form lost track of its subject).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def private_metadata(**values: str) -> str:
    return json.dumps(values)


def metadata_value(view: Mapping[str, Any], key: str) -> str | None:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None
