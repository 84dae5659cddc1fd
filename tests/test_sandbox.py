"""The sandbox, scripted through standard input as a newcomer (or a script) would drive it."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.views import View

from bot.cli import main as cli_main
from bot.csv_formats import CLIENT_COLUMNS
from bot.sandbox import clinic as sample
from bot.sandbox import render
from bot.sandbox import session as sandbox
from bot.sandbox.seed import shifted
from bot.sandbox.session import Sandbox, SandboxError, _reader
from bot.sandbox.setup import Setup, load_setup, parse_start, sample_setup

ROOT = Path(__file__).resolve().parents[1]
NEW_YORK = ZoneInfo("America/New_York")


def run_sandbox(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot sandbox ARGS`` in a fresh directory with no configuration at all."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONTACT_CHECK_", "SLACK_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", *args], input=script, capture_output=True,
        text=True,
        cwd=tmp_path, env=env, timeout=120, check=False,
    )


def _sections(out: str) -> list[str]:
    """The transcript split at each echoed command (``» Name · time: line``)."""
    return out.split("\n» ")


def test_a_newcomer_gets_a_verdict_a_chase_and_a_button_that_works(tmp_path: Path) -> None:
    result = run_sandbox(
        "/contact-check C-1001\n"
        "/contact-check C-1004\n"
        "wait 25m\n"
        "press 1\n"
        "quit\n", tmp_path)
    assert result.returncode == 0, result.stderr
    banner, card, dnc, wait, press, _quit = _sections(result.stdout)
    assert "Riverside Counseling" in banner and "Tue 17 Nov 09:40" in banner
    assert card.startswith("Ana · Tue 17 Nov 09:40: /contact-check C-1001")
    assert "reply (only you see it)" in card and "OK to call" in card
    assert "Do not call" in dnc
    # the 09:45 appointment was never marked arrived: the chase arrives 20 minutes later
    assert "DM to Ana · Tue 17 Nov 10:05" in wait
    assert "C-1002 has not been marked arrived" in wait
    assert "[1] Arrived" in wait and "[2] No-show" in wait
    assert "(it is now Tue 17 Nov 10:05 clinic time)" in wait
    assert "(pressed [1] Arrived as Ana)" in press
    assert "C-1002 arrived" in press
    assert not list(tmp_path.iterdir())  # nothing left behind in the working directory


def test_no_show_then_second_no_show_asks_the_supervisor(tmp_path: Path) -> None:
    result = run_sandbox(
        "wait until 10:50\n"
        "/contact-check noshow C-1013\n"  # missed last week too: the second in a row
        "as Jamie\n"
        "dms\n"
        "quit\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "DM to Ana · Tue 17 Nov 10:50" in out and "C-1013 has not been marked arrived" in out
    assert "No-show recorded for C-1013 (Tuesday, November 17 at 10:30 AM): 2 in a row" in out
    assert "DM to Jamie · Tue 17 Nov 10:50" in out
    jamie = _sections(out)[-2]
    assert "C-1013" in jamie  # the closure-warning request reached Jamie
    assert "Approve" in jamie and "Deny" in jamie


def test_the_same_script_gives_the_same_transcript(tmp_path: Path) -> None:
    script = "/contact-check help\nwait 30m\nas Sam\n/contact-check pending\nhome\n"
    first = run_sandbox(script, tmp_path)
    second = run_sandbox(script, tmp_path)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert "You are now Sam".lower() in first.stdout.lower()


def test_bad_lines_are_explained_and_the_session_goes_on(tmp_path: Path) -> None:
    result = run_sandbox("frobnicate\n/contactcheck C-1\npress 9\nwait forever\nas Nobody\n"
                         "/contact-check C-1001\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Unknown: `frobnicate`" in out
    assert "The command is /contact-check" in out
    assert "There is no button [9]" in out
    assert "Say how long" in out
    assert "No one called 'Nobody'" in out
    assert "OK to call" in out  # still working after all that


def test_a_run_in_is_documented_through_the_modal(tmp_path: Path) -> None:
    result = run_sandbox(
        "as Ben\n"
        "/contact-check runin C-1006\n"
        "2026-11-15\n"   # date
        "\n"             # time: keep the one shown
        "\n"             # where: left empty, the modal says what to fix …
        "1\n"            # who greeted first
        "said hi\n"      # what was said
        "-\n"            # nothing to revisit
        "city library\n"  # … and only the field at fault is asked again
        "quit\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Document a run-in" in out
    assert "the modal says" in out and "Say where it happened" in out
    assert "Run-in with C-1006 on Sun 15 Nov 09:40 is documented." in out
    assert "reminded at Tue 17 Nov 09:50, before their next appointment" in out


def _names_and_numbers() -> list[str]:
    secrets = []
    for client in sample.CLIENTS:
        cells = client.row.split(",")
        secrets.append(cells[1])  # preferred name
        secrets += [c[-4:] for c in cells[4:7] if c]  # last digits of every number
        if cells[8]:
            secrets.append(cells[8])  # do-not-call reason
        if cells[13]:
            secrets.append(cells[13])  # third party
    return [s for s in secrets if s]


def test_app_home_is_valid_block_kit_with_client_codes_only() -> None:
    out = io.StringIO()
    script = io.StringIO("wait 25m\nhome\nas Ben\nhome\nas Sam\nhome\nas Jamie\nhome\n")
    with Sandbox(out, _reader(script, False), interactive=False) as box:
        box.run()
        homes = {user: box.slack.home(user) for user in ("U0ANA", "U0BEN", "U0SAM", "U0JAMIE")}
    secrets = _names_and_numbers()
    for user, view in homes.items():
        assert view is not None, user
        assert View(**view).to_dict() == view
        text = json.dumps(view)
        for secret in secrets:
            assert secret not in text, (user, secret)
    assert "C-1002" in json.dumps(homes["U0ANA"])  # the chase Ana must answer
    assert "C-1006" in json.dumps(homes["U0BEN"])  # the call-back Ben owes
    assert "whole clinic" in json.dumps(homes["U0SAM"])
    assert "C-1007" in json.dumps(homes["U0BEN"])  # the coaching request he waits on
    assert "Home tab of Jamie" in out.getvalue()


# --- rehearsing a clinic's own policy and clients (issue 11) ------------------------------------

REHEARSAL_POLICY = """clinic:
  name: Great Agency
  timezone: America/New_York
  holidays: {country: US}
  phone: "+12155550100"
no_show:
  wait_minutes: 20
approvals:
  phone_coaching: U0BEDICS
team:
  - {slack_id: U0JAMIE, role: supervisor, first_name: Jamie}
  - {slack_id: U0BEDICS, role: supervisor, first_name: Bedics}
  - {slack_id: U0DESK, role: front_desk, first_name: Sam}
  - {slack_id: U0ANA, role: clinician, first_name: Ana, supervisor: U0JAMIE}
  - {slack_id: U0SAM2, role: clinician, first_name: Sam, supervisor: U0BEDICS}
  - {slack_id: U0ADMIN, role: admin, first_name: Lee}
"""
CLIENTS_HEADER = ",".join(CLIENT_COLUMNS)
REHEARSAL_CLIENTS = f"""{CLIENTS_HEADER}
A-201,U0ANA,Robin,yes,cell,(215) 555-0142,,,,,cell,no,09:00,18:00,,,active
A-202,U0ANA,Kim,no,,,,,,,,,,,,,active
A-203,U0SAM2,Noor,yes,home,,2155550143,2155550144,work,Employer unaware,home,yes,,,Pat,yes,active
"""
REHEARSAL_APPOINTMENTS = """client,start,minutes
A-201,2026-11-20 16:30,50
A-203,2026-11-25 15:00,50
"""
FRIDAY_AFTERNOON = "2026-11-20 16:30"
HOLIDAY_EVE = "2026-11-25 15:00"  # the day before Thanksgiving (US)
REHEARSAL_SECRETS = ("Robin", "Kim", "Noor", "0142", "0143", "0144", "Employer unaware", "Pat")


def write_clinic_files(folder: Path) -> dict[str, Path]:
    """The rehearsal's policy, clients and appointments, written in ``folder``."""
    files = {}
    for name, file_name, text in (("policy", "policy.yaml", REHEARSAL_POLICY),
                                  ("clients", "clients.csv", REHEARSAL_CLIENTS),
                                  ("appointments", "appointments.csv", REHEARSAL_APPOINTMENTS)):
        files[name] = folder / file_name
        files[name].write_text(text, encoding="utf-8")
    return files


@pytest.fixture
def clinic_files(tmp_path: Path) -> dict[str, Path]:
    return write_clinic_files(tmp_path)


def rehearse(files: dict[str, Path], script: str, start: str | None = FRIDAY_AFTERNOON) -> str:
    """The sandbox in this process on the clinic's own files, driven by ``script``."""
    setup = load_setup(policy=str(files["policy"]), clients=str(files["clients"]),
                       appointments=str(files["appointments"]), start=start)
    return in_process(script, setup)


def in_process(script: str, setup: Setup | None = None) -> str:
    out = io.StringIO()
    assert sandbox.main(io.StringIO(script), out, setup=setup) == 0
    return out.getvalue()


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_main(["sandbox", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_rehearsal_on_a_friday_afternoon_from_the_command_line(
        tmp_path: Path, clinic_files: dict[str, Path]) -> None:
    result = run_sandbox(
        "clients\n"
        "wait 25m\n"   # A-201's 16:30 appointment: nobody marked the client arrived
        "press 1\n"    # Arrived
        "dms\n"        # the chase as it stands now: updated, its buttons gone
        "press 2\n"    # No-show on the chase as first shown: gone
        "clients\n"
        "quit\n", tmp_path,
        "--policy", str(clinic_files["policy"]), "--clients", str(clinic_files["clients"]),
        "--appointments", str(clinic_files["appointments"]), "--start", FRIDAY_AFTERNOON)
    assert result.returncode == 0, result.stderr
    banner, clients, wait, press, dms, stale, after, _quit = _sections(result.stdout)
    assert "rehearsing Great Agency from" in banner
    assert "3 client(s) from" in banner and "2 appointment(s) from" in banner
    assert "It is Fri 20 Nov 16:30 clinic time (America/New_York)" in banner
    assert "You are Ana (clinician, U0ANA)" in banner
    assert "wait 20m" in banner  # the next chase, said in the banner
    assert re.search(r"A-201 +Ana +active +OK to call: cell", clients)
    assert re.search(r"A-202 +Ana +active +Do not call", clients)
    assert re.search(r"A-203 +Sam \(U0SAM2\) +active +OK to call: home", clients)
    assert "today 16:30" in clients
    assert "DM to Ana · Fri 20 Nov 16:50" in wait
    assert "A-201 has not been marked arrived for the 4:30 PM appointment" in wait
    assert "A-201 arrived for Friday, November 20 at 4:30 PM" in press
    assert "DM to Ana · Fri 20 Nov 16:50 · updated Fri 20 Nov 16:55" in dms
    assert "appointment: arrived" in dms and "[1]" not in dms
    assert "Button [2] can no longer be pressed" in stale and "`dms`" in stale
    assert "today 16:30 arrived" in after
    listings = clients + after
    for secret in REHEARSAL_SECRETS:
        assert secret not in banner + listings, secret
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in
                                                                clinic_files.values())


def test_a_rehearsal_on_a_holiday_eve(clinic_files: dict[str, Path]) -> None:
    out = rehearse(clinic_files, "as U0SAM2\nwait 20m\n/contact-check pending\nquit\n",
                   start=HOLIDAY_EVE)
    banner, become, wait, pending, _quit = _sections(out)
    assert "It is Wed 25 Nov 15:00 clinic time" in banner
    assert "The clinic is open 09:00-17:00 today. Closed Thu 26 Nov (Thanksgiving Day)." in banner
    assert "(you are now Sam (clinician, U0SAM2))" in become
    assert "DM to Sam (U0SAM2) · Wed 25 Nov 15:20" in wait
    assert "A-203 has not been marked arrived for the 3:00 PM appointment" in wait
    assert "A-203" in pending


def test_chases_already_due_at_the_start_arrive_first(clinic_files: dict[str, Path]) -> None:
    out = rehearse(clinic_files, "quit\n", start="2026-11-20 16:55")
    banner = _sections(out)[0]
    assert banner.index("You are Ana") < banner.index("DM to Ana · Fri 20 Nov 16:55")
    assert "A-201 has not been marked arrived" in banner


@pytest.mark.parametrize(("line", "said"), [
    ("as Ana", "(you are now Ana (clinician, U0ANA))"),
    ("as jAMIE", "(you are now Jamie (supervisor, U0JAMIE))"),
    ("as U0DESK", "(you are now Sam (front desk, U0DESK))"),
    ("as u0sam2", "(you are now Sam (clinician, U0SAM2))"),
    ("as sam", "2 people on the team are called Sam: U0DESK (front desk), U0SAM2 (clinician). "
               "Say which by Slack id, e.g. `as U0DESK`."),
    ("as Morgan", "No one called 'Morgan' on the team; `team` lists everyone"),
    ("as", "Say who: `as Ana`, `as U0ANA`, or `as stranger`"),
    ("as stranger", "(you are now a stranger: someone in the workspace who is not on the team"),
], ids=["first name", "any case", "slack id", "slack id any case", "ambiguous", "unknown",
        "nobody", "stranger"])
def test_as_takes_a_first_name_a_slack_id_or_stranger(rehearsal_team: str, line: str,
                                                       said: str) -> None:
    section = next(s for s in _sections(rehearsal_team) if s.split(": ", 1)[1].split("\n")[0]
                   == line)
    assert said in section


@pytest.fixture(scope="module")
def rehearsal_team(tmp_path_factory: pytest.TempPathFactory) -> str:
    files = write_clinic_files(tmp_path_factory.mktemp("team"))
    lines = ["as Ana", "as jAMIE", "as U0DESK", "as u0sam2", "as sam", "as Morgan", "as",
             "as stranger", "/contact-check A-201", "/contact-check help", "team", "dms"]
    return rehearse(files, "\n".join(lines) + "\nquit\n")


def test_a_stranger_gets_help_and_the_polite_refusal(rehearsal_team: str) -> None:
    sections = _sections(rehearsal_team)
    card = next(s for s in sections if s.startswith("Stranger · Fri 20 Nov 16:30: "
                                                    "/contact-check A-201"))
    assert "only for the clinic's team, and you are not on it" in card
    assert "OK to call" not in card and "Robin" not in card
    help_reply = next(s for s in sections if ": /contact-check help\n" in s)
    assert "/contact-check CODE" in help_reply
    team = next(s for s in sections if s.startswith("Stranger · Fri 20 Nov 16:30: team"))
    assert "U0SAM2       supervised by Bedics" in team
    assert "Bedics     supervisor  U0BEDICS     supervises Sam; approves their closure " \
           "warnings; approves DBT phone coaching" in team
    assert "stranger   -           U0STRANGER   someone in the workspace who is not on the " \
           "team  ← you" in team
    dms = next(s for s in sections if s.startswith("Stranger · Fri 20 Nov 16:30: dms"))
    assert "no direct messages from the bot to Stranger" in dms


def test_the_team_s_first_clinician_starts_or_else_the_first_member(
        clinic_files: dict[str, Path]) -> None:
    no_clinician = REHEARSAL_POLICY.replace("role: clinician", "role: supervisor")
    clinic_files["policy"].write_text(no_clinician, encoding="utf-8")
    clinic_files["clients"].write_text(CLIENTS_HEADER + "\n", encoding="utf-8")
    clinic_files["appointments"].write_text("client,start,minutes\n", encoding="utf-8")
    out = rehearse(clinic_files, "clients\nquit\n")
    banner, clients, _quit = _sections(out)
    assert "You are Jamie (supervisor, U0JAMIE)" in banner
    assert "with 0 client(s)" in banner and "/contact-check help" in banner
    assert "(no clients on file)" in clients


# -- bad input: exit 2, a message naming what to fix, nothing started ----------------------------


BAD_CLIENTS = f"""{CLIENTS_HEADER}
B-1,U0ANA,Alexis,maybe,,,,,,,,,,,,,active
B-2,U0ANA,Jo,yes,cell,555,,,,,,,,,,,active
"""


@pytest.mark.parametrize(("argv", "said"), [
    (["--policy", "{policy}"], "--policy needs --clients FILE.csv too"),
    (["--clients", "{clients}"], "--clients needs --policy FILE too"),
    (["--appointments", "{appointments}"],
     "--appointments needs --policy FILE and --clients FILE.csv too"),
    (["--policy", "{dir}/none.yaml", "--clients", "{clients}"],
     "none.yaml: 1 error(s):\n  (file): no policy file at"),
    (["--policy", "{policy}", "--clients", "{dir}/none.csv"], "none.csv: no such file"),
    (["--policy", "{policy}", "--clients", "{clients}", "--appointments", "{dir}"],
     "is a directory; give the path of the CSV file"),
    (["--policy", "{policy}", "--clients", "{bad}"],
     "bad.csv: nothing imported; 2 problem(s) to fix:\n"
     "  line 2, column may_call: 'maybe' is not yes or no"),
    (["--policy", "{invalid}", "--clients", "{clients}"],
     "invalid.yaml: 2 error(s):\n  clinic.timezone: unknown time zone"),
    (["--policy", "{no_team}", "--clients", "{clients}"],
     "no_team.yaml: the team is empty, so the bot would answer everyone as a stranger"),
    (["--policy", "{policy}", "--clients", "{clients}", "--appointments", "{unknown}"],
     "unknown.csv: nothing imported; 1 problem(s) to fix:\n"
     "  line 3, column client: no client with code Z-9 is on file"),
    (["--policy", "{policy}", "--clients", "{clients}", "--appointments", "{bad_time}"],
     "bad_time.csv: nothing imported; 1 problem(s) to fix:\n  line 2, column start:"),
    (["--start", "2026-11-20"], '--start \'2026-11-20\' is not a clinic time: give it as '
                                '--start "YYYY-MM-DD HH:MM"'),
    (["--start", "2026-11-20 4:30pm"], "is not a clinic time"),
    (["--start", "2026-02-30 10:00"], "--start '2026-02-30 10:00' is not a real date and time"),
    (["--start", "2026-11-20 24:00"], "is not a real date and time"),
    (["--start", "2026-03-08 02:30"], "02:30 does not exist on 2026-03-08 in America/New_York"),
    (["--start", "0001-01-01 00:00"], "give a year from 1970 to 2999"),
    (["--policy", "{policy}", "--clients", "{clients}", "--start", "soon"],
     "--start 'soon' is not a clinic time"),
], ids=["policy alone", "clients alone", "appointments alone", "missing policy",
        "missing clients", "a directory", "bad client rows", "invalid policy", "empty team",
        "appointment of an unknown client", "bad appointment start", "start without time",
        "start not HH:MM", "start not on the calendar", "start at 24:00", "start in the DST gap",
        "start out of range", "start with own files"])
def test_bad_input_exits_2_with_a_message_and_starts_nothing(
        argv: list[str], said: str, clinic_files: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    paths = {**{k: str(v) for k, v in clinic_files.items()}, "dir": str(tmp_path)}
    for name, text in (("bad.csv", BAD_CLIENTS),
                       ("invalid.yaml", "clinic:\n  name: X\n  timezone: Mars/Base\n"
                                        "no_show: {wait_minutes: -5}\n"),
                       ("no_team.yaml", "clinic: {name: X, timezone: America/New_York}\n"),
                       ("unknown.csv", "client,start,minutes\nA-201,2026-11-20 16:30,50\n"
                                       "Z-9,2026-11-20 17:00,50\n"),
                       ("bad_time.csv", "client,start,minutes\nA-201,2026-11-31 16:30,50\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths[name.split(".")[0]] = str(tmp_path / name)
    scratch = tmp_path / "scratch"  # where the sandbox would make its temporary database
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code, out, err = _cli([part.format(**paths) for part in argv], capsys)
    assert code == 2
    assert said in err
    assert err.rstrip().endswith("The sandbox did not start; fix what is listed above and run "
                                 "it again.")
    assert "Traceback" not in err and out == ""
    for secret in ("Alexis", "555", *REHEARSAL_SECRETS):
        assert secret not in err, secret
    assert list(scratch.iterdir()) == []  # nothing started, or nothing left behind


def test_every_problem_of_every_file_is_listed_at_once(
        clinic_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CLIENTS, encoding="utf-8")
    clinic_files["appointments"].write_text("client,start,minutes\nA-201,tomorrow,50\n",
                                            encoding="utf-8")
    code, _out, err = _cli(["--policy", str(clinic_files["policy"]), "--clients", str(bad),
                            "--appointments", str(clinic_files["appointments"]),
                            "--start", "2026-11-20 4:30"], capsys)
    assert code == 2
    assert "--start '2026-11-20 4:30' is not a clinic time" in err
    assert "line 2, column may_call:" in err and "line 3, column cell:" in err
    assert "appointments.csv: nothing imported; 1 problem(s) to fix:\n  line 2, column start:" \
        in err


def test_a_bad_input_from_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    result = run_sandbox("quit\n", tmp_path, "--start", "2026-03-08 02:30")
    assert result.returncode == 2
    assert "does not exist on 2026-03-08" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-20 16:30", datetime(2026, 11, 20, 16, 30, tzinfo=NEW_YORK)),
    ("  2026-11-20 16:30 ", datetime(2026, 11, 20, 16, 30, tzinfo=NEW_YORK)),
    ("2026-11-01 01:30", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # the first 01:30 (EDT)
    ("2026-03-08 03:00", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),  # just after the gap
    ("2026-12-31 23:59", datetime(2026, 12, 31, 23, 59, tzinfo=NEW_YORK)),
], ids=["plain", "spaces around", "repeated hour: first", "after the gap", "year end"])
def test_start_is_read_as_clinic_time(text: str, expected: datetime) -> None:
    start = parse_start(text, NEW_YORK)
    assert start.tzinfo == NEW_YORK  # (an instant in a repeated hour equals no other zone's)
    assert start.astimezone(UTC) == expected.astimezone(UTC)


def test_own_files_start_at_the_current_clinic_minute_without_start(
        clinic_files: dict[str, Path]) -> None:
    setup = load_setup(policy=str(clinic_files["policy"]), clients=str(clinic_files["clients"]))
    now = datetime.now(UTC)
    assert setup.start.tzinfo == NEW_YORK and setup.start.second == 0
    assert timedelta(0) <= now - setup.start < timedelta(minutes=2)
    assert setup.files is not None and setup.files.appointments is None


# --- the sample clinic from another day --------------------------------------------------------


@pytest.mark.parametrize(("start", "script", "said", "not_said"), [
    ("2026-11-23 09:40", "wait 25m\n",
     ["It is Mon 23 Nov 09:40", "wait 25m ", "DM to Ana · Mon 23 Nov 10:05",
      "C-1002 has not been marked arrived for the 9:45 AM appointment"], []),
    ("2026-11-20 16:30", "dms\n/contact-check pending\n",
     ["It is Fri 20 Nov 16:30", "DM to Ana · Fri 13 Nov 11:25",  # last week's chase
      "C-1013 has not been marked arrived for the 11:00 AM appointment",
      "09:45 C-1002 (50 min): arrived", "15:00 C-1019 (50 min): arrived"],
     ["has not been marked arrived for the 9:45 AM"]),  # the morning went smoothly
    ("2026-11-26 10:00", "/contact-check pending\nwait 1h\n",
     ["The clinic is closed today (Thanksgiving Day). Closed Fri 27 Nov (Day After "
      "Thanksgiving).", "(it is now Thu 26 Nov 11:00 clinic time)"],
     ["Today's appointments", "DM to Ana · Thu 26 Nov"]),  # nobody is booked on a holiday
], ids=["a monday morning", "a friday afternoon", "a holiday"])
def test_the_sample_history_moves_to_the_chosen_day(start: str, script: str, said: list[str],
                                                    not_said: list[str]) -> None:
    out = in_process(script + "quit\n", sample_setup(parse_start(start, sample.TIMEZONE)))
    for words in said:
        assert words in out, words
    for words in not_said:
        assert words not in out, words


@pytest.mark.parametrize(("moment", "days_before"), [
    (sample.LAST_WEEK_NO_SHOW[1], 7), (sample.RUN_IN[0], 5), (sample.COACHING_REQUEST[0], 1),
    (sample.MISSED_CALLS[1][0], 0),
])
def test_shifted_history_keeps_its_wall_clock_time_across_dst(moment: datetime,
                                                              days_before: int) -> None:
    start = datetime(2026, 3, 10, 9, 40, tzinfo=sample.TIMEZONE)  # two days after spring forward
    moved = shifted(moment, start)
    assert (moved.hour, moved.minute) == (moment.hour, moment.minute)
    assert (start.date() - moved.date()).days == days_before


def test_the_default_start_is_the_sample_day() -> None:
    assert sample_setup().start == sample.START == datetime(2026, 11, 17, 9, 40,
                                                            tzinfo=sample.TIMEZONE)


# --- the consent modal shows what is on file ------------------------------------------------


CONSENT_FIELDS = [  # (client, the field's label, what the field says is on file now)
    ("C-1002", "Treating clinician", "a first name, now Ana"),
    ("C-1013", "Treating clinician", "a first name, now Ana"),
    ("C-1006", "Treating clinician", "a first name, now Ben"),
    ("C-1002", "Client's first name (said on the phone)", "now 'Alex'; - clears it"),
    ("C-1002", "Status", "5=Closed; now 3"),
    ("C-1008", "Status", "5=Closed; now 4"),
    ("C-1009", "Status", "5=Closed; now 2"),
    ("C-1002", "May the clinic phone the client?", "1=Yes, 2=No; now 1"),
    ("C-1004", "May the clinic phone the client?", "1=Yes, 2=No; now 2"),
    ("C-1002", "Preferred number", "3=Work; now 2"),
    ("C-1014", "Preferred number", "3=Work; now 3"),
    ("C-1001", "May the clinic's name be said (voicemail, others answering)?",
     "1=Yes, 2=No; now 1"),
    ("C-1006", "May the clinic's name be said (voicemail, others answering)?",
     "1=Yes, 2=No; now 2"),
    ("C-1003", "Call no earlier than", "now '17:30'; - clears it"),
    ("C-1003", "Call no later than", "now '20:00'; - clears it"),
    ("C-1001", "Cell number", "now '(215) 555-0101'; - clears it"),
    ("C-1001", "Cell: permissions", "3=Voicemail may be left; now 1,3 (- for none)"),
    ("C-1002", "Work: permissions", "3=Voicemail may be left; now 2 (- for none)"),
    ("C-1002", "Work: why not to call", "now 'Employer must not know'; - clears it"),
    ("C-1001", "Cell: clinic's name", "3=No; now 1"),
    ("C-1007", "Someone the client allows us to speak with", "now 'Pat Lee'; - clears it"),
    ("C-1007", "Written permission", "written permission is on file; now 1 (- for none)"),
    ("C-1016", "Written permission", "written permission is on file; now none (- for none)"),
]


@pytest.fixture(scope="module")
def consent_modals() -> dict[str, str]:
    """The consent modal of each client of CONSENT_FIELDS, opened by their clinician (Lee, the
    admin, sees every client) and closed unchanged."""
    codes = sorted({code for code, _, _ in CONSENT_FIELDS})
    script = "as Lee\n" + "".join(f"/contact-check consent {code}\ncancel\n" for code in codes)
    sections = _sections(in_process(script + "quit\n"))
    return {code: next(s for s in sections if s.split(": ", 1)[-1].startswith(
        f"/contact-check consent {code}\n")) for code in codes}


@pytest.mark.parametrize(("code", "label", "now"), CONSENT_FIELDS,
                         ids=[f"{code} {label[:30]}" for code, label, _ in CONSENT_FIELDS])
def test_the_consent_modal_shows_every_value_on_file(consent_modals: dict[str, str], code: str,
                                                     label: str, now: str) -> None:
    line = next(line for line in consent_modals[code].splitlines()
                if line.lstrip("│ ").startswith(f"{label}"))
    assert line.rstrip().endswith(f"{now}>"), line


def test_saving_the_modal_with_enter_everywhere_changes_nothing() -> None:
    enter = "\n" * 60  # Enter for every field (blank lines after the modal do nothing)
    out = in_process(f"as Ben\n/contact-check consent C-1007\n{enter}clients C-1007\nquit\n")
    saved, listing = _sections(out)[2:4]
    assert "Saved. The contact consent for C-1007 is on file" in saved
    assert "the modal says" not in saved
    # the record is as seeded, so the sample's note on it still shows
    assert "(sample: a third party with written permission" in listing


# --- dms, buttons and clients as they stand now -----------------------------------------------


def test_clients_says_what_is_on_file_after_a_consent_change() -> None:
    answers = ["", "", "",   # clinician, first name, status: as on file
               "1",          # May the clinic phone the client? Yes
               "1",          # preferred: cell
               "2",          # clinic's name: no
               "", "",       # hours
               "(215) 555-0105", "1,3"]  # cell number; may call, voicemail ok
    script = ("clients C-1005\n/contact-check consent C-1005\n" + "\n".join(answers) + "\n"
              + "\n" * 60 + "clients C-1005\nquit\n")
    sections = _sections(in_process(script))
    before, after = sections[1], sections[-2]
    assert "C-1005   Ana      active   No consent on file" in before
    assert "(sample: No consent on file" in before
    assert "C-1005   Ana      active   OK to call: cell, voicemail ok, no clinic name" in after
    assert "sample:" not in after  # the sample's note no longer holds
    assert "0105" not in before + after  # a number is never listed


def test_clients_shows_todays_appointments_as_they_are_marked() -> None:
    out = in_process("clients C-1002\nwait 25m\npress 1\nclients C-1002\nquit\n")
    sections = _sections(out)
    assert "today 09:45 ·" in sections[1]
    assert "today 09:45 arrived" in sections[-2]


def test_dms_shows_a_decided_approval_and_its_old_buttons_are_gone() -> None:
    out = in_process("as Bedics\ndms\npress 1\npress 2\ndms\nquit\n")
    _banner, _as, dms, approve, deny, after, _quit = _sections(out)
    assert "C-1007" in dms and "[1] Approve" in dms and "[2] Deny" in dms
    assert "(pressed [1] Approve as Bedics)" in approve
    assert "Button [2] can no longer be pressed: the bot has updated its message since" in deny
    assert "DM to Bedics · Mon 16 Nov 16:00 · updated Tue 17 Nov 09:40" in after
    assert "Approved by @Bedics on Tuesday, November 17 at 9:40 AM" in after
    assert "[1]" not in after and "Deny" not in after


def test_a_replaced_reply_s_buttons_cannot_be_pressed() -> None:
    out = io.StringIO()
    with Sandbox(out, _reader(io.StringIO(""), False), interactive=False) as box:
        reply = {"text": "x", "blocks": [{"type": "actions", "block_id": "b", "elements": [
            {"type": "button", "action_id": "pending_open", "value": "1",
             "text": {"type": "plain_text", "text": "Open"}}]}]}
        box.show("reply (only you see it)", reply)
        assert box.buttons[1].where == "ephemeral"
        url = box.slack.new_response_url()
        key = url.rsplit("/", 1)[-1]
        box._pressed_from[key] = box.buttons[1]
        box._show_response({"key": key, "replace_original": "true", "text": "done"})
        with pytest.raises(SandboxError, match="replaced the reply that showed it"):
            box.press(1)
    assert "reply updated (only you see it)" in out.getvalue()


def test_the_sample_clinic_shows_the_intake_and_closed_file_cards() -> None:
    """Seed 002: an intake not complete is not called; a former client's file is closed."""
    out = io.StringIO()
    script = io.StringIO("as Ben\n/contact-check c-1009\n/contact-check C-1008\n"
                         "/contact-check missed C-1009 voicemail\n")
    with Sandbox(out, _reader(script, False), interactive=False) as box:
        box.run()
    text = out.getvalue()
    assert "DO NOT CALL: C-1009" in text and "Intake not complete" in text  # found in any case
    assert "NO CONSENT ON FILE: C-1008" in text and "File closed" in text
    assert "Missed call from C-1009 logged" in text  # they called: returned first name only
    assert "Calling them now: No consent on file" in text
    assert "OK to call" not in text


# --- how things look: emoji, the modal's prompts, the Home tab's Refresh ---------------------


def _emoji_codes_the_bot_writes() -> set[str]:
    codes = set()
    for folder in ("bot/slack_ui", "bot/services", "bot/policy", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            codes |= set(render._EMOJI_CODE.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_emoji_code_the_bot_writes_is_shown_as_its_emoji() -> None:
    codes = _emoji_codes_the_bot_writes()
    assert ":telephone_receiver:" in codes and ":white_check_mark:" in codes  # the scan works
    assert codes <= set(render.EMOJI), sorted(codes - set(render.EMOJI))
    assert render.mrkdwn(":telephone_receiver: Call back", {}) == "\U0001f4de Call back"
    assert render.mrkdwn(":white_check_mark: Saved", {}) == "\u2705 Saved"  # as ✅ elsewhere
    # a code nobody mapped (a person typed it) stays as typed; times are not codes
    assert render.mrkdwn("Thanks :smile: 09:00-17:00", {}) == "Thanks :smile: 09:00-17:00"


def test_the_modal_says_a_dash_clears_a_field() -> None:
    assert "`-` clears it" in sandbox.HELP
    text = {"type": "plain_text_input", "initial_value": "Pat Lee"}
    assert render.input_hint(text, {}) == "text, now 'Pat Lee'; - clears it"
    assert render.input_hint({"type": "plain_text_input"}, {}) == "text"  # nothing to clear


def test_the_home_tab_refresh_button_redraws_it() -> None:
    """Refresh on the Home tab shows the Home again, with what changed since it was drawn."""
    out = in_process("home\n/contact-check appt C-1005 2026-11-17 16:00\npress 1\nquit\n")
    _banner, home, _appt, refresh, _quit = _sections(out)
    assert "[1] Refresh" in home and "16:00 C-1005" not in home
    assert "(pressed [1] Refresh as Ana)" in refresh
    assert "Home tab of Ana" in refresh and "16:00 C-1005" in refresh
    assert "`home` shows it" not in refresh


# --- the practice system's calendar feed (issue 14) --------------------------------------------


def test_the_sample_calendar_feed_brings_appointments_and_chases() -> None:
    """The sample clinic's EHR-style export (client IDs, no names) is synced by the job: its
    sessions are appointments with chases, lunch and the staff meeting are ignored, the unknown
    code is reported to the admin by code."""
    out = io.StringIO()
    script = io.StringIO("calendar\nclients C-1011\nwait until 11:55\nas Lee\ndms\nhome\n")
    with Sandbox(out, _reader(script, False), interactive=False) as box:
        box.run()
        feed_file = Path(box.policy.calendars[0].file or "")
        assert feed_file.parent == box.workdir  # the sample's own folder, gone afterwards
        exported = feed_file.read_text(encoding="utf-8")
    text = out.getvalue()
    sections = _sections(text)
    calendar = next(s for s in sections if s.startswith("Ana · Tue 17 Nov 09:40: calendar"))
    assert "Calendar feed front-office (file riverside-calendar.ics, read every 5m): last " \
           "synced Tue 17 Nov 09:40" in calendar
    assert "ignored: 1 cancelled, 1 client not on file, 2 no client code" in calendar
    for line in ("Tue 17 Nov 11:30  C-1011    50 min  scheduled",
                 "Tue 17 Nov 13:30  C-1017    50 min  scheduled",  # the weekly series
                 "Tue 17 Nov 16:00  C-1014    50 min  scheduled",
                 "Wed 18 Nov 10:00  C-1003    50 min  scheduled",
                 "Tue 24 Nov 13:30  C-1017    50 min  scheduled"):
        assert line in calendar, line
    assert "C-1018" not in calendar and "C-1099" not in calendar.split("appointments it")[1]
    assert "today 11:30" in next(s for s in sections if ": clients C-1011" in s)
    # the feed's 11:30 session was never marked arrived: River is chased like any other
    assert "DM to River · Tue 17 Nov 11:50" in text
    assert "C-1011 has not been marked arrived for the 11:30 AM appointment" in text
    lee = next(s for s in sections if s.startswith("Lee · Tue 17 Nov 11:55: dms"))
    assert "Calendar feed front-office has appointments for C-1099, who is not on file" in lee
    assert "\u2705 front-office: last synced" in next(s for s in sections if ": home\n" in s)
    assert "Client ID: C-1011" in exported and "Robin" not in exported  # codes, no names


def test_a_session_started_after_a_feed_session_finds_it_marked_arrived() -> None:
    out = in_process("calendar\nquit\n", sample_setup(parse_start("2026-11-20 16:30",
                                                                  sample.TIMEZONE)))
    assert "Fri 20 Nov 11:30  C-1011    50 min  arrived" in out  # the morning went smoothly
    assert "Fri 20 Nov 16:00  C-1014    50 min  arrived" in out
    assert "C-1011 has not been marked arrived" not in out


def test_a_rehearsal_without_feeds_says_how_to_add_one(clinic_files: dict[str, Path]) -> None:
    out = rehearse(clinic_files, "calendar\nquit\n")
    assert "the policy has no calendar feed; `calendars:` in the README says how to add one" \
        in out
