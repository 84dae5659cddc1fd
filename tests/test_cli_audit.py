"""``audit report`` and ``audit export`` (issue 16): chain checked first, --allow-broken marks the
output, files 0600, each run audited."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.test_cli import GOOD_CLIENTS, env, run  # noqa: F401  (env is a fixture)


def _imported(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    clients = tmp_path / "clients.csv"
    clients.write_text(GOOD_CLIENTS, encoding="utf-8")
    assert run(["import", "clients", str(clients)], env, tmp_path).returncode == 0


def test_audit_report_and_export(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    _imported(env, tmp_path)
    printed = run(["audit", "report", "--client", "c-1042"], env, tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "C-1042: 1 view(s)" in printed.stdout and "import" in printed.stdout
    out = tmp_path / "access.csv"
    written = run(["audit", "report", "--client", "C-1042", "--csv", str(out)], env, tmp_path)
    assert written.returncode == 0, written.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["what"], r["chain"]) for r in rows] == [("import (details read from a file)",
                                                        "verified")]
    trail = tmp_path / "trail.jsonl"
    exported = run(["audit", "export", "--since", "2020-01-01", "--format", "jsonl", str(trail)],
                   env, tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(trail.stat().st_mode) == 0o600
    events = [json.loads(line) for line in trail.read_text(encoding="utf-8").splitlines()]
    actions = [e["action"] for e in events]
    assert actions.count("access.reported") == 2 and events[-1]["chain"] == "verified"
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    again = tmp_path / "trail.csv"
    assert run(["audit", "export", "--since", "2020-01-01", "--format", "csv", str(again)],
               env, tmp_path).returncode == 0
    assert "audit.exported" in again.read_text(encoding="utf-8")


def test_a_broken_chain_is_refused_unless_allowed(env: dict[str, str],  # noqa: F811
                                                 tmp_path: Path) -> None:
    _imported(env, tmp_path)
    engine = create_engine(env["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 1"))
    engine.dispose()
    out = tmp_path / "access.csv"
    refused = run(["audit", "report", "--client", "C-1042", "--csv", str(out)], env, tmp_path)
    assert refused.returncode == 2 and "does not verify" in refused.stderr
    assert not out.exists()
    allowed = run(["audit", "report", "--client", "C-1042", "--csv", str(out),
                   "--allow-broken"], env, tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert "BROKEN" in allowed.stderr
    assert {r["chain"] for r in csv.DictReader(io.StringIO(out.read_text()))} == {"BROKEN"}


def test_bad_input_is_named(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    bad_date = run(["audit", "export", "--since", "2026-13-01", "--format", "csv", "x.csv"],
                   env, tmp_path)
    assert bad_date.returncode == 2 and "--since" in bad_date.stderr
    bad_code = run(["audit", "report", "--client", "C 1"], env, tmp_path)
    assert bad_code.returncode == 2 and "--client" in bad_code.stderr
