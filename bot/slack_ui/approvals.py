"""Block Kit for approvals: the request with Approve / Deny, its decided form, the outcome DMs, the
deny-reason modal, the nudge and the hand-over notes.

Pure builders: data in, ``(text, blocks)`` or a view dict out. Every message here except the modals
stays in Slack's history, so it carries client codes, Slack ids, dates and generic scripts only:
never a client's name, number, note or the decider's reason (that one is shown in a modal, to the
treating team, through the "Show reason" button).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.mrkdwn import escape
from bot.policy.approvals import (
    CLOSURE_WARNING,
    PHONE_COACHING,
    dates_text,
    withdrawal_cause,
)
from bot.policy.clinic import ClinicPolicy
from bot.policy.scripts import clinic_time_text
from bot.services.outcomes import (
    ApprovalMessage,
    ApprovalSummary,
    DecideResult,
    Decision,
    DecisionSummary,
    Outcome,
    ReasonResult,
    RequestResult,
)
from bot.slack_ui import ids
from bot.slack_ui.blocks import button, context, plain, section
from bot.slack_ui.metadata import metadata_value, private_metadata
from bot.slack_ui.outbox import Rendered

__all__ = ["ApprovalSummary", "DecisionSummary", "dates_text", "withdrawal_cause"]

Message = tuple[str, list[dict[str, Any]]]  # (notification text, blocks)

REASON_BLOCK = "approval_reason"
REASON_ACTION = "value"
REASON_MAX = 1000

_APPROVED, _DENIED, _WITHDRAWN = "approved", "denied", "withdrawn"


def _who(user: str) -> str:
    return f"<@{user}>"


def _either(users: Sequence[str]) -> str:
    return " or ".join(_who(u) for u in users)


def _ask(s: ApprovalSummary) -> str:
    """The question the approver answers, with the facts behind it."""
    if s.kind == CLOSURE_WARNING:
        clinician = _who(s.clinician) if s.clinician else "The clinician"
        missed = (
            f"missed {len(s.no_show_dates)} appointments in a row ({dates_text(s.no_show_dates)})"
            if s.no_show_dates
            else "missed appointments in a row"
        )
        return (
            f"*{s.title}?*\n{s.client_code} has {missed}. {clinician} would tell the client that "
            "the file will close unless they get in touch by the clinic's deadline. The protocol "
            "asks for your approval first."
        )
    return (
        f"*{s.title}?*\n{_who(s.requester)} asks to offer {s.client_code} DBT phone coaching "
        "between sessions. Until it is approved, phone contact with this client is for "
        "scheduling only."
    )


def _asked_line(s: ApprovalSummary, policy: ClinicPolicy) -> str:
    clinician = (
        f" · Clinician: {_who(s.clinician)}" if s.clinician and s.clinician != s.requester else ""
    )
    return f"Asked by {_who(s.requester)} on {clinic_time_text(policy, s.requested_at)}{clinician}"


def _buttons(s: ApprovalSummary) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": f"approval_buttons:{s.id}",
        "elements": [
            button("Approve", ids.APPROVAL_APPROVE, s.id, "primary"),
            button("Deny", ids.APPROVAL_DENY, s.id, "danger"),
        ],
    }


def decided_line(d: DecisionSummary, policy: ClinicPolicy) -> str:
    when = clinic_time_text(policy, d.decided_at)
    if d.status == _WITHDRAWN:
        return f"↩️ Withdrawn on {when}" + (f": {d.because}" if d.because else "")
    mark = "✅ Approved" if d.status == _APPROVED else "❌ Denied"
    return f"{mark} by {_who(d.decided_by)} on {when}"


def who_decides(s: ApprovalSummary, policy: ClinicPolicy) -> str:
    """Who may decide the request: the approver; the backup too only where the clinic allows it."""
    approver = _who(s.approver)
    if s.backup is None:
        return f"Only {approver} can decide it."
    after = f"{_told_after_hours(policy):g} business hours"
    if policy.approvals.backup_may_decide:
        return (
            f"{approver} decides; if it is still undecided after {after}, {_who(s.backup)} "
            "(the backup) may decide it too."
        )
    return (
        f"Only {approver} can decide it; if it is still undecided after {after}, "
        f"{_who(s.backup)} (the backup) is told it is waiting but cannot decide it."
    )


def _told_after_hours(policy: ClinicPolicy) -> float:
    """Business hours after the request at which the backup is told (twice the nudge's wait)."""
    return 2 * policy.approvals.remind_after_business_hours


# --- to the approver (and the backup) ----------------------------------------------------------


def request_message(
    s: ApprovalSummary, policy: ClinicPolicy, *, handed_over_from: str | None = None
) -> Message:
    """The DM asking for a decision, with Approve / Deny; to the backup after a hand-over."""
    text = f"Approval needed: {s.title}"
    blocks = [section(_ask(s)), context(_asked_line(s, policy)),
              context(f"*Who decides:* {who_decides(s, policy)}")]
    if handed_over_from is not None:
        text = f"Handed over to you: {s.title}"
        blocks.insert(0, section(
            f"*Handed over to you as backup approver:* {_who(handed_over_from)} has not decided "
            "this request in time."
        ))
    blocks.append(_buttons(s))
    return text, blocks


def backup_told_message(s: ApprovalSummary, policy: ClinicPolicy) -> Message:
    """To the backup where only the approver decides: the request is waiting. No buttons."""
    approver = _who(s.approver)
    held_up = (
        "Until it is approved, phone contact with this client is for scheduling only."
        if s.kind == PHONE_COACHING
        else "Until it is approved, the client is not warned about closing the file."
    )
    return f"Waiting for {approver}'s decision: {s.title}", [
        section(
            f"*Waiting for {approver}:* the request for {s.phrase} has had no decision after "
            f"{_told_after_hours(policy):g} business hours. You are told as the clinic's backup; "
            f"*only {approver} can decide it*, so there is nothing for you to approve. {held_up}"
        ),
        section(
            f"*What you can do:* remind {approver}. If {approver} is away, tell "
            f"{_who(s.requester)}; the request stays with {approver} (the clinic's policy lets "
            "only the named approver decide)."
        ),
        context(_asked_line(s, policy)),
    ]


def decided_message(s: ApprovalSummary, d: DecisionSummary, policy: ClinicPolicy) -> Message:
    """The request as it stays after the decision: the facts, who decided and when, no buttons."""
    line = decided_line(d, policy)
    if d.status == _WITHDRAWN:
        line += ". Nothing to decide any more."
    return f"{s.title}: {line}", [
        section(_ask(s)),
        context(_asked_line(s, policy)),
        section(line),
    ]


def nudge_message(s: ApprovalSummary, policy: ClinicPolicy, *, waited_hours: float,
                  hand_over_at: datetime | None, now: datetime) -> Message:
    """The reminder to an approver who has not decided (the request with its buttons is above)."""
    text = f"Reminder: {s.title} is waiting for your decision"
    return text, [
        section(
            f"*Reminder:* the request for {s.phrase} has waited {waited_hours:g} "
            "business hours for your decision. Use *Approve* or *Deny* on the request above."
            f"{_then_the_backup(s, policy, hand_over_at, now)}"
        ),
        context(_asked_line(s, policy)),
    ]


def _then_the_backup(s: ApprovalSummary, policy: ClinicPolicy, at: datetime | None,
                     now: datetime) -> str:
    """What happens next with the backup, for the nudge ('' without a backup)."""
    if s.backup is None or at is None:
        return " Only you can decide it."
    backup = _who(s.backup)
    if policy.approvals.backup_may_decide:
        return (
            f" If it is still undecided on {clinic_time_text(policy, at)}, it goes to {backup}, "
            "who may then decide it too."
        )
    if at <= now:
        return f" {backup} (the backup) has been told it is waiting; only you can decide it."
    return (
        f" If it is still undecided on {clinic_time_text(policy, at)}, {backup} (the backup) is "
        "told it is waiting; only you can decide it."
    )


# --- to the requester and the clinician --------------------------------------------------------


def requested_reply(s: ApprovalSummary, policy: ClinicPolicy, *, already_pending: bool) -> str:
    """The ephemeral answer to whoever asked (``coaching CODE``, or the no-show reply)."""
    deciders = who_decides(s, policy)
    if already_pending:
        return (
            f"A request for {s.phrase} is already waiting for {_who(s.approver)} "
            f"(asked by {_who(s.requester)}). {deciders} You'll get a DM with the decision."
        )
    tail = (
        " Until it is approved, phone contact with this client is for scheduling only."
        if s.kind == PHONE_COACHING
        else " Don't warn the client about closing the file until it is approved."
    )
    return (
        f"Asked {_who(s.approver)} to approve {s.phrase}. {deciders} You'll get a DM with the "
        f"decision.{tail}"
    )


def facts_updated_reply(s: ApprovalSummary) -> str:
    """To whoever's mark changed the run behind a pending request (no second request)."""
    return (
        f"The request for {s.phrase} waiting for {_who(s.approver)} now lists "
        f"{len(s.no_show_dates)} missed appointments in a row ({dates_text(s.no_show_dates)}); "
        "its message is updated. No second request is made."
    )


def withdrawn_reply(s: ApprovalSummary, d: DecisionSummary, policy: ClinicPolicy) -> str:
    """To whoever's mark withdrew a pending request."""
    because = f" ({d.because})" if d.because else ""
    return (
        f"The request for {s.phrase} that was waiting for {_who(s.approver)} is withdrawn"
        f"{because}: it can no longer be approved, and the approver's message and "
        f"{_who(s.requester)} are told."
    )


def approved_on_corrected_reply(s: ApprovalSummary, d: DecisionSummary,
                                policy: ClinicPolicy) -> str:
    """A no-show that an approved closure warning counted was corrected to arrived."""
    clinician = _who(s.clinician) if s.clinician else "the clinician"
    return (
        f"{s.title} counted this no-show and was already approved by {_who(d.decided_by)} on "
        f"{clinic_time_text(policy, d.decided_at)}. If the client has not been warned yet, "
        f"don't warn them; the reminder to close the file is dropped. Make sure {clinician} "
        "knows."
    )


def handed_over_notice(s: ApprovalSummary, policy: ClinicPolicy, *, waited_hours: float) -> Message:
    """To the requester: nobody decided, so the backup was told (and may decide, where allowed)."""
    approver, backup = _who(s.approver), _who(s.backup or s.approver)
    if policy.approvals.backup_may_decide:
        text = f"{s.title}: handed over to {backup}"
        said = (
            f"Your request for {s.phrase} had no decision from {approver} after "
            f"{waited_hours:g} business hours, so it went to the backup approver, {backup}. "
            "You'll get a DM with the decision."
        )
    else:
        text = f"{s.title}: still waiting for {approver}"
        said = (
            f"Your request for {s.phrase} has had no decision from {approver} after "
            f"{waited_hours:g} business hours, so {backup} (the backup) has been told it is "
            f"waiting. Only {approver} can decide it; you'll get a DM with the decision."
        )
    return text, [section(said), context(_asked_line(s, policy))]


def outcome_message(s: ApprovalSummary, d: DecisionSummary, policy: ClinicPolicy) -> Message:
    """To the requester: the decision (a denial's reason stays behind the "Show reason" button)."""
    line = decided_line(d, policy)
    blocks: list[dict[str, Any]] = [section(f"*{s.title}*: {line}")]
    if d.status == _WITHDRAWN:
        blocks.append(section("Nobody needs to decide it now. Don't warn the client about "
                              "closing the file."))
    elif d.status == _DENIED:
        blocks.append(section(
            "Don't go ahead with it. The reason is kept private: open it with the button."
            if s.kind == CLOSURE_WARNING
            else "Phone contact with this client stays for scheduling only. The reason is kept "
            "private: open it with the button."
        ))
        blocks.append({
            "type": "actions",
            "block_id": f"approval_reason:{s.id}",
            "elements": [button("Show reason", ids.APPROVAL_SHOW_REASON, s.id)],
        })
    elif s.kind == PHONE_COACHING:
        blocks.append(section(
            f"You may offer {s.client_code} DBT phone coaching; the guidance card "
            f"(`/contact-check {s.client_code}`) now shows the approval."
        ))
    return f"{s.title}: {line}", blocks


def closure_approved_message(
    s: ApprovalSummary,
    d: DecisionSummary,
    policy: ClinicPolicy,
    *,
    script: str,
    deadline: datetime,
    note: str,
) -> Message:
    """To the clinician: the approval, the closure-warning script with its deadline, the note."""
    line = decided_line(d, policy)
    when = clinic_time_text(policy, deadline)
    return f"{s.title}: {line}. Deadline {when}", [
        section(f"*{s.title}*: {line}"),
        section(f"*Say or leave this message* (deadline: *{when}*):\n>{escape(script)}"),
        section(f"*Documentation note:*\n```{note}```"),
        context(
            f"I'll remind you on {when} to close the file unless the client has confirmed "
            "they want to continue."
        ),
    ]


def closure_note(s: ApprovalSummary, d: DecisionSummary, policy: ClinicPolicy,
                 deadline: datetime) -> str:
    """The documentation note for an approved closure warning (codes, ids and dates only)."""
    missed = f" after no-shows on {dates_text(s.no_show_dates)}" if s.no_show_dates else ""
    member = policy.member(d.decided_by)
    decider = f"{member.first_name} ({member.role})" if member else d.decided_by
    return (
        f"Closure warning: approved by {decider} on "
        f"{clinic_time_text(policy, d.decided_at)}{missed}. Contacted the client on [date and "
        f"time] and asked them to confirm their next appointment by "
        f"{clinic_time_text(policy, deadline)}; told them the file will otherwise be closed and "
        "that they can start treatment again at any time. Outcome: [left a message / spoke "
        "with the client]."
    )


def closure_deadline_message(client_code: str, deadline: datetime,
                             policy: ClinicPolicy) -> Message:
    """At the deadline: close the file unless the client has confirmed."""
    when = clinic_time_text(policy, deadline)
    text = f"Closure deadline reached for {client_code}"
    return text, [
        section(
            f"*Closure deadline reached for {client_code}* ({when}).\nUnless the client has "
            "confirmed they want to continue, close the file now and document the closure."
        ),
    ]


# --- clicks and the modals ---------------------------------------------------------------------


def not_allowed_reply(s: ApprovalSummary, deciders: Sequence[str], *, backup: bool,
                      backup_may_decide: bool) -> str:
    """To someone who clicked Approve or Deny and may not decide: who can; nothing changed.

    ``backup``: the clicker is the request's backup (told, by default, but never deciding).
    """
    only = f"Only {_either(deciders)} can decide the request for {s.phrase}."
    if not backup:
        return only
    approver = _who(s.approver)
    if backup_may_decide:
        return (f"{only} As the backup you may decide it once it is handed over to you. "
                "Nothing was changed.")
    return (f"{only} The clinic's policy lets only the named approver decide: as the backup you "
            f"are told when it waits, and can remind {approver}. Nothing was changed.")


def already_decided_reply(s: ApprovalSummary, d: DecisionSummary, policy: ClinicPolicy) -> str:
    if d.status == _WITHDRAWN:
        because = f": {d.because}" if d.because else ""
        return (f"The request for {s.phrase} was withdrawn on "
                f"{clinic_time_text(policy, d.decided_at)}{because}. There is nothing to decide.")
    verb = "approved" if d.status == _APPROVED else "denied"
    return (
        f"The request for {s.phrase} was already decided: {verb} by "
        f"{_who(d.decided_by)} on {clinic_time_text(policy, d.decided_at)}."
    )


def decided_reply(s: ApprovalSummary, d: DecisionSummary, policy: ClinicPolicy) -> str:
    return f"Recorded. {s.title}: {decided_line(d, policy)}."


def deny_modal(s: ApprovalSummary) -> dict[str, Any]:
    """Asks the decider why; ``private_metadata`` carries the approval id only."""
    return {
        "type": "modal",
        "callback_id": ids.APPROVAL_DENY_MODAL,
        "private_metadata": private_metadata(approval_id=s.id),
        "title": plain("Deny the request"),
        "submit": plain("Deny"),
        "close": plain("Cancel"),
        "blocks": [
            section(f"*{s.title}*"),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": plain("Why not?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_ACTION,
                    "multiline": True,
                    "max_length": REASON_MAX,
                },
                "hint": plain(
                    "Stored encrypted; shown only to the treating team, never in a message."
                ),
            },
        ],
    }


def approval_id_of(view: Mapping[str, Any]) -> str:
    """The approval id the deny modal carries (ValueError when it is not there)."""
    value = metadata_value(view, "approval_id")
    if value is None:
        raise ValueError("the deny modal carries no approval id")
    return value


def reason_from_values(values: Mapping[str, Any]) -> str:
    """The typed reason from a view submission's ``state.values`` ('' when left empty)."""
    field = values.get(REASON_BLOCK, {}).get(REASON_ACTION, {})
    return str(field.get("value") or "").strip()


def reason_errors(message: str) -> dict[str, str]:
    """The ``errors`` of a ``response_action: errors`` answer, keyed by the reason's block."""
    return {REASON_BLOCK: message}


def reason_modal(s: ApprovalSummary, d: DecisionSummary, policy: ClinicPolicy,
                 reason: str | None) -> dict[str, Any]:
    """The decider's reason, read-only, for the treating team."""
    return {
        "type": "modal",
        "title": plain("Reason for the decision"),
        "close": plain("Close"),
        "blocks": [
            section(f"*{s.title}*: {decided_line(d, policy)}"),
            section(escape(reason, 3000) if reason else "_No reason was given._"),
        ],
    }


def reply_message(text: str) -> dict[str, Any]:
    """An ephemeral reply (to a command or a click) carrying one of the texts above."""
    return {"text": text, "blocks": [section(text)]}


def notice_view(text: str) -> dict[str, Any]:
    """What the deny modal turns into once submitted: the outcome, and Close."""
    return {
        "type": "modal",
        "title": plain("Deny the request"),
        "close": plain("Close"),
        "blocks": [section(text)],
    }


# --- the use cases' outcomes, worded -----------------------------------------------------------


def request_reply(result: RequestResult, policy: ClinicPolicy) -> str:
    """The ephemeral answer to whoever asked (or whose mark changed the facts behind a request)."""
    s, d = result.summary, result.decision
    if result.outcome is Outcome.REFUSED:
        return str(result.refused.message)
    if s is None:  # coaching approved before, on the client's file
        assert d is not None
        return (f"DBT phone coaching for {result.client_code} is already approved: by "
                f"{_who(d.decided_by)} on {clinic_time_text(policy, d.decided_at)}.")
    if result.outcome in (Outcome.REQUESTED, Outcome.ALREADY_PENDING):
        return requested_reply(s, policy,
                               already_pending=result.outcome is Outcome.ALREADY_PENDING)
    if result.outcome is Outcome.UPDATED:
        return facts_updated_reply(s)
    assert d is not None
    if result.outcome is Outcome.WITHDRAWN:
        return withdrawn_reply(s, d, policy)
    if result.counted_corrected:
        return approved_on_corrected_reply(s, d, policy)
    return already_decided_reply(s, d, policy)


def decide_reply(result: DecideResult, policy: ClinicPolicy) -> str:
    """The ephemeral answer to a click (or the deny modal's error when a reason is missing)."""
    s, d = result.summary, result.decision
    if result.outcome is Decision.UNKNOWN or s is None:
        return "This request is no longer on file."
    if result.outcome is Decision.NOT_ALLOWED:
        return not_allowed_reply(s, result.deciders, backup=result.backup,
                                 backup_may_decide=result.backup_may_decide)
    if result.outcome is Decision.NOT_ELIGIBLE:
        return str(result.refused.message)
    if result.outcome is Decision.REASON_NEEDED:
        return "Say why the request is denied."
    assert d is not None
    if result.outcome is Decision.ALREADY_DECIDED:
        return already_decided_reply(s, d, policy)
    return decided_reply(s, d, policy)


def reason_view(result: ReasonResult, policy: ClinicPolicy) -> dict[str, Any] | None:
    """The reason modal for someone allowed to read it; None otherwise."""
    if not result.allowed or result.summary is None or result.decision is None:
        return None
    return reason_modal(result.summary, result.decision, policy, result.reason)


# --- the outbox's renderers (kinds of ``bot.services.approvals``) ------------------------------


def request_dm(m: ApprovalMessage, policy: ClinicPolicy) -> Rendered:
    """``approval_request``: to the approver, or to a backup (buttons only if they may decide)."""
    if not m.may_decide:
        return Rendered(*backup_told_message(m.summary, policy))
    return Rendered(*request_message(m.summary, policy, handed_over_from=m.handed_over_from))


def nudge_dm(m: ApprovalMessage, policy: ClinicPolicy) -> Rendered:
    """``approval_nudge``: to the approver who has not decided."""
    assert m.now is not None
    return Rendered(*nudge_message(m.summary, policy,
                                   waited_hours=policy.approvals.remind_after_business_hours,
                                   hand_over_at=m.hand_over_at, now=m.now))


def handed_over_dm(m: ApprovalMessage, policy: ClinicPolicy) -> Rendered:
    """``approval_handed_over``: to the requester."""
    return Rendered(*handed_over_notice(
        m.summary, policy, waited_hours=2 * policy.approvals.remind_after_business_hours))


def request_update(m: ApprovalMessage, policy: ClinicPolicy) -> Rendered:
    """``approval_decided``: the request message as it stands now: its facts and buttons while
    pending, else the decision (or the withdrawal) without buttons."""
    if m.decision is None:
        text, blocks = request_message(m.summary, policy, handed_over_from=m.handed_over_from)
    else:
        text, blocks = decided_message(m.summary, m.decision, policy)
    return Rendered(text, blocks, update=m.update)


def outcome_dm(m: ApprovalMessage, policy: ClinicPolicy) -> Rendered:
    """``approval_outcome``: the decision to the requester; an approved closure warning to the
    clinician with its script, deadline and note."""
    assert m.decision is not None
    if m.deadline is not None and m.script is not None:
        note = closure_note(m.summary, m.decision, policy, m.deadline)
        return Rendered(*closure_approved_message(m.summary, m.decision, policy, script=m.script,
                                                  deadline=m.deadline, note=note))
    return Rendered(*outcome_message(m.summary, m.decision, policy))


def deadline_dm(m: ApprovalMessage, policy: ClinicPolicy) -> Rendered:
    """``closure_deadline``: to the clinician at the closure-warning deadline."""
    assert m.deadline is not None
    return Rendered(*closure_deadline_message(m.summary.client_code, m.deadline, policy))
