"""Call-back duties: a missed call logged, whether a call back is owed, and when it was returned.

A potential client's number is sealed in ``caller_phone_enc`` and found again through its keyed
blind index, never stored or searched in clear.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.sealing import Sealer
from storage.tables import CallbackDuty

OPEN, RETURNED, NOT_OWED = "open", "returned", "not_owed"


class CallbackRepository:
    def __init__(self, session: Session, sealer: Sealer):
        self.session = session
        self.sealer = sealer

    def add(self, *, client_id: uuid.UUID | None, caller_phone: str | None, clinician: str,
            logged_by: str, called_at: datetime, voicemail_left: bool, owed: bool,
            due_at: datetime | None) -> CallbackDuty:
        duty = CallbackDuty(
            client_id=client_id, clinician=clinician, logged_by=logged_by, called_at=called_at,
            voicemail_left=voicemail_left, owed=owed, due_at=due_at,
            status=OPEN if owed else NOT_OWED,
            caller_phone_index=self.sealer.phone_index(caller_phone) if caller_phone else None,
        )
        self.sealer.seal(duty, "caller_phone", caller_phone)
        self.session.add(duty)
        self.session.flush()
        return duty

    def get(self, duty_id: uuid.UUID) -> CallbackDuty | None:
        return self.session.get(CallbackDuty, duty_id)

    def caller_phone(self, duty: CallbackDuty) -> str | None:
        return self.sealer.open(duty, "caller_phone")

    def open_for_client(self, client_id: uuid.UUID) -> list[CallbackDuty]:
        return list(self.session.exec(
            select(CallbackDuty)
            .where(CallbackDuty.client_id == client_id, CallbackDuty.status == OPEN)
            .order_by(col(CallbackDuty.called_at))
        ).all())

    def open_for_clients(self, client_ids: Sequence[uuid.UUID]) -> list[CallbackDuty]:
        if not client_ids:
            return []
        return list(self.session.exec(
            select(CallbackDuty)
            .where(col(CallbackDuty.client_id).in_(client_ids), CallbackDuty.status == OPEN)
            .order_by(col(CallbackDuty.called_at))
        ).all())

    def open_for_phone(self, e164: str) -> list[CallbackDuty]:
        """Open duties to a potential client who called from ``e164`` (any key's index)."""
        return list(self.session.exec(
            select(CallbackDuty)
            .where(col(CallbackDuty.caller_phone_index).in_(self.sealer.phone_indexes(e164)),
                   CallbackDuty.status == OPEN)
            .order_by(col(CallbackDuty.called_at))
        ).all())

    def close(self, duty: CallbackDuty, *, by: str, at: datetime,
              status: str = RETURNED) -> None:
        """Close an open duty: returned, or ``NOT_OWED`` any more."""
        duty.status = status
        duty.closed_by = by
        duty.closed_at = at
        self.session.add(duty)
        self.session.flush()
