"""Approvals: closure warnings and DBT phone coaching, asked of the named person and decided once.

Use cases (each in the caller's unit of work; the caller commits):

- ``request_closure_warning``: called by the no-show use case when a client's run of no-shows
  reaches ``closure_warning_after`` (or by a clinician). One request per run: a later no-show of
  the same run adds to the pending request's facts (and its message is updated), never a second
  request; a run whose request was decided is not asked about again;
- ``recheck_closure_warning``: called when an appointment is marked arrived: the pending request
  follows the run that is left, or is withdrawn when no run long enough is left (the approver's
  message and the requester say so, and nobody can decide it any more);
- ``request_coaching``: ``/contact-check coaching CODE``;
- ``decide``: an Approve / Deny click, or the deny-reason modal's submission;
- ``show_reason``: the "Show reason" button of a denial;
- ``nudge_and_hand_over``: the job that nudges undecided approvers and tells the backup.

Only the named approver decides (seed 003). The backup is told when a request waits twice the
nudge's wait, with a notice and no buttons; only where the clinic sets
``approvals.backup_may_decide: true`` is that a hand-over, the backup getting the request with
Approve / Deny. DBT phone coaching is asked for and approved only for clients
``bot.policy.coaching.coaching_eligibility`` allows.

Messages go through the outbox (kinds declared in ``bot.outbox_kinds``; their send-time re-checks
and facts are at the bottom of this module), so a request, a
decision and the DMs about it are one transaction: all of it happens, or none.

The first decision wins: ``ApprovalRepository.decide`` is a conditional update, and whoever's
update matched decided; everyone else (double clicks, a second decider, a retry) is told who
decided and when. Every request, click (accepted or refused), nudge, hand-over and decision is an
audit event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.policy import scripts
from bot.policy.access import card_access
from bot.policy.approvals import (
    CLOSURE_WARNING,
    PHONE_COACHING,
    Permission,
    Step,
    closure_deadline,
    due_steps,
    hand_over_at,
    may_decide,
    route,
)
from bot.policy.callback_number import callback_number
from bot.policy.clinic import ClinicPolicy
from bot.policy.coaching import coaching_eligibility
from bot.policy_file.validation import SLACK_ID_PATTERN
from bot.services.authorise import Refused
from bot.services.deliveries import APPROVAL_PRIORITY
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
from storage.repositories.approvals import APPROVED, DENIED, PENDING, WITHDRAWN
from storage.repositories.outbox import CANCELLED, SENT
from storage.tables import Approval, OutboxMessage
from storage.uow import UnitOfWork

SUBJECT = "approval"

# outbox kinds
REQUEST = "approval_request"  # to the approver; to the backup when told (buttons if may decide)
NUDGE = "approval_nudge"  # to the approver
HANDED_OVER = "approval_handed_over"  # to the requester
DECIDED = "approval_decided"  # chat.update of a request message: new facts, the decision, withdrawn
OUTCOME = "approval_outcome"  # to the requester and the clinician
CLOSURE_DEADLINE = "closure_deadline"  # to the clinician at the closure-warning deadline
KINDS = (REQUEST, NUDGE, HANDED_OVER, DECIDED, OUTCOME, CLOSURE_DEADLINE)

APPROVE, DENY = "approve", "deny"
_CLOSED_STATUSES = ("closed", "former")


@dataclass(frozen=True)
class JobReport:
    nudged: int = 0
    handed_over: int = 0


# --- requests ----------------------------------------------------------------------------------


def request_closure_warning(
    uow: UnitOfWork,
    policy: ClinicPolicy,
    *,
    client_code: str,
    clinician: str | None,
    requested_by: str,
    no_show_dates: Sequence[date | datetime],
    appointment_ids: Sequence[uuid.UUID] = (),
    now: datetime,
) -> RequestResult:
    """Ask the closure-warning approver about a run of no-shows; one request per run.

    ``no_show_dates``: the missed appointments in time order (dates, or aware start times read in
    clinic time); ``appointment_ids``: the same appointments, which tie the request to its run.
    With a request pending, it takes these facts (``UPDATED``; ``ALREADY_PENDING`` when nothing
    changed). A run whose request was decided is not asked about again (``ALREADY_DECIDED``), and
    an approved warning whose deadline has not passed yet is not asked again.
    """
    client = uow.clients.row(client_code)
    if client is None:
        return _refused(uow, requested_by, CLOSURE_WARNING, client_code, now,
                        f"There is no client with the code {client_code}.", "unknown client")
    uow.approvals.lock_client(client.id)
    facts = _run_facts(policy, no_show_dates, appointment_ids)
    pending = uow.approvals.pending_for_client(client.id, CLOSURE_WARNING)
    if pending is not None:
        return _take_facts(uow, policy, pending, facts, requested_by, now)
    history = uow.approvals.for_client(client.id, CLOSURE_WARNING)
    if history and _in_force(history[0], now):
        return _decided_result(Outcome.ALREADY_APPROVED, history[0], policy)
    decided = next((a for a in history if a.status in (APPROVED, DENIED)
                    and _same_run(a.details, facts)), None)
    if decided is not None:
        uow.audit.append(requested_by, "approval.request_repeated", client.code,
                         {"approval_id": str(decided.id), "kind": CLOSURE_WARNING}, at=now)
        return _decided_result(Outcome.ALREADY_DECIDED, decided, policy)
    return _request(uow, policy, kind=CLOSURE_WARNING, client_id=client.id,
                    client_code=client.code, clinician=clinician or client.clinician,
                    requested_by=requested_by, now=now, details=facts)


def recheck_closure_warning(
    uow: UnitOfWork,
    policy: ClinicPolicy,
    *,
    client_code: str,
    actor: str,
    no_show_dates: Sequence[date | datetime],
    appointment_ids: Sequence[uuid.UUID],
    because: str,
    corrected: uuid.UUID | None,
    now: datetime,
) -> RequestResult | None:
    """After an appointment was marked arrived: do the facts behind a closure warning still hold?

    ``no_show_dates`` / ``appointment_ids``: the client's run of no-shows now (after their last
    arrival; empty when there is none). A pending request takes that run as its facts while it is
    long enough (``UPDATED``), and is withdrawn otherwise (``WITHDRAWN``, ``because`` saying why:
    codes, dates and Slack ids only). ``corrected``: the appointment, when it had been recorded
    as a no-show; an approved warning that counted it is then pointed out (``ALREADY_APPROVED``),
    since a decision cannot be withdrawn. None when there is nothing to say.
    """
    client = uow.clients.row(client_code)
    if client is None:
        return None
    uow.approvals.lock_client(client.id)
    pending = uow.approvals.pending_for_client(client.id, CLOSURE_WARNING)
    if pending is None:
        return _approved_counting(uow, policy, client.id, corrected, now)
    if len(appointment_ids) >= policy.no_show.closure_warning_after:
        facts = _run_facts(policy, no_show_dates, appointment_ids)
        if _same_facts(pending.details, facts):
            return None
        return _take_facts(uow, policy, pending, facts, actor, now)
    details = {**pending.details, "withdrawn_because": because}
    if not uow.approvals.withdraw(pending.id, actor, now, details):
        return _decided_result(Outcome.ALREADY_DECIDED, pending, policy)
    uow.audit.append(actor, "approval.withdrawn", client.code,
                     {"approval_id": str(pending.id), "kind": pending.kind}, at=now)
    _after_decision(uow, policy, pending, now)
    return RequestResult(Outcome.WITHDRAWN, pending.id, pending.approver, summarise(pending),
                         _decision(pending))


def _run_facts(policy: ClinicPolicy, no_show_dates: Sequence[date | datetime],
               appointment_ids: Sequence[uuid.UUID]) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "no_show_dates": [_local_date(policy, d).isoformat() for d in no_show_dates]}
    if appointment_ids:
        facts["appointment_ids"] = [str(i) for i in appointment_ids]
    return facts


def _same_facts(details: dict[str, Any], facts: dict[str, Any]) -> bool:
    return all(details.get(key) == value for key, value in facts.items())


def _same_run(details: dict[str, Any], facts: dict[str, Any]) -> bool:
    """Whether a request's facts and ``facts`` are about the same run: an appointment in common
    (a missed day in common, for requests stored without their appointments)."""
    if details.get("appointment_ids") and facts.get("appointment_ids"):
        return bool(set(details["appointment_ids"]) & set(facts["appointment_ids"]))
    return bool(set(details.get("no_show_dates", [])) & set(facts["no_show_dates"]))


def _take_facts(uow: UnitOfWork, policy: ClinicPolicy, pending: Approval, facts: dict[str, Any],
                actor: str, now: datetime) -> RequestResult:
    """The pending request carries ``facts`` from now on; its sent messages are updated."""
    code = str(pending.details.get("client_code", ""))
    if _same_facts(pending.details, facts):
        uow.audit.append(actor, "approval.request_repeated", code,
                         {"approval_id": str(pending.id), "kind": pending.kind}, at=now)
        return RequestResult(Outcome.ALREADY_PENDING, pending.id, pending.approver,
                             summarise(pending))
    revision = int(pending.details.get("revision", 0)) + 1
    details = {**pending.details, **facts, "revision": revision}
    if "appointment_ids" not in facts:
        details.pop("appointment_ids", None)
    if not uow.approvals.replace_details(pending.id, details):
        return _decided_result(Outcome.ALREADY_DECIDED, pending, policy)
    uow.audit.append(actor, "approval.facts_updated", code,
                     {"approval_id": str(pending.id), "kind": pending.kind,
                      "no_show_dates": facts["no_show_dates"]}, at=now)
    for request in uow.outbox.for_subject(SUBJECT, pending.id, kinds=[REQUEST]):
        if request.status != CANCELLED:
            _enqueue(uow, pending, DECIDED, request.recipient, now,
                     {"request_message_id": str(request.id)}, f"facts:{revision}:{request.id}")
    return RequestResult(Outcome.UPDATED, pending.id, pending.approver, summarise(pending))


def _decided_result(outcome: Outcome, approval: Approval, policy: ClinicPolicy) -> RequestResult:
    return RequestResult(outcome, approval.id, approval.approver, summarise(approval),
                         _decision(approval))


def _approved_counting(uow: UnitOfWork, policy: ClinicPolicy, client_id: uuid.UUID,
                       corrected: uuid.UUID | None, now: datetime) -> RequestResult | None:
    """An approved warning in force that counted the ``corrected`` no-show, as a reply."""
    if corrected is None:
        return None
    latest = uow.approvals.latest_for_client(client_id, CLOSURE_WARNING)
    if latest is None or not _in_force(latest, now) or str(corrected) not in latest.details.get(
            "appointment_ids", []):
        return None
    return RequestResult(Outcome.ALREADY_APPROVED, latest.id, latest.approver, summarise(latest),
                         _decision(latest), counted_corrected=True)


def request_coaching(
    uow: UnitOfWork, policy: ClinicPolicy, *, client_code: str, requested_by: str, now: datetime
) -> RequestResult:
    """``coaching CODE``: ask the DBT phone-coaching approver, for the client's treating team."""
    record = uow.clients.get(client_code)
    if record is None:
        return _refused(
            uow, requested_by, PHONE_COACHING, client_code, now,
            f"There is no client with the code {client_code}. Check the code, or ask the admin "
            "to import the client first.",
            "unknown client",
        )
    client_code = record.code  # the spelling on file (codes match in any case)
    if not card_access(policy, requested_by, record).details:
        clinician = f"<@{record.clinician}>" if record.clinician else "the client's clinician"
        return _refused(
            uow, requested_by, PHONE_COACHING, client_code, now,
            f"Only {clinician}, their supervisor or an admin can ask for DBT phone coaching "
            f"for {client_code}.",
            "not on the treating team",
        )
    eligibility = coaching_eligibility(record)
    if not eligibility.allowed:
        return _refused(
            uow, requested_by, PHONE_COACHING, client_code, now,
            f"DBT phone coaching is not offered to {client_code}. "
            f"{' '.join(eligibility.reasons)} Nothing was asked.",
            "client not eligible for coaching",
        )
    if record.coaching_approved_by is not None and record.coaching_approved_at is not None:
        return RequestResult(
            Outcome.ALREADY_APPROVED, client_code=client_code,
            decision=DecisionSummary(APPROVED, record.coaching_approved_by,
                                     record.coaching_approved_at),
        )
    client = uow.clients.row(client_code)
    assert client is not None
    uow.approvals.lock_client(client.id)
    return _request(uow, policy, kind=PHONE_COACHING, client_id=client.id, client_code=client.code,
                    clinician=client.clinician, requested_by=requested_by, now=now, details={})


def _request(uow: UnitOfWork, policy: ClinicPolicy, *, kind: str, client_id: uuid.UUID,
             client_code: str, clinician: str | None, requested_by: str, now: datetime,
             details: dict[str, Any]) -> RequestResult:
    existing = uow.approvals.pending_for_client(client_id, kind)
    if existing is not None:
        uow.audit.append(requested_by, "approval.request_repeated", client_code,
                         {"approval_id": str(existing.id), "kind": kind}, at=now)
        return RequestResult(Outcome.ALREADY_PENDING, existing.id, existing.approver,
                             summarise(existing))
    routing = route(policy, kind, clinician=clinician)
    if routing.approver is None:
        return _refused(uow, requested_by, kind, client_code, now, routing.reasons[0],
                        "no approver")
    approval = uow.approvals.add(
        Approval(
            kind=kind,
            client_id=client_id,
            requester=requested_by,
            approver=routing.approver,
            backup=routing.backup,
            details={"client_code": client_code, "clinician": clinician, **details},
            created_at=now,
        )
    )
    _send_request(uow, approval, approval.approver, now)
    uow.audit.append(
        requested_by, "approval.requested", client_code,
        {"approval_id": str(approval.id), "kind": kind, "approver": approval.approver,
         "backup": approval.backup, "why": routing.reasons[0]},
        at=now,
    )
    return RequestResult(Outcome.REQUESTED, approval.id, approval.approver, summarise(approval))


def _refused(uow: UnitOfWork, actor: str, kind: str, client_code: str, now: datetime,
             reply: str, why: str) -> RequestResult:
    uow.audit.append(actor, "approval.request_refused", client_code, {"kind": kind, "why": why},
                     at=now)
    return RequestResult(Outcome.REFUSED, refused=Refused(reply), client_code=client_code)


def _send_request(uow: UnitOfWork, approval: Approval, recipient: str, now: datetime,
                  handed_over_from: str | None = None) -> None:
    payload: dict[str, Any] = {"approval_id": str(approval.id)}
    if handed_over_from is not None:
        payload["handed_over_from"] = handed_over_from
    _enqueue(uow, approval, REQUEST, recipient, now, payload, f"request:{recipient}")


def _enqueue(uow: UnitOfWork, approval: Approval, kind: str, recipient: str, due_at: datetime,
             payload: dict[str, Any], key: str) -> OutboxMessage:
    return uow.outbox.enqueue(
        kind, recipient, due_at, {"approval_id": str(approval.id), **payload},
        priority=APPROVAL_PRIORITY, subject_kind=SUBJECT, subject_id=approval.id,
        dedupe_key=f"approval:{approval.id}:{key}",
    )


# --- the decision ------------------------------------------------------------------------------


def decide(
    uow: UnitOfWork,
    policy: ClinicPolicy,
    *,
    approval_id: str | uuid.UUID,
    user: str,
    decision: str,
    now: datetime,
    reason: str | None = None,
) -> DecideResult:
    """An Approve / Deny click (``reason`` None) or the deny modal's submission (with ``reason``).

    A Deny click by someone allowed changes nothing yet: it answers ``REASON_NEEDED`` with the
    modal, and the decision is made (or lost to a faster one) when the reason is submitted.
    """
    if decision not in (APPROVE, DENY):
        raise ValueError(f"decision is {APPROVE!r} or {DENY!r}, not {decision!r}")
    approval = _load(uow, approval_id)
    via = "modal" if reason is not None else "button"
    if approval is None:
        uow.audit.append(user, "approval.click", None,
                         {"approval_id": str(approval_id), "action": decision, "via": via,
                          "accepted": False, "why": "unknown request"}, at=now)
        return DecideResult(Decision.UNKNOWN)
    summary = summarise(approval)
    code = summary.client_code

    def click(accepted: bool, why: str) -> None:
        uow.audit.append(user, "approval.click", code,
                         {"approval_id": str(approval.id), "action": decision, "via": via,
                          "accepted": accepted, "why": why}, at=now)

    if approval.status != PENDING:
        click(False, "already decided")
        return _already_decided(approval, policy)
    permission = _permission(policy, approval, user)
    if not permission.allowed:
        click(False, permission.reason)
        return DecideResult(Decision.NOT_ALLOWED, summary, deciders=tuple(permission.deciders),
                            backup=user == approval.backup,
                            backup_may_decide=policy.approvals.backup_may_decide)
    if decision == APPROVE and approval.kind == PHONE_COACHING:
        refusal = _coaching_refusal(uow, policy, summary, user)
        if refusal is not None:
            click(False, "client not eligible for coaching")
            return DecideResult(Decision.NOT_ELIGIBLE, summary, refused=refusal)
    if decision == DENY and not (reason or "").strip():
        click(True, "reason asked" if reason is None else "empty reason")
        return DecideResult(Decision.REASON_NEEDED, summary)
    status = APPROVED if decision == APPROVE else DENIED
    if not uow.approvals.decide(approval.id, status, user, now,
                                (reason or "").strip() if status == DENIED else None):
        click(False, "already decided")
        return _already_decided(approval, policy)
    click(True, permission.reason)
    uow.audit.append(user, "approval.decided", code,
                     {"approval_id": str(approval.id), "kind": approval.kind, "status": status,
                      "reason_given": status == DENIED}, at=now)
    _after_decision(uow, policy, approval, now)
    return DecideResult(Decision.DECIDED, summary, _decision(approval))


def _permission(policy: ClinicPolicy, approval: Approval, user: str) -> Permission:
    return may_decide(user, approver=approval.approver, backup=approval.backup,
                      handed_over=approval.handed_over_at is not None,
                      backup_may_decide=policy.approvals.backup_may_decide)


def _coaching_refusal(uow: UnitOfWork, policy: ClinicPolicy, summary: ApprovalSummary,
                      user: str) -> Refused | None:
    """Why coaching may not be approved for the client now (None: it may).

    The reasons (the client's status, a refusal of calls) are said to the treating team and
    admins only; another approver is told that the client may no longer have coaching.
    """
    record = uow.clients.get(summary.client_code)
    if record is None:
        return Refused("This client is no longer on file: use Deny to close the request.")
    eligibility = coaching_eligibility(record)
    if eligibility.allowed:
        return None
    why = (" ".join(eligibility.reasons) if card_access(policy, user, record).details
           else "The client is no longer in active treatment, or has refused phone calls.")
    return Refused(f"DBT phone coaching can't be approved for {summary.client_code} now. {why} "
                   "Nothing was changed; use Deny to close the request.")


def _already_decided(approval: Approval, policy: ClinicPolicy) -> DecideResult:
    return DecideResult(Decision.ALREADY_DECIDED, summarise(approval), _decision(approval))


def _after_decision(uow: UnitOfWork, policy: ClinicPolicy, approval: Approval,
                    now: datetime) -> None:
    """The consequences of the decision that won: messages, the deadline, the coaching mark."""
    uow.outbox.cancel(SUBJECT, approval.id, kinds=[REQUEST, NUDGE, HANDED_OVER],
                      reason="decided")
    for request in uow.outbox.for_subject(SUBJECT, approval.id, kinds=[REQUEST]):
        if request.status != CANCELLED:
            _enqueue(uow, approval, DECIDED, request.recipient, now,
                     {"request_message_id": str(request.id)}, f"decided:{request.id}")
    clinician = approval.details.get("clinician")
    if approval.status == APPROVED and approval.kind == CLOSURE_WARNING:
        deadline = closure_deadline(policy, now)
        uow.approvals.record_deadline(approval.id, deadline)
        if clinician:
            _enqueue(uow, approval, CLOSURE_DEADLINE, clinician, deadline,
                     {"deadline": deadline.isoformat()}, "deadline")
    if approval.status == APPROVED and approval.kind == PHONE_COACHING:
        assert approval.decided_by is not None and approval.decided_at is not None
        uow.approvals.record_coaching(approval.client_id, approval.decided_by, approval.decided_at)
    recipients = [r for r in (clinician, approval.requester) if r and _is_slack_id(r)]
    for recipient in dict.fromkeys(recipients):
        _enqueue(uow, approval, OUTCOME, recipient, now, {}, f"outcome:{recipient}")


# --- the reason of a denial --------------------------------------------------------------------


def show_reason(uow: UnitOfWork, policy: ClinicPolicy, *, approval_id: str | uuid.UUID,
                user: str, now: datetime) -> ReasonResult:
    """The decider's reason, in a modal, for the treating team, the requester and the deciders."""
    approval = _load(uow, approval_id)
    if approval is None or approval.status == PENDING:
        return ReasonResult(False, Refused("This request has no decision on file."))
    summary = summarise(approval)
    member = policy.member(user)
    record = uow.clients.get(summary.client_code)
    allowed = card_access(policy, user, record).details or (
        member is not None and user in {approval.requester, approval.approver, approval.decided_by}
    )
    uow.audit.append(user, "approval.reason_viewed" if allowed else "approval.reason_refused",
                     summary.client_code, {"approval_id": str(approval.id)}, at=now)
    if not allowed:
        return ReasonResult(False, Refused("Only the client's treating team and the deciders can "
                                           "see the reason for this decision."))
    return ReasonResult(True, None, summary, _decision(approval), uow.approvals.reason(approval))


# --- nobody decides ----------------------------------------------------------------------------


def nudge_and_hand_over(uow: UnitOfWork, policy: ClinicPolicy, now: datetime) -> JobReport:
    """Nudge approvers who have waited too long; tell the backup of requests waiting twice as long
    (a hand-over they may decide only where ``approvals.backup_may_decide``).

    Each step is a conditional update, so two jobs running at once act once.
    """
    nudged = handed = 0
    for approval in uow.approvals.pending():
        steps = due_steps(policy, requested_at=approval.created_at, backup=approval.backup,
                          nudged=approval.nudged_at is not None,
                          handed_over=approval.handed_over_at is not None, now=now)
        if Step.NUDGE in steps and _nudge(uow, approval, now):
            nudged += 1
        if Step.HAND_OVER in steps and _hand_over(uow, policy, approval, now):
            handed += 1
    return JobReport(nudged=nudged, handed_over=handed)


def _nudge(uow: UnitOfWork, approval: Approval, now: datetime) -> bool:
    if not uow.approvals.mark_nudged(approval.id, now):
        return False
    _enqueue(uow, approval, NUDGE, approval.approver, now, {}, "nudge")
    uow.audit.append("system", "approval.nudged", approval.details.get("client_code"),
                     {"approval_id": str(approval.id), "approver": approval.approver}, at=now)
    return True


def _hand_over(uow: UnitOfWork, policy: ClinicPolicy, approval: Approval, now: datetime) -> bool:
    """Tell the backup (the request message, or by default a notice without buttons)."""
    if not uow.approvals.mark_handed_over(approval.id, now):
        return False
    assert approval.backup is not None
    _send_request(uow, approval, approval.backup, now, handed_over_from=approval.approver)
    if _is_slack_id(approval.requester):
        _enqueue(uow, approval, HANDED_OVER, approval.requester, now, {}, "handed_over")
    uow.audit.append("system", "approval.handed_over", approval.details.get("client_code"),
                     {"approval_id": str(approval.id), "from": approval.approver,
                      "to": approval.backup,
                      "backup_may_decide": policy.approvals.backup_may_decide}, at=now)
    return True


# --- reading -----------------------------------------------------------------------------------


def summarise(approval: Approval) -> ApprovalSummary:
    d = approval.details
    return ApprovalSummary(
        id=str(approval.id),
        kind=approval.kind,
        client_code=str(d.get("client_code", "")),
        clinician=d.get("clinician"),
        requester=approval.requester,
        approver=approval.approver,
        backup=approval.backup,
        requested_at=approval.created_at,
        no_show_dates=tuple(date.fromisoformat(x) for x in d.get("no_show_dates", [])),
    )


def _decision(approval: Approval) -> DecisionSummary:
    assert approval.decided_by is not None and approval.decided_at is not None
    because = approval.details.get("withdrawn_because") if approval.status == WITHDRAWN else None
    return DecisionSummary(approval.status, approval.decided_by, approval.decided_at,
                                 because)


def _load(uow: UnitOfWork, approval_id: str | uuid.UUID) -> Approval | None:
    try:
        key = approval_id if isinstance(approval_id, uuid.UUID) else uuid.UUID(str(approval_id))
    except ValueError:
        return None
    return uow.approvals.get(key)


def closure_deadline_in_force(uow: UnitOfWork, client_id: uuid.UUID,
                              now: datetime) -> datetime | None:
    """The deadline of the client's approved closure warning, while it has not passed yet."""
    latest = uow.approvals.latest_for_client(client_id, CLOSURE_WARNING)
    return _deadline_of(latest) if latest is not None and _in_force(latest, now) else None


def _in_force(approval: Approval, now: datetime) -> bool:
    deadline = _deadline_of(approval)
    return approval.status == APPROVED and deadline is not None and deadline > now


def _deadline_of(approval: Approval) -> datetime | None:
    raw = approval.details.get("deadline")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def _local_date(policy: ClinicPolicy, day: date | datetime) -> date:
    if isinstance(day, datetime):
        if day.tzinfo is None:
            raise ValueError("no-show times must be aware datetimes")
        return day.astimezone(policy.clinic.timezone).date()
    return day


def _is_slack_id(value: str) -> bool:
    return SLACK_ID_PATTERN.fullmatch(value) is not None


# --- the outbox: re-checked and read at send time (``bot.outbox_kinds``) ---------------------


def _approval_of(uow: UnitOfWork, row: OutboxMessage) -> Approval | None:
    return _load(uow, str(row.payload.get("approval_id", "")))


def wanted_while_pending(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    approval = _approval_of(uow, row)
    if approval is None:
        return "the request is no longer on file"
    return None if approval.status == PENDING else "the request was decided"


def wanted_once_decided(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    approval = _approval_of(uow, row)
    if approval is None:
        return "the request is no longer on file"
    return None if approval.status != PENDING else "the request is not decided"


def request_facts(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                  now: datetime) -> ApprovalMessage:
    """``REQUEST``: the request, and whether its recipient may decide it (a backup who is only
    told gets no buttons)."""
    approval = _required(uow, row)
    return ApprovalMessage(summarise(approval),
                           may_decide=_permission(policy, approval, row.recipient).allowed,
                           handed_over_from=row.payload.get("handed_over_from"))


def nudge_facts(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                now: datetime) -> ApprovalMessage:
    """``NUDGE``: the request, and when the backup will be told."""
    approval = _required(uow, row)
    return ApprovalMessage(
        summarise(approval), now=now,
        hand_over_at=hand_over_at(policy, approval.created_at) if approval.backup else None)


def handed_over_facts(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                      now: datetime) -> ApprovalMessage:
    """``HANDED_OVER``: the request whose backup was told."""
    return ApprovalMessage(summarise(_required(uow, row)))


def _request_message(uow: UnitOfWork, row: OutboxMessage) -> OutboxMessage | None:
    raw = row.payload.get("request_message_id")
    try:
        return uow.outbox.get(uuid.UUID(str(raw)))
    except ValueError:
        return None


def wanted_update(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    request = _request_message(uow, row)
    if request is None or request.status != SENT or not request.channel or not request.ts:
        return "the request message was never sent"
    return None if _approval_of(uow, row) is not None else "the request is no longer on file"


def decided_facts(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                  now: datetime) -> ApprovalMessage:
    """``DECIDED``: the request message to update, as the request stands now (its decision, when
    it has one)."""
    approval = _required(uow, row)
    request = _request_message(uow, row)
    assert request is not None and request.channel and request.ts
    return ApprovalMessage(
        summarise(approval),
        decision=None if approval.status == PENDING else _decision(approval),
        handed_over_from=request.payload.get("handed_over_from"),
        update=(request.channel, request.ts))


def outcome_facts(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                  now: datetime) -> ApprovalMessage:
    """``OUTCOME``: the decision; for the clinician of an approved closure warning, also the
    script to say (for the client's consent now) and its deadline."""
    approval = _required(uow, row)
    summary, decision = summarise(approval), _decision(approval)
    deadline = _deadline_of(approval)
    if not (approval.kind == CLOSURE_WARNING and approval.status == APPROVED
            and deadline is not None and row.recipient == summary.clinician):
        return ApprovalMessage(summary, decision)
    record = uow.clients.get(summary.client_code)
    member = policy.member(row.recipient)
    clinic_name_ok = bool(record and record.consent and record.consent.clinic_name_ok)
    script = scripts.closure_warning(
        policy,
        client_first_name=None,  # a DM stays in Slack: the name is said, never written here
        clinician_first_name=member.first_name if member else "[your first name]",
        callback_number=callback_number(policy, clinic_name_ok),
        clinic_name_ok=clinic_name_ok,
        deadline=deadline,
    )
    return ApprovalMessage(summary, decision, deadline=deadline, script=script)


def wanted_at_deadline(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> str | None:
    approval = _approval_of(uow, row)
    if approval is None:
        return "the request is no longer on file"
    client = uow.clients.row(str(approval.details.get("client_code", "")))
    if client is None:
        return "the client is no longer on file"
    if client.status in _CLOSED_STATUSES:
        return "the client's file is already closed"
    if approval.decided_at is not None and uow.approvals.client_came_since(
        approval.client_id, approval.decided_at
    ):
        return "the client came to an appointment after the warning"
    counted = [uuid.UUID(i) for i in approval.details.get("appointment_ids", [])]
    if counted and uow.approvals.any_arrived(counted):
        return "a no-show behind the warning was corrected to arrived"
    return None


def deadline_facts(uow: UnitOfWork, policy: ClinicPolicy, row: OutboxMessage,
                   now: datetime) -> ApprovalMessage:
    """``CLOSURE_DEADLINE``: the approved warning and its deadline."""
    approval = _required(uow, row)
    return ApprovalMessage(summarise(approval), deadline=_deadline_of(approval) or row.due_at)


def _required(uow: UnitOfWork, row: OutboxMessage) -> Approval:
    approval = _approval_of(uow, row)
    if approval is None:
        raise LookupError(f"outbox row {row.id} names no approval on file")
    return approval
