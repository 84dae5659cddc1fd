"""What ``manifest.yml`` (the Slack app's manifest, at the top of the repository) asks Slack for.

``doctor`` compares the scopes Slack granted the bot token with the manifest's bot scopes, and the
Slack stand-in grants those scopes unless told otherwise (as Slack does on a fresh install).
"""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest.yml"


class ManifestUnreadable(Exception):
    """The manifest cannot be read; the message says where it was looked for."""


def bot_scopes(path: Path = MANIFEST_PATH) -> tuple[str, ...]:
    """The bot scopes ``oauth_config.scopes.bot`` asks for, in the manifest's order."""
    try:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
        scopes = manifest["oauth_config"]["scopes"]["bot"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise ManifestUnreadable(
            f"cannot read the bot scopes of {path} ({type(error).__name__})") from None
    return tuple(str(scope) for scope in scopes)
