"""``topic NAME``: forgiving names (case, hyphens, spaces, plurals, prefixes); ambiguity listed."""

from __future__ import annotations

import pytest

from bot.grammar import CommandError, Topic, match_topic, parse_command
from bot.policy.topics import topic_names

NAMES = topic_names()

MATCHES = [
    ("run-ins", "run-ins"), ("run-in", "run-ins"), ("runin", "run-ins"), ("runins", "run-ins"),
    ("Run Ins", "run-ins"), ("intake", "intake-incomplete"), ("inc", "intake-incomplete"),
    ("voicemail", "voicemail-greeting"), ("greeting", "voicemail-greeting"),
    ("third party", "third-party"), ("third parties", "third-party"),
    ("thirdparty", "third-party"), ("Third_Party", "third-party"), ("former", "former-client"),
    ("former clients", "former-client"), ("prospects", "prospect"), ("PROSPECT", "prospect"),
    ("coaching", "phone-coaching"), ("phone", "phone-coaching"),
    ("someone", "someone-else-answered"), ("someone else", "someone-else-answered"),
    ("between", "between-sessions"), ("session", "between-sessions"),
]


@pytest.mark.parametrize(("typed", "name"), MATCHES)
def test_a_clear_name_finds_its_topic(typed: str, name: str) -> None:
    assert match_topic(typed, NAMES) == (name,)
    assert parse_command(f"topic {typed}") == Topic(name)


def test_every_topic_is_found_by_its_own_name_and_its_first_word() -> None:
    for name in NAMES:
        assert match_topic(name, NAMES) == (name,)
        assert match_topic(name.upper().replace("-", " "), NAMES) == (name,)


@pytest.mark.parametrize(("typed", "candidates"), [
    ("p", ("third-party", "prospect", "phone-coaching")),
    ("s", ("someone-else-answered", "between-sessions")),
])
def test_an_ambiguous_start_lists_the_candidates(typed: str, candidates: tuple[str, ...]) -> None:
    assert match_topic(typed, NAMES) == candidates
    with pytest.raises(CommandError) as caught:
        parse_command(f"topic {typed}")
    assert f"could be more than one topic: {', '.join(candidates)}" in caught.value.message


def test_a_name_in_full_wins_over_longer_names_it_begins() -> None:
    assert match_topic("party", ("party", "party-line")) == ("party",)
    assert match_topic("par", ("party", "party-line")) == ("party", "party-line")


@pytest.mark.parametrize(("typed", "says"), [
    ("nope", "There is no topic “nope”"),
    ("run-ins prospect", "takes one name"),
    ("-", "There is no topic"),
])
def test_unknown_names_list_every_topic(typed: str, says: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(f"topic {typed}")
    assert says in caught.value.message
    assert ", ".join(NAMES) in caught.value.message
