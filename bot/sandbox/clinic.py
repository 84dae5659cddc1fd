"""The sandbox's sample clinic: a policy with a team, synthetic clients, and a day's schedule.

Everything here is invented. The phone numbers are in the 555-01xx range reserved for fiction;
the names are made up. The clinic's day is Tuesday 17 November 2026 (no holiday near it) and the
sandbox starts at 09:40 clinic time, a few minutes before the first appointment's chase.

Besides the appointments the front desk types, the clinic's practice-management system publishes
a calendar feed (``FEED_EVENTS``): an EHR-style export with a client ID in each description and
no names, written as a file the bot reads (``calendars:`` in the policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("America/New_York")
START = datetime(2026, 11, 17, 9, 40, tzinfo=TIMEZONE)

POLICY = {
    "clinic": {
        "name": "Riverside Counseling",
        "phone": "+12155550100",
        "timezone": "America/New_York",
        "hours": {day: "09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": {"country": "US", "subdivision": "PA", "extra": ["2026-12-24"]},
        "emergency": "If this is an emergency, hang up and dial 911.",
        "after_hours_contact": "Crisis line 988, or the on-call clinician at (215) 555-0199",
    },
    "callbacks": {"turnaround_hours": 24, "operating_hours_only": True,
                  "require_voicemail": False, "window": None, "remind_before": ["4h", "1h"]},
    "no_show": {"wait_minutes": 20, "closure_warning_after": 2, "confirm_by": "friday 17:00"},
    "approvals": {"closure_warning": "supervisor", "phone_coaching": "U0BEDICS",
                  "remind_after_business_hours": 4, "backup": "U0MORGAN"},
    "team": [
        {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
        {"slack_id": "U0BEDICS", "role": "supervisor", "first_name": "Bedics"},
        {"slack_id": "U0MORGAN", "role": "supervisor", "first_name": "Morgan"},
        {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
        {"slack_id": "U0BEN", "role": "clinician", "first_name": "Ben", "supervisor": "U0JAMIE"},
        {"slack_id": "U0RIVER", "role": "clinician", "first_name": "River",
         "supervisor": "U0BEDICS"},
        {"slack_id": "U0SAM", "role": "front_desk", "first_name": "Sam"},
        {"slack_id": "U0LEE", "role": "admin", "first_name": "Lee"},
    ],
    # the practice system's calendar export; the file is written in the sandbox's own folder
    "calendars": [
        {"name": "front-office", "file": "riverside-calendar.ics",
         "client_code": r"Client ID: ([A-Z]-\d{4})", "every": "5m"},
    ],
}

# What each person is for, shown by the sandbox's `team`.
DUTIES = {
    "U0JAMIE": "supervises Ana and Ben; approves their closure warnings",
    "U0BEDICS": "supervises River; approves DBT phone coaching",
    "U0MORGAN": "clinical director; the backup when an approver does not answer",
    "U0ANA": "clinician",
    "U0BEN": "clinician",
    "U0RIVER": "clinician",
    "U0SAM": "front desk: logs missed calls, marks arrivals",
    "U0LEE": "clinic admin",
}

_HEADER = (
    "code,clinician,preferred_name,may_call,preferred_phone,cell,home,work,do_not_call,"
    "do_not_call_reason,voicemail_ok,clinic_name_ok,earliest,latest,third_party_name,"
    "third_party_written_permission,status"
)


@dataclass(frozen=True)
class SampleClient:
    code: str
    row: str  # the clients-CSV row after the code
    shows: str  # what this client demonstrates (for the sandbox's `clients`)


CLIENTS: tuple[SampleClient, ...] = (
    SampleClient("C-1001", "U0ANA,Robin,yes,cell,2155550101,,,,,cell,yes,,,,,active",
                 "OK to call: cell, voicemail and clinic name allowed; appointment 13:00"),
    SampleClient("C-1002", "U0ANA,Alex,yes,home,,2155550102,2155550112,work,"
                           "Employer must not know,,no,,,,,active",
                 "home only, no voicemail; work number is do-not-call; appointment 09:45"),
    SampleClient("C-1003", "U0ANA,Jordan,yes,cell,2155550103,,,,,cell,no,17:30,20:00,,,active",
                 "Not now: calls only 17:30-20:00, after the clinic closes (check the hours)"),
    SampleClient("C-1004", "U0ANA,Casey,no,,2155550104,,,,,,,,,,,active",
                 "Do not call: the client refused phone contact"),
    SampleClient("C-1005", "U0ANA,Dana,,,,,,,,,,,,,,active",
                 "No consent on file yet (try `consent C-1005`)"),
    SampleClient("C-1006", "U0BEN,Taylor,yes,cell,2155550106,,,,,cell,no,,,,,active",
                 "voicemail without the clinic's name; missed call yesterday; appt 10:00"),
    SampleClient("C-1007", "U0BEN,Quinn,yes,cell,2155550107,2155550117,,,,cell;home,yes,,,"
                           "Pat Lee,yes,active",
                 "a third party with written permission; DBT coaching requested yesterday"),
    SampleClient("C-1008", "U0BEN,Riley,yes,home,,2155550108,,,,home,no,,,,,former",
                 "former client: file closed; a call from them is returned first name only"),
    SampleClient("C-1009", "U0BEN,Avery,,,2155550109,,,,,,,,,,,intake",
                 "intake not complete: the clinic does not reach out (try `missed C-1009`)"),
    SampleClient("C-1010", "U0RIVER,Drew,yes,cell,2155550110,2155550120,,home,"
                           "Partner checks the home phone,,no,,,,,active",
                 "home is do-not-call; cell allowed but no voicemail; appointment 11:00"),
    SampleClient("C-1011", "U0RIVER,Emery,yes,cell,2155550111,,,,,cell,yes,08:00,12:00,,,active",
                 "calls only 08:00-12:00"),
    SampleClient("C-1012", "U0RIVER,Finley,no,,,,,,,,,,,,,closed",
                 "closed file"),
    SampleClient("C-1013", "U0ANA,Harper,yes,cell,2155550113,,,,,cell,no,,,,,active",
                 "missed last week's session; appointment 10:30 (a 2nd no-show asks Jamie)"),
    SampleClient("C-1014", "U0ANA,Kai,yes,work,,,2155550114,,,work,no,09:00,17:00,,,active",
                 "work number only, office hours"),
    SampleClient("C-1015", "U0BEN,Logan,yes,cell,2155550115,2155550125,,,,cell,yes,,,,,active",
                 "run-in documented last week; appointment 14:00"),
    SampleClient("C-1016", "U0BEN,Parker,yes,home,,2155550116,,,,home,no,,,Sam Doe,no,active",
                 "a third party named but without written permission"),
    SampleClient("C-1017", "U0RIVER,Reese,,,2155550118,,,,,,,,,,,active",
                 "numbers on file but never asked about calls"),
    SampleClient("C-1018", "U0RIVER,Sage,yes,cell,2155550119,2155550129,2155550139,"
                           "home;work,Lives with family; work unaware,cell,no,,,,,active",
                 "cell only: home and work are do-not-call"),
    SampleClient("C-1019", "U0ANA,Skyler,yes,cell,2155550121,,,,,cell,yes,10:00,16:00,,,active",
                 "calls only 10:00-16:00; appointment 15:00"),
    SampleClient("C-1020", ",Blake,,,,,,,,,,,,,,prospect",
                 "potential client with nothing recorded"),
)

CLIENTS_CSV = "\n".join([_HEADER, *(f"{c.code},{c.row}" for c in CLIENTS)]) + "\n"

# Today's schedule (clinic time): (client, HH:MM, minutes)
TODAY = (
    ("C-1002", "09:45", 50),
    ("C-1006", "10:00", 50),
    ("C-1013", "10:30", 50),
    ("C-1010", "11:00", 50),
    ("C-1001", "13:00", 50),
    ("C-1015", "14:00", 50),
    ("C-1019", "15:00", 50),
)

# Before the sandbox starts (clinic time), so there is history to see.
LAST_WEEK_NO_SHOW = ("C-1013", datetime(2026, 11, 10, 11, 0, tzinfo=TIMEZONE))
MISSED_CALLS = (  # (when, client code or phone, voicemail left, logged by)
    (datetime(2026, 11, 16, 15, 10, tzinfo=TIMEZONE), "C-1006", True, "U0SAM"),
    (datetime(2026, 11, 17, 9, 5, tzinfo=TIMEZONE), "+12155550177", True, "U0SAM"),
)
COACHING_REQUEST = (datetime(2026, 11, 16, 16, 0, tzinfo=TIMEZONE), "C-1007", "U0BEN")
RUN_IN = (datetime(2026, 11, 12, 12, 15, tzinfo=TIMEZONE), "C-1015", "U0BEN",
          "coffee shop on Main St")

# The calendar feed (clinic time, days after the session's day): (UID, day, HH:MM, minutes,
# SUMMARY, DESCRIPTION, status). Lunch and the staff meeting carry no client ID (ignored); C-1099
# is not on file (reported to the admin by code); C-1018's session is cancelled.
FEED_EVENTS = (
    ("ehr-5101@riverside", 0, "11:30", 50, "Individual session", "Client ID: C-1011", None),
    ("ehr-5102@riverside", 0, "16:00", 50, "Individual session", "Client ID: C-1014", None),
    ("ehr-5103@riverside", 1, "10:00", 50, "Individual session", "Client ID: C-1003", None),
    ("ehr-5104@riverside", 1, "12:00", 60, "Lunch", "", None),
    ("ehr-5105@riverside", 1, "14:00", 90, "Intake", "Client ID: C-1099", None),
    ("ehr-5106@riverside", 1, "15:00", 50, "Individual session", "Client ID: C-1018",
     "CANCELLED"),
    ("ehr-5107@riverside", 2, "09:00", 60, "Staff meeting", "", None),
)
# A weekly session on the session's weekday, begun the week before, eight times.
FEED_WEEKLY = ("ehr-series-17@riverside", "13:30", 50, "Individual session",
               "Client ID: C-1017")
