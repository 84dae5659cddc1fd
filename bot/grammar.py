"""The grammar of ``/contact-check``: every form of the contract, parsed in one place.

Pure: text in, a typed form out, or a ``CommandError`` that says what was wrong and shows the
right form. Nothing here executes anything: text the user typed is only ever echoed back through
``shown``, which escapes Slack's control characters so ``<!channel>`` or ``<@U123>`` appear
literally instead of notifying anyone.

Keywords are case-insensitive; a single word that is not a keyword is read as a client code. A
client whose code is itself a keyword (``help``, ``pending``) has no bare-code card: the keyword
wins, and every other form still reaches them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time

from bot.mrkdwn import escape
from bot.policy.model import CLIENT_CODE_RULE, is_client_code
from bot.policy.phones import caller_phone
from bot.policy.topics import topic_names

MAX_TEXT_CHARS = 300  # more than any form needs; longer text is refused, not parsed
MAX_SHOWN_CHARS = 60  # how much of a bad input is echoed back
DEFAULT_APPOINTMENT_MINUTES = 50
MIN_APPOINTMENT_MINUTES = 5
MAX_APPOINTMENT_MINUTES = 480

COMMAND = "/contact-check"


# --- the forms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Help:
    """``help`` or nothing."""


@dataclass(frozen=True)
class Card:
    """``CODE``: the guidance card."""

    code: str


@dataclass(frozen=True)
class ConsentForm:
    """``consent CODE``: open the consent modal."""

    code: str


@dataclass(frozen=True)
class Missed:
    """``missed CODE|+PHONE [voicemail|no-voicemail]``; exactly one of code and phone is set.

    ``phone`` is E.164. ``voicemail`` is None when the user did not say.
    """

    code: str | None
    phone: str | None
    voicemail: bool | None = None


@dataclass(frozen=True)
class Returned:
    code: str


@dataclass(frozen=True)
class Appt:
    """``appt CODE YYYY-MM-DD HH:MM [MINUTES]``: ``day`` and ``at`` are clinic wall-clock time."""

    code: str
    day: date
    at: time
    minutes: int = DEFAULT_APPOINTMENT_MINUTES


@dataclass(frozen=True)
class Arrived:
    code: str


@dataclass(frozen=True)
class NoShow:
    code: str


@dataclass(frozen=True)
class Coaching:
    code: str


@dataclass(frozen=True)
class RunIn:
    code: str


@dataclass(frozen=True)
class Topic:
    """``topic`` (``name`` None: the list) or ``topic NAME``."""

    name: str | None = None


@dataclass(frozen=True)
class Pending:
    """``pending``: what the person owes now."""


@dataclass(frozen=True)
class Report:
    """``report [week|month|YYYY-MM-DD..YYYY-MM-DD]``: ``word`` "week" or "month", or the two
    dates (both included); all None: the default, the last full week."""

    word: str | None = None
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True)
class Access:
    """``access CODE [since YYYY-MM-DD]``: who viewed the client's details."""

    code: str
    since: date | None = None


Form = (
    Help | Card | ConsentForm | Missed | Returned | Appt | Arrived | NoShow | Coaching | RunIn
    | Topic | Pending | Report | Access
)


@dataclass(frozen=True)
class Usage:
    """One line of the help: the form as typed and what it does."""

    form: str
    does: str


USAGES: dict[str, Usage] = {
    "help": Usage("help", "this help"),
    "card": Usage("CODE", "whether, when and how to call that client, with the scripts"),
    "consent": Usage("consent CODE", "record or edit that client's contact consent"),
    "missed": Usage(
        "missed CODE|+PHONE [voicemail|no-voicemail]",
        "log a missed call (a client, or a caller's number); says whether a call back is owed "
        "and by when",
    ),
    "returned": Usage("returned CODE", "close the open call-back for that client"),
    "appt": Usage(
        "appt CODE YYYY-MM-DD HH:MM [MINUTES]",
        f"record an appointment (clinic time, {DEFAULT_APPOINTMENT_MINUTES} minutes unless "
        "given)",
    ),
    "arrived": Usage("arrived CODE", "the client of the current appointment has arrived"),
    "noshow": Usage("noshow CODE", "record a no-show; gives the voicemail script and note"),
    "coaching": Usage("coaching CODE", "ask for DBT phone-coaching approval"),
    "runin": Usage("runin CODE", "document running into the client outside the office"),
    "topic": Usage("topic [NAME]", "list the guidance topics, or show one"),
    "pending": Usage("pending", "your open call-backs, chases and approvals"),
    "report": Usage("report [week|month|YYYY-MM-DD..YYYY-MM-DD]",
                    "the team report: call-backs on time, chases, approvals, run-ins (the last "
                    "full week unless given)"),
    "access": Usage("access CODE [since YYYY-MM-DD]",
                    "admins: who viewed that client's details, and when"),
}


def usage_line(key: str) -> str:
    return f"`{COMMAND} {USAGES[key].form}`"


class CommandError(ValueError):
    """Bad input: ``message`` says what was wrong (with the input escaped), ``usage`` the form."""

    def __init__(self, message: str, usage: str | None = None):
        super().__init__(message)
        self.message = message
        self.usage = usage

    def __str__(self) -> str:
        return self.message if self.usage is None else f"{self.message}\nUse: {self.usage}"


# --- showing what was typed ----------------------------------------------------------------------


def shown(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` safe to put in a Slack mrkdwn reply: escaped, printable, shortened, quoted.

    Escaped by ``bot.mrkdwn.escape``: mentions (``<!channel>``, ``<@U123>``), links and bare URLs
    are shown as typed and never notify or link; ``*``, ``_``, ``~`` and backticks show as
    themselves and cannot format the reply; control and invisible characters become ``?``.
    """
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    cleaned = "".join(
        ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else "?" for ch in text
    )
    return f"“{escape(cleaned)}”"


# --- parsing -----------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_WORD_ONLY_FORMS: dict[str, Callable[[], Form]] = {"help": Help, "pending": Pending}
_CODE_FORMS: dict[str, Callable[[str], Form]] = {
    "consent": ConsentForm,
    "returned": Returned,
    "arrived": Arrived,
    "noshow": NoShow,
    "coaching": Coaching,
    "runin": RunIn,
}
_ALIASES = {"no-show": "noshow", "run-in": "runin", "appointment": "appt", "topics": "topic"}
_VOICEMAIL_WORDS = {"voicemail": True, "vm": True, "no-voicemail": False, "novoicemail": False,
                    "no-vm": False}


def parse_command(text: str | None) -> Form:
    """The form ``text`` (what follows ``/contact-check``) asks for; raises ``CommandError``."""
    text = text or ""
    if len(text) > MAX_TEXT_CHARS:
        raise CommandError(
            f"That is {len(text)} characters; no form of {COMMAND} needs more than "
            f"{MAX_TEXT_CHARS}. Type `{COMMAND} help` to see every form.",
        )
    words = text.split()
    if not words:
        return Help()
    keyword = words[0].lower()
    keyword = _ALIASES.get(keyword, keyword)
    rest = words[1:]
    if keyword in _WORD_ONLY_FORMS:
        _expect_count(rest, 0, keyword)
        return _WORD_ONLY_FORMS[keyword]()
    if keyword in _CODE_FORMS:
        _expect_count(rest, 1, keyword)
        return _CODE_FORMS[keyword](_code(rest[0], keyword))
    if keyword == "missed":
        return _missed(rest)
    if keyword == "appt":
        return _appt(rest)
    if keyword == "topic":
        return _topic(rest)
    if keyword == "report":
        return _report(rest)
    if keyword == "access":
        return _access(rest)
    if len(words) == 1 and is_client_code(words[0]):
        return Card(words[0])
    return _unknown(words)


def _unknown(words: list[str]) -> Form:
    first = words[0]
    if len(words) == 1:
        raise CommandError(
            f"{shown(first)} is neither a form of {COMMAND} nor a client code (client codes "
            f"are {CLIENT_CODE_RULE}, like C-1042).",
            f"{usage_line('card')}, or `{COMMAND} help` for every form",
        )
    raise CommandError(
        f"{COMMAND} has no form starting with {shown(first)}. The forms start with: "
        f"{', '.join(k for k in USAGES if k != 'card')}, or a client code alone.",
        f"`{COMMAND} help`",
    )


def _expect_count(rest: list[str], count: int, key: str) -> None:
    if len(rest) == count:
        return
    usage = usage_line(key)
    if len(rest) < count:
        raise CommandError(f"`{key}` needs a client code.", usage)
    extra = " ".join(rest[count:])
    raise CommandError(f"`{key}` takes nothing after {'it' if count == 0 else 'the code'}; "
                       f"remove {shown(extra)}.", usage)


def _code(word: str, key: str) -> str:
    if is_client_code(word):
        return word
    raise CommandError(
        f"{shown(word)} is not a client code: codes are {CLIENT_CODE_RULE} (like C-1042).",
        usage_line(key),
    )


def _missed(rest: list[str]) -> Missed:
    usage = usage_line("missed")
    if not rest:
        raise CommandError("`missed` needs a client code or the caller's number.", usage)
    if len(rest) > 2:
        raise CommandError(f"`missed` takes a code or number and then, optionally, `voicemail` "
                           f"or `no-voicemail`; remove {shown(' '.join(rest[2:]))}.", usage)
    voicemail: bool | None = None
    if len(rest) == 2:
        voicemail = _VOICEMAIL_WORDS.get(rest[1].lower())
        if voicemail is None:
            raise CommandError(f"{shown(rest[1])} is not `voicemail` or `no-voicemail` (did the "
                               "caller leave a voicemail?).", usage)
    who = rest[0]
    if who.startswith("+"):
        e164 = caller_phone(who)
        if e164 is None:
            raise CommandError(f"{shown(who)} is not a phone number: write it with + and the "
                               "country code, no spaces, like +15551234567.", usage)
        return Missed(code=None, phone=e164, voicemail=voicemail)
    if not is_client_code(who):
        raise CommandError(
            f"{shown(who)} is neither a client code ({CLIENT_CODE_RULE}) nor a phone number "
            "written with + and the country code.", usage)
    return Missed(code=who, phone=None, voicemail=voicemail)


def _appt(rest: list[str]) -> Appt:
    usage = usage_line("appt")
    if len(rest) < 3:
        raise CommandError("`appt` needs a client code, a date and a start time, like "
                           f"`{COMMAND} appt C-1042 2026-11-30 14:00`.", usage)
    if len(rest) > 4:
        raise CommandError(f"`appt` takes at most the code, date, time and minutes; remove "
                           f"{shown(' '.join(rest[4:]))}.", usage)
    code = _code(rest[0], "appt")
    day = _date(rest[1], usage)
    at = _time(rest[2], usage)
    minutes = DEFAULT_APPOINTMENT_MINUTES
    if len(rest) == 4:
        minutes = _minutes(rest[3], usage)
    return Appt(code=code, day=day, at=at, minutes=minutes)


def _date(word: str, usage: str) -> date:
    match = _DATE.fullmatch(word)
    if match is None:
        raise CommandError(f"{shown(word)} is not a date written YYYY-MM-DD (like 2026-11-30).",
                           usage)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CommandError(f"{shown(word)} is not a day of the calendar.", usage) from None


def _time(word: str, usage: str) -> time:
    match = _TIME.fullmatch(word)
    hours, minutes = (int(part) for part in match.groups()) if match else (-1, -1)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise CommandError(f"{shown(word)} is not a time on the 24-hour clock written HH:MM "
                           "(like 09:30 or 14:00).", usage)
    return time(hours, minutes)


def _minutes(word: str, usage: str) -> int:
    if not word.isascii() or not word.isdigit() or not (
        MIN_APPOINTMENT_MINUTES <= int(word) <= MAX_APPOINTMENT_MINUTES
    ):
        raise CommandError(f"{shown(word)} is not a length in minutes: give a whole number from "
                           f"{MIN_APPOINTMENT_MINUTES} to {MAX_APPOINTMENT_MINUTES}.", usage)
    return int(word)


def _topic(rest: list[str]) -> Topic:
    usage = usage_line("topic")
    if not rest:
        return Topic()
    names = topic_names()
    found = match_topic(" ".join(rest), names)
    if len(found) == 1:
        return Topic(found[0])
    if found:
        raise CommandError(f"{shown(' '.join(rest))} could be more than one topic: "
                           f"{', '.join(found)}. Type more of the name.", usage)
    if len(rest) > 1:
        raise CommandError(f"`topic` takes one name; the topics are: {', '.join(names)}.", usage)
    raise CommandError(f"There is no topic {shown(rest[0])}; the topics are: "
                       f"{', '.join(names)}.", usage)


def _report(rest: list[str]) -> Report:
    usage = usage_line("report")
    if not rest:
        return Report()
    if len(rest) > 1:
        raise CommandError(f"`report` takes one period; remove {shown(' '.join(rest[1:]))}.",
                           usage)
    word = rest[0].lower()
    if word in ("week", "month"):
        return Report(word=word)
    if ".." not in word:
        raise CommandError(f"{shown(rest[0])} is not a period: give `week`, `month` or two "
                           "dates like 2026-11-02..2026-11-15.", usage)
    first, last = (_date(part, usage) for part in word.split("..", 1))
    if last < first:
        raise CommandError(f"{shown(rest[0])} ends before it starts: give the earlier date "
                           "first.", usage)
    return Report(first=first, last=last)


def _access(rest: list[str]) -> Access:
    usage = usage_line("access")
    if not rest:
        raise CommandError("`access` needs a client code.", usage)
    code = _code(rest[0], "access")
    if len(rest) == 1:
        return Access(code)
    if len(rest) != 3 or rest[1].lower() != "since":
        raise CommandError(f"After the code, `access` takes only `since YYYY-MM-DD`; "
                           f"{shown(' '.join(rest[1:]))} is not that.", usage)
    return Access(code, _date(rest[2], usage))


_TOPIC_WORD_BREAKS = re.compile(r"[\s_-]+")


def match_topic(text: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """The topic names ``text`` may mean, in the order of ``names``; one when it is clear.

    Case, spaces, hyphens and underscores do not matter (``Third party``, ``thirdparty`` and
    ``third-party`` are one name), nor a plural or singular ending (``prospects``, ``run-in``);
    the start of a name or of one of its words is enough (``intake``, ``former``, ``voicemail``,
    ``coaching``). A name written in full wins over names it begins.
    """
    words = [w for w in _TOPIC_WORD_BREAKS.split(text.lower()) if w]
    typed = "".join(words)
    if not typed:
        return ()
    forms = {typed, *_singular(typed)}
    exact = tuple(n for n in names if forms & {_squashed(n), *_singular(_squashed(n))})
    if exact:
        return exact
    return tuple(n for n in names
                 if any(start.startswith(form) for start in _starts(n) for form in forms))


def _squashed(name: str) -> str:
    return "".join(_TOPIC_WORD_BREAKS.split(name.lower()))


def _singular(word: str) -> set[str]:
    """``word`` without a plural ending: parties -> party, prospects -> prospect."""
    if word.endswith("ies") and len(word) > 3:
        return {word[:-3] + "y"}
    if word.endswith("s") and len(word) > 1:
        return {word[:-1]}
    return set()


def _starts(name: str) -> list[str]:
    """Where a typed prefix may begin in ``name``: the whole name and each of its words onwards
    (``phone-coaching``: ``phonecoaching``, ``coaching``)."""
    parts = [p for p in _TOPIC_WORD_BREAKS.split(name.lower()) if p]
    return ["".join(parts[i:]) for i in range(len(parts))]
