"""The container (issue 15, item 1), tested without one: images cannot be pulled here, so the
Dockerfile's own start command and health check run as the image would run them, and the
compose file and .env.example are checked against the settings the bot reads."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot import healthcheck, server
from bot.clock import SystemClock
from bot.config import Settings
from bot.deps import Deps
from bot.policy_file import load_policy
from bot.sandbox.standin import SlackStandIn
from storage.crypto import Keyring, generate_key
from storage.db import make_engine
from storage.migrate import upgrade
from storage.uow import Store
from tests.test_socket_mode import BOT_TOKEN, free_port

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {name.upper() for name in Settings.model_fields}
STARTUP_SECONDS = 60


def instructions(dockerfile: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, rest = pending.strip().partition(" ")
        logical.append((keyword.upper(), " ".join(rest.split())))
        pending = ""
    return logical


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def exec_form(arguments: str) -> list[str]:
    form = json.loads(arguments)
    assert isinstance(form, list) and all(isinstance(part, str) for part in form), arguments
    return form


def as_here(command: list[str]) -> list[str]:
    """The image's command with this interpreter for its `python` (the image's PATH puts the
    virtualenv's first)."""
    assert command[0] == "python", command
    return [sys.executable, *command[1:]]


def container_command() -> list[str]:
    stage = dict(final_stage())
    return as_here(exec_form(stage["ENTRYPOINT"]) + exec_form(stage["CMD"]))


def healthcheck_command() -> list[str]:
    arguments = dict(final_stage())["HEALTHCHECK"]
    options, _, command = arguments.partition(" CMD ")
    assert all(option.startswith("--") for option in options.split()), options
    return as_here(exec_form(command))


# -- the Dockerfile ------------------------------------------------------------------------------


def test_the_image_is_built_in_stages_on_slim_python_3_11() -> None:
    steps = instructions()
    froms = [arguments for keyword, arguments in steps if keyword == "FROM"]
    assert len(froms) >= 2 and froms[0].endswith(" AS build")
    assert all(re.fullmatch(r"python:3\.11-slim(-\w+)?( AS \w+)?", f) for f in froms), froms
    copies = [arguments for keyword, arguments in final_stage() if keyword == "COPY"]
    assert copies and all(c.startswith("--from=build ") for c in copies)  # no sources in it


def test_dependencies_come_from_the_lock_with_their_hashes() -> None:
    runs = " ".join(arguments for keyword, arguments in instructions() if keyword == "RUN")
    assert "pip install --require-hashes -r requirements.lock" in runs
    installs = re.findall(r"pip install ([^&]*)", runs)
    assert all("--require-hashes" in i or "--no-deps" in i for i in installs), installs


def test_it_runs_as_a_user_that_is_not_root() -> None:
    (user,) = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_settings_come_only_from_the_environment() -> None:
    """No setting is baked in (ENV or ARG), and no file of settings is copied in."""
    for keyword, arguments in instructions():
        if keyword in ("ENV", "ARG"):
            named = set(re.findall(r"([A-Z_][A-Z0-9_]*)=", arguments)) or {arguments.split()[0]}
            assert not named & SETTINGS, arguments
        if keyword == "COPY":
            assert ".env" not in arguments and "policy" not in arguments, arguments


def test_the_health_check_asks_healthz() -> None:
    assert healthcheck_command()[1:] == ["-m", "bot.healthcheck"]
    assert healthcheck.HEALTH_PATH == server.HEALTH_PATH
    assert healthcheck.health_url({}) == "http://127.0.0.1:3000/healthz"
    assert healthcheck.health_url({"HOST": "10.0.0.5", "PORT": "8080"}) == \
        "http://10.0.0.5:8080/healthz"
    assert healthcheck.health_url({"HOST": "::", "PORT": "80"}) == "http://127.0.0.1:80/healthz"
    assert healthcheck.health_url({"HOST": "fd00::5"}) == "http://[fd00::5]:3000/healthz"


# -- the image's command, run here ---------------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


def container_environment(slack: SlackStandIn, port: int) -> dict[str, str]:
    """What compose gives the container: settings in the environment and nothing else of this
    machine's (the policy is the example one, mounted in the real layout)."""
    keep = ("PATH", "LANG", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        CONTACT_CHECK_KEYS=generate_key(),
        CONTACT_CHECK_POLICY=str(ROOT / "examples" / "policy.yml"),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="container-signing-secret-41c7",
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    return env


def check_health(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(healthcheck_command(), env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=30, check=False)


def test_the_image_command_serves_and_passes_its_health_check(slack: SlackStandIn,
                                                             tmp_path: Path) -> None:
    """ENTRYPOINT + CMD in the image's working folder (a fresh volume): it creates the default
    SQLite database there, serves, and the HEALTHCHECK command says healthy; stopped, unhealthy."""
    env = container_environment(slack, free_port())
    assert check_health(env, tmp_path).returncode == 1  # nothing listens yet
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(container_command(), env=env, cwd=tmp_path, stdout=sink,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while (health := check_health(env, tmp_path)).returncode != 0:
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, health.stderr
            time.sleep(0.2)
        assert (tmp_path / "contact-check.db").exists()
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0, log.read_text(encoding="utf-8", errors="replace")
    unhealthy = check_health(env, tmp_path)
    assert unhealthy.returncode == 1 and "not answering" in unhealthy.stderr


def test_the_health_check_fails_on_a_503(slack: SlackStandIn, tmp_path: Path) -> None:
    """A bot that answers but is not healthy (here: no dispatcher) fails the check."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade(engine)
    deps = Deps(store=Store(engine, Keyring.from_env(generate_key())), policy=load_policy(),
                clock=SystemClock(), bot_token="", slack_api_url=slack.api_url, send_rate=1)
    http = server.make_http_server(None, deps, host="127.0.0.1", port=0, dispatcher_alive=None)
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    try:
        result = check_health({"HOST": "127.0.0.1", "PORT": str(http.effective_port),
                               "PATH": os.environ.get("PATH", "")}, tmp_path)
        assert result.returncode == 1 and "503" in result.stderr and "dispatcher" in result.stderr
    finally:
        server.stop_http_server(http)
        thread.join(timeout=5)
        engine.dispose()


# -- compose.yaml and .env.example ---------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_the_bot_with_postgresql_16_on_a_named_volume() -> None:
    services = compose()["services"]
    db = services["db"]
    assert db["image"].startswith("postgres:16")
    (data,) = [v for v in db["volumes"] if v.endswith(":/var/lib/postgresql/data")]
    assert data.split(":")[0] in compose()["volumes"]  # named, kept across upgrades
    bot = services["bot"]
    assert bot["build"] == "." and bot["env_file"] == ".env"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    url = bot["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@db:5432/" in url
    mounted = {v.split(":")[1] for v in bot["volumes"]}
    assert bot["environment"]["CONTACT_CHECK_POLICY"] in mounted


def test_compose_sets_only_settings_the_bot_knows() -> None:
    names = set(compose()["services"]["bot"]["environment"])
    assert names <= SETTINGS, names - SETTINGS


def env_example() -> list[str]:
    return (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()


def _named(line: str) -> str | None:
    match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]*)=.*", line)
    return match.group(1) if match else None


def test_env_example_lists_every_setting_each_with_a_comment() -> None:
    lines = env_example()
    named = {_named(line) for line in lines} - {None}
    assert named >= SETTINGS, f"not in .env.example: {sorted(SETTINGS - named)}"
    compose_text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for name in named - SETTINGS:  # compose's own (interpolated into compose.yaml)
        assert "${" + name in compose_text, f"{name} is neither a setting nor compose's"
    for i, line in enumerate(lines):
        if _named(line) is None:
            continue
        above = i - 1
        while above >= 0 and _named(lines[above]) is not None:  # alternatives of one setting
            above -= 1
        assert lines[above].startswith("# "), f"{_named(line)} has no comment above it"


def test_env_example_as_shipped_is_refused_until_filled_in(tmp_path: Path) -> None:
    """Copied to .env and started unchanged, the placeholders are named, not used."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG")}
    for line in env_example():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    result = subprocess.run(container_command(), env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CONTACT_CHECK_KEYS"):
        assert name in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created
