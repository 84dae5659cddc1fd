"""The version of the running bot, from one source: the installed package's metadata (which
``pyproject.toml`` sets). ``python -m bot --version`` and ``/healthz`` show it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _metadata_version

DISTRIBUTION = "contact-check"


def version() -> str:
    """The installed version, or ``unknown`` when the code runs without being installed."""
    try:
        return _metadata_version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"
