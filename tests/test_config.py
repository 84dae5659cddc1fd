"""Settings from the environment: defaults, and refusals that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from storage.crypto import generate_key

VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
             "DATABASE_URL", "CONTACT_CHECK_KEYS", "CONTACT_CHECK_POLICY",
             "CONTACT_CHECK_SEND_RATE", "PORT", "HOST")
BOT_TOKEN = "xoxb-1234567890-0987654321-abcdefghij"
APP_TOKEN = "xapp-1-A0123-456789-abcdef0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONTACT_CHECK_KEYS", generate_key())
    return monkeypatch


def _problems(monkeypatch: pytest.MonkeyPatch, **values: str) -> list[str]:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    return caught.value.problems


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///contact-check.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.contact_check_send_rate == 4
    assert settings.port == 3000
    assert settings.host == "0.0.0.0"  # every interface, as before HOST existed
    assert settings.contact_check_policy is None
    assert settings.slack_bot_token is None and settings.serve_mode() == "http"


def test_values_are_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    clean_env.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    clean_env.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    clean_env.setenv("CONTACT_CHECK_POLICY", str(tmp_path / "p.yaml"))
    clean_env.setenv("CONTACT_CHECK_SEND_RATE", "2.5")
    clean_env.setenv("PORT", "8080")
    clean_env.setenv("HOST", " 127.0.0.1 ")
    settings = load_settings()
    assert settings.host == "127.0.0.1"
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert settings.contact_check_policy == tmp_path / "p.yaml"
    assert (settings.contact_check_send_rate, settings.port) == (2.5, 8080)
    assert settings.serve_mode() == "socket" and settings.serve_mode("http") == "http"
    settings.require_slack("socket")


def test_secrets_stay_out_of_repr(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    clean_env.setenv("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5")
    settings = load_settings()
    for secret in (BOT_TOKEN, "8f742231b10e8888", settings.contact_check_keys):
        assert secret not in repr(settings) and secret not in str(settings)


def test_empty_values_count_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "")
    clean_env.setenv("PORT", "")
    settings = load_settings()
    assert settings.slack_bot_token is None and settings.port == 3000


def test_missing_keys(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.delenv("CONTACT_CHECK_KEYS")
    (problem,) = _problems(clean_env)
    assert problem.startswith("CONTACT_CHECK_KEYS is not set") and "keygen" in problem


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("CONTACT_CHECK_KEYS", "changeme", "malformed"),
    ("SLACK_BOT_TOKEN", "xoxb-your-bot-token", "placeholder"),
    ("SLACK_BOT_TOKEN", "xoxp-1234567890-1234567890", "xoxb-"),
    ("SLACK_APP_TOKEN", "<app token>", "placeholder"),
    ("SLACK_SIGNING_SECRET", "changeme", "signing secret"),
    ("SLACK_API_URL", "slack.com/api", "URL"),
    ("DATABASE_URL", "postgresql+psycopg://user:<password>@host/db", "placeholder"),
    ("CONTACT_CHECK_SEND_RATE", "0", "above 0"),
    ("CONTACT_CHECK_SEND_RATE", "many", ""),
    ("PORT", "70000", "65535"),
    ("HOST", "all of them", "address to listen on"),
    ("HOST", "your-host", "address to listen on"),
    ("HOST", "10.0.0.300:80", "address to listen on"),
])
def test_bad_values_are_refused_naming_the_variable(clean_env: pytest.MonkeyPatch, variable: str,
                                                   value: str, expected: str) -> None:
    (problem,) = _problems(clean_env, **{variable: value})
    assert problem.startswith(variable) and expected in problem
    if variable != "SLACK_API_URL" and len(value) > 4:
        assert value not in problem  # a secret-ish value is never echoed


def test_every_problem_is_reported_at_once(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.delenv("CONTACT_CHECK_KEYS")
    problems = _problems(clean_env, SLACK_BOT_TOKEN="xoxb-...", PORT="0")
    assert [p.split()[0].rstrip(":") for p in problems] == [
        "SLACK_BOT_TOKEN", "CONTACT_CHECK_KEYS", "PORT"]


@pytest.mark.parametrize(("mode", "present", "missing"), [
    ("http", {}, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]),
    ("http", {"slack_bot_token": BOT_TOKEN}, ["SLACK_SIGNING_SECRET"]),
    ("socket", {"slack_bot_token": BOT_TOKEN}, ["SLACK_APP_TOKEN"]),
    ("socket", {"slack_app_token": APP_TOKEN}, ["SLACK_BOT_TOKEN"]),
])
def test_serve_needs_its_slack_credentials(mode: str, present: dict[str, str],
                                           missing: list[str]) -> None:
    settings = Settings(**present)
    with pytest.raises(ConfigError) as caught:
        settings.require_slack(mode)  # type: ignore[arg-type]
    assert [p.split()[0] for p in caught.value.problems] == missing


@pytest.mark.parametrize(("variable", "value"), [
    ("SLACK_BOT_TOKEN", "xoxb-test"),
    ("SLACK_APP_TOKEN", "xapp-1"),
    ("SLACK_SIGNING_SECRET", "secret"),
    ("SLACK_API_URL", "http://127.0.0.1:8080/api/"),
])
def test_short_but_real_looking_values_are_accepted(clean_env: pytest.MonkeyPatch, variable: str,
                                                    value: str) -> None:
    """A test workspace's token or a stand-in's URL is not a placeholder: Slack is the judge."""
    clean_env.setenv(variable, value)
    assert getattr(load_settings(), variable.lower()).rstrip("/") == value.rstrip("/")


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1", "::", "::1", "localhost",
                                  "bot.clinic.example"])
def test_hosts_that_can_be_listened_on(clean_env: pytest.MonkeyPatch, host: str) -> None:
    clean_env.setenv("HOST", host)
    assert load_settings().host == host
