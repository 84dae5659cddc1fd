"""Validation of the clinic policy mapping: every mistake is reported at its exact key."""

from __future__ import annotations

import copy
from datetime import date, time, timedelta
from typing import Any

import pytest

from bot.policy.clinic import (
    ApprovalPolicy,
    CallbackPolicy,
    ConfirmBy,
    DailyWindow,
    NoShowPolicy,
    TeamMember,
)
from bot.policy_file.validation import PolicyError, PolicyInvalid, parse_policy

TEAM = [
    {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
    {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
    {"slack_id": "U0DESK", "role": "front_desk", "first_name": "Sam"},
    {"slack_id": "W0ADMIN", "role": "admin", "first_name": "Lee"},
]
BASE: dict[str, Any] = {
    "clinic": {"name": "Great Agency", "timezone": "America/New_York"},
    "team": TEAM,
}


def policy_with(**sections: Any) -> dict[str, Any]:
    """BASE with whole sections replaced; a ``clinic`` dict is merged into BASE's clinic."""
    data = copy.deepcopy(BASE)
    if isinstance(sections.get("clinic"), dict):
        data["clinic"] = {**data["clinic"], **sections.pop("clinic")}
    data.update(sections)
    return data


def member(slack_id: str, role: str, **more: Any) -> dict[str, Any]:
    return {"slack_id": slack_id, "role": role, "first_name": "Pat", **more}


def errors_of(data: object) -> list[PolicyError]:
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(data)
    return caught.value.errors


def test_base_policy_is_valid() -> None:
    policy = parse_policy(policy_with())
    assert policy.member("U0ANA") == TeamMember("U0ANA", "clinician", "Ana", "U0JAMIE")


# (overrides, the one error's path, a fragment of its message naming what is allowed)
INVALID = {
    "unknown top-level key": ({"callback": {}}, "callback", "did you mean 'callbacks'?"),
    "clinic null": (
        {"clinic": None},
        "clinic",
        "must be a mapping with the keys name, timezone",
    ),
    "clinic.name empty": ({"clinic": {"name": "  "}}, "clinic.name", "non-empty text"),
    "clinic.name not text": ({"clinic": {"name": 12}}, "clinic.name", "non-empty text"),
    "clinic unknown key": ({"clinic": {"time_zone": "UTC"}}, "clinic.time_zone", "'timezone'"),
    "unknown time zone": (
        {"clinic": {"timezone": "America/New_Yrok"}},
        "clinic.timezone",
        'did you mean "America/New_York"?',
    ),
    "time zone not a path": ({"clinic": {"timezone": "../etc"}}, "clinic.timezone", "IANA name"),
    "time zone not text": ({"clinic": {"timezone": 5}}, "clinic.timezone", "IANA time zone"),
    "hours not a span": ({"clinic": {"hours": {"mon": "9 to 5"}}}, "clinic.hours.mon", "HH:MM"),
    "hours closes first": (
        {"clinic": {"hours": {"mon": "17:00-09:00"}}},
        "clinic.hours.mon",
        "closes before it opens",
    ),
    "hours empty span": (
        {"clinic": {"hours": {"tue": "09:00-09:00"}}},
        "clinic.hours.tue",
        "HH:MM",
    ),
    "hours hour 24": ({"clinic": {"hours": {"wed": "09:00-24:00"}}}, "clinic.hours.wed", "HH:MM"),
    "hours minute 60": ({"clinic": {"hours": {"thu": "09:60-17:00"}}}, "clinic.hours.thu", "HH:MM"),
    "hours as number": ({"clinic": {"hours": {"fri": 540}}}, "clinic.hours.fri", "in quotes"),
    "unknown weekday": (
        {"clinic": {"hours": {"monday": "09:00-17:00"}}},
        "clinic.hours.monday",
        "did you mean 'mon'?",
    ),
    "never open": ({"clinic": {"hours": {"sat": None}}}, "clinic.hours", "at least one day"),
    "hours not a mapping": ({"clinic": {"hours": ["mon"]}}, "clinic.hours", "mon, tue, wed"),
    "unknown country": (
        {"clinic": {"holidays": {"country": "XX"}}},
        "clinic.holidays.country",
        "such as US, CA or GB",
    ),
    "country read as false": (
        {"clinic": {"holidays": {"country": False}}},
        "clinic.holidays.country",
        "in quotes",
    ),
    "unknown subdivision": (
        {"clinic": {"holidays": {"country": "US", "subdivision": "XY"}}},
        "clinic.holidays.subdivision",
        "PA",
    ),
    "subdivision without country": (
        {"clinic": {"holidays": {"subdivision": "PA"}}},
        "clinic.holidays.subdivision",
        "country",
    ),
    "extra date malformed": (
        {"clinic": {"holidays": {"extra": ["2026-12-24", "24/12/2026"]}}},
        "clinic.holidays.extra[1]",
        "YYYY-MM-DD",
    ),
    "extra date impossible": (
        {"clinic": {"holidays": {"extra": ["2026-02-30"]}}},
        "clinic.holidays.extra[0]",
        "YYYY-MM-DD",
    ),
    "extra not a list": (
        {"clinic": {"holidays": {"extra": "2026-12-24"}}},
        "clinic.holidays.extra",
        "list of dates",
    ),
    "emergency not text": ({"clinic": {"emergency": None}}, "clinic.emergency", "non-empty text"),
    "after-hours contact empty": (
        {"clinic": {"after_hours_contact": "  "}},
        "clinic.after_hours_contact",
        "non-empty text",
    ),
    "after-hours contact not text": (
        {"clinic": {"after_hours_contact": 988}},
        "clinic.after_hours_contact",
        "non-empty text",
    ),
    "after-hours contact too long": (
        {"clinic": {"after_hours_contact": "Call " + "9" * 300}},
        "clinic.after_hours_contact",
        "keep it to 300 characters",
    ),
    "turnaround zero": (
        {"callbacks": {"turnaround_hours": 0}},
        "callbacks.turnaround_hours",
        "number of hours greater than 0",
    ),
    "turnaround text": (
        {"callbacks": {"turnaround_hours": "24"}},
        "callbacks.turnaround_hours",
        "greater than 0",
    ),
    "turnaround infinite": (
        {"callbacks": {"turnaround_hours": float("inf")}},
        "callbacks.turnaround_hours",
        "greater than 0",
    ),
    "001: the old business-hours key is refused, naming the new one": (
        {"callbacks": {"turnaround_business_hours": 24}},
        "callbacks.turnaround_business_hours",
        "now turnaround_hours, and it counts clock hours",
    ),
    "001: the old key is refused even when null": (
        {"callbacks": {"turnaround_business_hours": None}},
        "callbacks.turnaround_business_hours",
        "turnaround_hours: 24",
    ),
    "flag not boolean": (
        {"callbacks": {"operating_hours_only": "yes"}},
        "callbacks.operating_hours_only",
        "true or false",
    ),
    "require_voicemail number": (
        {"callbacks": {"require_voicemail": 1}},
        "callbacks.require_voicemail",
        "true or false",
    ),
    "window malformed": ({"callbacks": {"window": "8-9"}}, "callbacks.window", "HH:MM-HH:MM"),
    "remind_before item": (
        {"callbacks": {"remind_before": ["4h", "1 hour"]}},
        "callbacks.remind_before[1]",
        '"1h30m"',
    ),
    "remind_before zero": (
        {"callbacks": {"remind_before": ["0h"]}},
        "callbacks.remind_before[0]",
        "more than zero",
    ),
    "remind_before not list": (
        {"callbacks": {"remind_before": "4h"}},
        "callbacks.remind_before",
        "use [] for none",
    ),
    "callbacks unknown key": (
        {"callbacks": {"turnaround": 24}},
        "callbacks.turnaround",
        "'turnaround_hours'",
    ),
    "wait_minutes zero": ({"no_show": {"wait_minutes": 0}}, "no_show.wait_minutes", "at least 1"),
    "wait_minutes boolean": (
        {"no_show": {"wait_minutes": True}},
        "no_show.wait_minutes",
        "whole number",
    ),
    "wait_minutes fraction": (
        {"no_show": {"wait_minutes": 20.5}},
        "no_show.wait_minutes",
        "whole number",
    ),
    "closure_warning_after negative": (
        {"no_show": {"closure_warning_after": -1}},
        "no_show.closure_warning_after",
        "at least 1",
    ),
    "confirm_by no time": ({"no_show": {"confirm_by": "friday"}}, "no_show.confirm_by", "17:00"),
    "confirm_by bad day": (
        {"no_show": {"confirm_by": "someday 17:00"}},
        "no_show.confirm_by",
        "monday, tuesday",
    ),
    "confirm_by bad time": (
        {"no_show": {"confirm_by": "fri 25:00"}},
        "no_show.confirm_by",
        '"friday 17:00"',
    ),
    "no_show typo": ({"no_show": {"wait_minute": 20}}, "no_show.wait_minute", "'wait_minutes'"),
    "section not a mapping": ({"no_show": [20]}, "no_show", "wait_minutes, closure_warning_after"),
    "closure approver word": (
        {"approvals": {"closure_warning": "boss"}},
        "approvals.closure_warning",
        '"supervisor"',
    ),
    "closure approver off team": (
        {"approvals": {"closure_warning": "U0NOBODY"}},
        "approvals.closure_warning",
        "U0JAMIE",
    ),
    "coaching approver off team": (
        {"approvals": {"phone_coaching": "U0NOBODY"}},
        "approvals.phone_coaching",
        "not on the team",
    ),
    "coaching approver malformed": (
        {"approvals": {"phone_coaching": "bedics"}},
        "approvals.phone_coaching",
        "Slack user id",
    ),
    "backup lower case": (
        {"approvals": {"backup": "u0director"}},
        "approvals.backup",
        'did you mean "U0DIRECTOR"?',
    ),
    "backup_may_decide not a flag": (
        {"approvals": {"backup_may_decide": "yes"}},
        "approvals.backup_may_decide",
        "true or false",
    ),
    "backup_may_decide null": (
        {"approvals": {"backup_may_decide": None}},
        "approvals.backup_may_decide",
        "true or false",
    ),
    "approval nudge zero": (
        {"approvals": {"remind_after_business_hours": 0}},
        "approvals.remind_after_business_hours",
        "greater than 0",
    ),
    "approval nudge null": (
        {"approvals": {"remind_after_business_hours": None}},
        "approvals.remind_after_business_hours",
        "greater than 0",
    ),
    "team not a list": ({"team": {"U0ANA": "clinician"}}, "team", "list of people"),
    "team entry not mapping": ({"team": ["U0ANA"]}, "team[0]", "slack_id, role, first_name"),
    "slack id malformed": ({"team": [member("X0ANA", "admin")]}, "team[0].slack_id", "U or W"),
    "slack id missing": (
        {"team": [{"role": "admin", "first_name": "Lee"}]},
        "team[0].slack_id",
        "missing",
    ),
    "unknown role": ({"team": [member("U0ANA", "therapist")]}, "team[0].role", "front_desk"),
    "first name blank": (
        {"team": [{"slack_id": "U0LEE", "role": "admin", "first_name": ""}]},
        "team[0].first_name",
        "non-empty text",
    ),
    "team entry unknown key": (
        {"team": [member("U0LEE", "admin", name="Lee")]},
        "team[0].name",
        "first_name",
    ),
    "duplicate slack id": (
        {"team": [member("U0LEE", "admin"), member("U0LEE", "supervisor")]},
        "team[1].slack_id",
        "team[0]",
    ),
    "supervisor off team": (
        {"team": [member("U0JAMIE", "supervisor"), member("U0ANA", "clinician", supervisor="U0X")]},
        "team[1].supervisor",
        "U0JAMIE",
    ),
    "supervisor wrong role": (
        {
            "team": [
                member("U0DESK", "front_desk"),
                member("U0ANA", "clinician", supervisor="U0DESK"),
            ]
        },
        "team[1].supervisor",
        "supervisor or admin",
    ),
    "supervisor is self": (
        {"team": [member("U0JAMIE", "supervisor", supervisor="U0JAMIE")]},
        "team[0].supervisor",
        "supervisor or admin",
    ),
    "script not text": ({"scripts": {"voicemail": 3}}, "scripts.voicemail", "text"),
    "script blank": ({"scripts": {"voicemail": " "}}, "scripts.voicemail", "text"),
    "script name": ({"scripts": {"Voice-Mail": "Hi"}}, "scripts.Voice-Mail",
                    "did you mean 'voicemail'?"),
    "scripts not mapping": ({"scripts": ["hi"]}, "scripts", "script name to text"),
}


@pytest.mark.parametrize(("overrides", "path", "fragment"), INVALID.values(), ids=INVALID.keys())
def test_invalid_value_is_reported_at_its_key(
    overrides: dict[str, Any], path: str, fragment: str
) -> None:
    errors = errors_of(policy_with(**overrides))
    assert [e.path for e in errors] == [path], errors
    assert fragment in errors[0].message


ALL_SCRIPTS = (
    "voicemail, voicemail_caution, someone_else_answered, someone_asks, prospect_callback, "
    "identity_check, good_time, no_show_voicemail, no_show_note, closure_warning"
)
# (script overrides, the one error's path, fragments of its message): refused at load, so every
# override met at run time is valid (the CLI, serve and the sandbox all load through here)
BAD_SCRIPTS = {
    "unknown name, with the list": (
        {"voice_mail": "Hi"}, "scripts.voice_mail",
        ["no script named 'voice_mail'", "did you mean 'voicemail'?", ALL_SCRIPTS]),
    "unknown name, nothing close": (
        {"greeting": "Hi"}, "scripts.greeting", ["no script named 'greeting'", ALL_SCRIPTS]),
    "name not text": ({3: "Hi"}, "scripts.3", [ALL_SCRIPTS]),
    "unknown placeholder, with what the script offers": (
        {"voicemail": "Hi {client_last_name}"}, "scripts.voicemail",
        ["uses {client_last_name}", "it offers {client_first_name}, {clinician_first_name}, "
                                    "{from_clinic}, {callback_number}"]),
    "000/003: someone_else_answered offers no caller's name": (
        {"someone_else_answered": "It's {clinician_first_name}"}, "scripts.someone_else_answered",
        ["uses {clinician_first_name}", "it offers {client_first_name}"]),
    "bad template": ({"good_time": "Hi {client_first_name"}, "scripts.good_time",
                     ["not a valid template"]),
    "clinic name written out": (
        {"voicemail": "Hi, Great Agency here: {callback_number}"}, "scripts.voicemail",
        ["says the clinic's name 'Great Agency'", "use {from_clinic}"]),
    "clinic name, any case": (
        {"closure_warning": "gREAT aGENCY: call by {deadline}"}, "scripts.closure_warning",
        ["use {from_clinic}"]),
    "clinic name where no placeholder may give it": (
        {"someone_asks": "Great Agency cannot comment."}, "scripts.someone_asks",
        ["must never say"]),
    "main number written out": (
        {"voicemail": "Call (215) 555-0100."}, "scripts.voicemail", ["use {callback_number}"]),
}


@pytest.mark.parametrize(("scripts", "path", "fragments"), BAD_SCRIPTS.values(),
                         ids=BAD_SCRIPTS.keys())
def test_bad_script_overrides_are_refused_at_their_key(
    scripts: dict[Any, str], path: str, fragments: list[str]
) -> None:
    data = policy_with(clinic={"phone": "+12155550100"}, scripts=scripts)
    errors = errors_of(data)
    assert [e.path for e in errors] == [path], errors
    for fragment in fragments:
        assert fragment in errors[0].message


def test_scripts_only_the_team_reads_may_name_the_clinic() -> None:
    scripts = {"voicemail_caution": "Great Agency asks: be careful on 555-0100.",
               "no_show_note": "GREAT AGENCY: no-show on {appointment_time}."}
    data = policy_with(clinic={"phone": "+12155550100"}, scripts=scripts)
    assert parse_policy(data).scripts == scripts


def test_every_bad_override_is_reported_at_once_even_with_a_bad_clinic() -> None:
    data = policy_with(clinic={"timezone": "Mars/Olympus"}, scripts={
        "voice_mail": "Hi", "good_time": "{when}?", "voicemail": "Great Agency calling.",
        "someone_asks": "Fine."})
    assert sorted(e.path for e in errors_of(data)) == [
        "clinic.timezone", "scripts.good_time", "scripts.voice_mail", "scripts.voicemail"]


@pytest.mark.parametrize(
    ("missing", "path"), [("name", "clinic.name"), ("timezone", "clinic.timezone")]
)
def test_clinic_name_and_timezone_are_required(missing: str, path: str) -> None:
    data = policy_with()
    del data["clinic"][missing]
    errors = errors_of(data)
    assert [(e.path, e.message.split(";")[0]) for e in errors] == [(path, "missing")]


def test_policy_without_clinic_is_refused() -> None:
    assert [e.path for e in errors_of({"team": []})] == ["clinic"]


@pytest.mark.parametrize("data", [None, [], "clinic: x", 3])
def test_top_level_must_be_a_mapping(data: object) -> None:
    errors = errors_of(data)
    assert [e.path for e in errors] == ["(file)"]
    assert ("clinic, callbacks, no_show, approvals, reports, team, scripts"
            in errors[0].message)


def test_all_errors_are_reported_at_once() -> None:
    data = {
        "clinic": {
            "name": "",
            "timezone": "Mars/Olympus",
            "hours": {"mon": "17:00-09:00", "funday": "09:00-10:00"},
            "holidays": {"country": "XX", "extra": ["tomorrow"]},
        },
        "callbacks": {"remind_before": ["4h", "soon", "1h"], "window": "late"},
        "no_show": {"wait_minutes": 0, "closure_warning_after": 0, "confirm_by": "payday"},
        "approvals": {"phone_coaching": "U0NOBODY", "closure_warning": 7},
        "team": [
            member("U0ANA", "clinician", supervisor="U0DESK"),
            member("U0DESK", "front_desk"),
            member("U0ANA", "wizard"),
        ],
        "scripts": {"voicemail": None},
        "extras": True,
    }
    assert sorted(e.path for e in errors_of(data)) == sorted(
        [
            "clinic.name",
            "clinic.timezone",
            "clinic.hours.mon",
            "clinic.hours.funday",
            "clinic.holidays.country",
            "clinic.holidays.extra[0]",
            "callbacks.remind_before[1]",
            "callbacks.window",
            "no_show.wait_minutes",
            "no_show.closure_warning_after",
            "no_show.confirm_by",
            "approvals.closure_warning",
            "approvals.phone_coaching",
            "team[2].role",
            "team[2].slack_id",
            "team[0].supervisor",
            "scripts.voicemail",
            "extras",
        ]
    )


def test_errors_print_one_per_line_as_path_and_message() -> None:
    error = PolicyError("team[2].supervisor", "U0X is not on the team")
    assert str(error) == "team[2].supervisor: U0X is not on the team"
    invalid = PolicyInvalid([error, PolicyError("clinic.name", "missing")])
    assert str(invalid).splitlines() == [
        "team[2].supervisor: U0X is not on the team",
        "clinic.name: missing",
    ]


def test_left_out_sections_take_the_dataclass_defaults() -> None:
    policy = parse_policy({"clinic": {"name": "Great Agency", "timezone": "America/Chicago"}})
    assert policy.callbacks == CallbackPolicy()
    assert policy.no_show == NoShowPolicy()
    assert policy.approvals == ApprovalPolicy()
    assert policy.team == ()
    assert policy.scripts == {}
    assert policy.clinic.hours == {d: DailyWindow(time(9), time(17)) for d in range(5)}
    assert policy.clinic.holidays.country is None
    assert policy.clinic.phone_region == "US"
    assert str(policy.clinic.timezone) == "America/Chicago"


def test_null_sections_take_the_defaults_too() -> None:
    data = policy_with(callbacks=None, no_show=None, approvals=None, team=None, scripts=None)
    policy = parse_policy(data)
    assert (policy.callbacks, policy.no_show, policy.team) == (CallbackPolicy(), NoShowPolicy(), ())


def test_given_values_are_used() -> None:
    policy = parse_policy(
        policy_with(
            clinic={
                "hours": {"tue": "08:30-12:00", "sat": "10:00-14:00"},
                "emergency": "Dial 999.",
                "after_hours_contact": "  Samaritans 116 123  ",
            },
            callbacks={
                "turnaround_hours": 8.5,
                "operating_hours_only": False,
                "require_voicemail": True,
                "window": "08:00-09:00",
                "remind_before": ["1h30m", "90m", "15m"],
            },
            no_show={"wait_minutes": 15, "closure_warning_after": 3, "confirm_by": "Thu 9:30"},
            approvals={
                "closure_warning": "W0ADMIN",
                "phone_coaching": "U0JAMIE",
                "remind_after_business_hours": 2,
                "backup": "U0JAMIE",
                "backup_may_decide": True,
            },
            scripts={"voicemail": "Hello."},
        )
    )
    assert policy.clinic.hours == {
        1: DailyWindow(time(8, 30), time(12)),
        5: DailyWindow(time(10), time(14)),
    }
    assert policy.clinic.emergency == "Dial 999."
    assert policy.clinic.after_hours_contact == "Samaritans 116 123"
    assert policy.callbacks == CallbackPolicy(
        turnaround_hours=8.5,
        operating_hours_only=False,
        require_voicemail=True,
        window=DailyWindow(time(8), time(9)),
        remind_before=(timedelta(minutes=90), timedelta(minutes=90), timedelta(minutes=15)),
    )
    assert policy.no_show == NoShowPolicy(15, 3, ConfirmBy(weekday=3, at=time(9, 30)))
    assert policy.approvals == ApprovalPolicy("W0ADMIN", "U0JAMIE", 2, "U0JAMIE", True)
    assert policy.scripts == {"voicemail": "Hello."}


def test_turnaround_may_be_null() -> None:
    policy = parse_policy(policy_with(callbacks={"turnaround_hours": None}))
    assert policy.callbacks.turnaround_hours is None


def test_the_after_hours_contact_is_optional() -> None:
    assert parse_policy(policy_with()).clinic.after_hours_contact is None
    assert parse_policy(policy_with(clinic={"after_hours_contact": None})).clinic \
        .after_hours_contact is None


def test_the_old_turnaround_key_is_reported_with_every_other_mistake() -> None:
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(policy_with(callbacks={"turnaround_business_hours": 24, "window": "8-9"}))
    assert [e.path for e in caught.value.errors] == [
        "callbacks.turnaround_business_hours", "callbacks.window"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", timedelta(hours=4)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("0h5m", timedelta(minutes=5)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_remind_before_durations(text: str, expected: timedelta) -> None:
    policy = parse_policy(policy_with(callbacks={"remind_before": [text]}))
    assert policy.callbacks.remind_before == (expected,)


@pytest.mark.parametrize("text", ["4", "h", "m", "-1h", "1.5h", "30m1h", "1h 30m", "0m", ""])
def test_malformed_durations_are_refused(text: str) -> None:
    errors = errors_of(policy_with(callbacks={"remind_before": [text]}))
    assert [e.path for e in errors] == ["callbacks.remind_before[0]"]


def test_empty_remind_before_means_no_early_reminders() -> None:
    policy = parse_policy(policy_with(callbacks={"remind_before": []}))
    assert policy.callbacks.remind_before == ()


@pytest.mark.parametrize(
    ("text", "weekday", "at"),
    [
        ("friday 17:00", 4, time(17)),
        ("Fri 17:00", 4, time(17)),
        ("MONDAY 08:05", 0, time(8, 5)),
        ("sun 0:00", 6, time(0)),
    ],
)
def test_confirm_by_accepts_full_and_short_weekdays(text: str, weekday: int, at: time) -> None:
    policy = parse_policy(policy_with(no_show={"confirm_by": text}))
    assert policy.no_show.confirm_by == ConfirmBy(weekday=weekday, at=at)


@pytest.mark.parametrize("text", ["fr 17:00", "fridays 17:00", "friday 5pm", "17:00 friday"])
def test_malformed_confirm_by_is_refused(text: str) -> None:
    assert [e.path for e in errors_of(policy_with(no_show={"confirm_by": text}))] == [
        "no_show.confirm_by"
    ]


@pytest.mark.parametrize(
    ("holidays", "country", "subdivision", "region"),
    [
        ({"country": "US", "subdivision": "PA"}, "US", "PA", "US"),
        ({"country": "us", "subdivision": "pa"}, "US", "PA", "US"),
        ({"country": "USA"}, "US", None, "US"),
        ({"country": "GB", "subdivision": "England"}, "GB", "England", "GB"),
        ({"country": "CA", "subdivision": "ON"}, "CA", "ON", "CA"),
        ({"country": None}, None, None, "US"),
    ],
)
def test_holiday_country_sets_the_calendar_and_phone_region(
    holidays: dict[str, Any], country: str | None, subdivision: str | None, region: str
) -> None:
    clinic = parse_policy(policy_with(clinic={"holidays": holidays})).clinic
    assert (clinic.holidays.country, clinic.holidays.subdivision) == (country, subdivision)
    assert clinic.phone_region == region


def test_holiday_calendar_closes_public_holidays_and_extra_dates() -> None:
    holidays = {"country": "US", "extra": ["2026-12-24", date(2026, 12, 31)]}
    calendar = parse_policy(policy_with(clinic={"holidays": holidays})).clinic.holidays
    assert calendar.extra == {date(2026, 12, 24), date(2026, 12, 31)}
    assert calendar.is_closed(date(2026, 7, 3))  # Independence Day observed
    assert not calendar.is_closed(date(2026, 7, 6))


def test_null_days_are_closed() -> None:
    hours = {"mon": "09:00-17:00", "tue": None}
    assert parse_policy(policy_with(clinic={"hours": hours})).clinic.hours == {
        0: DailyWindow(time(9), time(17))
    }


def test_backup_must_be_on_the_team() -> None:
    # Issue 5: "approver or backup not on the team: the policy check refuses the file".
    errors = errors_of(policy_with(approvals={"backup": "U0DIRECTOR"}))
    assert [e.path for e in errors] == ["approvals.backup"]
    assert "U0DIRECTOR is not on the team" in errors[0].message
    assert "add them under team" in errors[0].message


def test_backup_on_the_team_is_accepted() -> None:
    team = [*TEAM, member("U0DIRECTOR", "supervisor")]
    policy = parse_policy(policy_with(approvals={"backup": "U0DIRECTOR"}, team=team))
    assert policy.approvals.backup == "U0DIRECTOR"


# Seed 003 names who decides, so by default only the approver does; a clinic may let the backup.
BACKUP_DECIDES = {
    "003: by default only the approver decides": ({"backup": "U0DIRECTOR"}, False),
    "003: said explicitly": ({"backup": "U0DIRECTOR", "backup_may_decide": False}, False),
    "opt-in: the backup may decide": ({"backup": "U0DIRECTOR", "backup_may_decide": True}, True),
    "no backup, not deciding": ({"backup_may_decide": False}, False),
}


@pytest.mark.parametrize(("approvals", "decides"), BACKUP_DECIDES.values(), ids=BACKUP_DECIDES)
def test_backup_may_decide(approvals: dict[str, object], decides: bool) -> None:
    team = [*TEAM, member("U0DIRECTOR", "supervisor")]
    policy = parse_policy(policy_with(approvals=approvals, team=team))
    assert policy.approvals.backup_may_decide is decides


@pytest.mark.parametrize("backup", [None, "absent"])
def test_backup_may_decide_needs_a_backup(backup: str | None) -> None:
    approvals: dict[str, object] = {"backup_may_decide": True}
    if backup is None:
        approvals["backup"] = None
    errors = errors_of(policy_with(approvals=approvals))
    assert [e.path for e in errors] == ["approvals.backup_may_decide"]
    assert "approvals.backup names nobody" in errors[0].message
    assert "backup_may_decide: false" in errors[0].message


def test_backup_may_decide_is_reported_with_the_other_approval_errors() -> None:
    approvals = {"phone_coaching": "U0NOONE", "backup_may_decide": True}
    errors = errors_of(policy_with(approvals=approvals))
    assert [e.path for e in errors] == ["approvals.phone_coaching", "approvals.backup_may_decide"]


def test_every_approver_off_the_team_is_reported() -> None:
    approvals = {"closure_warning": "U0NOBODY", "phone_coaching": "U0NOONE", "backup": "U0NEVER"}
    errors = errors_of(policy_with(approvals=approvals))
    assert [e.path for e in errors] == [
        "approvals.closure_warning", "approvals.phone_coaching", "approvals.backup"
    ]


def test_approvers_are_checked_against_an_empty_team() -> None:
    errors = errors_of({**policy_with(team=[]), "approvals": {"phone_coaching": "U0BEDICS"}})
    assert [(e.path, "team is empty" in e.message) for e in errors] == [
        ("approvals.phone_coaching", True)
    ]


def test_admin_may_supervise() -> None:
    team = [member("U0LEE", "admin"), member("U0ANA", "clinician", supervisor="U0LEE")]
    assert parse_policy(policy_with(team=team)).member("U0ANA").supervisor == "U0LEE"


def test_a_broken_team_entry_still_counts_as_declared() -> None:
    # U0JAMIE's entry has a bad role; Ana's reference to U0JAMIE is not reported a second time.
    team = [member("U0JAMIE", "boss"), member("U0ANA", "clinician", supervisor="U0JAMIE")]
    assert [e.path for e in errors_of(policy_with(team=team))] == ["team[0].role"]


@pytest.mark.parametrize(
    ("holidays", "phone", "e164"),
    [
        ({"country": "US"}, "+12155550100", "+12155550100"),
        ({"country": "US"}, "(215) 555-0100", "+12155550100"),
        ({"country": "GB"}, "020 7946 0000", "+442079460000"),
        ({"country": "US"}, None, None),
    ],
)
def test_clinic_phone_is_optional_and_read_in_the_holiday_country(
    holidays: dict[str, Any], phone: str | None, e164: str | None
) -> None:
    clinic = parse_policy(policy_with(clinic={"holidays": holidays, "phone": phone})).clinic
    assert clinic.phone == e164


@pytest.mark.parametrize("phone", ["12", "call us", "+1 215 555 0100 ext. 4", True, ""])
def test_bad_clinic_phone_is_reported_at_its_key(phone: object) -> None:
    errors = errors_of(policy_with(clinic={"phone": phone}))
    assert [e.path for e in errors] == ["clinic.phone"]
    assert "phone number" in errors[0].message


# --- calendars (issue 14) -----------------------------------------------------------------------

FEED = {"name": "front-office", "url_env": "CLINIC_CALENDAR_URL",
        "client_code": r"\b([A-Z]-\d{3,4})\b"}


def feeds(*changes: dict[str, Any], drop: str | None = None) -> list[dict[str, Any]]:
    """One feed per change, each FEED with the change applied (and ``drop`` left out)."""
    return [{k: v for k, v in {**FEED, **change}.items() if k != drop} for change in changes]


# (calendars, the one error's path, a fragment of its message naming what is allowed)
BAD_CALENDARS = {
    "not a list": ({"name": "x"}, "calendars", "must be a list of feeds"),
    "feed not a mapping": (["front-office"], "calendars[0]", "must be a mapping with the keys"),
    "unknown key": (feeds({"url": "x"}), "calendars[0].url", "did you mean 'url_env'?"),
    "name missing": (feeds({}, drop="name"), "calendars[0].name", "missing; required"),
    "name with a slash": (feeds({"name": "front/office"}), "calendars[0].name",
                          "1 to 64 letters"),
    "name too long": (feeds({"name": "x" * 65}), "calendars[0].name", "1 to 64 letters"),
    "name twice": (feeds({}, {"name": "Front-Office", "url_env": "OTHER_URL"}),
                   "calendars[1].name", "already the name of calendars[0]"),
    "the URL itself in url_env": (feeds({"url_env": "https://example.org/feed.ics"}),
                                  "calendars[0].url_env", "never write the URL itself"),
    "file empty": (feeds({"file": " "}, drop="url_env"), "calendars[0].file", "non-empty text"),
    "neither url_env nor file": (feeds({}, drop="url_env"), "calendars[0]",
                                 "give either url_env"),
    "both url_env and file": (feeds({"file": "a.ics"}), "calendars[0]", "exactly one of them"),
    "clinician not an id": (feeds({"clinician": "Ana"}), "calendars[0].clinician",
                            "Slack user id"),
    "clinician not on the team": (feeds({"clinician": "U0NOBODY"}), "calendars[0].clinician",
                                  "not on the team"),
    "clinician at the front desk": (feeds({"clinician": "U0DESK"}), "calendars[0].clinician",
                                    "on the team as front desk; name a clinician or a "
                                    "supervisor"),
    "client_code missing": (feeds({}, drop="client_code"), "calendars[0].client_code",
                            "missing; required: a regular expression whose group 1"),
    "client_code not text": (feeds({"client_code": 5}), "calendars[0].client_code",
                             "regular expression in quotes"),
    "client_code too long": (feeds({"client_code": "(" + "a" * 200 + ")"}),
                             "calendars[0].client_code", "to 200 characters"),
    "client_code does not compile": (feeds({"client_code": "([A-Z]-"}),
                                     "calendars[0].client_code",
                                     "is not a valid regular expression"),
    "client_code without a group": (feeds({"client_code": r"[A-Z]-\d{4}"}),
                                    "calendars[0].client_code", "has no group"),
    "every under a minute": (feeds({"every": "30s"}), "calendars[0].every",
                             'a duration such as "4h", "90m"'),
    "every zero": (feeds({"every": "0m"}), "calendars[0].every", "more than zero"),
}


@pytest.mark.parametrize(("calendars", "path", "fragment"), BAD_CALENDARS.values(),
                         ids=BAD_CALENDARS.keys())
def test_bad_calendars_are_reported_at_their_key(calendars: object, path: str,
                                                 fragment: str) -> None:
    errors = errors_of(policy_with(calendars=calendars))
    assert [e.path for e in errors] == [path], errors
    assert fragment in errors[0].message


@pytest.mark.parametrize("sources", [{"url_env": "CLINIC_CALENDAR_URL", "file": "a.ics"}, {}],
                         ids=["both given", "neither given"])
def test_the_feed_source_is_reported_with_every_other_mistake_of_the_feed(
        sources: dict[str, str]) -> None:
    bad = [{"name": "a/b", "client_code": "[A-Z]", "every": "0m", **sources}]
    errors = errors_of(policy_with(calendars=bad))
    assert sorted(e.path for e in errors) == ["calendars[0]", "calendars[0].client_code",
                                              "calendars[0].every", "calendars[0].name"]
    assert "exactly one of them" in next(e.message for e in errors if e.path == "calendars[0]")


def test_feeds_are_read_with_their_defaults() -> None:
    policy = parse_policy(policy_with(calendars=[FEED, {
        "name": "ana", "file": "exports/ana.ics", "clinician": "U0ANA", "every": "1m",
        "client_code": r"ID (\d+)"}]))
    first, second = policy.calendars
    assert (first.url_env, first.file, first.clinician, first.every) == \
        ("CLINIC_CALENDAR_URL", None, None, timedelta(minutes=5))
    assert (second.file, second.clinician, second.every) == \
        ("exports/ana.ics", "U0ANA", timedelta(minutes=1))
    assert second.client_code.search("Session ID 42").group(1) == "42"
    assert parse_policy(policy_with(calendars=None)).calendars == ()


def test_the_default_policy_s_calendar_example_is_valid() -> None:
    """The commented example in default_policy.yaml, uncommented, is a valid feed."""
    import re
    from importlib import resources

    import yaml

    text = resources.files("bot.policy_file").joinpath("default_policy.yaml").read_text()
    example = text[text.index("# calendars:\n"):text.index("calendars: []")]
    lines = [re.sub(r"^# ?", "", line) for line in example.splitlines()]
    data = yaml.safe_load("\n".join(line for line in lines if not line.lstrip().startswith("#")))
    (feed,) = parse_policy(policy_with(**data)).calendars
    assert (feed.name, feed.url_env, feed.clinician) == ("front-office", "CLINIC_CALENDAR_URL",
                                                         "U0ANA")
