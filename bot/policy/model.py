"""The client facts every decision is made from: plain, immutable, free of I/O.

Storage turns rows into these records (decrypting what is encrypted) and back; the policy
functions read them; nothing here knows about Slack, databases or files.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
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


# Free text a person writes about a client (names, reasons, notes): the same limits wherever it
# comes from (the consent form, a CSV import).
MAX_NAME_LENGTH = 60
MAX_REASON_LENGTH = 300
MAX_NOTE_LENGTH = 1000
# Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def free_text_problem(value: str, max_length: int, *, multiline: bool = False) -> str | None:
    """What is wrong with ``value`` as free text about a client; None when nothing is.

    Refused: more than ``max_length`` characters, NUL and other control characters (line breaks
    and tabs too, unless ``multiline``), and bidirectional overrides. The message never repeats
    the value.
    """
    if len(value) > max_length:
        return f"keep it to {max_length} characters (now {len(value)})"
    allowed = "\n\t" if multiline else ""
    for position, character in enumerate(value, start=1):
        if character in allowed:
            continue
        if unicodedata.category(character) == "Cc" or character in _BIDI_CONTROLS:
            what = (
                "a line break" if character in "\r\n"
                else f"the control character U+{ord(character):04X}"
            )
            return f"character {position} is {what}, which a name or note may not hold"
    return None


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


@dataclass(frozen=True)
class RunInRecord:
    """One documented run-in, decrypted: for the treating team's eyes only (modals, ephemerals)."""

    id: uuid.UUID
    client_code: str
    clinician: str
    occurred_at: datetime
    place: str
    initiated_by: str  # "client" or "clinician"
    summary: str | None
    revisit: str | None
    created_by: str
    created_at: datetime
    followed_up_at: datetime | None
