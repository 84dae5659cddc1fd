"""The command line, run as a clinic admin runs it: a subprocess with an environment."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.csv_formats import CLIENT_COLUMNS, parse_clients_csv
from storage.audit import chain_hash
from storage.crypto import generate_key
from storage.db import make_engine
from storage.tables import AuditEvent
from tests.policy_yaml import POLICY_YAML

HEADER = ",".join(CLIENT_COLUMNS)
GOOD_CLIENTS = f"""{HEADER}
C-1042,U0ANA,Robin,yes,cell,(215) 555-0142,,,home,abusive partner,cell,no,09:00,18:00,Pat,yes,active
C-1043,U0ANA,Kim,no,,,,,,,,,,,,,active
"""
BAD_CLIENTS = f"""{HEADER}
C-2001,U0ANA,Alex,yes,cell,(215) 555-0144,,,,,,,,,,,active
C-2002,U0ANA,Sam,maybe,,,,,,,,,,,,,active
C 2003,U0ANA,Jo,yes,,,,,,,,,,,,,active
"""
BAD_POLICY = """clinic:
  name: Great Agency
  timezone: America/Atlantis
  hours: {mon: "9-5"}
no_show:
  wait_minutes: -5
team:
  - {slack_id: U0ANA, role: clinician, first_name: Ana, supervisor: U0NOBODY}
"""


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLACK_", "CONTACT_CHECK_", "DATABASE_URL", "PORT"))}
    clean.update(CONTACT_CHECK_KEYS=generate_key(), DATABASE_URL=sqlite_url)
    return clean


def _client_count(env: dict[str, str], tmp_path: Path) -> int:
    out = tmp_path / "count.csv"
    result = run(["export", "clients", str(out)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return len(parse_clients_csv(out.read_text(encoding="utf-8"), "US"))


def test_keygen_prints_a_usable_key(tmp_path: Path) -> None:
    first = run(["keygen"], {"PATH": os.environ["PATH"]}, tmp_path)
    second = run(["keygen"], {"PATH": os.environ["PATH"]}, tmp_path)
    assert first.returncode == 0 and second.returncode == 0
    key = first.stdout.strip()
    assert len(key) == 44 and key != second.stdout.strip()
    from storage.crypto import parse_keys

    assert len(parse_keys(key)[0]) == 32


def test_check_policy_accepts_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_YAML, encoding="utf-8")
    result = run(["check-policy", str(path)], dict(os.environ), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "2 team member" in result.stdout


def test_check_policy_lists_every_error_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(BAD_POLICY, encoding="utf-8")
    result = run(["check-policy", str(path)], dict(os.environ), tmp_path)
    assert result.returncode == 2
    for key in ("clinic.timezone", "clinic.hours.mon", "no_show.wait_minutes",
                "team[0].supervisor"):
        assert key in result.stderr, result.stderr
    missing = run(["check-policy", str(tmp_path / "nope.yaml")], dict(os.environ), tmp_path)
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr


BAD_SCRIPTS_POLICY = POLICY_YAML.replace("  timezone: America/New_York\n", """\
  timezone: America/New_York
  phone: "(215) 555-0100"
""") + """scripts:
  voice_mail: "Hi {client_first_name}"
  someone_else_answered: "Is {client_first_name} in? It's {clinician_first_name}."
  voicemail: "Hi, it's {clinician_first_name} at GREAT  agency: {callback_number}."
  good_time: "Call me back on 555-0100."
  voicemail_caution: "Great Agency asks: keep it short."
"""
# the lines check-policy prints (key path first), each with what it must name
SCRIPT_REFUSALS = [
    ("scripts.voice_mail: there is no script named 'voice_mail'; did you mean 'voicemail'?",
     "the scripts are: voicemail, voicemail_caution, someone_else_answered, someone_asks, "
     "prospect_callback, identity_check, good_time, no_show_voicemail, no_show_note, "
     "closure_warning"),
    ("scripts.someone_else_answered: uses {clinician_first_name}", "it offers {client_first_name}"),
    ("scripts.voicemail: says the clinic's name 'Great Agency'", "use {from_clinic} instead"),
    ("scripts.good_time: writes out the clinic's main number", "must never give"),
]


def test_check_policy_refuses_bad_script_overrides_naming_each(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(BAD_SCRIPTS_POLICY, encoding="utf-8")
    result = run(["check-policy", str(path)], dict(os.environ), tmp_path)
    assert result.returncode == 2
    assert "4 error(s)" in result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    for start, names in SCRIPT_REFUSALS:
        line = next((x for x in lines if x.startswith(start)), None)
        assert line is not None and names in line, result.stderr
    assert not any(x.startswith("scripts.voicemail_caution") for x in lines)  # the team's own
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_policy_with_a_bad_script_override(env: dict[str, str],
                                                          tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_YAML + 'scripts:\n  good_time: "Hi {client_last_name}"\n',
                    encoding="utf-8")
    env.update(CONTACT_CHECK_POLICY=str(path), SLACK_BOT_TOKEN="xoxb-1234567890-0987654321-abc",
               SLACK_SIGNING_SECRET="a-signing-secret-for-tests")
    result = run(["serve", "--http"], env, tmp_path)  # stops before listening
    assert result.returncode == 2, result.stderr
    assert "CONTACT_CHECK_POLICY" in result.stderr
    assert "scripts.good_time: uses {client_last_name}" in result.stderr
    assert "it offers {client_first_name}, {clinician_first_name}" in result.stderr


def test_import_then_reimport_then_export_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    first = run(["import", "clients", str(clients)], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 new" in first.stdout
    again = run(["import", "clients", str(clients)], env, tmp_path)
    assert again.returncode == 0 and "2 unchanged" in again.stdout

    out = tmp_path / "export.csv"
    exported = run(["export", "clients", str(out)], env, tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # client details: owner only
    assert parse_clients_csv(out.read_text(encoding="utf-8"), "US") == parse_clients_csv(
        GOOD_CLIENTS, "US")
    assert "+12155550142" in out.read_text(encoding="utf-8")  # normalised to E.164

    appointments = tmp_path / "appointments.csv"
    appointments.write_text("client,start,minutes\nC-1042,2026-11-24 14:00,50\n",
                            encoding="utf-8")
    result = run(["import", "appointments", str(appointments)], env, tmp_path)
    assert result.returncode == 0 and "1 new" in result.stdout, result.stderr

    audit = run(["verify-audit"], env, tmp_path)
    assert audit.returncode == 0 and "intact" in audit.stdout


def test_a_bad_row_writes_nothing_and_names_line_and_column(env: dict[str, str],
                                                            tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    clients.write_text(BAD_CLIENTS, encoding="utf-8")
    result = run(["import", "clients", str(clients)], env, tmp_path)
    assert result.returncode == 2
    assert "nothing imported" in result.stderr
    assert "line 3, column may_call: 'maybe' is not yes or no" in result.stderr
    assert "line 4, column code:" in result.stderr
    assert "Alex" not in result.stderr and "555" not in result.stderr
    assert _client_count(env, tmp_path) == 0


def test_appointments_for_unknown_clients_write_nothing(env: dict[str, str],
                                                       tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    assert run(["import", "clients", str(clients)], env, tmp_path).returncode == 0
    appointments = tmp_path / "appointments.csv"
    appointments.write_text("client,start,minutes\nC-1042,2026-11-24 14:00,50\n"
                            "C-9999,2026-11-24 15:00,50\nC-1043,2026-13-01 10:00,50\n",
                            encoding="utf-8")
    result = run(["import", "appointments", str(appointments)], env, tmp_path)
    assert result.returncode == 2
    assert "line 4, column start:" in result.stderr
    fixed = appointments.read_text(encoding="utf-8").replace("2026-13-01", "2026-12-01")
    appointments.write_text(fixed, encoding="utf-8")
    result = run(["import", "appointments", str(appointments)], env, tmp_path)
    assert result.returncode == 2
    assert "line 3, column client: no client with code C-9999" in result.stderr
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM appointments")).scalar() == 0
    engine.dispose()


def test_missing_file_and_wrong_encoding(env: dict[str, str], tmp_path: Path) -> None:
    result = run(["import", "clients", str(tmp_path / "none.csv")], env, tmp_path)
    assert result.returncode == 2 and "none.csv: no such file" in result.stderr
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"\nC-1,U0ANA,Zo\xeb,,,,,,,,,,,,,,\n")
    result = run(["import", "clients", str(latin)], env, tmp_path)
    assert result.returncode == 2 and "not UTF-8" in result.stderr


@pytest.mark.parametrize("keys", [None, "", "not-a-key"])
def test_missing_or_malformed_keys_exit_2_naming_the_variable(
        env: dict[str, str], tmp_path: Path, keys: str | None) -> None:
    if keys is None:
        del env["CONTACT_CHECK_KEYS"]
    else:
        env["CONTACT_CHECK_KEYS"] = keys
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    for args in (["import", "clients", str(clients)], ["serve"], ["rotate-keys"]):
        result = run(args, env, tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert "CONTACT_CHECK_KEYS" in result.stderr
        assert "Traceback" not in result.stderr


def test_the_wrong_key_is_refused_and_nothing_is_revealed(env: dict[str, str],
                                                         tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    assert run(["import", "clients", str(clients)], env, tmp_path).returncode == 0
    env["CONTACT_CHECK_KEYS"] = generate_key()
    out = tmp_path / "export.csv"
    result = run(["export", "clients", str(out)], env, tmp_path)
    assert result.returncode == 2
    assert "CONTACT_CHECK_KEYS" in result.stderr and "Robin" not in result.stderr
    assert not out.exists()


def test_rotate_keys_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    assert run(["import", "clients", str(clients)], env, tmp_path).returncode == 0
    old, new = env["CONTACT_CHECK_KEYS"], generate_key()
    env["CONTACT_CHECK_KEYS"] = f"{new},{old}"
    result = run(["rotate-keys"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "remove the older key" in result.stdout
    env["CONTACT_CHECK_KEYS"] = new
    assert _client_count(env, tmp_path) == 2


def test_serve_names_the_missing_slack_settings(env: dict[str, str], tmp_path: Path) -> None:
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr
    env.update(SLACK_BOT_TOKEN="xoxb-your-token-here")
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "placeholder" in result.stderr
    env.update(SLACK_BOT_TOKEN="xoxb-1234567890-0987654321-abcdefghij")
    result = run(["serve", "--socket"], env, tmp_path)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN is not set" in result.stderr
    assert "SLACK_BOT_TOKEN" not in result.stderr


def test_bad_settings_are_named(env: dict[str, str], tmp_path: Path) -> None:
    env.update(CONTACT_CHECK_SEND_RATE="0", PORT="http", DATABASE_URL="mysql://x/y")
    result = run(["export", "clients", str(tmp_path / "x.csv")], env, tmp_path)
    assert result.returncode == 2
    assert "CONTACT_CHECK_SEND_RATE" in result.stderr and "PORT" in result.stderr
    env.update(CONTACT_CHECK_SEND_RATE="4", PORT="3000")
    result = run(["export", "clients", str(tmp_path / "x.csv")], env, tmp_path)
    assert result.returncode == 2 and "DATABASE_URL" in result.stderr


def test_a_bad_policy_stops_start_naming_the_variable(env: dict[str, str],
                                                      tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(BAD_POLICY, encoding="utf-8")
    env["CONTACT_CHECK_POLICY"] = str(path)
    result = run(["export", "clients", str(tmp_path / "x.csv")], env, tmp_path)
    assert result.returncode == 2
    assert "CONTACT_CHECK_POLICY" in result.stderr and "clinic.timezone" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for args in ([], ["import", "patients", "x.csv"], ["serve", "--port", "99999"],
                 ["serve", "--http", "--socket"]):
        assert run(args, dict(os.environ), tmp_path).returncode == 2, args


def test_contact_check_console_script_is_the_same_cli(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("contact-check")
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    result = subprocess.run([str(script), "keygen"], capture_output=True, text=True, check=False,
                            timeout=60)
    assert result.returncode == 0 and len(result.stdout.strip()) == 44


def test_the_cli_refuses_a_link_and_writes_0600(env: dict[str, str], tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    assert run(["import", "clients", str(clients)], env, tmp_path).returncode == 0
    destination = tmp_path / "shared-folder.csv"
    destination.write_text("", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(destination)
    refused = run(["export", "clients", str(link)], env, tmp_path)
    assert refused.returncode == 2
    assert "symbolic link" in refused.stderr and "Traceback" not in refused.stderr
    assert destination.read_text(encoding="utf-8") == ""
    out = tmp_path / "export.csv"
    written = run(["export", "clients", str(out)], env, tmp_path)
    assert written.returncode == 0, written.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and "Robin" in out.read_text(encoding="utf-8")


# --- verify-audit: what someone with the database but not the key might do -----------------------


def _trail(env: dict[str, str], tmp_path: Path) -> str:
    """A trail of a few events (an import and two re-imports, one event each); the head
    verify-audit printed."""
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    for _ in range(3):
        assert run(["import", "clients", str(clients)], env, tmp_path).returncode == 0
    result = run(["verify-audit"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("head ")[1].split(".")[0]


def _sql(env: dict[str, str], *statements: str) -> None:
    engine = make_engine(env["DATABASE_URL"])
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _rewrite_everything_from(env: dict[str, str], seq: int) -> None:
    """Edit event ``seq`` and recompute every hash after it: all an unkeyed chain could check."""
    engine = make_engine(env["DATABASE_URL"])
    try:
        with engine.begin() as conn:
            rows = conn.execute(select(AuditEvent).order_by(AuditEvent.seq)).all()
            prev = rows[seq - 2].hash
            for row in rows[seq - 1:]:
                actor = "cli:mallory" if row.seq == seq else row.actor
                digest = chain_hash(row.seq, row.at, actor, row.action, row.client_code,
                                    row.details, prev)
                conn.execute(text("UPDATE audit_events SET actor = :a, prev_hash = :p, "
                                  "hash = :h WHERE seq = :s"),
                             {"a": actor, "p": prev, "h": digest, "s": row.seq})
                prev = digest
            conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    finally:
        engine.dispose()


def _broken(result: subprocess.CompletedProcess[str], first_bad: int | None) -> None:
    assert result.returncode == 2, result.stdout
    assert "Audit trail BROKEN" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    if first_bad is not None:
        assert f"first bad event: {first_bad}" in result.stderr, result.stderr


@pytest.mark.parametrize(("tamper", "first_bad"), [
    (("DELETE FROM audit_events WHERE seq >= 3",), 3),  # the newest events
    (("DELETE FROM audit_events",), 1),  # every event
    (("DELETE FROM audit_events", "DELETE FROM audit_head"), None),  # and the head
    (("UPDATE audit_events SET client_code = 'C-9999' WHERE seq = 2",), 2),
    (("UPDATE audit_events SET seq = 'three' WHERE seq = 3",), 3),  # unreadable: text
    (("UPDATE audit_events SET details = '{broken' WHERE seq = 2",), 2),  # unreadable: JSON
])
def test_verify_audit_reports_a_tampered_trail(env: dict[str, str], tmp_path: Path,
                                               tamper: tuple[str, ...],
                                               first_bad: int | None) -> None:
    _trail(env, tmp_path)
    _sql(env, *tamper)
    result = run(["verify-audit"], env, tmp_path)
    _broken(result, first_bad)


def test_verify_audit_reports_a_rewrite_with_recomputed_hashes(env: dict[str, str],
                                                               tmp_path: Path) -> None:
    _trail(env, tmp_path)
    _rewrite_everything_from(env, 2)
    result = run(["verify-audit"], env, tmp_path)
    _broken(result, 2)
    assert "event 2 was altered and its hash recomputed" in result.stderr


def test_verify_audit_checks_a_head_kept_elsewhere(env: dict[str, str], tmp_path: Path) -> None:
    kept = _trail(env, tmp_path)
    clients = tmp_path / "more.csv"
    clients.write_text(GOOD_CLIENTS.replace("Kim", "Kit"), encoding="utf-8")
    assert run(["import", "clients", str(clients)], env, tmp_path).returncode == 0
    older = run(["verify-audit", "--expect-head", kept.upper()], env, tmp_path)
    assert older.returncode == 0, older.stderr
    assert "It reaches the head you kept (event " in older.stdout
    current = run(["verify-audit"], env, tmp_path).stdout.split("head ")[1].split(".")[0]
    assert current != kept
    assert run(["verify-audit", "--expect-head", current], env, tmp_path).returncode == 0

    unknown = run(["verify-audit", "--expect-head", "f" * 64], env, tmp_path)
    _broken(unknown, None)
    assert f"the head {'f' * 64} kept elsewhere is not on this trail" in unknown.stderr
    malformed = run(["verify-audit", "--expect-head", "last-tuesday"], env, tmp_path)
    assert malformed.returncode == 2 and "--expect-head takes" in malformed.stderr

    _sql(env, "DELETE FROM audit_events WHERE seq > 2",
         "UPDATE audit_head SET events = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)")
    cut = run(["verify-audit", "--expect-head", current], env, tmp_path)
    _broken(cut, None)


def test_rotate_keys_refuses_a_broken_trail(env: dict[str, str], tmp_path: Path) -> None:
    _trail(env, tmp_path)
    _sql(env, "DELETE FROM audit_events WHERE seq = 2")
    env["CONTACT_CHECK_KEYS"] = f"{generate_key()},{env['CONTACT_CHECK_KEYS']}"
    result = run(["rotate-keys"], env, tmp_path)
    assert result.returncode == 2
    assert "first bad event: 2" in result.stderr and "nothing was changed" in result.stderr
    assert "Traceback" not in result.stderr
