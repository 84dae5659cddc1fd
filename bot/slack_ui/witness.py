"""The daily audit-trail head posted to the admins (``bot.services.witness``): a count and a hash.

A DM stays in Slack's history, out of reach of anyone who can change the database: that is what
makes it a witness. It carries the number of events and the last one's hash, never anything
about a client.
"""

from __future__ import annotations

from typing import Any

from bot.policy.clinic import ClinicPolicy
from bot.services.outcomes import AuditHead
from bot.slack_ui.blocks import context, section
from bot.slack_ui.outbox import Rendered

Message = dict[str, Any]


def audit_head_message(*, day_text: str, events: int, head: str,
                       problem: str | None = None) -> Message:
    """The day's head, or (``problem``) the warning that the stored head does not verify."""
    if problem is not None:
        text = f"Audit trail check, {day_text}: the trail's head does not verify."
        return {"text": text, "blocks": [
            section(f":warning: *{text}*\n{problem}."),
            context("Run `contact-check verify-audit` now, and keep the database as it is for "
                    "the clinic's privacy officer."),
        ]}
    text = f"Audit trail head, {day_text}: {events} event(s), head {head}"
    return {"text": text, "blocks": [
        section(f":ledger: *Audit trail head, {day_text}*\n{events} event(s), head `{head}`"),
        context("Keep this message: it is the trail's witness. Later, `contact-check "
                f"verify-audit --expect-head {head}` says whether the trail still reaches this "
                "point (exit 0) or was cut short or rewritten (exit 2). Count and hash only: no "
                "client data."),
    ]}


def witness_message(head: AuditHead, policy: ClinicPolicy) -> Rendered:
    """The witness DM (outbox kind ``audit_head``) for the head read at send time."""
    local = head.at.astimezone(policy.clinic.timezone)
    message = audit_head_message(day_text=f"{local:%a %d %b %Y %H:%M} clinic time",
                                 events=head.events, head=head.hash, problem=head.problem)
    return Rendered(text=message["text"], blocks=message["blocks"])
