"""Approvals policy: routing, who may decide, nudge and hand-over times, the closure deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.policy.approvals import (
    CLOSURE_WARNING,
    PHONE_COACHING,
    Step,
    closure_deadline,
    deciders,
    due_steps,
    hand_over_at,
    may_decide,
    route,
)
from bot.policy.clinic import ClinicPolicy
from bot.policy_file.validation import parse_policy

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")

TEAM = [
    {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
    {"slack_id": "U0BEDICS", "role": "supervisor", "first_name": "Bedics"},
    {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
    {"slack_id": "U0BO", "role": "clinician", "first_name": "Bo"},
    {"slack_id": "U0DIRECTOR", "role": "admin", "first_name": "Dana"},
]


def make_policy(
    approvals: dict[str, Any] | None = None,
    *,
    timezone: str = "America/New_York",
    country: str = "US",
    extra: list[str] | None = None,
    confirm_by: str = "friday 17:00",
) -> ClinicPolicy:
    return parse_policy(
        {
            "clinic": {
                "name": "Great Agency",
                "timezone": timezone,
                "holidays": {"country": country, "extra": extra or []},
            },
            "no_show": {"confirm_by": confirm_by},
            "approvals": approvals
            if approvals is not None
            else {
                "closure_warning": "supervisor",
                "phone_coaching": "U0BEDICS",
                "remind_after_business_hours": 4,
                "backup": "U0DIRECTOR",
            },
            "team": TEAM,
        }
    )


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


# --- routing -----------------------------------------------------------------------------------


# Seed 003 names who decides: "check with Jamie first" (the clinician's supervisor) before a
# closure warning; phone coaching only with Dr. Bedics' approval. The backup covers for a named
# approver who does not answer; it never stands in for a missing one.
ROUTES = {
    "003: closure warning: the clinician's own supervisor (Jamie)": (
        {"closure_warning": "supervisor", "backup": "U0DIRECTOR"},
        CLOSURE_WARNING,
        "U0ANA",
        ("U0JAMIE", "U0DIRECTOR"),
    ),
    "003: closure warning: the one approver the policy names": (
        {"closure_warning": "U0BEDICS", "backup": "U0DIRECTOR"},
        CLOSURE_WARNING,
        "U0ANA",
        ("U0BEDICS", "U0DIRECTOR"),
    ),
    "003: no supervisor named: nobody, the backup does not stand in": (
        {"closure_warning": "supervisor", "backup": "U0DIRECTOR"},
        CLOSURE_WARNING,
        "U0BO",
        (None, None),
    ),
    "003: no supervisor named, even where the backup may decide: nobody": (
        {"closure_warning": "supervisor", "backup": "U0DIRECTOR", "backup_may_decide": True},
        CLOSURE_WARNING,
        "U0BO",
        (None, None),
    ),
    "003: clinician not on the team: nobody": (
        {"closure_warning": "supervisor", "backup": "U0DIRECTOR"},
        CLOSURE_WARNING,
        "U0GONE",
        (None, None),
    ),
    "003: client without a clinician: nobody": (
        {"closure_warning": "supervisor", "backup": "U0DIRECTOR"},
        CLOSURE_WARNING,
        None,
        (None, None),
    ),
    "003: no supervisor and no backup: nobody": (
        {"closure_warning": "supervisor"},
        CLOSURE_WARNING,
        "U0BO",
        (None, None),
    ),
    "003: coaching: the named approver (Dr. Bedics)": (
        {"phone_coaching": "U0BEDICS", "backup": "U0DIRECTOR"},
        PHONE_COACHING,
        "U0ANA",
        ("U0BEDICS", "U0DIRECTOR"),
    ),
    "003: coaching: no approver named: nobody": (
        {"backup": "U0DIRECTOR"}, PHONE_COACHING, "U0ANA", (None, None)
    ),
    "backup equal to the approver is no backup": (
        {"phone_coaching": "U0DIRECTOR", "backup": "U0DIRECTOR"},
        PHONE_COACHING,
        "U0ANA",
        ("U0DIRECTOR", None),
    ),
}


@pytest.mark.parametrize(
    ("approvals", "kind", "clinician", "expected"), ROUTES.values(), ids=ROUTES
)
def test_route(
    approvals: dict[str, Any], kind: str, clinician: str | None, expected: tuple
) -> None:
    routing = route(make_policy(approvals), kind, clinician=clinician)
    assert (routing.approver, routing.backup) == expected
    assert routing.possible == (expected[0] is not None)
    assert routing.reasons


# clinician -> what the reason names and the fixes it offers (seed 003: a named person decides)
NOBODY = {
    "003: no supervisor on the team": (
        "U0BO", "<@U0BO> has no supervisor named on the team", "add a supervisor to their team"
    ),
    "003: clinician not on the team": (
        "U0GONE", "<@U0GONE> is not on the clinic's team", "add them to the team"
    ),
    "003: no clinician on file": (
        None, "The client has no clinician on file", "record the client's clinician"
    ),
}


@pytest.mark.parametrize(("clinician", "names", "fix"), NOBODY.values(), ids=NOBODY)
def test_route_says_what_to_fix_when_nobody_is_named(
    clinician: str | None, names: str, fix: str
) -> None:
    policy = make_policy({"closure_warning": "supervisor", "backup": "U0DIRECTOR"})
    [reason] = route(policy, CLOSURE_WARNING, clinician=clinician).reasons
    assert reason.startswith(names)
    assert fix in reason and "approvals.closure_warning" in reason
    assert "U0DIRECTOR" not in reason  # the backup is not offered in the approver's place


def test_coaching_route_says_what_to_fix_when_nobody_is_named() -> None:
    coaching = route(make_policy({}), PHONE_COACHING, clinician="U0ANA")
    assert "approvals.phone_coaching" in coaching.reasons[0]


def test_route_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown approval kind"):
        route(make_policy(), "vacation", clinician="U0ANA")


# --- who may decide ----------------------------------------------------------------------------

# Seed 003: "check with Jamie first" names who decides. The approver is Jamie, the backup Dana
# (U0DIRECTOR). user, handed over?, backup_may_decide? -> allowed, deciders right now
DECIDE = {
    "003: the approver": ("U0JAMIE", False, False, True, ("U0JAMIE",)),
    "003: the approver, after the backup was told": ("U0JAMIE", True, False, True, ("U0JAMIE",)),
    "003: the backup, before being told": ("U0DIRECTOR", False, False, False, ("U0JAMIE",)),
    "003: the backup, once told: still not": ("U0DIRECTOR", True, False, False, ("U0JAMIE",)),
    "003: someone else": ("U0ANA", False, False, False, ("U0JAMIE",)),
    "003: someone else, after the backup was told": ("U0ANA", True, False, False, ("U0JAMIE",)),
    "opt-in: the approver": ("U0JAMIE", False, True, True, ("U0JAMIE",)),
    "opt-in: the approver, after the hand-over": (
        "U0JAMIE", True, True, True, ("U0JAMIE", "U0DIRECTOR")
    ),
    "opt-in: the backup, before the hand-over": ("U0DIRECTOR", False, True, False, ("U0JAMIE",)),
    "opt-in: the backup, after the hand-over": (
        "U0DIRECTOR", True, True, True, ("U0JAMIE", "U0DIRECTOR")
    ),
    "opt-in: someone else, after the hand-over": (
        "U0ANA", True, True, False, ("U0JAMIE", "U0DIRECTOR")
    ),
}


@pytest.mark.parametrize(
    ("user", "handed_over", "backup_may_decide", "allowed", "now_deciding"),
    DECIDE.values(),
    ids=DECIDE,
)
def test_may_decide(
    user: str, handed_over: bool, backup_may_decide: bool, allowed: bool,
    now_deciding: tuple[str, ...],
) -> None:
    permission = may_decide(user, approver="U0JAMIE", backup="U0DIRECTOR",
                            handed_over=handed_over, backup_may_decide=backup_may_decide)
    assert permission.allowed is allowed
    assert permission.deciders == now_deciding
    assert permission.reason


# user, backup_may_decide -> words of the reason
REFUSALS = {
    "003: the backup, by default": ("U0DIRECTOR", False, "only the named approver decides"),
    "opt-in: the backup, before the hand-over": ("U0DIRECTOR", True, "handed over"),
    "003: someone else": ("U0ANA", False, "not the approver"),
}


@pytest.mark.parametrize(("user", "backup_may_decide", "words"), REFUSALS.values(), ids=REFUSALS)
def test_a_refusal_says_why(user: str, backup_may_decide: bool, words: str) -> None:
    permission = may_decide(user, approver="U0JAMIE", backup="U0DIRECTOR", handed_over=False,
                            backup_may_decide=backup_may_decide)
    assert not permission.allowed and words in permission.reason


@pytest.mark.parametrize("backup_may_decide", [False, True])
def test_without_a_backup_only_the_approver_decides(backup_may_decide: bool) -> None:
    assert deciders("U0JAMIE", None, True, backup_may_decide=backup_may_decide) == ("U0JAMIE",)


# --- nudge and hand-over -----------------------------------------------------------------------

# requested at (New York) -> (nudge at, hand over at), New York wall time; 4 business hours each
TIMES = {
    "inside hours": (ny(2026, 11, 24, 10), ny(2026, 11, 24, 14), ny(2026, 11, 25, 10)),
    "over Thanksgiving": (ny(2026, 11, 25, 15), ny(2026, 11, 27, 11), ny(2026, 11, 27, 15)),
    "over the weekend": (ny(2026, 11, 27, 16), ny(2026, 11, 30, 12), ny(2026, 11, 30, 16)),
    "requested on a Saturday": (ny(2026, 11, 28, 11), ny(2026, 11, 30, 13), ny(2026, 11, 30, 17)),
    "requested at night": (ny(2026, 11, 24, 22), ny(2026, 11, 25, 13), ny(2026, 11, 25, 17)),
    "over the autumn DST change": (ny(2026, 10, 30, 15), ny(2026, 11, 2, 11), ny(2026, 11, 2, 15)),
    "over the spring DST change": (ny(2026, 3, 6, 16), ny(2026, 3, 9, 12), ny(2026, 3, 9, 16)),
    "over the clinic's extra closure": (
        ny(2026, 12, 23, 16),
        ny(2026, 12, 28, 12),  # Dec 24 extra closure, Dec 25 Christmas, then the weekend
        ny(2026, 12, 28, 16),
    ),
}


@pytest.mark.parametrize(("requested", "nudge", "hand_over"), TIMES.values(), ids=TIMES)
def test_nudge_and_hand_over_times(
    requested: datetime, nudge: datetime, hand_over: datetime
) -> None:
    policy = make_policy(extra=["2026-12-24"])
    assert _nudge_first_due(policy, requested, nudge)
    assert hand_over_at(policy, requested) == hand_over.astimezone(UTC)
    assert hand_over_at(policy, requested).tzinfo == UTC


def test_nudge_after_half_an_hour_of_business_time() -> None:
    policy = make_policy({"remind_after_business_hours": 0.5, "backup": "U0DIRECTOR"})
    assert _nudge_first_due(policy, ny(2026, 11, 24, 16, 45), ny(2026, 11, 25, 9, 15))


def _nudge_first_due(policy: ClinicPolicy, requested: datetime, at: datetime) -> bool:
    """Whether ``due_steps`` has the nudge due at ``at`` and not a microsecond before."""
    def nudge_due(now: datetime) -> bool:
        return Step.NUDGE in due_steps(policy, requested_at=requested, backup=None,
                                       nudged=False, handed_over=False, now=now)

    return nudge_due(at) and not nudge_due(at - timedelta(microseconds=1))


REQUESTED = ny(2026, 11, 24, 10)
NUDGE, HAND_OVER = Step.NUDGE, Step.HAND_OVER
# now (New York), backup?, nudged?, handed over? -> steps due by default (seed 003: only the
# approver decides, so the approver is always nudged) / where backup_may_decide
STEPS = {
    "just asked": (ny(2026, 11, 24, 10), True, False, False, (), ()),
    "a minute before the nudge": (ny(2026, 11, 24, 13, 59), True, False, False, (), ()),
    "at the nudge": (ny(2026, 11, 24, 14), True, False, False, (NUDGE,), (NUDGE,)),
    "nudged already": (ny(2026, 11, 24, 16), True, True, False, (), ()),
    "evening does not count": (ny(2026, 11, 24, 23), True, True, False, (), ()),
    "at the hand-over": (ny(2026, 11, 25, 10), True, True, False, (HAND_OVER,), (HAND_OVER,)),
    "003: hand-over overdue, never nudged: the approver is still nudged": (
        ny(2026, 11, 27, 10), True, False, False, (NUDGE, HAND_OVER), (HAND_OVER,)
    ),
    "003: backup told, approver never nudged: nudged": (
        ny(2026, 11, 27, 10), True, False, True, (NUDGE,), ()
    ),
    "handed over already": (ny(2026, 11, 30, 10), True, True, True, (), ()),
    "no backup: nudge only": (ny(2026, 11, 25, 10), False, False, False, (NUDGE,), (NUDGE,)),
    "no backup, nudged: nothing more": (ny(2026, 11, 30, 10), False, True, False, (), ()),
}


@pytest.mark.parametrize(
    ("now", "backup", "nudged", "handed_over", "by_default", "opted_in"), STEPS.values(), ids=STEPS
)
def test_due_steps(
    now: datetime, backup: bool, nudged: bool, handed_over: bool,
    by_default: tuple[Step, ...], opted_in: tuple[Step, ...],
) -> None:
    for backup_may_decide, expected in ((False, by_default), (True, opted_in)):
        policy = make_policy({"remind_after_business_hours": 4, "backup": "U0DIRECTOR",
                              "backup_may_decide": backup_may_decide})
        due = due_steps(
            policy,
            requested_at=REQUESTED,
            backup="U0DIRECTOR" if backup else None,
            nudged=nudged,
            handed_over=handed_over,
            now=now,
        )
        assert due == expected, f"backup_may_decide={backup_may_decide}"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_steps(make_policy(), requested_at=datetime(2026, 11, 24, 10), backup=None,
                  nudged=False, handed_over=False, now=ny(2026, 11, 24, 10))
    with pytest.raises(ValueError, match="aware"):
        closure_deadline(make_policy(), datetime(2026, 11, 24, 10))


# --- the closure-warning deadline --------------------------------------------------------------

# approved at -> the deadline, both as clinic wall time; "friday 17:00" unless the id says other
DEADLINES = {
    "Tuesday: this Friday": (ny(2026, 11, 24, 10), ny(2026, 11, 27, 17)),
    "Thursday late evening: tomorrow": (ny(2026, 11, 19, 23, 30), ny(2026, 11, 20, 17)),
    "Friday morning: never the same day": (ny(2026, 11, 27, 10), ny(2026, 12, 4, 17)),
    "Friday after five: next Friday": (ny(2026, 11, 27, 18), ny(2026, 12, 4, 17)),
    "Saturday: next Friday": (ny(2026, 11, 28, 9), ny(2026, 12, 4, 17)),
    "Christmas Friday moves to Monday": (ny(2026, 12, 21, 10), ny(2026, 12, 28, 17)),
    "New Year's Day Friday moves to Monday": (ny(2026, 12, 28, 10), ny(2027, 1, 4, 17)),
    "before the autumn DST change (EDT)": (ny(2026, 10, 27, 10), ny(2026, 10, 30, 17)),
    "after the autumn DST change (EST)": (ny(2026, 11, 2, 10), ny(2026, 11, 6, 17)),
    "before the spring DST change (EST)": (ny(2026, 3, 2, 10), ny(2026, 3, 6, 17)),
    "after the spring DST change (EDT)": (ny(2026, 3, 9, 10), ny(2026, 3, 13, 17)),
}


@pytest.mark.parametrize(("approved", "deadline"), DEADLINES.values(), ids=DEADLINES)
def test_closure_deadline(approved: datetime, deadline: datetime) -> None:
    at = closure_deadline(make_policy(), approved)
    assert at == deadline.astimezone(UTC)
    assert at.tzinfo == UTC


def test_deadline_utc_offsets_follow_dst() -> None:
    policy = make_policy()
    assert closure_deadline(policy, ny(2026, 10, 27, 10)) == datetime(2026, 10, 30, 21, tzinfo=UTC)
    assert closure_deadline(policy, ny(2026, 11, 2, 10)) == datetime(2026, 11, 6, 22, tzinfo=UTC)


def test_deadline_skips_an_extra_closure() -> None:
    policy = make_policy(extra=["2026-11-27"])
    assert closure_deadline(policy, ny(2026, 11, 24, 10)) == ny(2026, 11, 30, 17).astimezone(UTC)


def test_deadline_in_london_skips_the_boxing_day_substitute() -> None:
    # Christmas is a Friday, Boxing Day a Saturday, so Monday 28 December is its bank holiday.
    policy = make_policy(timezone="Europe/London", country="GB")
    approved = datetime(2026, 12, 21, 10, tzinfo=LONDON)
    assert closure_deadline(policy, approved) == datetime(2026, 12, 29, 17, tzinfo=UTC)


def test_deadline_time_skipped_by_dst_reads_as_the_moment_of_the_change() -> None:
    # Sunday 2026-03-08 02:30 does not exist in New York; the clinic never opens on Sundays,
    # so the day is kept and the time becomes 03:00 EDT.
    policy = make_policy(confirm_by="sunday 02:30")
    assert closure_deadline(policy, ny(2026, 3, 4, 10)) == datetime(2026, 3, 8, 7, tzinfo=UTC)


def test_deadline_in_another_time_zone_uses_that_clinics_date() -> None:
    # 23:30 Thursday in New York is already Friday in London: a London clinic says next Friday.
    policy = make_policy(timezone="Europe/London", country="GB")
    approved = ny(2026, 11, 19, 23, 30)
    assert closure_deadline(policy, approved) == datetime(2026, 11, 27, 17, tzinfo=UTC)
