"""Loading the policy file: the built-in default, the contract's example, and broken files."""

from __future__ import annotations

import ast
from datetime import date, time, timedelta
from pathlib import Path

import pytest

import bot.policy
from bot.policy.clinic import ConfirmBy, DailyWindow, TeamMember
from bot.policy_file import check_policy_file, load_policy
from bot.policy_file.validation import PolicyInvalid

# The "Policy file" example of CONTRACT.md, verbatim (a comment shortened to fit the line).
CONTRACT_EXAMPLE = """\
clinic:
  name: Great Agency                 # said in voicemails only with the client's consent
  timezone: America/New_York
  hours:                             # operating hours; days not listed are closed
    mon: "09:00-17:00"
    tue: "09:00-17:00"
    wed: "09:00-17:00"
    thu: "09:00-17:00"
    fri: "09:00-17:00"
  holidays:
    country: US                      # any country the `holidays` package knows
    subdivision: PA                  # optional
    extra: ["2026-12-24"]            # clinic closures
  emergency: "If this is an emergency, hang up and dial 911."
  after_hours_contact: "Crisis line 988, or the on-call clinician at 555-0100"
callbacks:
  turnaround_hours: 24               # clock hours; closed days don't count. null: no rule
  operating_hours_only: true         # reminders and calls only inside clinic hours
  require_voicemail: false           # true: no voicemail, no call back owed
  window: null                       # e.g. "08:00-09:00": calls returned only then
  remind_before: ["4h", "1h"]        # business time before the due time
no_show:
  wait_minutes: 20
  closure_warning_after: 2           # consecutive no-shows that lead to a closure-warning request
  confirm_by: "friday 17:00"         # deadline said in the closure-warning script
approvals:
  closure_warning: supervisor        # the clinician's own supervisor
  phone_coaching: U0BEDICS           # a Slack user id
  remind_after_business_hours: 4     # nudge, then the backup, when undecided
  backup: U0DIRECTOR
  backup_may_decide: false
team:
  - {slack_id: U0JAMIE, role: supervisor, first_name: Jamie}
  - {slack_id: U0BEDICS, role: supervisor, first_name: Bedics}
  - {slack_id: U0ANA, role: clinician, first_name: Ana, supervisor: U0JAMIE}
  - {slack_id: U0DESK, role: front_desk, first_name: Sam}
  - {slack_id: U0ADMIN, role: admin, first_name: Lee}
scripts: {}                          # optional overrides of the built-in scripts, by name
"""
# Issue 5 (later than the contract, so it wins): the backup approver must be on the team too. The
# example names U0DIRECTOR as backup without listing them, so a clinic copying it adds them.
VALID_EXAMPLE = CONTRACT_EXAMPLE.replace(
    "  - {slack_id: U0ADMIN, role: admin, first_name: Lee}\n",
    "  - {slack_id: U0ADMIN, role: admin, first_name: Lee}\n"
    "  - {slack_id: U0DIRECTOR, role: supervisor, first_name: Dana}\n",
)

NINE_TO_FIVE = {day: DailyWindow(time(9), time(17)) for day in range(5)}


def write(tmp_path: Path, text: str | bytes, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def file_errors(path: Path) -> list[str]:
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    return [str(error) for error in caught.value.errors]


def test_default_policy_reproduces_the_clinic_protocol() -> None:
    policy = load_policy(None)
    clinic = policy.clinic
    assert str(clinic.timezone) == "America/New_York"
    assert clinic.hours == NINE_TO_FIVE
    assert (clinic.holidays.country, clinic.holidays.subdivision) == ("US", None)
    assert clinic.holidays.extra == frozenset()
    assert clinic.hours_on(date(2026, 11, 26)) is None  # Thanksgiving
    assert clinic.hours_on(date(2026, 11, 28)) is None  # a Saturday
    assert clinic.emergency == "If this is an emergency, hang up and dial 911."
    assert clinic.phone_region == "US"
    assert clinic.after_hours_contact is None  # each clinic names its own
    assert policy.callbacks.turnaround_hours == 24
    assert policy.callbacks.operating_hours_only is True
    assert policy.callbacks.require_voicemail is False
    assert policy.callbacks.window is None
    assert policy.callbacks.remind_before == (timedelta(hours=4), timedelta(hours=1))
    assert policy.no_show.wait_minutes == 20
    assert policy.no_show.closure_warning_after == 2
    assert policy.no_show.confirm_by == ConfirmBy(weekday=4, at=time(17))
    assert policy.approvals.closure_warning == "supervisor"
    assert policy.approvals.phone_coaching is None
    assert policy.approvals.backup is None
    assert policy.approvals.backup_may_decide is False  # seed 003: only the named approver
    assert policy.team == ()
    assert policy.scripts == {}


def test_default_policy_loads_without_an_argument() -> None:
    assert load_policy() == load_policy(None)


def test_default_policy_checks_clean() -> None:
    assert check_policy_file(None) == []


def test_contract_example_verbatim_is_refused_only_for_its_backup(tmp_path: Path) -> None:
    [error] = file_errors(write(tmp_path, CONTRACT_EXAMPLE))
    assert error.startswith("approvals.backup: U0DIRECTOR is not on the team")


def test_contract_example_loads(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, VALID_EXAMPLE))
    assert policy.clinic.name == "Great Agency"
    assert policy.clinic.hours == NINE_TO_FIVE
    assert (policy.clinic.holidays.country, policy.clinic.holidays.subdivision) == ("US", "PA")
    assert policy.clinic.holidays.is_closed(date(2026, 12, 24))
    assert policy.clinic.after_hours_contact == (
        "Crisis line 988, or the on-call clinician at 555-0100")
    assert policy.callbacks.turnaround_hours == 24
    assert policy.approvals.phone_coaching == "U0BEDICS"
    assert policy.approvals.backup == "U0DIRECTOR"
    assert policy.member("U0ANA") == TeamMember("U0ANA", "clinician", "Ana", "U0JAMIE")
    assert [m.role for m in policy.team] == [
        "supervisor",
        "supervisor",
        "clinician",
        "front_desk",
        "admin",
        "supervisor",
    ]


def test_path_may_be_a_string(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_EXAMPLE)
    assert load_policy(str(path)) == load_policy(path)


def test_yaml_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    text = "clinic:\n  name: Great Agency\n  timezone: [America/New_York\nteam: []\n"
    [error] = file_errors(write(tmp_path, text))
    assert error.startswith("(file): invalid YAML at line 4, column 5:")


def test_bad_indentation_reports_its_line(tmp_path: Path) -> None:
    text = "clinic:\n  name: Great Agency\n timezone: UTC\n"
    [error] = file_errors(write(tmp_path, text))
    assert "line 3" in error


def test_duplicate_key_is_an_error_not_a_silent_overwrite(tmp_path: Path) -> None:
    text = "clinic:\n  name: A\n  timezone: UTC\nteam: []\nteam: []\n"
    [error] = file_errors(write(tmp_path, text))
    assert error == (
        "(file): invalid YAML at line 5, column 1: duplicate key 'team' (first at line 4); "
        "give each key once"
    )


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = (
        "clinic: &base\n  name: A\n  timezone: UTC\n"
        "team:\n  - &lee {slack_id: U0LEE, role: admin, first_name: Lee}\n"
        "  - {<<: *lee, slack_id: U0MAX, first_name: Max}\n"
    )
    assert [m.slack_id for m in load_policy(write(tmp_path, text)).team] == ["U0LEE", "U0MAX"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- clinic\n", "not a list"),
        ("just words\n", 'not the text "just words"'),
    ],
)
def test_file_that_is_not_a_mapping(tmp_path: Path, text: str, fragment: str) -> None:
    [error] = file_errors(write(tmp_path, text))
    assert error.startswith("(file): ")
    assert fragment in error


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert file_errors(missing) == [f"(file): no policy file at {missing}; check the path"]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    [error] = file_errors(tmp_path)
    assert error.startswith("(file): ") and "is a directory" in error


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    [error] = file_errors(write(tmp_path, b"clinic:\n  name: Caf\xe9\n"))
    assert error.startswith("(file): ") and "UTF-8" in error


def test_check_policy_file_lists_every_error_by_key(tmp_path: Path) -> None:
    text = VALID_EXAMPLE.replace("wait_minutes: 20", "wait_minutes: 0").replace(
        "supervisor: U0JAMIE}", "supervisor: U0DESK}"
    )
    lines = check_policy_file(write(tmp_path, text))
    assert [line.split(":")[0] for line in lines] == ["no_show.wait_minutes", "team[2].supervisor"]


def test_check_policy_file_is_empty_for_a_valid_file(tmp_path: Path) -> None:
    assert check_policy_file(write(tmp_path, VALID_EXAMPLE)) == []


def test_unquoted_dates_and_codes_read_by_yaml(tmp_path: Path) -> None:
    text = (
        "clinic:\n  name: A\n  timezone: Europe/Oslo\n"
        "  holidays: {country: NO, extra: [2026-12-24]}\n"
    )
    [error] = file_errors(write(tmp_path, text))
    assert error.startswith("clinic.holidays.country: ") and "in quotes" in error
    fixed = text.replace("country: NO", 'country: "NO"')
    holidays = load_policy(write(tmp_path, fixed)).clinic.holidays
    assert (holidays.country, holidays.extra) == ("NO", frozenset({date(2026, 12, 24)}))


def test_pure_policy_package_does_not_import_yaml() -> None:
    for module in Path(bot.policy.__file__).parent.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported |= {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        assert not {name for name in imported if name.split(".")[0] == "yaml"}, module


@pytest.mark.parametrize(
    "text",
    [
        "clinic: " + "[" * 20_000 + "]" * 20_000 + "\n",  # deeper than the parser can recurse
        "clinic: " + "{a: " * 30 + "1" + "}" * 30 + "\n",  # parses, but no key nests like that
        "team:\n" + "".join("  " * depth + "- \n" for depth in range(1, 12)),
    ],
    ids=["recursion", "deep-mapping", "deep-list"],
)
def test_a_pathologically_nested_file_is_an_error_not_a_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    [error] = check_policy_file(path)
    assert "nest more than 8 levels deep" in error and "unclosed brackets" in error
