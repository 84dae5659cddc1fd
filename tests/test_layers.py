"""The arrows point one way: use cases never draw Slack nor own a transaction, and the presentation
package reads use cases' outcomes only (issue 13).

Every import is read from the source (``ast``), function-level imports and ``TYPE_CHECKING``
blocks included, so a cycle cannot hide in one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.outbox_kinds import OUTBOX_KINDS
from bot.services import approvals, deliveries

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted((ROOT / "bot" / "services").glob("*.py"))
SLACK_UI = sorted((ROOT / "bot" / "slack_ui").glob("*.py"))


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_a_use_case_never_imports_presentation_nor_handlers(path: Path) -> None:
    bad = sorted(m for m in imports(path)
                 if _under(m, "bot.slack_ui") or _under(m, "handlers") or _under(m, "slack_bolt")
                 or _under(m, "bot.outbox_kinds") or _under(m, "bot.dispatcher"))
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_a_use_case_never_owns_the_transaction_nor_reaches_past_repositories(path: Path) -> None:
    source = path.read_text()
    for pattern in (r"\.commit\(", r"unit_of_work\(", r"uow\.session\b", r"\.rollback\("):
        found = re.findall(pattern, source)
        assert not found, f"{path.name}: {pattern} ({len(found)}x): the handler or job owns it"


@pytest.mark.parametrize("path", SLACK_UI, ids=lambda p: p.name)
def test_presentation_reads_outcomes_never_use_cases_or_storage(path: Path) -> None:
    bad = sorted(m for m in imports(path)
                 if (_under(m, "bot.services") and not _under(m, "bot.services.outcomes"))
                 or _under(m, "storage") or _under(m, "handlers"))
    assert bad == [], f"{path.name} imports {bad}"


def test_outcomes_import_only_pure_rules() -> None:
    allowed = ("bot.policy", "__future__", "hashlib", "json", "uuid", "dataclasses", "datetime",
               "enum", "typing")
    bad = sorted(m for m in imports(ROOT / "bot" / "services" / "outcomes.py")
                 if not any(_under(m, a) for a in allowed))
    assert bad == []


def test_policy_never_imports_presentation_use_cases_or_storage() -> None:
    for path in sorted((ROOT / "bot" / "policy").glob("*.py")):
        bad = sorted(m for m in imports(path)
                     if any(_under(m, p) for p in ("bot.slack_ui", "bot.services", "storage",
                                                   "handlers")))
        assert bad == [], f"{path.name} imports {bad}"


def test_every_outbox_kind_is_declared_once_in_the_table() -> None:
    queued = set(approvals.KINDS) | {deliveries.DELIVERY_FAILED}
    for path in SERVICES:  # CHASE_KIND, REMINDER_KIND, ... (SUBJECT_KIND names no message)
        queued.update(re.findall(r'^(?!SUBJECT)[A-Z_]*_KIND = "([a-z_]+)"', path.read_text(),
                                 re.M))
    missing = queued - set(OUTBOX_KINDS)
    assert not missing, f"queued but not in the table: {missing}"
    for kind, entry in OUTBOX_KINDS.items():
        assert entry.kind == kind
        assert entry.render.__module__.startswith("bot.slack_ui."), kind
        assert entry.facts.__module__.startswith("bot.services."), kind
