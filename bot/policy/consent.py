"""The consent engine: may this client be phoned right now, on which number, and how.

Pure: takes ``now`` as an argument, never reads the clock, never does I/O.

Calling windows are local wall-clock times in the clinic's time zone:

- ``earliest`` and ``latest`` of a number override the client's, field by field; a number without
  its own times uses the client's.
- Only ``earliest``: from then until midnight. Only ``latest``: from midnight until then. Neither:
  any time. ``latest`` before or equal to ``earliest`` wraps past midnight (20:00-08:00 is the
  night; 08:00-08:00 is round the clock).
- A window is half-open: ``earliest`` itself is inside, ``latest`` itself is not.
- A window opens (or closes) at the first instant the clinic's clock shows its time or later. So
  a time skipped by a DST change (02:30 on a spring-forward night) takes effect when the clock
  jumps past it, and a time that happens twice (01:30 on a fall-back night) takes effect at its
  first occurrence: a window never reopens because the clock was set back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.policy.clinic import ClinicPolicy
from bot.policy.model import PHONE_KINDS, ClientRecord, Consent, NumberPermission

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)

Span = tuple[datetime, datetime]  # [start, end) in UTC

_POTENTIAL_CLIENT_RULES = (
    "Use the first name only, never the clinic's name or the reason for the call, "
    "and leave no message beyond the first-name-only callback script.",
)


class Verdict(StrEnum):
    """The first words of the guidance card."""

    OK = "OK to call"
    NOT_NOW = "Not now"
    DO_NOT_CALL = "Do not call"
    NO_CONSENT = "No consent on file"


@dataclass(frozen=True)
class Guidance:
    """What the card says about phoning one client now, with the reasons behind it.

    ``reasons`` and ``status_notes`` are safe for anyone on the team: they never carry a phone
    number, a name or a do-not-call reason. ``private_reasons`` (do-not-call reasons, the mention
    of a safety note) are for the treating team only. ``never_use`` holds full permissions,
    including ``do_not_call_reason``: show the kinds to anyone, the reasons only to the treating
    team. ``opens_at`` (UTC) is set for "Not now": when ``use_number`` may next be called.
    ``potential_client``: unknown code, no consent recorded, or a prospect.
    """

    verdict: Verdict
    reasons: tuple[str, ...]
    private_reasons: tuple[str, ...] = ()
    use_number: NumberPermission | None = None
    never_use: tuple[NumberPermission, ...] = ()
    voicemail_ok: bool = False
    clinic_name_ok: bool = False
    opens_at: datetime | None = None
    window_text: str | None = None
    status_notes: tuple[str, ...] = ()
    coaching_approved: bool = False
    potential_client: bool = False


@dataclass(frozen=True)
class CallingWindow:
    """The daily span of clinic wall-clock time in which a number may be called."""

    earliest: time | None = None
    latest: time | None = None

    @property
    def wraps(self) -> bool:
        """True when the window runs past midnight (its ``latest`` is not after ``earliest``)."""
        return (
            self.earliest is not None and self.latest is not None and self.latest <= self.earliest
        )

    def __str__(self) -> str:
        if self.earliest is None and self.latest is None:
            return "any time"
        if self.latest is None:
            return f"from {self.earliest:%H:%M}"
        if self.earliest is None:
            return f"until {self.latest:%H:%M}"
        overnight = " (overnight)" if self.wraps else ""
        return f"{self.earliest:%H:%M}-{self.latest:%H:%M}{overnight}"

    def span_starting_on(self, day: date, tz: ZoneInfo) -> Span | None:
        """The window that opens on local ``day`` as UTC instants; None for "any time"."""
        if self.earliest is None and self.latest is None:
            return None
        start = wall_clock_instant(day, self.earliest or _MIDNIGHT, tz)
        if self.latest is None:
            end = wall_clock_instant(day + _ONE_DAY, _MIDNIGHT, tz)
        elif self.wraps:
            end = wall_clock_instant(day + _ONE_DAY, self.latest, tz)
        else:
            end = wall_clock_instant(day, self.latest, tz)
        return start, end

    def next_opening(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        """None when ``now`` is inside the window, else the next instant (UTC) it opens."""
        now = _as_utc(now)
        today = now.astimezone(tz).date()
        spans = [self.span_starting_on(today + offset * _ONE_DAY, tz) for offset in (-1, 0, 1, 2)]
        if any(span is None or span[0] <= now < span[1] for span in spans):
            return None
        return min(span[0] for span in spans if span is not None and span[0] > now)


def wall_clock_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clock in ``tz`` on ``day`` shows ``wall`` or later.

    An existing wall time gives its first occurrence; a wall time skipped by a DST change gives
    the instant of the change (the clock jumps from before ``wall`` to after it).
    """
    naive = datetime.combine(day, wall)
    before_change = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if before_change.astimezone(tz).replace(tzinfo=None) == naive:
        return before_change
    # Bisect whole seconds (time zone changes happen on them) between the reading with the
    # offset after the change, when the clock still shows less than ``wall``, and this one.
    low = int(naive.replace(tzinfo=tz, fold=1).timestamp())
    high = int(before_change.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def window_for(consent: Consent, number: NumberPermission) -> CallingWindow:
    """The number's own ``earliest``/``latest`` where set, else the client's."""
    return CallingWindow(
        earliest=number.earliest if number.earliest is not None else consent.earliest,
        latest=number.latest if number.latest is not None else consent.latest,
    )


def check_contact(client: ClientRecord | None, policy: ClinicPolicy, now: datetime) -> Guidance:
    """The guidance for phoning ``client`` (None: unknown code) at ``now`` (aware)."""
    now = _as_utc(now)
    if client is None:
        return Guidance(
            verdict=Verdict.NO_CONSENT,
            reasons=(
                "No client with this code is on file: treat the caller as a potential client.",
                *_POTENTIAL_CLIENT_RULES,
            ),
            potential_client=True,
        )
    guidance = _decide(client.consent, policy.clinic.timezone, now)
    return replace(
        guidance,
        status_notes=_status_notes(client),
        coaching_approved=client.coaching_approved_by is not None,
        potential_client=guidance.verdict is Verdict.NO_CONSENT or client.status == "prospect",
    )


def calls_refused(client: ClientRecord | None) -> bool:
    """The client said no to phone calls (a reminder to call them is no longer wanted)."""
    return client is not None and client.consent is not None and client.consent.may_call is False


def _decide(consent: Consent | None, tz: ZoneInfo, now: datetime) -> Guidance:
    if consent is None or consent.may_call is None:
        return Guidance(
            verdict=Verdict.NO_CONSENT,
            reasons=(
                "No contact consent is recorded for this client: treat them as a potential "
                "client until consent is recorded.",
                *_POTENTIAL_CLIENT_RULES,
            ),
            private_reasons=_safety_reasons(consent),
            never_use=_refused(consent) if consent is not None else (),
        )
    never_use = _refused(consent)
    private = (*_refusal_reasons(never_use), *_safety_reasons(consent))
    if not consent.may_call:
        return Guidance(
            verdict=Verdict.DO_NOT_CALL,
            reasons=("The client has not given permission to be called.",),
            private_reasons=private,
            never_use=_every_number(consent),
        )
    allowed = _allowed_in_order(consent)
    never_reasons = tuple(f"Never use the {n.kind} number." for n in never_use)
    if not allowed:
        return Guidance(
            verdict=Verdict.DO_NOT_CALL,
            reasons=(_no_allowed_number_reason(never_use), *never_reasons),
            private_reasons=private,
            never_use=never_use,
        )
    number, opens_at, selection_reasons = _choose(consent, allowed, tz, now)
    clinic_name_ok = _clinic_name_ok(consent, number)
    return Guidance(
        verdict=Verdict.OK if opens_at is None else Verdict.NOT_NOW,
        reasons=(
            *_preference_reasons(consent, allowed),
            *selection_reasons,
            *never_reasons,
            _voicemail_reason(number),
            _clinic_name_reason(clinic_name_ok, number),
        ),
        private_reasons=private,
        use_number=number,
        never_use=never_use,
        voicemail_ok=number.voicemail_ok,
        clinic_name_ok=clinic_name_ok,
        opens_at=opens_at,
        window_text=_window_text(window_for(consent, number), tz),
    )


# --- numbers -----------------------------------------------------------------------------------


def _is_refusal(number: NumberPermission) -> bool:
    return number.do_not_call or not number.may_call


def _refused(consent: Consent) -> tuple[NumberPermission, ...]:
    """Numbers the client refused, whether or not the number itself is on file."""
    return tuple(n for n in consent.numbers if _is_refusal(n))


def _every_number(consent: Consent) -> tuple[NumberPermission, ...]:
    return tuple(n for n in consent.numbers if n.number or _is_refusal(n))


def _allowed_in_order(consent: Consent) -> tuple[NumberPermission, ...]:
    """Callable numbers: the preferred kind first, then cell, home, work."""
    order = sorted(PHONE_KINDS, key=lambda kind: kind != consent.preferred_kind)
    candidates = (consent.number(kind) for kind in order)
    return tuple(n for n in candidates if n is not None and n.number and not _is_refusal(n))


def _choose(
    consent: Consent, allowed: tuple[NumberPermission, ...], tz: ZoneInfo, now: datetime
) -> tuple[NumberPermission, datetime | None, tuple[str, ...]]:
    """The number to use and, when none may be called now, when its window opens.

    The first number (in order) inside its window now wins. When none is, the one whose window
    opens first (ties in order).
    """
    first = allowed[0]
    closed: list[tuple[datetime, NumberPermission]] = []
    for number in allowed:
        window = window_for(consent, number)
        opens_at = window.next_opening(now, tz)
        if opens_at is None:
            reasons = [_inside_reason(number, window)]
            if number is not first:
                reasons.insert(0, f"The {first.kind} number is outside its calling hours now.")
            return number, None, tuple(reasons)
        closed.append((opens_at, number))
    opens_at, number = min(closed, key=lambda pair: pair[0])
    return (
        number,
        opens_at,
        (
            f"Now is outside the calling hours for the {number.kind} number "
            f"({window_for(consent, number)}); they open {_local(opens_at, tz)}.",
        ),
    )


def _inside_reason(number: NumberPermission, window: CallingWindow) -> str:
    if window.earliest is None and window.latest is None:
        return f"No calling hours are recorded for the {number.kind} number."
    return f"Now is inside the calling hours for the {number.kind} number ({window})."


def _no_allowed_number_reason(never_use: tuple[NumberPermission, ...]) -> str:
    if never_use:
        return "No number on file may be called: every number is marked do-not-call."
    return "No phone number is on file for this client."


def _preference_reasons(consent: Consent, allowed: tuple[NumberPermission, ...]) -> tuple[str, ...]:
    preferred = consent.preferred_kind
    if preferred is None or allowed[0].kind == preferred:
        return ()
    permission = consent.number(preferred)
    if permission is None or not permission.number:
        return (f"No {preferred} number is on file, although the client prefers it.",)
    return (f"The client prefers the {preferred} number, but it may not be used.",)


def _window_text(window: CallingWindow, tz: ZoneInfo) -> str:
    if window.earliest is None and window.latest is None:
        return "any time (no calling hours recorded)"
    return f"{window}, clinic time ({tz.key})"


# --- voicemail and the clinic's name -----------------------------------------------------------


def _clinic_name_ok(consent: Consent, number: NumberPermission) -> bool:
    """Only an explicit yes counts; the number's own answer overrides the client's."""
    said = number.clinic_name_ok if number.clinic_name_ok is not None else consent.clinic_name_ok
    return said is True


def _voicemail_reason(number: NumberPermission) -> str:
    if number.voicemail_ok:
        return f"A voicemail may be left on the {number.kind} number."
    return f"Do not leave a voicemail on the {number.kind} number: the client has not allowed it."


def _clinic_name_reason(clinic_name_ok: bool, number: NumberPermission) -> str:
    if clinic_name_ok:
        return f"The clinic's name may be said on the {number.kind} number."
    return "Do not say the clinic's name: the client has not consented to it."


# --- notes -------------------------------------------------------------------------------------


def _status_notes(client: ClientRecord) -> tuple[str, ...]:
    if client.status == "former":
        return (
            "Former client: contact them only for what they consented to (no newsletters, "
            "announcements or check-ins without their consent).",
        )
    if client.status == "closed":
        return (
            "Closed file: contact only with the client's consent and for a clear reason "
            "(no newsletters or announcements without their consent).",
        )
    if client.status == "prospect":
        return (
            "Potential client: not yet in care. First name only, and say when you are back "
            "in the office.",
        )
    return ()


def _refusal_reasons(never_use: tuple[NumberPermission, ...]) -> tuple[str, ...]:
    return tuple(
        f"The {n.kind} number is do-not-call: {n.do_not_call_reason}"
        for n in never_use
        if n.do_not_call_reason
    )


def _safety_reasons(consent: Consent | None) -> tuple[str, ...]:
    if consent is None or not consent.safety_note:
        return ()
    return ("A safety note is on file for this client: read it before any contact.",)


# --- time --------------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"now must be an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%a %d %b %H:%M %Z}"
