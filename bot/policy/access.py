"""Who sees what: pure decisions about a Slack user, the clinic's team and one client.

- **details** (names, phone numbers, do-not-call reasons, notes, the safety note): the client's
  clinician, that clinician's supervisor, and admins.
- **logistics** (the verdict, the number to dial, which kinds never to use, voicemail and
  clinic-name answers, the logistics scripts with a ``[first name]`` prompt; no reasons, no
  notes): front desk; and clinicians and supervisors for a client no clinician is assigned to
  (or an unknown code), so a potential client's call can be returned.
- **none**: anyone else on the team for another clinician's client (a polite refusal), and
  everyone not on the team (``help`` and a polite refusal for everything else).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.policy.clinic import ClinicPolicy, TeamMember
from bot.policy.model import ClientRecord


class Level(StrEnum):
    DETAILS = "details"
    LOGISTICS = "logistics"
    NONE = "none"


@dataclass(frozen=True)
class Access:
    """A decision with its reason (for the refusal text and the audit log)."""

    level: Level
    reason: str

    @property
    def allowed(self) -> bool:
        return self.level is not Level.NONE

    @property
    def details(self) -> bool:
        return self.level is Level.DETAILS


class ClientRef(Protocol):
    """What access is decided from: a client's code and clinician (a record or a table row)."""

    @property
    def code(self) -> str: ...

    @property
    def clinician(self) -> str | None: ...


NOT_ON_TEAM = (
    "Sorry, Contact Check is only for the clinic's team, and you are not on it. If you should "
    "be, ask the clinic's admin to add you to the team in the clinic's policy."
)


def treating_team(policy: ClinicPolicy, client: ClientRef) -> frozenset[str]:
    """Slack ids that see the client's details besides admins: clinician and their supervisor."""
    if client.clinician is None:
        return frozenset()
    ids = {client.clinician}
    clinician = policy.member(client.clinician)
    if clinician is not None and clinician.supervisor:
        ids.add(clinician.supervisor)
    return frozenset(ids)


def card_access(policy: ClinicPolicy, user_id: str, client: ClientRef | None) -> Access:
    """How much of ``client``'s card (None: unknown code) ``user_id`` may see.

    The details level is the one rule for "who may see (or write) a client's details"
    everywhere: cards, modals behind reminders, run-ins, reasons, coaching requests.
    """
    member = policy.member(user_id)
    if member is None:
        return Access(Level.NONE, NOT_ON_TEAM)
    if member.role == "admin":
        return Access(Level.DETAILS, "admin")
    if client is not None and user_id in treating_team(policy, client):
        role = "clinician" if client.clinician == user_id else "supervisor"
        return Access(Level.DETAILS, f"treating {role}")
    if member.role == "front_desk":
        return Access(Level.LOGISTICS, "front desk")
    if client is None or client.clinician is None:
        return Access(Level.LOGISTICS, "no clinician assigned")
    return Access(Level.NONE, _not_treating(policy, client))


DETAILS_ONLY = "Only the client's clinician, their supervisor or an admin can see these details."


def details_access(policy: ClinicPolicy, user_id: str, client: ClientRef | None) -> Access:
    """The details level, or a refusal: for what shows nothing but details (a details modal)."""
    access = card_access(policy, user_id, client)
    if access.allowed and not access.details:
        return Access(Level.NONE, DETAILS_ONLY)
    return access


CALLER_ONLY = ("Only the person the call-back is assigned to, or an admin, can see this caller's "
               "number.")


def caller_access(policy: ClinicPolicy, user_id: str, *, assigned: str,
                  logged_by: str) -> Access:
    """Who sees a potential client's number (no client on file): the person the call-back is
    assigned to, whoever logged the call, and admins."""
    member = policy.member(user_id)
    if member is None:
        return Access(Level.NONE, NOT_ON_TEAM)
    if member.role == "admin" or user_id in (assigned, logged_by):
        return Access(Level.DETAILS, "admin" if member.role == "admin" else "call-back")
    return Access(Level.NONE, CALLER_ONLY)


def consent_access(policy: ClinicPolicy, user_id: str, client: ClientRecord | None) -> Access:
    """May ``user_id`` record ``client``'s consent, and see what is on file in the modal?

    Every role may record consent (front desk at intake). Consent already on file shows
    details, so editing it takes the details level; with none on file (a new client, or a
    client whose consent was never recorded) anyone on the team may record it.
    """
    member = policy.member(user_id)
    if member is None:
        return Access(Level.NONE, NOT_ON_TEAM)
    access = card_access(policy, user_id, client)
    if access.details:
        return access
    if client is None or client.consent is None:
        return Access(Level.LOGISTICS, f"{member.role.replace('_', ' ')} recording new consent")
    return Access(
        Level.NONE,
        f"Consent is already on file for {client.code}, and only {_who_edits(policy, client)} "
        "may see or change it.",
    )


def may_be_treating_clinician(policy: ClinicPolicy, user_id: str) -> TeamMember | None:
    """The team member when ``user_id`` may be named a client's clinician (a clinician)."""
    member = policy.member(user_id)
    return member if member is not None and member.role in ("clinician", "supervisor") else None


def _not_treating(policy: ClinicPolicy, client: ClientRef) -> str:
    return (
        f"Sorry, {client.code} is not one of your clients, so their contact details are not "
        f"shown to you. {_sentence_start(_who_edits(policy, client))} can see them."
    )


def _who_edits(policy: ClinicPolicy, client: ClientRef) -> str:
    names = []
    if client.clinician:
        names.append(f"<@{client.clinician}> (their clinician)")
        clinician = policy.member(client.clinician)
        if clinician is not None and clinician.supervisor:
            names.append(f"<@{clinician.supervisor}> (the supervisor)")
    names.append("an admin")
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


AUDIT_ADMINS_ONLY = ("Only the clinic's admins can see who looked at a client's details (the "
                     "audit trail). Ask an admin.")


def audit_access(policy: ClinicPolicy, actor: str, client: ClientRef | None) -> Access:
    """Who may read the audit trail's views of a client (``access CODE``): the clinic's admins."""
    member = policy.member(actor)
    if member is not None and member.role == "admin":
        return Access(Level.DETAILS, "an admin reads the audit trail")
    return Access(Level.NONE, AUDIT_ADMINS_ONLY)
