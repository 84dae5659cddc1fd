"""The sandbox, scripted through standard input as a newcomer (or a script) would drive it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from slack_sdk.models.views import View

from bot import sandbox_clinic as sample
from bot.sandbox import Sandbox, _reader

ROOT = Path(__file__).resolve().parents[1]


def run_sandbox(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``python -m bot sandbox`` in a fresh directory with no configuration at all."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONTACT_CHECK_", "SLACK_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "sandbox"], input=script, capture_output=True, text=True,
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
