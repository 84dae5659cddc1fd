"""What to say on the phone and what to write down: the clinic's scripts.

Pure: values in, text out. One function per script; each fills the built-in text, or the clinic's
override of the same name from ``policy.scripts``.

An override is a template in ``str.format`` style using the placeholders of the built-in script
(``{client_first_name}``, ``{callback_number}``, ...; ``{{`` and ``}}`` for literal braces).
``check_template`` says what is wrong with one, for the policy validator. A script never fails
because of its override: an override that ``check_template`` rejects is ignored and the built-in
text is used instead, so a typo cannot crash a reply or leak the clinic's name.

The clinic's name appears only through ``{from_clinic}``, which is empty unless the client
consented to the name being said. Scripts said to anyone other than the treating team must not
contain the name otherwise; ``check_template`` rejects overrides that write it out.

Names left as None render as a bracketed prompt such as ``[first name]``, so a script can be
shown where a client's name must not appear (a DM that stays in Slack's history).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
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
        "Leave only the script: never the reason for the call or anything about treatment.",
        spoken=False,
    ),
    "someone_else_answered": _Script(
        "Hi, is {client_first_name} there? ... No problem, no message. I'll try again later. "
        "Thanks, bye. (If asked who is calling: \"It's {clinician_first_name}, I'll try again "
        'later." Do not say where you are calling from or why.)',
        spoken=True,
    ),
    "someone_asks": _Script(
        "I'm sorry, I can't confirm or deny whether anyone is a client here. If there is "
        "something you'd like to tell me, I can listen, but I can't share anything in return. "
        "If you're worried about someone's safety right now, call 911 or go to the nearest "
        "emergency room; you can also call or text 988, the Suicide & Crisis Lifeline.",
        spoken=True,
    ),
    "prospect_callback": _Script(
        "Hi {client_first_name}, this is {clinician_first_name} returning your call. "
        "I'm {back_in_office}. Please call me at {callback_number} "
        "and I'll be glad to talk with you.",
        spoken=True,
    ),
    "identity_check": _Script(
        "Before we talk about anything, I need to make sure I'm speaking with "
        "{client_first_name}. Could you confirm your date of birth for me?",
        spoken=True,
    ),
    "good_time": _Script(
        "Hi {client_first_name}, it's {clinician_first_name}. Is this a good time to talk? "
        "Are you somewhere you can speak privately?",
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


def someone_else_answered(
    policy: ClinicPolicy, *, client_first_name: str | None, clinician_first_name: str
) -> str:
    """Asking for the client without saying who is calling from where, or why."""
    return _render(
        "someone_else_answered",
        policy,
        client_first_name=_first_name(client_first_name),
        clinician_first_name=clinician_first_name,
    )


def someone_asks(policy: ClinicPolicy) -> str:
    """The answer to anyone asking about a client: neither confirm nor deny; safety first."""
    return _render("someone_asks", policy)


def prospect_callback(
    policy: ClinicPolicy,
    *,
    client_first_name: str | None,
    clinician_first_name: str,
    callback_number: str,
    now: datetime,
) -> str:
    """Returning a potential client's call: first name only, and when the clinician can talk.

    ``{back_in_office}`` reads "in the office today until 5:00 PM" while the clinic is open, else
    "back in the office on Monday, November 30 at 9:00 AM" (the next opening).
    """
    return _render(
        "prospect_callback",
        policy,
        client_first_name=_first_name(client_first_name),
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
    """Verify who is on the line before discussing anything."""
    return _render("identity_check", policy, client_first_name=_first_name(client_first_name))


def good_time(
    policy: ClinicPolicy, *, client_first_name: str | None, clinician_first_name: str
) -> str:
    """The opener: is this a good time, and a private place, to talk?"""
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


def clinic_time_text(policy: ClinicPolicy, moment: datetime) -> str:
    """An aware instant as said to a client, in clinic time: "Monday, November 30 at 9:00 AM"."""
    return _date_time_text(_local(policy, moment))


# --- overrides ---------------------------------------------------------------------------------


def built_in(name: str) -> str:
    """The built-in text of the script ``name``, as an override would be written."""
    return _BUILT_IN[name].text


def placeholders(name: str) -> tuple[str, ...]:
    """The placeholders the script ``name`` offers to an override, in order of first use."""
    return tuple(dict.fromkeys(_fields(_BUILT_IN[name].text)))


def check_template(name: str, template: str, clinic_name: str | None = None) -> str | None:
    """What is wrong with ``template`` as an override of script ``name``; None when nothing is.

    With ``clinic_name``, a spoken script that writes the clinic's name out (rather than using
    ``{from_clinic}``, which is empty without the client's consent) is rejected too.
    """
    if name not in _BUILT_IN:
        return f"there is no script named {name!r}; the scripts are: {', '.join(SCRIPT_NAMES)}"
    allowed = placeholders(name)
    offered = ", ".join(f"{{{p}}}" for p in allowed) or "no placeholders"
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
        if field not in allowed:
            return f"uses {{{field}}}, which this script does not have; it offers {offered}"
        if spec or conversion:
            return f"write {{{field}}} plainly, without ':' or '!'"
    if clinic_name and clinic_name.strip():
        return _clinic_name_problem(name, template, clinic_name)
    return None


def _clinic_name_problem(name: str, template: str, clinic_name: str) -> str | None:
    if not _BUILT_IN[name].spoken or not _names(template, clinic_name):
        return None
    if "from_clinic" in placeholders(name):
        return (
            f"says the clinic's name {clinic_name!r}; use {{from_clinic}} instead, so the "
            "name is said only to clients who consented to it"
        )
    return f"says the clinic's name {clinic_name!r}, which this script must never say"


def _render(name: str, policy: ClinicPolicy, **values: str) -> str:
    template = policy.scripts.get(name)
    if template is None or check_template(name, template, policy.clinic.name) is not None:
        template = _BUILT_IN[name].text
    return template.format_map(values)


def _fields(template: str) -> list[str]:
    return [field for _, field, _, _ in Formatter().parse(template) if field is not None]


def _names(template: str, clinic_name: str) -> bool:
    pattern = rf"(?<!\w){re.escape(clinic_name.strip())}(?!\w)"
    return re.search(pattern, template, re.IGNORECASE) is not None


# --- values ------------------------------------------------------------------------------------


def _first_name(name: str | None) -> str:
    return name.strip() if name and name.strip() else FIRST_NAME_PROMPT


def _from_clinic(policy: ClinicPolicy, clinic_name_ok: bool) -> str:
    return f" from {policy.clinic.name}" if clinic_name_ok else ""


def _local(policy: ClinicPolicy, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(policy.clinic.timezone)


def _clock_text(local: datetime) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _day_text(local: datetime) -> str:
    return f"{_WEEKDAYS[local.weekday()]}, {_MONTHS[local.month - 1]} {local.day}"


def _date_time_text(local: datetime, with_year: bool = False) -> str:
    year = f", {local.year}" if with_year else ""
    return f"{_day_text(local)}{year} at {_clock_text(local)}"
