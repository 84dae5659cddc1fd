"""The README's test command on a machine without PostgreSQL: the skipped PostgreSQL tests are
one summary line, and it is the line .ci/run looks for to fail a run that skipped them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import POSTGRES_ENV, REQUIRE_POSTGRES_ENV

ROOT = Path(__file__).resolve().parent.parent


def ci_pattern() -> re.Pattern[str]:
    """The extended regular expression .ci/run greps pytest's output for."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (pattern,) = re.findall(r"grep -E '(\^SKIPPED[^']*)'", script)
    return re.compile(pattern)


def test_postgresql_skips_are_one_line_that_ci_recognises(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (POSTGRES_ENV, REQUIRE_POSTGRES_ENV)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_runtime.py",
         "tests/storage/test_audit_upgrade.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, skipped
    (line,) = skipped
    assert ci_pattern().search(line), line
    count = int(re.match(r"SKIPPED \[(\d+)\]", line).group(1))  # type: ignore[union-attr]
    assert count >= 2 and f"{count} skipped" in result.stdout
