"""The lines the reminders and their details modals share: the verdict's reason, the client."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.clock import ManualClock
from bot.policy.consent import calls_refused, check_contact
from bot.slack_ui.reminders import client_lines, verdict_reason
from tests.handlers.conftest import contract_policy, maria

POLICY = contract_policy()
TUESDAY_10 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 New York
TUESDAY_21 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 21:00 New York
MARIA = maria(ManualClock(TUESDAY_10))
REFUSED = replace(MARIA, consent=replace(MARIA.consent, may_call=False))


def test_not_now_says_when_the_window_opens_and_other_verdicts_their_first_reason():
    later = verdict_reason(check_contact(MARIA, POLICY, TUESDAY_21), POLICY)
    assert later == "the client's calling window opens Wednesday, November 25 at 9:00 AM."
    now = check_contact(MARIA, POLICY, TUESDAY_10)
    assert verdict_reason(now, POLICY) == now.reasons[0]
    refused = verdict_reason(check_contact(REFUSED, POLICY, TUESDAY_10), POLICY)
    assert refused == "The client has not given permission to be called."
    assert "Partner" not in refused


def test_client_lines_name_the_client_and_the_number_to_use_only_when_there_is_one():
    assert client_lines(MARIA, check_contact(MARIA, POLICY, TUESDAY_10)) == [
        ("Client", "C-1042 (Maria)"), ("Number to use", "cell: +12155550142")]
    nameless = replace(REFUSED, preferred_name=None)
    assert client_lines(nameless, check_contact(nameless, POLICY, TUESDAY_10)) == [
        ("Client", "C-1042 (no name on file)")]


def test_only_a_recorded_no_is_a_refusal_of_calls():
    assert calls_refused(REFUSED)
    assert not calls_refused(MARIA)
    assert not calls_refused(replace(MARIA, consent=None))
    assert not calls_refused(replace(MARIA, consent=replace(MARIA.consent, may_call=None)))
    assert not calls_refused(None)
