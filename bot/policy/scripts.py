"""What to say on the phone and what to write down: the clinic's scripts.

Pure: values in, text out. One function per script; each fills the built-in text, or the clinic's
override of the same name from ``policy.scripts``.

An override is a template in ``str.format`` style using the placeholders of the built-in script
(``{client_first_name}``, ``{callback_number}``, ...; ``{{`` and ``}}`` for literal braces).
``check_template`` says what is wrong with one. The policy validator runs it on every override,
so a policy with a bad one is refused at load (by ``check-policy``, ``serve`` and ``sandbox``
alike) and every override a script meets at run time is valid. Nothing is silently replaced:
an override that fails the check here anyway (a policy built without the validator) raises.

The clinic's name appears only through ``{from_clinic}``, which is empty unless the client
consented to the name being said. Scripts said to anyone other than the treating team must not
contain the name otherwise; ``check_template`` rejects overrides that write it out.

Names left as None render as a bracketed prompt such as ``[first name]``, so a script can be
shown where a client's name must not appear (a DM that stays in Slack's history).

Seeds (``../shared/seeds``): 000 phone do's and don'ts, 003 the clinic's phone protocol. The
person who answers instead of the client hears no name, no clinic and no message (000, 003); the
client is verified before the caller says who they are and asks whether it is a good time (000);
a potential client's call is returned with the clinician's first name only (000).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from string import Formatter

from bot.policy.business_hours import is_open, next_open
from bot.policy.clinic import ClinicPolicy

FIRST_NAME_PROMPT = "[first name]"

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class _Script:
    text: str
    spoken: bool  # said to the client or to whoever answers, so the clinic's name is guarded


_BUILT_IN: dict[str, _Script] = {
    "voicemail": _Script(
        "Hi {client_first_name}, this is {clinician_first_name}{from_clinic}. "
        "Please give me a call back at {callback_number}. Thank you.",
        spoken=True,
    ),
    "voicemail_caution": _Script(
        "Voicemail is not private: someone else may hear it, and the phone may be shared. "
        "Leave only the script: never the reason for the call or anything about treatment. "
        "Your own voicemail too: listen to messages where no one else can hear them, and keep "
        "your voicemail code to yourself.",
        spoken=False,
    ),
    "someone_else_answered": _Script(
        "Hi, is {client_first_name} there? ... (A message?) No, no message, thank you. I'll "
        "try again. ... (Who is calling?) I'm sorry, I can't say who this is, but thank you. "
        "I'll try again. (Give no name, not even your first name, and no clinic, number or "
        "reason.)",
        spoken=True,
    ),
    "someone_asks": _Script(
        "I hear that you're concerned. I can't confirm or deny whether someone is a client "
        "here, so I'm not able to answer questions about anyone. If you're worried about "
        "someone's safety, I can give you some general recommendations. (General advice only, "
        "the same for anyone: if someone is in danger right now, call 911 or go to the nearest "
        "emergency room. Nothing about any client.)",
        spoken=True,
    ),
    "prospect_callback": _Script(
        "Hi, this is {clinician_first_name} returning your call. I'm sorry I missed you. "
        "I'm {back_in_office}; you can reach me at {callback_number}. I hope to hear from you.",
        spoken=True,
    ),
    "identity_check": _Script(
        "Hi, may I speak with {client_first_name}? ... Before anything else, I need to make "
        "sure I'm speaking with {client_first_name}: could you confirm your date of birth "
        "for me?",
        spoken=True,
    ),
    "good_time": _Script(
        "Thank you, {client_first_name}. It's {clinician_first_name}. Is this a good time to "
        "talk? Are you somewhere you can speak privately?",
        spoken=True,
    ),
    # 003: the clinician's first name only; the time of the missed session; the late fee (a
    # missed session is charged, so the next visit means paying for two) where the clinic
    # charges one; an invitation to raise concerns; the clinic's name only with consent.
    "no_show_voicemail": _Script(
        "Hi, this is {clinician_first_name}{from_clinic}. We were due to meet at "
        "{appointment_time} {appointment_day}, and I hadn't heard from you.{late_fee} Please "
        "call me at {callback_number} to confirm your next appointment; if anything about this "
        "concerns you, I'd like to hear it.",
        spoken=True,
    ),
    # 003: what happened, the message left and when, the late fee, the next appointment, and the
    # confirm-by date of an approved closure warning.
    "no_show_note": _Script(
        "Client {client} did not come to the appointment on {appointment_time} and had not "
        "cancelled. Called the client at {called_at}; {call_outcome}.{late_fee} Next "
        "appointment: {next_appointment}.{confirm_by}",
        spoken=False,
    ),
    # 003: confirm the next appointment by the deadline, or the file is closed; treatment can be
    # started again at any time.
    "closure_warning": _Script(
        "Hi {client_first_name}, this is {clinician_first_name}{from_clinic}. Please call me "
        "at {callback_number} by {deadline} to confirm your next appointment. If I haven't "
        "heard from you by then, I'll take it that you don't wish to continue for now, and I'll "
        "close your file. You can start treatment again at any time: just get in touch.",
        spoken=True,
    ),
}

SCRIPT_NAMES: tuple[str, ...] = tuple(_BUILT_IN)


# --- the scripts -------------------------------------------------------------------------------


def voicemail(
    policy: ClinicPolicy,
    *,
    client_first_name: str | None,
    clinician_first_name: str,
    callback_number: str,
    clinic_name_ok: bool,
) -> str:
    """The message to leave: first names and the callback number, never details or the reason."""
    return _render(
        "voicemail",
        policy,
        client_first_name=_first_name(client_first_name),
        clinician_first_name=clinician_first_name,
        callback_number=callback_number,
        from_clinic=_from_clinic(policy, clinic_name_ok),
    )


def voicemail_caution(policy: ClinicPolicy) -> str:
    """The reminder to the clinician that a voicemail is not private."""
    return _render("voicemail_caution", policy)


def someone_else_answered(policy: ClinicPolicy, *, client_first_name: str | None) -> str:
    """Asking for the client and leaving no message: no name, no clinic, no reason (000, 003).

    It takes no caller's name, so no override can give one. The one exception, a person the
    client named in writing, is the card's to show, and only to the treating team.
    """
    return _render(
        "someone_else_answered", policy, client_first_name=_first_name(client_first_name)
    )


def someone_asks(policy: ClinicPolicy) -> str:
    """The answer to anyone asking about a client: neither confirm nor deny; safety first."""
    return _render("someone_asks", policy)


def prospect_callback(
    policy: ClinicPolicy, *, clinician_first_name: str, callback_number: str, now: datetime
) -> str:
    """Returning a potential client's call: the clinician's first name only, sorry to have
    missed them, and when the clinician is back (000). Nothing names the caller, the clinic or
    the reason, since the number they left may not be theirs alone.

    ``{back_in_office}`` reads "in the office today until 5:00 PM" while the clinic is open, else
    "back in the office on Monday, November 30 at 9:00 AM" (the next opening).
    """
    return _render(
        "prospect_callback",
        policy,
        clinician_first_name=clinician_first_name,
        callback_number=callback_number,
        back_in_office=_availability(policy, now),
    )


def _availability(policy: ClinicPolicy, now: datetime) -> str:
    clinic = policy.clinic
    if is_open(clinic, now):
        local = _local(policy, now)
        hours = clinic.hours_on(local.date())
        assert hours is not None  # open now
        closing = local.replace(hour=hours.closes.hour, minute=hours.closes.minute)
        return f"in the office today until {_clock_text(closing)}"
    return f"back in the office on {clinic_time_text(policy, next_open(clinic, now))}"


def identity_check(policy: ClinicPolicy, *, client_first_name: str | None) -> str:
    """Verify who is on the line before saying who is calling or discussing anything (000)."""
    return _render("identity_check", policy, client_first_name=_first_name(client_first_name))


def good_time(
    policy: ClinicPolicy, *, client_first_name: str | None, clinician_first_name: str
) -> str:
    """Once the client is verified: who is calling, and is this a good time to talk (000)?"""
    return _render(
        "good_time",
        policy,
        client_first_name=_first_name(client_first_name),
        clinician_first_name=clinician_first_name,
    )


def no_show_voicemail(
    policy: ClinicPolicy,
    *,
    clinician_first_name: str,
    callback_number: str,
    clinic_name_ok: bool,
    appointment_start: datetime,
    now: datetime,
) -> str:
    """The message for a client who did not come: the clinician's first name, never the client's.

    ``{appointment_day}`` is "today", or the day ("on Tuesday, November 24") when the call is made
    on a later day; ``{late_fee}`` is the late-fee sentence, empty when ``no_show.late_fee`` is
    false.
    """
    start = _local(policy, appointment_start)
    same_day = start.date() == _local(policy, now).date()
    return _render(
        "no_show_voicemail",
        policy,
        clinician_first_name=clinician_first_name,
        callback_number=callback_number,
        from_clinic=_from_clinic(policy, clinic_name_ok),
        appointment_time=_clock_text(start),
        appointment_day="today" if same_day else f"on {_day_text(start)}",
        late_fee=(
            " The session was missed without notice, so it will be charged: at your next visit "
            "you would be paying for two sessions, and I'd rather you heard that from me now."
            if policy.no_show.late_fee
            else ""
        ),
    )


CALL_TIME_PROMPT = "[time of your call]"


def no_show_note(
    policy: ClinicPolicy,
    *,
    client: str,
    appointment_start: datetime,
    called_at: datetime | None,
    reported: bool,
    voicemail_left: bool,
    next_appointment: datetime | None,
    confirm_by: datetime | None = None,
) -> str:
    """The documentation note of a no-show.

    ``client``: the client's code, or "first name (code)" for the treating team's eyes only.
    ``called_at``: when the message was left; None leaves a ``[time of your call]`` prompt (a
    note shown before the clinician has reported the call is never pre-dated). ``reported``: the
    clinician gave that time; otherwise it is the moment the no-show was recorded, and the note
    says so. The time carries its date when it falls on another day than the appointment.
    ``next_appointment``: None reads "none booked". ``confirm_by``: the deadline of an approved
    closure warning, when there is one.
    """
    start = _local(policy, appointment_start)
    late_fee = ""
    if policy.no_show.late_fee:
        late_fee = (" Late fee charged for the missed session; the message said so."
                    if voicemail_left else " Late fee charged for the missed session.")
    return _render(
        "no_show_note",
        policy,
        client=client,
        appointment_time=_date_time_text(start, with_year=True),
        called_at=_call_time_text(policy, start, called_at, reported),
        call_outcome=(
            "left a message asking them to call back and confirm their next appointment"
            if voicemail_left
            else "no message was left (no voicemail on the number to use)"
        ),
        late_fee=late_fee,
        next_appointment=(
            _date_time_text(_local(policy, next_appointment), with_year=True)
            if next_appointment is not None
            else "none booked"
        ),
        confirm_by=(
            f" Closure warning approved: the client is to confirm their next appointment by "
            f"{clinic_time_text(policy, confirm_by)}, or the file will be closed."
            if confirm_by is not None
            else ""
        ),
    )


def _call_time_text(policy: ClinicPolicy, start: datetime, called_at: datetime | None,
                    reported: bool) -> str:
    if called_at is None:
        return CALL_TIME_PROMPT
    call = _local(policy, called_at)
    text = _clock_text(call) if call.date() == start.date() else _date_time_text(call)
    return text if reported else f"{text} (the time the no-show was recorded)"


def closure_warning(
    policy: ClinicPolicy,
    *,
    client_first_name: str | None,
    clinician_first_name: str,
    callback_number: str,
    clinic_name_ok: bool,
    deadline: datetime,
) -> str:
    """The warning that the file will be closed unless the client gets in touch by ``deadline``."""
    return _render(
        "closure_warning",
        policy,
        client_first_name=_first_name(client_first_name),
        clinician_first_name=clinician_first_name,
        callback_number=callback_number,
        from_clinic=_from_clinic(policy, clinic_name_ok),
        deadline=clinic_time_text(policy, deadline),
    )


def clinic_time_text(policy: ClinicPolicy, moment: datetime, today: date | None = None) -> str:
    """An aware instant as said to a client, in clinic time: "Monday, November 30 at 9:00 AM".

    Given ``today`` (the clinic's date), a moment in another year says its year too.
    """
    local = _local(policy, moment)
    return _date_time_text(local, with_year=today is not None and local.year != today.year)


def time_of_day_text(wall: time) -> str:
    """A wall-clock time of day as said to a client: "9:00 AM", "5:30 PM"."""
    return _clock_text(wall)


# --- overrides ---------------------------------------------------------------------------------


def placeholders(name: str) -> tuple[str, ...]:
    """The placeholders the script ``name`` offers to an override, in order of first use."""
    return tuple(dict.fromkeys(_fields(_BUILT_IN[name].text)))


def check_template(
    name: str, template: str, clinic_name: str | None = None, clinic_phone: str | None = None
) -> str | None:
    """What is wrong with ``template`` as an override of script ``name``; None when nothing is.

    Checked: the script exists; the template parses; it uses only the placeholders this script
    offers (``placeholders(name)``), written plainly. With ``clinic_name`` (and ``clinic_phone``,
    E.164), a spoken script that writes out the clinic's name, in any case and spacing, or its
    main number is rejected too: the name must come from ``{from_clinic}`` and the number from
    ``{callback_number}``, which consent governs. Scripts only the team reads (the voicemail
    caution, the documentation note) may name the clinic.
    """
    if name not in _BUILT_IN:
        return f"there is no script named {name!r}; the scripts are: {', '.join(SCRIPT_NAMES)}"
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as error:
        return (
            f"is not a valid template ({error}); write placeholders like {{callback_number}} "
            f"and {{{{ or }}}} for a literal brace"
        )
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in placeholders(name):
            return f"uses {{{field}}}, which this script does not have; it offers {_offered(name)}"
        if spec or conversion:
            return f"write {{{field}}} plainly, without ':' or '!'"
    if not _BUILT_IN[name].spoken:
        return None
    return _clinic_name_problem(name, template, clinic_name) or _clinic_phone_problem(
        name, template, clinic_phone
    )


def _offered(name: str) -> str:
    return ", ".join(f"{{{p}}}" for p in placeholders(name)) or "no placeholders"


def _clinic_name_problem(name: str, template: str, clinic_name: str | None) -> str | None:
    if not clinic_name or not clinic_name.strip() or not _names(template, clinic_name):
        return None
    if "from_clinic" in placeholders(name):
        return (
            f"says the clinic's name {clinic_name.strip()!r}; use {{from_clinic}} instead, so "
            "the name is said only to clients who consented to it"
        )
    return f"says the clinic's name {clinic_name.strip()!r}, which this script must never say"


def _clinic_phone_problem(name: str, template: str, clinic_phone: str | None) -> str | None:
    if not clinic_phone or not _dials(template, clinic_phone):
        return None
    if "callback_number" in placeholders(name):
        return (
            "writes out the clinic's main number; use {callback_number} instead: it gives the "
            "main number only to clients who consented to the clinic's name, since calling it "
            "back reveals the clinic"
        )
    return "writes out the clinic's main number, which this script must never give"


def _render(name: str, policy: ClinicPolicy, **values: str) -> str:
    """The override (checked when the policy was loaded) or the built-in text, filled in.

    A bad override here means the policy skipped the validator: that is a bug, said loudly,
    never papered over with the built-in text.
    """
    template = policy.scripts.get(name)
    if template is None:
        return _BUILT_IN[name].text.format_map(values)
    problem = check_template(name, template, policy.clinic.name, policy.clinic.phone)
    if problem is not None:
        raise ValueError(f"scripts.{name}: {problem}")
    return template.format_map(values)


def _fields(template: str) -> list[str]:
    return [field for _, field, _, _ in Formatter().parse(template) if field is not None]


def _names(template: str, clinic_name: str) -> bool:
    """True when ``template`` writes ``clinic_name`` as whole words, in any case or spacing."""
    words = r"\s+".join(re.escape(word) for word in clinic_name.split())
    return re.search(rf"(?<!\w){words}(?!\w)", template, re.IGNORECASE) is not None


_DIGIT_RUN = re.compile(r"\d[\d\s().+-]*\d")
_LOCAL_DIGITS = 7  # the last digits of a number, its shortest form that still reveals it


def _dials(template: str, e164: str) -> bool:
    """True when ``template`` writes the number ``e164`` in any usual form, a local one too
    ("555-0100", "(215) 555-0100", "+1 215 555 0100")."""
    local = re.sub(r"\D", "", e164)[-_LOCAL_DIGITS:]
    runs = (re.sub(r"\D", "", run.group()) for run in _DIGIT_RUN.finditer(template))
    return any(local in digits for digits in runs)


# --- values ------------------------------------------------------------------------------------


def _first_name(name: str | None) -> str:
    return name.strip() if name and name.strip() else FIRST_NAME_PROMPT


def _from_clinic(policy: ClinicPolicy, clinic_name_ok: bool) -> str:
    return f" from {policy.clinic.name}" if clinic_name_ok else ""


def _local(policy: ClinicPolicy, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(policy.clinic.timezone)


def _clock_text(local: datetime | time) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _day_text(local: datetime) -> str:
    return f"{_WEEKDAYS[local.weekday()]}, {_MONTHS[local.month - 1]} {local.day}"


def _date_time_text(local: datetime, with_year: bool = False) -> str:
    year = f", {local.year}" if with_year else ""
    return f"{_day_text(local)}{year} at {_clock_text(local)}"
