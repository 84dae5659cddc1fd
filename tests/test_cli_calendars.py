"""``check-policy --serve``, serve's refusal, and ``calendars check`` / ``calendars sync`` (issue
14), run as a clinic admin runs them: a subprocess with an environment."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.crypto import generate_key
from tests.calendars.feeds import NY, feed
from tests.policy_yaml import POLICY_YAML
from tests.test_cli import GOOD_CLIENTS, run

TOKEN = "s3cr3t-cli-t0ken-4d2c"
URL_FEED = """calendars:
  - name: front-office
    url_env: CLINIC_CALENDAR_URL
    client_code: '\\b([A-Z]-\\d{3,4})\\b'
"""
FILE_FEED = """  - name: ana
    file: ana.ics
    client_code: 'Client ID: ([A-Z]-\\d{4})'
"""


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLACK_", "CONTACT_CHECK_", "DATABASE_URL", "PORT",
                                  "CLINIC_CALENDAR_URL"))}
    clean.update(CONTACT_CHECK_KEYS=generate_key(), DATABASE_URL=sqlite_url)
    return clean


@pytest.fixture
def served() -> Iterator[tuple[dict[str, object], str]]:
    """A feed server on this machine: ``state["body"]`` and ``state["status"]``."""
    state: dict[str, object] = {"body": b"", "status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(int(state["status"]))  # type: ignore[call-overload]
            self.end_headers()
            self.wfile.write(state["body"])  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_port}/private/{TOKEN}/basic.ics"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _policy(tmp_path: Path, *feeds: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_YAML + "".join(feeds), encoding="utf-8")
    return path


def _sessions(*hours_ahead: int) -> list[dict]:
    """Sessions of C-1042 starting so many hours from now (whole hours, New York time)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return [{"uid": f"s{h}@ehr", "summary": "Session", "description": "Client ID: C-1042",
             "start": (now + timedelta(hours=h)).astimezone(NY)} for h in hours_ahead]


def _no_token(*results: object) -> None:
    for result in results:
        assert TOKEN not in result.stdout + result.stderr  # type: ignore[attr-defined]
        assert "Traceback" not in result.stderr  # type: ignore[attr-defined]


# --- check-policy --serve, and serve ------------------------------------------------------------


def test_check_policy_serve_checks_what_serve_needs(tmp_path: Path, env: dict[str, str]) -> None:
    path = _policy(tmp_path, URL_FEED, FILE_FEED)
    plain = run(["check-policy", str(path)], env, tmp_path)
    assert plain.returncode == 0, plain.stderr  # the file itself is fine
    unset = run(["check-policy", str(path), "--serve"], env, tmp_path)
    assert unset.returncode == 2
    assert "calendars[0].url_env: the environment variable CLINIC_CALENDAR_URL is not set" \
        in unset.stderr
    assert "calendars[1].file: there is no file at" in unset.stderr
    assert "ana.ics" in unset.stderr
    env["CLINIC_CALENDAR_URL"] = f"http://calendar.example.org/{TOKEN}.ics"
    (tmp_path / "ana.ics").write_bytes(feed("ehr", []))
    plain_http = run(["check-policy", str(path), "--serve"], env, tmp_path)
    assert plain_http.returncode == 2
    assert "calendars[0].url_env: the environment variable CLINIC_CALENDAR_URL uses plain " \
           "http://" in plain_http.stderr
    assert "calendars[1]" not in plain_http.stderr  # the file beside the policy is found
    env["CLINIC_CALENDAR_URL"] = f"webcal://calendar.example.org/{TOKEN}.ics"
    ready = run(["check-policy", str(path), "--serve"], env, tmp_path)
    assert ready.returncode == 0, ready.stderr
    _no_token(plain_http, ready)


def test_serve_refuses_to_start_with_a_feed_it_cannot_read(tmp_path: Path,
                                                           env: dict[str, str]) -> None:
    env.update(CONTACT_CHECK_POLICY=str(_policy(tmp_path, URL_FEED)),
               SLACK_BOT_TOKEN="xoxb-1234567890-0987654321-abc",
               SLACK_SIGNING_SECRET="a-signing-secret-for-tests")
    result = run(["serve", "--http"], env, tmp_path)  # stops before listening
    assert result.returncode == 2
    assert "calendars[0].url_env: the environment variable CLINIC_CALENDAR_URL is not set" \
        in result.stderr
    _no_token(result)


# --- calendars check and sync -------------------------------------------------------------------


def _with_client(tmp_path: Path, env: dict[str, str], *feeds: str) -> None:
    env["CONTACT_CHECK_POLICY"] = str(_policy(tmp_path, *feeds))
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    imported = run(["import", "clients", str(clients)], env, tmp_path)
    assert imported.returncode == 0, imported.stderr


def test_calendars_check_reports_each_feed_and_exits_2_naming_the_unreadable(
        tmp_path: Path, env: dict[str, str], served: tuple[dict[str, object], str]) -> None:
    state, url = served
    _with_client(tmp_path, env, URL_FEED, FILE_FEED)
    env["CLINIC_CALENDAR_URL"] = url
    events = [*_sessions(2, 26), {"uid": "lunch", "summary": "Lunch",
                                  "start": _sessions(3)[0]["start"]},
              {"uid": "x", "summary": "Session", "description": "Client ID: C-9999",
               "start": _sessions(4)[0]["start"]}]
    (tmp_path / "ana.ics").write_bytes(feed("ehr", events))
    state["status"] = 404
    result = run(["calendars", "check"], env, tmp_path)
    assert result.returncode == 2
    assert "front-office: NOT READABLE: the server has no feed at that address (HTTP 404)" \
        in result.stdout
    assert "ana: 4 event(s) in the window, 2 matched appointment(s)" in result.stdout
    assert "  ignored: 1 client not on file, 1 no client code" in result.stdout
    first = _sessions(2)[0]["start"]
    assert f"  next: C-1042 {first:%a %Y-%m-%d %H:%M} (50 min)" in result.stdout
    assert "Not readable: front-office" in result.stderr
    state.update(status=200, body=feed("google", []))
    fine = run(["calendars", "check"], env, tmp_path)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert "front-office: 0 event(s) in the window, 0 matched appointment(s)" in fine.stdout
    assert "  next: no appointment ahead in the window" in fine.stdout
    _no_token(result, fine)


def test_calendars_sync_applies_holds_and_accepts_a_drop(tmp_path: Path,
                                                         env: dict[str, str]) -> None:
    _with_client(tmp_path, env, "calendars:\n", FILE_FEED)
    ics = tmp_path / "ana.ics"
    ics.write_bytes(feed("ehr", _sessions(2, 26, 50, 74)))
    first = run(["calendars", "sync"], env, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "ana: applied: 4 new, 0 moved, 0 updated, 0 cancelled, 0 restored, 0 unchanged" \
        in first.stdout
    again = run(["calendars", "sync"], env, tmp_path)
    assert again.returncode == 0 and "ana: unchanged:" in again.stdout
    ics.write_bytes(feed("ehr", _sessions(2)))  # a truncated export
    held = run(["calendars", "sync"], env, tmp_path)
    assert held.returncode == 2
    assert "ana: HELD: it lists 1 appointment(s) ahead where it listed 4; nothing was changed" \
        in held.stdout
    assert 'calendars sync --accept-drop "ana"' in held.stdout
    assert "Not applied: ana" in held.stderr
    unknown = run(["calendars", "sync", "--accept-drop", "bob"], env, tmp_path)
    assert unknown.returncode == 2
    assert "--accept-drop: there is no feed named 'bob' in the policy (feeds: ana)" \
        in unknown.stderr
    accepted = run(["calendars", "sync", "--accept-drop", "ana"], env, tmp_path)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "0 new, 0 moved, 0 updated, 3 cancelled" in accepted.stdout
    ics.unlink()
    gone = run(["calendars", "sync"], env, tmp_path)
    assert gone.returncode == 2 and "ana: NOT APPLIED: there is no file at" in gone.stdout
    _no_token(first, held, accepted, gone)


def test_calendars_without_feeds_says_so(tmp_path: Path, env: dict[str, str]) -> None:
    env["CONTACT_CHECK_POLICY"] = str(_policy(tmp_path))
    for action in ("check", "sync"):
        result = run(["calendars", action], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "The policy has no calendars: nothing to read" in result.stdout
