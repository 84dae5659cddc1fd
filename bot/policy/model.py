"""The client facts every decision is made from: plain, immutable, free of I/O.

Storage turns rows into these records (decrypting what is encrypted) and back; the policy
functions read them; nothing here knows about Slack, databases or files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal

PhoneKind = Literal["cell", "home", "work"]
PHONE_KINDS: tuple[PhoneKind, ...] = ("cell", "home", "work")

# prospect: not yet in care; intake: intake started but not complete (informed consent not done);
# active: in care; former / closed: the file is closed. ``bot.policy.consent`` says what each means
# for phoning them.
ClientStatus = Literal["prospect", "intake", "active", "former", "closed"]
CLIENT_STATUSES: tuple[ClientStatus, ...] = ("prospect", "intake", "active", "former", "closed")

ConsentMethod = Literal["import", "modal", "sandbox"]

CLIENT_CODE_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,32}")
CLIENT_CODE_RULE = "1 to 32 characters of letters, digits, '.', '_' or '-'"


def is_client_code(text: str) -> bool:
    """True when ``text`` is a well-formed client code (contract: 1-32 of ``A-Za-z0-9._-``)."""
    return CLIENT_CODE_PATTERN.fullmatch(text) is not None


def code_key(code: str) -> str:
    """What client codes are compared by: ``c-1004`` is ``C-1004`` (the contract matches codes
    without regard to case). Codes are shown as the clinic wrote them; only comparisons use
    this, here and in storage (``lower(code)``, the same for ASCII codes)."""
    return code.lower()


@dataclass(frozen=True)
class NumberPermission:
    """What the client allowed for one of their phone numbers."""

    kind: PhoneKind
    number: str | None  # E.164, e.g. "+15551234567"; None when the client has no such number
    may_call: bool = True
    do_not_call: bool = False
    do_not_call_reason: str | None = None
    voicemail_ok: bool = False
    clinic_name_ok: bool | None = None  # None: the client-level consent applies
    earliest: time | None = None  # None: the client-level window applies
    latest: time | None = None


@dataclass(frozen=True)
class ThirdParty:
    """Someone the client authorised us to speak with."""

    name: str
    written_permission: bool = False


@dataclass(frozen=True)
class Provenance:
    """Who recorded a consent, when, how, and when it was last confirmed with the client."""

    recorded_by: str  # Slack user id, or "import:<file name>"
    recorded_at: datetime
    method: ConsentMethod
    last_verified_at: datetime | None = None


@dataclass(frozen=True)
class Consent:
    """The client's recorded contact consent. ``may_call`` None means never asked."""

    may_call: bool | None
    preferred_kind: PhoneKind | None = None
    clinic_name_ok: bool | None = None
    earliest: time | None = None  # clinic time zone
    latest: time | None = None
    numbers: tuple[NumberPermission, ...] = ()
    third_parties: tuple[ThirdParty, ...] = ()
    safety_note: str | None = None
    provenance: Provenance | None = None

    def number(self, kind: PhoneKind) -> NumberPermission | None:
        return next((n for n in self.numbers if n.kind == kind), None)


@dataclass(frozen=True)
class ClientRecord:
    """A client (or potential client) as the clinic knows them."""

    code: str
    clinician: str | None  # Slack user id of the treating clinician
    preferred_name: str | None = None
    status: ClientStatus = "active"
    consent: Consent | None = None
    coaching_approved_by: str | None = None
    coaching_approved_at: datetime | None = None


@dataclass(frozen=True)
class AppointmentRecord:
    client_code: str
    start: datetime  # aware, UTC
    minutes: int = 50


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an input file, addressed the way an admin finds it."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportErrors(Exception):
    problems: list[ImportProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
