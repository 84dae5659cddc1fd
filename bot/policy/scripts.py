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
    "no_show_voicemail": _Script(
        "Hi {client_first_name}, this is {clinician_first_name}{from_clinic}. I'm calling "
        "because we were scheduled to meet at {appointment_time} today. Please call me at "
        "{callback_number}. As a reminder, under the attendance policy you agreed to, a "
        "session missed without notice may be charged a late fee.",
        spoken=True,
    ),
    "no_show_note": _Script(
        "No-show: the client did not arrive for the appointment on {appointment_time} and had "
        "not cancelled. Called the client at {called_at}; {call_outcome}.",
        spoken=False,
    ),
    "closure_warning": _Script(
        "Hi {client_first_name}, this is {clinician_first_name}{from_clinic}. We've missed you "
        "at your last appointments, and I'd like to keep your regular time for you. Please call "
        "me at {callback_number} by {deadline} to let me know whether you'd like to continue. "
        "If I don't hear from you by then, I'll close your file; you're always welcome to get "
        "in touch again later.",
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
    client_first_name: str | None,
    clinician_first_name: str,
    callback_number: str,
    clinic_name_ok: bool,
    appointment_start: datetime,
) -> str:
    """The message for a client who has not arrived, with the late-fee line of the protocol."""
    return _render(
        "no_show_voicemail",
        policy,
        client_first_name=_first_name(client_first_name),
        clinician_first_name=clinician_first_name,
        callback_number=callback_number,
        from_clinic=_from_clinic(policy, clinic_name_ok),
        appointment_time=_clock_text(_local(policy, appointment_start)),
    )


def no_show_note(
    policy: ClinicPolicy, *, appointment_start: datetime, called_at: datetime, voicemail_left: bool
) -> str:
    """The documentation note: the appointment's date and time and when the client was called.

    The time of the call carries its date too when it falls on another day than the appointment.
    """
    start, call = _local(policy, appointment_start), _local(policy, called_at)
    called_text = _clock_text(call) if call.date() == start.date() else _date_time_text(call)
    return _render(
        "no_show_note",
        policy,
        appointment_time=_date_time_text(start, with_year=True),
        called_at=called_text,
        call_outcome="left the no-show voicemail" if voicemail_left else "no voicemail was left",
    )


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


def _clock_text(local: datetime | time) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _date_time_text(local: datetime, with_year: bool = False) -> str:
    day = f"{_WEEKDAYS[local.weekday()]}, {_MONTHS[local.month - 1]} {local.day}"
    year = f", {local.year}" if with_year else ""
    return f"{day}{year} at {_clock_text(local)}"
