"""The example clinic in ``examples/`` (issue 15, item 5): the README's first set-up uses it, so
its policy passes ``check-policy`` and both CSVs import, as the README runs them."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.clock import ManualClock
from bot.config import Settings
from bot.policy_file import load_policy
from bot.runtime import build_deps
from bot.services import imports
from tests.test_cli import run
from tests.test_start_traps import env  # noqa: F401 - the command line's environment fixture

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
POLICY, CLIENTS, APPOINTMENTS = (EXAMPLES / name for name in
                                 ("policy.yml", "clients.csv", "appointments.csv"))
# The example appointments are in the week of Monday 7 December 2026; the bot takes dates from
# a year back to two years ahead of now, so the test imports them as of that week's start.
EXAMPLE_WEEK = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))


def test_the_example_policy_passes_check_policy(tmp_path: Path) -> None:
    result = run(["check-policy", str(POLICY)], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "OK (Maple Street Counseling, America/New_York, 8 team member(s))" in result.stdout


def test_the_example_policy_is_a_whole_clinic() -> None:
    policy = load_policy(POLICY)
    roles = {member.role for member in policy.team}
    assert roles == {"clinician", "supervisor", "front_desk", "admin"}
    assert policy.clinic.hours and policy.clinic.after_hours_contact
    assert {member.slack_id for member in policy.team} >= {"U0PRIYA", "U0DANA"}  # approvers


def test_the_commented_calendar_feed_has_the_shape_of_issue_14() -> None:
    """Uncommented, the calendar block is the `calendars:` list issue 14 specifies."""
    text = POLICY.read_text(encoding="utf-8")
    block = re.search(r"^# calendars:\n((?:#   .*\n)+)", text, re.MULTILINE)
    assert block is not None
    uncommented = "calendars:\n" + "".join(
        line[2:] + "\n" for line in block.group(1).splitlines())
    (feed,) = yaml.safe_load(uncommented)["calendars"]
    assert set(feed) == {"name", "url_env", "clinician", "client_code", "every"}
    assert re.compile(feed["client_code"]).groups >= 1 and feed["url_env"].isupper()


def test_the_example_csvs_import_as_the_readme_runs_them(env: dict[str, str],  # noqa: F811
                                                         tmp_path: Path) -> None:
    env["CONTACT_CHECK_POLICY"] = str(POLICY)
    clients = run(["import", "clients", str(CLIENTS)], env, tmp_path)
    assert clients.returncode == 0, clients.stderr
    assert "imported 10 clients: 10 new" in clients.stdout
    # The appointments, through what `import appointments` runs, on a clock in their week.
    settings = Settings(database_url=env["DATABASE_URL"], contact_check_keys=env[
        "CONTACT_CHECK_KEYS"], contact_check_policy=POLICY)
    deps = build_deps(settings, ManualClock(EXAMPLE_WEEK), create=False)
    now = deps.clock.now()
    rows = imports.read_appointments_csv(APPOINTMENTS.read_text(encoding="utf-8"), deps.policy,
                                         now)
    with deps.store.unit_of_work() as uow:
        report = imports.import_appointments(uow, deps.policy, rows, actor="cli:test",
                                             source=APPOINTMENTS.name, now=now)
        uow.commit()
    deps.store.engine.dispose()
    assert (report.created, report.updated, report.unchanged) == (7, 0, 0)

