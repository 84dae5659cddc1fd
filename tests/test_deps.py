"""The state the app owns in its ``Deps``: the Home tabs published since it started."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.clock import ManualClock
from bot.deps import Deps, PublishedHomes
from bot.policy_file.validation import parse_policy
from tests.policy.test_validation import BASE


def test_a_home_is_known_from_before_it_is_sent_and_a_refusal_puts_back_what_was_known() -> None:
    homes = PublishedHomes()
    assert homes.expect("U1", "first") is None
    assert homes.known() == {"U1": "first"}
    before = homes.expect("U1", "second")
    assert (before, homes.known()) == ("first", {"U1": "second"})
    homes.put_back("U1", before)  # Slack refused "second"
    assert homes.known() == {"U1": "first"}
    homes.put_back("U2", homes.expect("U2", "new"))  # refused the first time: not known at all
    assert homes.known() == {"U1": "first"}


def test_nothing_to_track_is_not_tracked_and_at_most_max_users_are() -> None:
    homes = PublishedHomes(max_users=2)
    homes.expect("U0OUTSIDER", None)  # someone not on the team: their Home has nothing to track
    for user in ("U1", "U2", "U3"):
        homes.expect(user, f"{user}-home")
    assert homes.known() == {"U1": "U1-home", "U2": "U2-home"}
    homes.expect("U2", "changed")  # one already tracked stays current
    assert homes.known()["U2"] == "changed"


def test_each_deps_owns_its_homes_and_a_copy_of_it_shares_them() -> None:
    clock = ManualClock(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    policy = parse_policy(BASE)
    one = Deps(store=None, policy=policy, clock=clock)  # type: ignore[arg-type]
    two = Deps(store=None, policy=policy, clock=clock)  # type: ignore[arg-type]
    one.homes.expect("U1", "home")
    assert two.homes.known() == {}
    assert replace(one, send_rate=1.0).homes is one.homes
