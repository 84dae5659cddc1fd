"""A missed call's reply agrees with the card: the clinic's hours, the client's status.

Seeds: 000 (ask how early / late; the potential-client call-back), 001 (calls returned only during
operating hours), 002 (incomplete intake, former clients).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.policy.consent import Verdict
from bot.policy.model import ClientRecord
from bot.services import callbacks
from storage.uow import Store
from tests.services.conftest import consent
from tests.services.test_callbacks import POLICY

NEW_YORK = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


# (id naming the seed, status, may_call, logged at, verdict, returnable from, a reason fragment)
MISSED = [
    ("001: Tue 10:00, clinic open: ok", "active", True, ny(2026, 11, 24, 10, 0), Verdict.OK, None,
     "The clinic is open now"),
    ("000+001: Tue 23:30, no hours recorded: not now, Wed 09:00", "active", True,
     ny(2026, 11, 24, 23, 30), Verdict.NOT_NOW, ny(2026, 11, 25, 9, 0),
     "Call back only while the clinic is open"),
    ("001: Fri 18:00: Monday 09:00", "active", True, ny(2026, 11, 27, 18, 0), Verdict.NOT_NOW,
     ny(2026, 11, 30, 9, 0), "Call back only while the clinic is open"),
    ("001: Thanksgiving noon: Friday 09:00", "active", True, ny(2026, 11, 26, 12, 0),
     Verdict.NOT_NOW, ny(2026, 11, 27, 9, 0), "Call back only while the clinic is open"),
    ("002: intake who called: returned as a potential client", "intake", None,
     ny(2026, 11, 24, 10, 0), Verdict.NO_CONSENT, None, "The clinic is open now"),
    ("002: former client who called: returned as a potential client", "former", True,
     ny(2026, 11, 24, 10, 0), Verdict.NO_CONSENT, None, "The clinic is open now"),
    ("002: closed file who called at night: still a potential client", "closed", True,
     ny(2026, 11, 24, 23, 30), Verdict.NO_CONSENT, None, "Call back only while the clinic"),
]


@pytest.mark.parametrize(("status", "may_call", "at", "verdict", "returnable_from", "reason"),
                         [case[1:] for case in MISSED], ids=[case[0] for case in MISSED])
def test_missed_call_verdict_agrees_with_the_clinics_hours(
    store: Store, status: str, may_call: bool | None, at: datetime, verdict: Verdict,
    returnable_from: datetime | None, reason: str,
) -> None:
    record = ClientRecord(code="C-7", clinician="U0ANA", status=status,  # type: ignore[arg-type]
                          consent=replace(consent(), may_call=may_call))
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=at)
        result = callbacks.log_missed(uow, POLICY, actor="U0DESK", code="C-7", voicemail=True,
                                      now=at)
        uow.commit()
    assert result.due.owed  # they called: a call back is owed whatever their status
    assert result.verdict is verdict
    assert result.returnable_from == returnable_from
    assert any(reason in r for r in result.due.reasons)
    if status in ("intake", "former", "closed"):
        assert result.guidance.potential_client
        assert any("first name only" in r for r in result.guidance.reasons)
    if any("only while the clinic is open" in r for r in result.due.reasons):
        assert result.verdict is not Verdict.OK
