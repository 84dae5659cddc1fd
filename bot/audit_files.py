"""The audit trail for people outside Slack: the access report printed or as CSV, and the trail
exported as JSON Lines or CSV (``python -m bot audit report`` / ``audit export``).

Pure formatting. Every row carries ``chain``: ``verified`` when the trail checked intact before
it was read, ``BROKEN`` when it was read anyway (``--allow-broken``), so a copy never loses the
warning.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.reports import AccessReport
from storage.repositories.reports import TrailEvent

ACCESS_COLUMNS = ("at_utc", "clinic_time", "who", "what", "level", "action", "event", "chain")
TRAIL_COLUMNS = ("seq", "at_utc", "actor", "action", "client_code", "details", "prev_hash",
                 "hash", "chain")


def chain_word(chain_ok: bool) -> str:
    return "verified" if chain_ok else "BROKEN"


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def _access_rows(report: AccessReport, tz: ZoneInfo, chain_ok: bool) -> list[list[Any]]:
    return [[e.at.isoformat(), f"{e.at.astimezone(tz):%Y-%m-%d %H:%M}", e.actor, e.kind,
             e.level or "", e.action, e.seq, chain_word(chain_ok)] for e in report.entries]


def access_report_csv(report: AccessReport, tz: ZoneInfo, chain_ok: bool) -> str:
    return _csv(ACCESS_COLUMNS, _access_rows(report, tz, chain_ok))


def access_report_text(report: AccessReport, tz: ZoneInfo, chain_ok: bool) -> list[str]:
    since = f" since {report.since.isoformat()}" if report.since else ""
    lines = []
    if not chain_ok:
        lines.append("WARNING: the audit trail does NOT verify (read with --allow-broken); "
                     "these rows may be incomplete or altered.")
    on_file = "" if report.on_file else " (no client with this code is on file now)"
    lines.append(f"{report.code}{on_file}: {len(report.entries)} view(s) of the client's "
                 f"details{since}, newest first (clinic time):")
    for e in report.entries:
        level = f" ({e.level})" if e.level else ""
        lines.append(f"  {e.at.astimezone(tz):%Y-%m-%d %H:%M}  {e.actor}  {e.kind}{level}  "
                     f"[event {e.seq}]")
    return lines


def trail_csv(events: Sequence[TrailEvent], chain_ok: bool) -> str:
    return _csv(TRAIL_COLUMNS, (
        [e.seq, e.at.isoformat(), e.actor, e.action, e.client_code or "",
         json.dumps(e.details, sort_keys=True, ensure_ascii=False), e.prev_hash, e.hash,
         chain_word(chain_ok)] for e in events))


def trail_jsonl(events: Sequence[TrailEvent], chain_ok: bool) -> str:
    return "".join(
        json.dumps({"seq": e.seq, "at_utc": e.at.isoformat(), "actor": e.actor,
                    "action": e.action, "client_code": e.client_code, "details": e.details,
                    "prev_hash": e.prev_hash, "hash": e.hash, "chain": chain_word(chain_ok)},
                   sort_keys=True, ensure_ascii=False) + "\n"
        for e in events)
