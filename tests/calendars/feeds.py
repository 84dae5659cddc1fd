"""Feeds written the way Google, Outlook, Apple and an EHR export them, for the calendar tests.

``feed(flavour, events)``: each event a dict with uid, summary, start (aware datetime, or a date
for all-day), optional minutes, rrule, exdates, recurrence_id, status, description.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")

_NY_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:{tzid}
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
DTSTART:{dst_start}
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
DTSTART:{std_start}
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
"""

FLAVOURS = ("google", "outlook", "apple", "ehr")
_HEAD = {
    "google": "PRODID:-//Google Inc//Google Calendar 70.9054//EN\nX-WR-TIMEZONE:America/New_York",
    "outlook": "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\nMETHOD:PUBLISH",
    "apple": "PRODID:-//Apple Inc.//macOS 14.0//EN\nX-WR-CALNAME:Clinic",
    "ehr": "PRODID:-//Practice Suite//Client Calendar 2.1//EN\nX-WR-CALNAME:Ana's sessions",
}
_TZID = {"google": "America/New_York", "outlook": "Eastern Standard Time",
         "apple": "America/New_York", "ehr": None}


def _stamp(moment: datetime, tzid: str | None) -> tuple[str, str]:
    """(parameters, value) of a date-time property in the flavour's style."""
    if tzid is None:
        return "", moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f";TZID={tzid}", moment.astimezone(NY).strftime("%Y%m%dT%H%M%S")


def _fold(line: str) -> list[str]:
    """RFC 5545 folding at 75 octets, as Outlook writes it."""
    out = []
    while len(line) > 75:
        out.append(line[:75])
        line = " " + line[75:]
    return [*out, line]


def event_lines(flavour: str, e: dict) -> list[str]:
    tzid = _TZID[flavour]
    lines = ["BEGIN:VEVENT", f"UID:{e['uid']}", "DTSTAMP:20261020T120000Z"]
    start = e["start"]
    if isinstance(start, date) and not isinstance(start, datetime):
        lines += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{start + timedelta(days=1):%Y%m%d}"]
    elif e.get("floating"):
        lines += [f"DTSTART:{start:%Y%m%dT%H%M%S}", f"DURATION:PT{e.get('minutes', 50)}M"]
    else:
        params, value = _stamp(start, tzid)
        end = start + timedelta(minutes=e.get("minutes", 50))
        end_params, end_value = _stamp(end, tzid)
        lines += [f"DTSTART{params}:{value}", f"DTEND{end_params}:{end_value}"]
    if "recurrence_id" in e:
        params, value = _stamp(e["recurrence_id"], tzid)
        lines.append(f"RECURRENCE-ID{params}:{value}")
    if "rrule" in e:
        lines.append(f"RRULE:{e['rrule']}")
    for excluded in e.get("exdates", ()):
        params, value = _stamp(excluded, tzid)
        lines.append(f"EXDATE{params}:{value}")
    lines.append(f"SUMMARY:{e['summary']}")
    if "description" in e:
        lines.append(f"DESCRIPTION:{e['description']}")
    if "status" in e:
        lines.append(f"STATUS:{e['status']}")
    lines.append("END:VEVENT")
    return lines


def feed(flavour: str, events: list[dict]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", *_HEAD[flavour].split("\n"), "CALSCALE:GREGORIAN"]
    tzid = _TZID[flavour]
    if tzid is not None:
        lines += _NY_VTIMEZONE.format(
            tzid=tzid,
            dst_start="16010311T020000" if flavour == "outlook" else "20070311T020000",
            std_start="16011104T020000" if flavour == "outlook" else "20071104T020000",
        ).strip().split("\n")
    for e in events:
        lines += event_lines(flavour, e)
    lines.append("END:VCALENDAR")
    if flavour == "outlook":
        lines = [part for line in lines for part in _fold(line)]
    newline = "\n" if flavour == "apple" else "\r\n"  # Apple's exports are seen with bare LF too
    return (newline.join(lines) + newline).encode()
