"""requirements.lock pins, with hashes, a set that satisfies pyproject.toml (see README)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(spec) for spec in (*project["dependencies"],
                                           *project["optional-dependencies"]["test"])]


def test_every_pin_carries_a_hash() -> None:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9._-]+==)", text)
    pinned = [block for block in blocks if _PIN.match(block)]
    assert pinned
    assert all("--hash=sha256:" in block for block in pinned)


@pytest.mark.parametrize("requirement", _declared(), ids=str)
def test_the_lock_satisfies_pyproject(requirement: Requirement) -> None:
    pins = _pins()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement.name} is not in requirements.lock: refresh it (README)"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"requirements.lock pins {requirement.name}=={pins[name]}, outside {requirement}: "
        "refresh it (README)"
    )


@pytest.mark.parametrize(
    ("package", "vulnerable", "fixed"),
    [("waitress", "3.0.0", "3.0.1"), ("cryptography", "44.0.0", "44.0.1")],
)
def test_floors_are_past_known_advisories(package: str, vulnerable: str, fixed: str) -> None:
    declared = {canonicalize_name(r.name): r for r in _declared()}
    assert not declared[package].specifier.contains(vulnerable)
    assert declared[package].specifier.contains(fixed)
