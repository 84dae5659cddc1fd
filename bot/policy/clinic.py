"""The clinic's policy, as validated values. Parsing and validation live in ``validation.py``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

import holidays as holidays_lib

Role = Literal["clinician", "supervisor", "front_desk", "admin"]
ROLES: tuple[Role, ...] = ("clinician", "supervisor", "front_desk", "admin")

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index == date.weekday()


@dataclass(frozen=True)
class DailyWindow:
    """A span of local wall-clock time within one day, ``opens`` < ``closes``."""

    opens: time
    closes: time

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


@dataclass(frozen=True)
class HolidayCalendar:
    country: str | None = None
    subdivision: str | None = None
    extra: frozenset[date] = frozenset()

    @cached_property
    def _calendar(self) -> holidays_lib.HolidayBase | None:
        if not self.country:
            return None
        return holidays_lib.country_holidays(self.country, subdiv=self.subdivision)

    def is_closed(self, day: date) -> bool:
        """True on a public holiday of the clinic's country or one of its extra closures."""
        if day in self.extra:
            return True
        cal = self._calendar
        return cal is not None and day in cal

    def name_of(self, day: date) -> str | None:
        if day in self.extra:
            return "clinic closure"
        cal = self._calendar
        return cal.get(day) if cal is not None else None


@dataclass(frozen=True)
class Clinic:
    name: str
    timezone: ZoneInfo
    hours: Mapping[int, DailyWindow]  # date.weekday() -> hours; absent days are closed
    holidays: HolidayCalendar = field(default_factory=HolidayCalendar)
    emergency: str = "If this is an emergency, hang up and dial 911."
    after_hours_contact: str | None = None  # who clients reach after hours, e.g. a crisis line
    phone_region: str = "US"  # default region for numbers written without +country
    phone: str | None = None  # E.164: the callback number the scripts give; None: a prompt

    def hours_on(self, day: date) -> DailyWindow | None:
        """The clinic's opening hours on a local date, None when closed (weekend, holiday)."""
        if self.holidays.is_closed(day):
            return None
        return self.hours.get(day.weekday())


@dataclass(frozen=True)
class CallbackPolicy:
    turnaround_hours: float | None = 24  # clock hours; days closed all day do not count
    operating_hours_only: bool = True
    require_voicemail: bool = False
    window: DailyWindow | None = None
    remind_before: tuple[timedelta, ...] = (timedelta(hours=4), timedelta(hours=1))


@dataclass(frozen=True)
class ConfirmBy:
    """A weekly deadline such as "friday 17:00": the next such moment after a decision."""

    weekday: int  # date.weekday()
    at: time

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {self.at:%H:%M}"


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class NoShowPolicy:
    wait_minutes: int = 20
    closure_warning_after: int = 2
    confirm_by: ConfirmBy = ConfirmBy(weekday=4, at=time(17, 0))
    late_fee: bool = True  # a missed session is charged: said in the voicemail, written in the note


@dataclass(frozen=True)
class ApprovalPolicy:
    closure_warning: str = "supervisor"  # "supervisor" (the clinician's own) or a Slack user id
    phone_coaching: str | None = None  # Slack user id of the DBT phone-coaching approver
    remind_after_business_hours: float = 4
    backup: str | None = None  # told when a request waits too long
    backup_may_decide: bool = False  # True: the backup may decide once the request is handed over


@dataclass(frozen=True)
class ReportsPolicy:
    weekly_digest: bool = True  # each supervisor's team report of the past week, by DM


@dataclass(frozen=True)
class TeamMember:
    slack_id: str
    role: Role
    first_name: str
    supervisor: str | None = None


@dataclass(frozen=True)
class CalendarFeed:
    """One iCalendar feed of appointments (issue 14): a secret URL in ``url_env`` or a ``file``.

    ``name`` is what admins see and logs carry; the URL itself is never shown. ``client_code``'s
    group 1 is the client code, searched in SUMMARY, then DESCRIPTION. ``clinician``: None, each
    client's clinician on file.
    """

    name: str
    client_code: re.Pattern[str]
    url_env: str | None = None
    file: str | None = None
    clinician: str | None = None
    every: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class ClinicPolicy:
    clinic: Clinic
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)
    no_show: NoShowPolicy = field(default_factory=NoShowPolicy)
    approvals: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    reports: ReportsPolicy = field(default_factory=ReportsPolicy)
    team: tuple[TeamMember, ...] = ()
    scripts: Mapping[str, str] = field(default_factory=dict)
    calendars: tuple[CalendarFeed, ...] = ()

    def member(self, slack_id: str) -> TeamMember | None:
        return next((m for m in self.team if m.slack_id == slack_id), None)
