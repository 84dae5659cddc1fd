"""Settings from the environment, checked once at start.

Every variable of the contract's configuration table is a field here (the field name is the
variable's name in lower case). A missing, malformed or placeholder value is refused with a
``ConfigError`` whose lines each begin with the variable at fault and say what to put there.
Secrets are kept out of ``repr`` so a logged settings object never shows them.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.deps import DEFAULT_SLACK_API_URL
from bot.logs import LOG_FORMAT_VARIABLE, log_format
from storage.crypto import KEYS_VARIABLE, KeyConfigError, parse_keys
from storage.db import DEFAULT_DATABASE_URL

ServeMode = Literal["http", "socket"]
DEFAULT_PORT = 3000
DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - every interface, as before HOST existed
_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
DEFAULT_SEND_RATE = 4.0
MAX_SEND_RATE = 50.0

# Fragments that mark a value copied from an example rather than a real one.
# Only unmistakable ones: a short or unusual but real value (a test workspace's token, a
# stand-in's URL) must never be refused.
_PLACEHOLDER_MARKS = (
    "changeme", "change-me", "change_me", "changethis", "placeholder", "your-", "your_", "<", ">",
    "...", "…",
)


class ConfigError(Exception):
    """The configuration cannot be used; each problem names the variable and what to fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def looks_like_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return any(mark in lowered for mark in _PLACEHOLDER_MARKS)


def host_problem(value: str) -> str | None:
    """Why ``value`` cannot be the address ``serve`` listens on; None when it can."""
    value = value.strip()
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    if _HOSTNAME.fullmatch(value) and not looks_like_placeholder(value):
        return None
    return ("is not an address to listen on: use an IP address of this machine (0.0.0.0 for "
            "every interface, 127.0.0.1 for this machine only, :: for IPv6) or its host name")


def _token(value: str | None, prefix: str, where: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if looks_like_placeholder(value):
        raise ValueError(
            f"holds a placeholder, not a real token; copy the {prefix}… token from {where}")
    if not value.startswith(prefix) or len(value) == len(prefix):
        raise ValueError(f"must be the {prefix}… token from {where}")
    return value


class Settings(BaseSettings):
    """The bot's configuration: ``Settings()`` reads the environment (see the README's table)."""

    model_config = SettingsConfigDict(case_sensitive=False, env_ignore_empty=True, extra="ignore")

    slack_bot_token: str | None = Field(default=None, repr=False)
    slack_signing_secret: str | None = Field(default=None, repr=False)
    slack_app_token: str | None = Field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = Field(default=DEFAULT_DATABASE_URL, repr=False)
    contact_check_keys: str = Field(repr=False)
    contact_check_policy: Path | None = None
    contact_check_send_rate: float = DEFAULT_SEND_RATE
    port: int = DEFAULT_PORT
    # -- operating (issue 15): /metrics on a port of its own, log lines as JSON ------------------
    metrics_port: int | None = None
    log_format: str = "text"
    host: str = DEFAULT_HOST

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: str | None) -> str | None:
        return _token(value, "xoxb-",
                      "your Slack app's OAuth & Permissions page (Bot User OAuth Token)")

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        return _token(value, "xapp-",
                      "your Slack app's Basic Information page (App-Level Tokens, "
                      "scope connections:write)")

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if looks_like_placeholder(value):
            raise ValueError("is not a signing secret; copy the Signing Secret from your Slack "
                             "app's Basic Information page")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("https://", "http://")) or looks_like_placeholder(value):
            raise ValueError("must be the http(s) URL of Slack's Web API, such as "
                             f"{DEFAULT_SLACK_API_URL}")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if looks_like_placeholder(value):
            raise ValueError("holds a placeholder; use sqlite:///path.db or "
                             "postgresql+psycopg://user:password@host/dbname")
        return value

    @field_validator("contact_check_keys")
    @classmethod
    def _keys(cls, value: str) -> str:
        try:
            parse_keys(value)
        except KeyConfigError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("contact_check_send_rate")
    @classmethod
    def _send_rate(cls, value: float) -> float:
        if not 0 < value <= MAX_SEND_RATE:
            raise ValueError(f"must be a number of messages per second above 0 and at most "
                             f"{MAX_SEND_RATE:g} (default {DEFAULT_SEND_RATE:g})")
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("must be a TCP port number from 1 to 65535")
        return value

    @field_validator("metrics_port")
    @classmethod
    def _metrics_port(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise ValueError("must be a TCP port number from 1 to 65535 (or unset: /metrics is "
                             "then served on the bot's own port)")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        return log_format({LOG_FORMAT_VARIABLE: value})

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        problem = host_problem(value)
        if problem:
            raise ValueError(problem)
        return value.strip()

    # -- what `serve` needs --------------------------------------------------------------------

    def serve_mode(self, forced: ServeMode | None = None) -> ServeMode:
        """Socket Mode when SLACK_APP_TOKEN is set, else HTTP; ``forced`` overrides."""
        if forced is not None:
            return forced
        return "socket" if self.slack_app_token else "http"

    def require_slack(self, mode: ServeMode) -> None:
        """Raise ConfigError unless every Slack credential ``mode`` needs is present."""
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is not set: `serve` needs the xoxb-… Bot User OAuth "
                            "Token from your Slack app's OAuth & Permissions page (for a trial "
                            "without Slack, run `python -m bot sandbox`)")
        if mode == "http" and not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is not set: HTTP mode needs the Signing Secret "
                            "from your Slack app's Basic Information page (or set "
                            "SLACK_APP_TOKEN to use Socket Mode)")
        if mode == "socket" and not self.slack_app_token:
            problems.append("SLACK_APP_TOKEN is not set: Socket Mode needs an xapp-… app-level "
                            "token with the connections:write scope")
        if problems:
            raise ConfigError(problems)


def load_settings() -> Settings:
    """The settings from the environment; ConfigError naming every variable at fault."""
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError([_describe(e) for e in error.errors()]) from None


def _describe(details: ErrorDetails) -> str:
    field = str(details["loc"][0]) if details.get("loc") else ""
    variable = field.upper()
    if details.get("type") == "missing":
        if variable == KEYS_VARIABLE:
            return (f"{KEYS_VARIABLE} is not set. Generate a key with `python -m bot keygen`, "
                    f"keep it safe, and set {KEYS_VARIABLE} to it; nothing starts without it.")
        return f"{variable} is not set"
    message = str(details.get("msg", "is not valid")).removeprefix("Value error, ")
    return message if message.startswith(variable) else f"{variable}: {message}"
