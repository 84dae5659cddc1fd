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

Calling hours and the clinic's opening hours (``CallingHours``):

- With no ``earliest``/``latest`` recorded for a number, the clinic's opening hours (its weekly
  hours, less holidays and closures) are its calling hours: nobody has asked the client yet how
  early and how late they may be called (seed 000), so 23:30 is "Not now" until the next opening.
- ``callbacks.operating_hours_only: true`` (the default; the policy file's "reminders and calls
  only inside clinic hours") limits every call to the clinic's opening hours: a recorded window
  counts only where it overlaps them. With ``false``, a recorded window counts on its own, outside
  the clinic's hours too. The ``missed`` reply's call-back wording (``business_hours``) and the
  card follow the same rule, so no reply says both "OK to call" and that the clinic is closed.
- "OK to call": now is inside the calling hours. "Not now": ``opens_at`` is the next instant that
  is (a window opening on a closed day, or before the clinic opens, waits for the clinic). A window
  that never overlaps the clinic's opening hours is "Not now" with no ``opens_at``
  (``never_opens``): the card says so and asks to check the calling hours with the client.

Client status (seed 002), applied after the consent: a refusal on file ("Do not call") wins.

- ``intake`` (intake not complete): "Do not call". The person may have left the form because they
  were interrupted, lost their privacy, someone walked in, or they changed their mind; nobody can
  know which, so reaching out may put them at risk, and getting in touch is theirs to do until
  informed consent is done. When they do call (``their_call``: a missed call, its reminders), the
  call is returned as a potential client's: "No consent on file", first name only.
- ``former`` and ``closed``: "No consent on file", treated as a potential client. The consent
  recorded for their care does not cover keeping in touch, which needs careful consideration,
  consultation and the client's fully informed consent; a call from them is returned as a
  potential client's, first name only. Numbers marked do-not-call stay so.
- ``prospect``: the consent decides the verdict; the card adds the potential-client scripts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.policy.business_hours import MAX_CLOSED_DAYS, CallbackDue, is_open, opening_spans
from bot.policy.clinic import Clinic, ClinicPolicy
from bot.policy.model import PHONE_KINDS, ClientRecord, ClientStatus, Consent, NumberPermission

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_HORIZON = timedelta(days=MAX_CLOSED_DAYS)  # how far ahead a joint opening is looked for

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
    team. ``opens_at`` (UTC) is set for "Not now": when ``use_number`` may next be called; a
    "Not now" without it never opens (``never_opens``). ``potential_client``: unknown code, no
    consent recorded, a prospect, or an intake, former or closed client (their own call is
    returned as a potential client's). ``known``: the code is on file.
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
    known: bool = True

    @property
    def never_opens(self) -> bool:
        """"Not now" for good: the calling hours never fall within the clinic's opening hours."""
        return self.verdict is Verdict.NOT_NOW and self.opens_at is None


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

    @property
    def any_time(self) -> bool:
        """No ``earliest`` and no ``latest``: nothing was recorded."""
        return self.earliest is None and self.latest is None

    def __str__(self) -> str:
        if self.any_time:
            return "any time"
        if self.latest is None:
            return f"from {self.earliest:%H:%M}"
        if self.earliest is None:
            return f"until {self.latest:%H:%M}"
        overnight = " (overnight)" if self.wraps else ""
        return f"{self.earliest:%H:%M}-{self.latest:%H:%M}{overnight}"

    def span_starting_on(self, day: date, tz: ZoneInfo) -> Span | None:
        """The window that opens on local ``day`` as UTC instants; None for "any time"."""
        if self.any_time:
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


    def spans_within(self, start: datetime, end: datetime, tz: ZoneInfo) -> list[Span]:
        """The parts of ``[start, end)`` (UTC) inside the window, in order."""
        if self.any_time:
            return [(start, end)] if start < end else []
        day, last_day = start.astimezone(tz).date() - _ONE_DAY, end.astimezone(tz).date()
        parts = []
        while day <= last_day:
            span = self.span_starting_on(day, tz)
            assert span is not None  # None only for "any time", returned above
            opens, closes = span
            if max(opens, start) < min(closes, end):
                parts.append((max(opens, start), min(closes, end)))
            day += _ONE_DAY
        return sorted(parts)

    def daily_pieces(self) -> tuple[tuple[time, time | None], ...]:
        """The window as wall-clock pieces of one day, ``[from, until)``; None: until midnight."""
        earliest = self.earliest or _MIDNIGHT
        if self.wraps:
            return ((_MIDNIGHT, self.latest), (earliest, None))
        return ((earliest, self.latest),)


@dataclass(frozen=True)
class CallingHours:
    """When one number may be called: its ``window``, limited to the opening hours of ``clinic``
    when that is set (see the module docstring for when it is), in the clinic's zone ``tz``."""

    window: CallingWindow
    tz: ZoneInfo
    clinic: Clinic | None = None

    def first_moment(self, now: datetime) -> datetime | None:
        """``now`` (UTC) when a call may be made now, else the next instant it may; None: never.

        "Never" when the window falls outside the clinic's weekly hours on every day, or nothing
        overlaps for ``MAX_CLOSED_DAYS`` (a clinic closed that long).
        """
        now = _as_utc(now)
        if self.clinic is None:
            return self.window.next_opening(now, self.tz) or now
        if not self._overlaps_some_weekday(self.clinic):
            return None
        try:
            for opens, closes in opening_spans(self.clinic, now):
                if opens > now + _HORIZON:
                    return None
                parts = self.window.spans_within(max(opens, now), closes, self.tz)
                if parts:
                    return parts[0][0]
        except ValueError:  # the clinic never opens
            return None
        return None  # pragma: no cover - opening_spans ends only by raising

    def window_closed(self, now: datetime) -> bool:
        return self.window.next_opening(now, self.tz) is not None

    def clinic_closed(self, now: datetime) -> bool:
        return self.clinic is not None and not is_open(self.clinic, now)

    def __str__(self) -> str:
        if self.window.any_time:
            return "the clinic's opening hours (no calling hours recorded)"
        text = f"{self.window}, clinic time ({self.tz.key})"
        return f"{text}, within the clinic's opening hours" if self.clinic else text

    def _overlaps_some_weekday(self, clinic: Clinic) -> bool:
        return any(
            start < hours.closes and (until is None or hours.opens < until)
            for hours in clinic.hours.values()
            for start, until in self.window.daily_pieces()
        )


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


def check_contact(client: ClientRecord | None, policy: ClinicPolicy, now: datetime, *,
                  their_call: bool = False) -> Guidance:
    """The guidance for phoning ``client`` (None: unknown code) at ``now`` (aware).

    ``their_call``: the guidance is for returning a call the client made (a missed call and its
    reminders), which changes it for an ``intake`` client (module docstring).
    """
    now = _as_utc(now)
    if client is None:
        return Guidance(
            verdict=Verdict.NO_CONSENT,
            reasons=(
                "The caller is not a client on file: treat them as a potential client."
                if their_call else
                "No client with this code is on file: check the code (codes match without "
                "regard to case). If the caller is not a client yet, treat them as a potential "
                "client.",
                *_POTENTIAL_CLIENT_RULES,
            ),
            potential_client=True,
            known=False,
        )
    guidance = _for_status(_decide(client.consent, policy, now), client.status, their_call)
    return replace(
        guidance,
        status_notes=_status_notes(client),
        coaching_approved=client.coaching_approved_by is not None,
        potential_client=guidance.potential_client or guidance.verdict is Verdict.NO_CONSENT
        or client.status == "prospect",
    )


def calls_refused(client: ClientRecord | None) -> bool:
    """The client said no to phone calls (a reminder to call them is no longer wanted)."""
    return client is not None and client.consent is not None and client.consent.may_call is False


def callback_now(guidance: Guidance, due: CallbackDue,
                 now: datetime) -> tuple[Verdict, datetime | None]:
    """The verdict for returning a missed call at ``now``, and from when it may be returned.

    The consent's verdict (from ``check_contact(..., their_call=True)``), except that "OK to call"
    becomes "Not now" while the clinic's call-back rules (``due.earliest_call_at``: its call-back
    window, its opening hours) do not allow the call yet. The time is the later of the client's
    opening and the clinic's call-back start, for "Not now"; None otherwise.
    """
    now = _as_utc(now)
    clinic_from = due.earliest_call_at if due.owed else None
    if clinic_from is not None and clinic_from <= now:
        clinic_from = None  # the clinic's rules allow the call already
    if guidance.verdict is Verdict.OK:
        return (Verdict.NOT_NOW, clinic_from) if clinic_from is not None else (Verdict.OK, None)
    if guidance.verdict is Verdict.NOT_NOW and guidance.opens_at is not None:
        opens = guidance.opens_at
        later = opens if clinic_from is None else max(opens, clinic_from)
        return Verdict.NOT_NOW, later
    return guidance.verdict, None


def _decide(consent: Consent | None, policy: ClinicPolicy, now: datetime) -> Guidance:
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
            reasons=(_REFUSED_CALLS,),
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
    choice = _choose(consent, allowed, policy, now)
    number = choice.number
    clinic_name_ok = _clinic_name_ok(consent, number)
    return Guidance(
        verdict=Verdict.OK if choice.inside else Verdict.NOT_NOW,
        reasons=(
            *choice.reasons,
            *_preference_reasons(consent, allowed),
            *never_reasons,
            _voicemail_reason(number),
            _clinic_name_reason(clinic_name_ok, number),
        ),
        private_reasons=private,
        use_number=number,
        never_use=never_use,
        voicemail_ok=number.voicemail_ok,
        clinic_name_ok=clinic_name_ok,
        opens_at=choice.opens_at,
        window_text=str(choice.hours),
    )


# --- calling hours -----------------------------------------------------------------------------


def calling_hours(consent: Consent, number: NumberPermission, policy: ClinicPolicy) -> CallingHours:
    """The number's window, limited to the clinic's opening hours when ``operating_hours_only``
    or when no window is recorded (the clinic's hours then stand in for it)."""
    window = window_for(consent, number)
    bounded = policy.callbacks.operating_hours_only or window.any_time
    clinic = policy.clinic
    return CallingHours(window, clinic.timezone, clinic if bounded else None)


@dataclass(frozen=True)
class _Choice:
    number: NumberPermission
    hours: CallingHours
    inside: bool  # the number may be called now
    opens_at: datetime | None  # not inside: when it may next be called; None: never
    reasons: tuple[str, ...]


def _choose(consent: Consent, allowed: tuple[NumberPermission, ...], policy: ClinicPolicy,
            now: datetime) -> _Choice:
    """The number to use and, when none may be called now, when its calling hours open.

    The first number (in order) inside its calling hours now wins. When none is, the one whose
    hours open first (ties in order); when none ever opens, the first.
    """
    first = allowed[0]
    waiting: list[tuple[datetime, NumberPermission, CallingHours]] = []
    for number in allowed:
        hours = calling_hours(consent, number, policy)
        moment = hours.first_moment(now)
        if moment == now:
            reasons = [_inside_reason(number, hours)]
            if number is not first:
                reasons.insert(0, f"The {first.kind} number may not be called now.")
            return _Choice(number, hours, True, None, tuple(reasons))
        if moment is not None:
            waiting.append((moment, number, hours))
    if not waiting:
        hours = calling_hours(consent, first, policy)
        return _Choice(first, hours, False, None, (_never_reason(first, hours),))
    opens_at, number, hours = min(waiting, key=lambda entry: entry[0])
    tz = policy.clinic.timezone
    return _Choice(number, hours, False, opens_at, (
        f"{_outside_reason(number, hours, now)}; the {number.kind} number may next be called "
        f"{_local(opens_at, tz)}.",
    ))


_ASK_HOURS = "ask the client how early and how late you may call"


def _inside_reason(number: NumberPermission, hours: CallingHours) -> str:
    if hours.window.any_time:
        return (f"No calling hours are recorded for the {number.kind} number, so the clinic's "
                f"opening hours stand in for them ({_ASK_HOURS}); the clinic is open now.")
    if hours.clinic is not None:
        return (f"Now is inside the calling hours for the {number.kind} number ({hours.window}) "
                "and the clinic is open.")
    return f"Now is inside the calling hours for the {number.kind} number ({hours.window})."


def _outside_reason(number: NumberPermission, hours: CallingHours, now: datetime) -> str:
    if hours.window.any_time:
        return (f"No calling hours are recorded for the {number.kind} number, so the clinic's "
                f"opening hours stand in for them ({_ASK_HOURS}), and the clinic is closed now")
    window = f"the calling hours for the {number.kind} number ({hours.window})"
    if not hours.window_closed(now):
        return f"Now is inside {window}, but the clinic is closed"
    if hours.clinic_closed(now):
        return f"Now is outside {window}, and the clinic is closed"
    return f"Now is outside {window}"


def _never_reason(number: NumberPermission, hours: CallingHours) -> str:
    return (f"The calling hours for the {number.kind} number ({hours.window}) never fall within "
            "the clinic's opening hours, so there is no time this number may be called: "
            f"{_ASK_HOURS} when they are next in touch, and update their consent.")


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


# --- status (seed 002) -------------------------------------------------------------------------

_REFUSED_CALLS = "The client has not given permission to be called."
_RETURN_AS_POTENTIAL_CLIENT = (
    "If they call the clinic, return that call as you would a potential client's: first name "
    "only, never the clinic's name or the reason for the call."
)
_INTAKE = (
    "Intake not complete: the clinic does not phone, text, email or write to follow it up. An "
    "automated reminder from the intake portal itself is as far as the clinic goes.",
    "Nobody can know why the form was left: they may have been interrupted or lost their "
    "privacy, someone may have walked in on them (perhaps someone who would harm them), or they "
    "may have changed their mind. Reaching out could put them at risk.",
    "Until the informed-consent process is done, getting in touch is their choice. "
    + _RETURN_AS_POTENTIAL_CLIENT,
)
_INTAKE_THEIR_CALL = (
    "Intake not complete, but they called the clinic themselves: return their call as you would "
    "a potential client's, since informed consent is not done yet.",
)
_FILE_CLOSED = {
    "former": "Former client: their file is closed.",
    "closed": "Closed file: this client is no longer in care.",
}
_KEEPING_IN_TOUCH = (
    "Do not reach out to keep in touch (check-in calls, newsletters, cards, announcements) "
    "without careful consideration, consultation with a colleague or supervisor, and the "
    "client's fully informed consent to it: the consent recorded for their care does not cover "
    "it.",
    _RETURN_AS_POTENTIAL_CLIENT,
)


def _for_status(guidance: Guidance, status: ClientStatus, their_call: bool) -> Guidance:
    """The consent's guidance as the client's status changes it; a refusal on file wins."""
    if guidance.verdict is Verdict.DO_NOT_CALL:
        return guidance
    if status == "intake":
        if their_call:
            return _as_potential_client(guidance, (*_INTAKE_THEIR_CALL, *_POTENTIAL_CLIENT_RULES))
        return replace(_as_potential_client(guidance, _INTAKE), verdict=Verdict.DO_NOT_CALL)
    if status in _FILE_CLOSED:
        return _as_potential_client(guidance, (_FILE_CLOSED[status], *_KEEPING_IN_TOUCH))
    return guidance


def _as_potential_client(guidance: Guidance, reasons: tuple[str, ...]) -> Guidance:
    """"No consent on file" with ``reasons``: no number, voicemail or clinic name of their own;
    the refusals and private reasons on file still stand."""
    return Guidance(
        verdict=Verdict.NO_CONSENT,
        reasons=reasons,
        private_reasons=guidance.private_reasons,
        never_use=guidance.never_use,
        potential_client=True,
    )


def _status_notes(client: ClientRecord) -> tuple[str, ...]:
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
