"""What use cases hand back: plain facts, for handlers and the outbox to draw as Slack messages.

These dataclasses sit apart from the use cases so the presentation package can read them without
importing a use case or a repository: it imports this module, ``bot.policy`` and ``bot.mrkdwn``
only, and no use case imports it. Nothing here is Block Kit; the words a person reads are drawn
from these facts there (the run-in form's choices, ``INITIATORS``, are the form's own rule).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.policy.access import Access
from bot.policy.approvals import KIND_PHRASES, KIND_TITLES
from bot.policy.clinic import TeamMember
from bot.policy.consent import Guidance
from bot.policy.model import ClientRecord, ClientStatus, Consent
from bot.policy.reports import Period, TeamFigures

# --- consent ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentDraft:
    """A valid modal submission: everything but the provenance, which ``record_consent`` adds."""

    clinician: str | None
    preferred_name: str | None
    status: ClientStatus
    consent: Consent


# --- approvals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalSummary:
    """What every approval message shows: codes, Slack ids and times only."""

    id: str
    kind: str
    client_code: str
    clinician: str | None
    requester: str
    approver: str
    backup: str | None
    requested_at: datetime
    no_show_dates: tuple[date, ...] = ()

    @property
    def title(self) -> str:
        return f"{KIND_TITLES[self.kind]} for {self.client_code}"

    @property
    def phrase(self) -> str:
        """The request's subject inside a sentence: "a closure warning for C-1042"."""
        return f"{KIND_PHRASES[self.kind]} for {self.client_code}"


@dataclass(frozen=True)
class DecisionSummary:
    status: str  # approved / denied / withdrawn
    decided_by: str  # for a withdrawal: whose mark withdrew it
    decided_at: datetime
    because: str | None = None  # why it was withdrawn (codes, dates and Slack ids only)


class Outcome(StrEnum):
    REQUESTED = "requested"
    ALREADY_PENDING = "already_pending"
    UPDATED = "updated"  # the pending request now carries the run's new facts
    ALREADY_APPROVED = "already_approved"
    ALREADY_DECIDED = "already_decided"  # this run's request was decided: not asked again
    WITHDRAWN = "withdrawn"  # the facts behind the pending request no longer hold
    REFUSED = "refused"  # nothing stored; ``refused`` says why and what to fix


@dataclass(frozen=True)
class RequestResult:
    """What became of a request (the presentation layer's ``request_reply`` words it).

    ``summary`` / ``decision``: the request and its decision, when there is one to tell of;
    ``refused``: why nothing was asked (``REFUSED``); ``counted_corrected``: an approved warning
    that counted a no-show now corrected to arrived (``ALREADY_APPROVED``).
    """

    outcome: Outcome
    approval_id: uuid.UUID | None = None
    approver: str | None = None
    summary: ApprovalSummary | None = None
    decision: DecisionSummary | None = None
    refused: Any = None  # bot.services.authorise.Refused (typed loosely: no import cycle)
    client_code: str = ""
    counted_corrected: bool = False


class Decision(StrEnum):
    DECIDED = "decided"
    REASON_NEEDED = "reason_needed"  # a Deny click by someone allowed: open the deny modal
    NOT_ALLOWED = "not_allowed"
    NOT_ELIGIBLE = "not_eligible"  # Approve for coaching a client who may no longer have it
    ALREADY_DECIDED = "already_decided"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DecideResult:
    """What a click or the deny modal's submission did (worded by ``decide_reply``).

    ``deciders`` / ``backup`` / ``backup_may_decide``: who may decide, for ``NOT_ALLOWED``;
    ``refused``: why coaching may not be approved now (``NOT_ELIGIBLE``).
    """

    outcome: Decision
    summary: ApprovalSummary | None = None
    decision: DecisionSummary | None = None
    refused: Any = None
    deciders: tuple[str, ...] = ()
    backup: bool = False
    backup_may_decide: bool = False


@dataclass(frozen=True)
class ReasonResult:
    """The reason of a decision for someone allowed to read it; else ``refused`` says why not."""

    allowed: bool
    refused: Any = None
    summary: ApprovalSummary | None = None
    decision: DecisionSummary | None = None
    reason: str | None = None


# --- approval messages at send time (the outbox) ------------------------------------------------


@dataclass(frozen=True)
class ApprovalMessage:
    """One approval DM as it stands at send time.

    ``may_decide``: the recipient may decide (else a backup who is only told);
    ``handed_over_from``: the approver a hand-over came from; ``hand_over_at``: when the backup
    will be told (a nudge); ``update``: the (channel, ts) of the request message to update;
    ``deadline`` / ``script`` / ``note``: the closure warning approved, for the clinician.
    """

    summary: ApprovalSummary
    decision: DecisionSummary | None = None
    now: datetime | None = None
    may_decide: bool = True
    handed_over_from: str | None = None
    hand_over_at: datetime | None = None
    update: tuple[str, str] | None = None
    deadline: datetime | None = None
    script: str | None = None


# --- reminders: the chase, the call-back reminder, their details ---------------------------------


@dataclass(frozen=True)
class Chase:
    """What the no-show chase says when it is sent (``now``): codes, times and generic scripts."""

    appointment_id: uuid.UUID
    client_code: str
    start_at: datetime
    now: datetime
    guidance: Guidance
    voicemail_script: str | None  # None: no voicemail may be left on the number to use
    note: str  # the note's outline: the appointment filled in, the call time left to fill


@dataclass(frozen=True)
class CallbackReminder:
    duty_id: uuid.UUID
    client_code: str | None  # None: a potential client
    called_at: datetime
    due_at: datetime | None
    final: bool  # the reminder at the due time (not one before it)
    guidance: Guidance


@dataclass(frozen=True)
class AppointmentDetails:
    """Behind the chase's button, for the treating team (may hold a name and a number)."""

    record: ClientRecord
    guidance: Guidance
    start_at: datetime
    minutes: int
    status: str


@dataclass(frozen=True)
class CallbackDetails:
    """Behind a reminder's button: the client's, or for a potential client the caller's number."""

    record: ClientRecord | None
    caller_phone: str | None
    guidance: Guidance
    called_at: datetime
    voicemail_left: bool
    due_at: datetime | None
    status: str


@dataclass(frozen=True)
class FailureReport:
    """A DM Slack refused for good, reported to the clinic's admins."""

    kind: str
    recipient: str
    error: str
    client_code: str | None


# --- run-ins: the form the modal fills in, and its limits ----------------------------------------

INITIATORS = {"client": "The client greeted me first", "clinician": "I greeted the client first"}
PLACE_MAX = 200
TEXT_MAX = 1000


@dataclass(frozen=True)
class RunInForm:
    """The modal's values as typed: the service validates every one."""

    date: str  # YYYY-MM-DD, clinic time zone
    time: str  # HH:MM, clinic time zone
    place: str
    initiated_by: str  # "client" or "clinician"
    summary: str = ""
    revisit: str = ""


@dataclass(frozen=True)
class RunInDraft:
    """What the modal opens with: the client code and the clinic-local date and time of now."""

    client_code: str
    date: str
    time: str



@dataclass(frozen=True)
class RunInFollowup:
    """The reminder before the client's next appointment to ask about a run-in."""

    client_code: str
    run_in_id: str
    occurred_at: datetime
    start_at: datetime


@dataclass(frozen=True)
class AuditHead:
    """The audit trail's head at ``at``, for the witness DM; ``problem``: why it does not verify."""

    at: datetime
    events: int
    hash: str
    problem: str | None


# --- the guidance card ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientCard:
    """What the card is drawn from. ``client`` and ``guidance`` are None when refused."""

    code: str
    access: Access
    viewer: TeamMember | None
    now: datetime
    client: ClientRecord | None = None
    guidance: Guidance | None = None
    clinician: TeamMember | None = None


# --- what a person owes now (App Home, ``pending``) ----------------------------------------------


@dataclass(frozen=True)
class CallbackItem:
    duty_id: uuid.UUID
    client_code: str | None  # None: a potential client (the number is never shown here)
    called_at: datetime
    due_at: datetime | None  # None: no turnaround rule
    voicemail_left: bool
    overdue: bool


@dataclass(frozen=True)
class AppointmentItem:
    appointment_id: uuid.UUID
    client_code: str
    clinician: str | None
    start_at: datetime
    minutes: int
    status: str  # scheduled, arrived, no_show, cancelled
    chase_at: datetime  # when the no-show chase fires if nobody marks the client arrived
    chase_passed: bool  # the chase time has come

    @property
    def chase_due(self) -> bool:
        """True once the chase time has passed with the client still unmarked."""
        return self.status == "scheduled" and self.chase_passed


@dataclass(frozen=True)
class ApprovalItem:
    approval_id: uuid.UUID
    kind: str  # closure_warning, phone_coaching
    client_code: str
    requester: str
    approver: str
    created_at: datetime
    handed_over: bool  # the request went to the backup


@dataclass(frozen=True)
class DecisionItem:
    approval_id: uuid.UUID
    kind: str
    client_code: str
    status: str  # approved, denied
    decided_by: str | None
    decided_at: datetime
    requester: str


@dataclass(frozen=True)
class RunInItem:
    run_in_id: uuid.UUID
    client_code: str
    occurred_at: datetime
    next_appointment: datetime | None


@dataclass(frozen=True)
class Pending:
    member: TeamMember
    now: datetime
    callbacks: tuple[CallbackItem, ...] = ()
    appointments: tuple[AppointmentItem, ...] = ()
    to_decide: tuple[ApprovalItem, ...] = ()
    waiting_on: tuple[ApprovalItem, ...] = ()
    decisions: tuple[DecisionItem, ...] = ()
    runins: tuple[RunInItem, ...] = ()
    whole_clinic_day: bool = False  # front desk and admins see everyone's appointments
    team_overdue: tuple[TeamOverdue, ...] = ()  # supervisors: supervisees' overdue call-backs
    feeds: tuple[FeedStatus, ...] = ()  # admins: each calendar feed's last sync and error

    @property
    def overdue_callbacks(self) -> int:
        return sum(1 for c in self.callbacks if c.overdue)

    @property
    def chases_due(self) -> int:
        return sum(1 for a in self.appointments if a.chase_due)

    @property
    def owed(self) -> int:
        """Things the person has to do: call-backs, chases to answer, decisions, run-ins."""
        return len(self.callbacks) + self.chases_due + len(self.to_decide) + len(self.runins)

    def fingerprint(self) -> str:
        """A digest of everything shown except the moment it was read: changes when Home should."""
        body = asdict(self)
        body.pop("now")
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


# --- reports (bot.services.reports) ----------


@dataclass(frozen=True)
class Scope:
    """Whose figures a person sees, and of what."""

    clinicians: tuple[str, ...]
    whose: str  # "your supervisees", "everyone", "you", "the call-backs you logged"
    logged_by: str | None = None  # front desk: only the call-backs they logged
    callbacks_only: bool = False


@dataclass(frozen=True)
class TeamReport:
    period: Period
    scope: Scope
    figures: TeamFigures
    names: dict[str, str]  # Slack id -> first name (the id itself for someone not on the team)
    turnaround_hours: float | None
    now: datetime


@dataclass(frozen=True)
class Digest:
    report: TeamReport
    weeks: tuple[Period, ...]  # the chart's weeks, oldest first
    on_time: dict[str, list[int]]  # first name -> on-time call-backs per week


@dataclass(frozen=True)
class TeamOverdue:
    clinician: str
    first_name: str
    codes: tuple[str | None, ...]  # None: a potential client (no code)


@dataclass(frozen=True)
class AccessEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    kind: str  # VIEW_KINDS, or the action itself for a kind this version does not name
    level: str | None  # the access level the view was given, when recorded


@dataclass(frozen=True)
class AccessReport:
    code: str  # as on file (as asked when the client is not on file)
    on_file: bool
    since: date | None
    entries: tuple[AccessEntry, ...]  # newest first
    now: datetime


# --- calendar feeds (bot.services.calendars) ----------


@dataclass(frozen=True)
class FeedStatus:
    """What admins see of a feed on App Home (no client data)."""

    name: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failing_since: datetime | None


DOWN, UP, HELD, UNKNOWN = "down", "up", "held", "unknown_code"  # what a feed notice tells


@dataclass(frozen=True)
class FeedNotice:
    """A notice to the admins about a feed: ``event`` is down, held, up or unknown_code."""

    feed: str
    event: str
    problem: str  # down, held: what went wrong, in our own words (never the URL)
    code: str  # unknown_code: the code the feed names
    since: datetime | None  # down, held, up: when the outage began
