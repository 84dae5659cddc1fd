"""Appending to and verifying the hash-chained audit trail.

Each event's hash covers its own fields and the previous event's hash, so editing an event breaks
its hash, deleting one breaks the sequence or the next link, and inserting one breaks the link
after it. Events carry actor ids, actions, client codes and non-identifying details only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.tables import AuditEvent
from storage.types import utcnow

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x436F6E74  # any fixed number: serialises appenders on PostgreSQL


def _digest(seq: int, at: datetime, actor: str, action: str, client_code: str | None,
            details: Mapping[str, Any], prev_hash: str) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "client_code": client_code,
            "details": details,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


class AuditLog:
    """The audit trail inside one unit of work; never commits on its own."""

    def __init__(self, session: Session):
        self.session = session

    def append(self, actor: str, action: str, client_code: str | None = None,
               details: Mapping[str, Any] | None = None, at: datetime | None = None) -> AuditEvent:
        bind = self.session.get_bind()
        if bind.dialect.name == "postgresql":
            self.session.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_PG_AUDIT_LOCK))
        last = self.session.exec(
            select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)
        ).first()
        seq = 1 if last is None else last.seq + 1
        prev_hash = GENESIS if last is None else last.hash
        at = at or utcnow()
        clean = json.loads(json.dumps(dict(details or {}), default=str))
        event = AuditEvent(
            seq=seq, at=at, actor=actor, action=action, client_code=client_code, details=clean,
            prev_hash=prev_hash,
            hash=_digest(seq, at, actor, action, client_code, clean, prev_hash),
        )
        self.session.add(event)
        self.session.flush()
        return event


@dataclass(frozen=True)
class ChainReport:
    events: int
    head: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole trail; report every edited, deleted or inserted event found."""
    problems: list[str] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(col(AuditEvent.seq) > last_seq)
            .order_by(col(AuditEvent.seq)).limit(batch)
        ).all()
        if not rows:
            break
        for ev in rows:
            count += 1
            if ev.seq != expected_seq:
                problems.append(f"events {expected_seq}..{ev.seq - 1} are missing (deleted)")
            if ev.prev_hash != expected_prev:
                problems.append(f"event {ev.seq} does not follow the event before it")
            recomputed = _digest(ev.seq, ev.at, ev.actor, ev.action, ev.client_code, ev.details,
                                 ev.prev_hash)
            if recomputed != ev.hash:
                problems.append(f"event {ev.seq} was altered after it was written")
            expected_prev, expected_seq, last_seq = ev.hash, ev.seq + 1, ev.seq
    return ChainReport(events=count, head=expected_prev, problems=tuple(problems))
