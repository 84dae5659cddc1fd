"""Leaving out, before ``icalendar`` reads a feed, the single events that clearly start outside
the window: a year of a practice's history is most of a large export, and ``icalendar`` builds
every component it is given (a 20 MB feed took most of a gigabyte and minutes).

Pure. The bytes are scanned for VEVENT blocks (lazily, a block at a time); only the head of a
block (before any nested component, such as a VALARM) is unfolded as RFC 5545 says (a line break,
CRLF or bare LF, then a space or a tab) and read for its UID, DTSTART, and whether it is part of a
series (RRULE, RDATE, EXRULE or RECURRENCE-ID). A block is left out only when:

- it is not part of a series, and no block of a series shares its UID; and
- its DTSTART date (whatever its zone, or none, or a date) is more than a day before the
  window's first UTC day or more than a day after its last one: no zone is more than 14 hours
  from UTC, so such an event cannot start inside the window.

Anything else, and anything this scan cannot read with certainty (no DTSTART, an odd value, a
folded BEGIN line), is kept for ``icalendar`` to judge. The calendar's own properties and other
components are kept byte for byte, and so are VTIMEZONE blocks, with one exception:

- a VTIMEZONE named with a Windows zone name (Outlook's "Eastern Standard Time") that gives, at
  every hour around the window, the same UTC offsets as the IANA zone ``icalendar`` maps that
  name to, is left out, so that IANA zone is used (as ``icalendar`` already does when the TZID is
  an IANA name). Outlook's definitions run from 1601, and resolving a time through one costs
  ``dateutil`` a pass over every year since: it was most of the time a feed's series took.
  A definition that differs anywhere in the window is kept and used.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dateutil.tz import tzical
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

MARGIN = timedelta(days=1)

_VEVENT = re.compile(rb"^BEGIN:VEVENT[ \t]*\r?\n.*?^END:VEVENT[ \t]*(?:\r?\n|\Z)",
                     re.MULTILINE | re.DOTALL | re.IGNORECASE)
_NESTED = re.compile(rb"^BEGIN:", re.MULTILINE | re.IGNORECASE)
_INNER_VEVENT = re.compile(rb"^BEGIN:VEVENT", re.MULTILINE | re.IGNORECASE)
_FOLD = re.compile(rb"\r?\n[ \t]")
_PROPERTY = re.compile(
    rb'^(UID|DTSTART|RRULE|RDATE|EXRULE|RECURRENCE-ID)((?:;(?:[^:"\r\n]|"[^"\r\n]*")*)?):'
    rb"([^\r\n]*)",
    re.MULTILINE | re.IGNORECASE,
)
_SERIES = frozenset({b"RRULE", b"RDATE", b"EXRULE", b"RECURRENCE-ID"})
_TZID = re.compile(rb"^TZID(?:;[^:\r\n]*)?:([^\r\n]*)", re.MULTILINE | re.IGNORECASE)
_VTIMEZONE = re.compile(rb"^BEGIN:VTIMEZONE[ \t]*\r?\n.*?^END:VTIMEZONE[ \t]*(?:\r?\n|\Z)",
                        re.MULTILINE | re.DOTALL | re.IGNORECASE)


def _blocks(data: bytes) -> Iterator[tuple[int, int, bytes | None, bytes | None, bool]]:
    """Each VEVENT block: (start, end, UID, DTSTART's date as YYYYMMDD, part of a series)."""
    for match in _VEVENT.finditer(data):
        body = data.index(b"\n", match.start()) + 1
        if _INNER_VEVENT.search(data, body, match.end()):  # an END:VEVENT missing: not judged
            yield match.start(), match.end(), None, None, False
            continue
        nested = _NESTED.search(data, body, match.end())
        head_end = nested.start() if nested else match.end()
        if data.find(b"\n ", body, head_end) >= 0 or data.find(b"\n\t", body, head_end) >= 0:
            properties = _PROPERTY.findall(_FOLD.sub(b"", data[body:head_end]))
        else:  # nothing folded: read in place
            properties = _PROPERTY.findall(data, body, head_end)
        uid: bytes | None = None
        day: bytes | None = None
        series = False
        for name, _params, value in properties:
            name = name.upper()
            if name in _SERIES:
                series = True
            elif name == b"UID":
                uid = value.strip()
            elif name == b"DTSTART":
                day = _day(value)
        yield match.start(), match.end(), uid, day, series


def _day(value: bytes) -> bytes | None:
    """The YYYYMMDD a DATE or DATE-TIME value begins with, when it is a real day."""
    digits = value.strip()[:8]
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    return digits


def drop_outside(data: bytes, start: datetime, end: datetime) -> bytes:
    """``data`` without the single events that cannot start in [``start``, ``end``) (UTC), and
    without the Windows-named zone definitions their IANA zone stands in for."""
    spans = sorted([*_events_outside(data, start, end), *_redundant_zones(data, start, end)])
    if not spans:
        return data
    pieces: list[bytes] = []
    kept_from = 0
    for begins, ends in spans:
        pieces.append(data[kept_from:begins])
        kept_from = ends
    pieces.append(data[kept_from:])
    return b"".join(pieces)


def _events_outside(data: bytes, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """One pass: the single events dated outside, kept aside (their span and UID) until every
    series' UID is known."""
    first = f"{start.date() - MARGIN:%Y%m%d}".encode()
    last = f"{end.date() + MARGIN:%Y%m%d}".encode()
    series_uids: set[bytes] = set()
    outside: list[tuple[int, int, bytes | None]] = []
    for begins, ends, uid, day, series in _blocks(data):
        if series:
            if uid is not None:
                series_uids.add(uid)
        elif day is not None and not first <= day <= last:
            outside.append((begins, ends, uid))
    return [(begins, ends) for begins, ends, uid in outside if uid not in series_uids]


# --- zone definitions an IANA zone stands in for ------------------------------------------------


def _redundant_zones(data: bytes, start: datetime, end: datetime) -> Iterator[tuple[int, int]]:
    for match in _VTIMEZONE.finditer(data):
        if _iana_stands_in(match.group(), start, end):
            yield match.span()


def _iana_stands_in(block: bytes, start: datetime, end: datetime) -> bool:
    """Whether ``block`` is a Windows-named zone its IANA zone may stand in for. It is read with
    ``dateutil`` (as ``icalendar`` reads one), not ``icalendar``: that would keep it for the
    whole process under its name, and use it for every feed after."""
    unfolded = _FOLD.sub(b"", block)
    named = _TZID.search(unfolded)
    olson = WINDOWS_TO_OLSON.get(named[1].decode("utf-8", "replace").strip().strip("/")
                                 ) if named else None
    if olson is None:
        return False
    try:
        iana = ZoneInfo(olson)
        own = tzical(io.StringIO(unfolded.decode("utf-8", "replace"))).get()
    except Exception:  # no such IANA zone here, or a definition dateutil cannot read: kept
        return False
    if own is None:
        return False
    first = (start.astimezone(iana) - MARGIN).replace(tzinfo=None, hour=0, minute=0, second=0,
                                                      microsecond=0)
    return _same_offsets(own, iana, first, (end - start).days + 3)


def _same_offsets(own: tzinfo, iana: tzinfo, first: datetime, days: int) -> bool:
    """Both zones give every wall-clock hour of ``days`` days from ``first`` the same offset:
    compared at each midnight, and hour by hour on a day whose offset changed."""
    def offsets(wall: datetime) -> tuple[timedelta | None, timedelta | None]:
        return wall.replace(tzinfo=own).utcoffset(), wall.replace(tzinfo=iana).utcoffset()

    previous: timedelta | None = None
    for n in range(days + 1):
        midnight = first + timedelta(days=n)
        mine, theirs = offsets(midnight)
        if mine != theirs:
            return False
        if previous is not None and mine != previous and any(
                a != b for a, b in (offsets(midnight - timedelta(hours=h)) for h in range(1, 24))):
            return False
        previous = mine
    return True
