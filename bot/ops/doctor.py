"""``python -m bot doctor``: is this installation ready to serve? One line a check, ✔ or ✘.

Each check is a small function ``check(probe) -> Finding`` in ``CHECKS``, run in order; a ✘ line
says what to fix. A check that needs something an earlier check found broken (the database when
the settings cannot be read) says so instead of failing for the same reason twice. Nothing is
written: the database is opened read-only (no migration applied, no file created) and Slack is
only asked (``auth.test``, ``users.info``).

To add a check, write ``def check_something(probe: Probe) -> Finding`` and add it to ``CHECKS``.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bot.calendars.check import feed_readiness
from bot.config import ConfigError, Settings, load_settings
from bot.ops.manifest import MANIFEST_PATH, ManifestUnreadable, bot_scopes
from bot.policy.clinic import ClinicPolicy
from storage.crypto import Keyring
from storage.db import DatabaseConfigError, make_engine, read_only, sqlite_file
from storage.keycheck import key_problem
from storage.migrate import pending
from storage.repositories.import_batches import SILENT_FOR, ImportBatchRepository
from storage.sealing import Sealer

OK_MARK = "✔"
BAD_MARK = "✘"
SCOPES_HEADER = "x-oauth-scopes"


@dataclass(frozen=True)
class Finding:
    ok: bool
    name: str
    says: str  # what was found (✔) or what is wrong and how to fix it (✘)

    def line(self) -> str:
        return f"{OK_MARK if self.ok else BAD_MARK} {self.name}: {self.says}"


class NotChecked(Exception):
    """A check cannot run because something an earlier check reported is broken."""


@dataclass
class Probe:
    """What the checks find out, each thing once; ``NotChecked`` when it could not be had."""

    load: Callable[[], Settings] = load_settings
    client_factory: Callable[[Settings], WebClient] | None = None
    _found: dict[str, Any] = field(default_factory=dict)

    def _once(self, key: str, make: Callable[[], Any], broken: str) -> Any:
        if key not in self._found:
            try:
                self._found[key] = (True, make())
            except Exception as error:  # remembered: the dependent checks say "not checked"
                self._found[key] = (False, error)
        ok, value = self._found[key]
        if not ok:
            raise NotChecked(broken) from value
        return value

    def settings(self) -> Settings:
        return self._once("settings", self.load, "the settings are fixed")

    def keyring(self) -> Keyring:
        return self._once("keyring", lambda: Keyring.from_env(self.settings().contact_check_keys),
                          "CONTACT_CHECK_KEYS is fixed")

    def engine(self) -> Engine:
        return self._once("engine", lambda: _open_existing(self.settings()),
                          "the database can be reached")

    def policy(self) -> ClinicPolicy:
        from bot.runtime import load_clinic_policy

        return self._once("policy", lambda: load_clinic_policy(self.settings()),
                          "the policy is valid")

    def identity(self) -> Any:
        """Slack's answer to ``auth.test`` with this token (a ``SlackResponse``)."""
        return self._once("identity", lambda: self.client().auth_test(),
                          "Slack accepts the token")

    def client(self) -> WebClient:
        settings = self.settings()
        if self.client_factory is not None:
            return self.client_factory(settings)
        return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url,
                         timeout=10)

    def close(self) -> None:
        ok, engine = self._found.get("engine", (False, None))
        if ok:
            engine.dispose()


def _open_existing(settings: Settings) -> Engine:
    """The database engine, without creating a SQLite file that is not there."""
    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        raise DatabaseConfigError(
            f"there is no database at {path.resolve()} (DATABASE_URL); `serve` would create a "
            "new, empty one. If the clinic's database is elsewhere, set DATABASE_URL to it or "
            "run from its folder")
    return make_engine(settings.database_url)


# -- the checks ------------------------------------------------------------------------------------


def check_settings(probe: Probe) -> Finding:
    try:
        settings = probe.settings()
    except NotChecked as missing:
        problems = getattr(missing.__cause__, "problems", None) or [str(missing.__cause__)]
        return Finding(False, "settings", "; ".join(problems))
    mode = settings.serve_mode()
    try:
        settings.require_slack(mode)
    except ConfigError as error:
        return Finding(False, "settings", "; ".join(error.problems))
    return Finding(True, "settings", f"{mode} mode, Slack Web API at {settings.slack_api_url}")


def check_database(probe: Probe) -> Finding:
    settings = probe.settings()
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        engine = probe.engine()
        reader = read_only(engine)
        with reader.connect() as connection:
            connection.execute(text("SELECT 1"))
        waiting = pending(reader)
    except NotChecked as failed:
        return Finding(False, "database", str(failed.__cause__))
    except Exception as error:  # its text may hold the URL's password: the type only
        cause = type(getattr(error, "orig", None) or error).__name__
        return Finding(False, "database", f"cannot open {shown} ({cause}); check that the "
                       "server runs, the database exists and DATABASE_URL names it")
    if waiting:
        return Finding(False, "database", f"{shown} answers but {len(waiting)} migration(s) are "
                       f"not applied ({', '.join(waiting)}); back it up (`python -m bot backup "
                       "FILE`), then start `python -m bot serve`, which applies them")
    return Finding(True, "database", f"{shown} answers; its schema is current")


def check_keys(probe: Probe) -> Finding:
    try:
        keyring = probe.keyring()
    except NotChecked as failed:
        return Finding(False, "keys", str(failed.__cause__))
    engine = probe.engine()
    with read_only(engine).connect() as connection:
        problem = key_problem(connection, Sealer(keyring))
    if problem is not None:
        return Finding(False, "keys", problem)
    return Finding(True, "keys", f"CONTACT_CHECK_KEYS opens this database's data "
                   f"({len(keyring.key_ids)} key(s), first {keyring.primary_id})")


def check_policy(probe: Probe) -> Finding:
    try:
        policy = probe.policy()
    except NotChecked as failed:
        problems = getattr(failed.__cause__, "problems", None) or [str(failed.__cause__)]
        return Finding(False, "policy", " ".join(p.strip() for p in problems))
    where = probe.settings().contact_check_policy or "the built-in policy"
    if not policy.team:
        return Finding(False, "policy", f"{where} names no team, so everyone would be refused; "
                       "set CONTACT_CHECK_POLICY to the clinic's policy file, with its team")
    return Finding(True, "policy", f"{where}: {policy.clinic.name}, "
                   f"{policy.clinic.timezone.key}, {len(policy.team)} team member(s)")


def check_slack(probe: Probe) -> Finding:
    settings = probe.settings()
    if not settings.slack_bot_token:
        return Finding(False, "Slack", "SLACK_BOT_TOKEN is not set: copy the xoxb-… Bot User "
                       "OAuth Token from your Slack app's OAuth & Permissions page")
    try:
        answer = probe.identity()
    except NotChecked as failed:
        return Finding(False, "Slack", _slack_problem(settings, failed.__cause__))
    return Finding(True, "Slack", f"the token is valid: bot {answer.get('user_id')} in "
                   f"workspace {answer.get('team_id')} ({answer.get('team')})")


def _slack_problem(settings: Settings, error: BaseException | None) -> str:
    if isinstance(error, SlackApiError):
        code = _error_code(error)
        if code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked",
                    "token_expired", "not_allowed_token_type"):
            return (f"Slack refused SLACK_BOT_TOKEN (auth.test: {code}); copy the xoxb-… Bot "
                    "User OAuth Token again from your Slack app's OAuth & Permissions page "
                    "(reinstall the app to the workspace if it was uninstalled)")
        return f"Slack answered auth.test with {code}; check SLACK_API_URL and the token"
    if isinstance(error, (URLError, OSError, http.client.HTTPException)):
        reason = getattr(error, "reason", None) or type(error).__name__
        return (f"cannot reach the Slack Web API at {settings.slack_api_url} ({reason}); check "
                "the network, any proxy, and SLACK_API_URL")
    return f"auth.test failed ({type(error).__name__})"


def _error_code(error: SlackApiError) -> str:
    response = error.response
    try:
        return str(response.get("error") or f"HTTP {response.status_code}")
    except Exception:  # a body that is not JSON (a proxy's error page)
        return f"HTTP {getattr(response, 'status_code', '?')}"


def check_scopes(probe: Probe) -> Finding:
    try:
        wanted = bot_scopes()
    except ManifestUnreadable as error:
        return Finding(False, "scopes", f"{error}; keep manifest.yml next to the bot "
                       f"({MANIFEST_PATH.parent})")
    answer = probe.identity()
    headers = {k.lower(): v for k, v in (answer.headers or {}).items()}
    header = headers.get(SCOPES_HEADER)
    if isinstance(header, list):
        header = ",".join(header)
    if header is None:
        return Finding(False, "scopes", f"Slack did not say which scopes the token has (no "
                       f"{SCOPES_HEADER} header); check that SLACK_API_URL is Slack's Web API")
    granted = {s.strip() for s in str(header).split(",") if s.strip()}
    missing = [scope for scope in wanted if scope not in granted]
    if missing:
        return Finding(False, "scopes", f"the token lacks {', '.join(missing)}; add them under "
                       "OAuth & Permissions > Bot Token Scopes (or update the app from "
                       "manifest.yml), reinstall the app to the workspace and copy the new "
                       "xoxb-… token into SLACK_BOT_TOKEN")
    return Finding(True, "scopes", f"the token has every scope manifest.yml asks for "
                   f"({', '.join(wanted)})")


def check_team(probe: Probe) -> Finding:
    policy = probe.policy()
    probe.identity()  # the token works: otherwise every look-up would fail for that reason
    client = probe.client()
    absent, gone, bots = [], [], []
    for member in policy.team:
        try:
            user = client.users_info(user=member.slack_id).get("user") or {}
        except SlackApiError as error:
            code = _error_code(error)
            if code == "user_not_found":
                absent.append(member.slack_id)
                continue
            if code == "missing_scope":
                return Finding(False, "team", "the token lacks users:read, so the team cannot "
                               "be looked up; add it (manifest.yml asks for it) and reinstall")
            return Finding(False, "team", f"users.info failed for {member.slack_id} ({code})")
        if user.get("deleted"):
            gone.append(member.slack_id)
        elif user.get("is_bot"):
            bots.append(member.slack_id)
    problems = []
    if absent:
        problems.append(f"not in this workspace: {', '.join(absent)}")
    if gone:
        problems.append(f"deactivated: {', '.join(gone)}")
    if bots:
        problems.append(f"bots, not people: {', '.join(bots)}")
    if problems:
        return Finding(False, "team", f"{'; '.join(problems)}; correct the slack_id under team: "
                       "in the policy file (a member's ID is under their profile's ⋮ menu, "
                       "Copy member ID)")
    return Finding(True, "team", f"all {len(policy.team)} team member(s) are people in this "
                   "workspace")


def check_calendar_feeds(probe: Probe) -> Finding:
    """Every feed of the policy's ``calendars:`` fetched and parsed now (nothing is applied);
    a feed is named, its URL never."""
    policy = probe.policy()
    if not policy.calendars:
        return Finding(True, "calendars", "no calendar feeds in the policy (appointments come "
                       "from `appt` and `import appointments`)")
    read = feed_readiness(policy, datetime.now(UTC))
    failing = [f"{feed.name}: {feed.text}" for feed in read if not feed.ok]
    if failing:
        return Finding(False, "calendars", "; ".join(failing) + "; fix the feed's url_env "
                       "variable or file (python -m bot calendars check says more)")
    return Finding(True, "calendars", "; ".join(f"{feed.name} {feed.text}" for feed in read))


def check_imports(probe: Probe) -> Finding:
    """Imports whose new clients are still hidden: one writing now, or one that stopped half-way
    (``serve`` and the next import delete what it left)."""
    engine = probe.engine()
    with Session(read_only(engine)) as session:
        unfinished = ImportBatchRepository(session).unfinished()
    if not unfinished:
        return Finding(True, "imports", "no import is half-written")
    now = datetime.now(UTC)
    said = []
    for batch in unfinished:
        quiet = int((now - batch.heartbeat_at).total_seconds() // 60)
        state = ("stopped half-way: `serve` deletes its clients within 10 minutes"
                 if now - batch.heartbeat_at >= SILENT_FOR else "being written now")
        said.append(f"{batch.source} by {batch.actor}, {batch.hidden} new client(s) hidden, "
                    f"last wrote {quiet} min ago: {state}")
    return Finding(True, "imports", "; ".join(said))


# The checks, in order.
CHECKS: tuple[Callable[[Probe], Finding], ...] = (
    check_settings,
    check_database,
    check_keys,
    check_policy,
    check_slack,
    check_scopes,
    check_team,
    check_calendar_feeds,
    check_imports,
)


def run_checks(probe: Probe,
               checks: tuple[Callable[[Probe], Finding], ...] = CHECKS) -> Iterator[Finding]:
    try:
        for check in checks:
            yield _run_one(check, probe)
    finally:
        probe.close()


def _run_one(check: Callable[[Probe], Finding], probe: Probe) -> Finding:
    name = check.__name__.removeprefix("check_")
    try:
        return check(probe)
    except NotChecked as blocked:
        return Finding(False, name, f"not checked until {blocked}")
    except Exception as error:  # a check's own failure is a ✘, never a traceback
        return Finding(False, name, f"the check itself failed ({type(error).__name__})")


def doctor(out: TextIO, probe: Probe | None = None) -> bool:
    """Print one line a check; True when every check passed."""
    all_ok = True
    for finding in run_checks(probe or Probe()):
        print(finding.line(), file=out, flush=True)
        all_ok = all_ok and finding.ok
    return all_ok
