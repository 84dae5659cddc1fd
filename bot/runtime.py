"""Building what a running bot needs from its settings, refusing anything unusable at start.

``build_deps`` checks the keys, loads the clinic policy, opens the database, applies pending
migrations, checks the keys against the ones the data was sealed with, and records the policy's
team. Every failure is a ``ConfigError`` naming the variable (or file) to fix.

Only ``serve`` and ``migrate`` create a database (``create=True``); the other commands open
one with ``create=False`` and refuse, saying where they looked, when ``DATABASE_URL`` names
none: a relative SQLite path run from another folder would otherwise start a second, empty
database without a word.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.deps import Deps
from bot.policy.clinic import ClinicPolicy
from bot.policy_file import load_policy
from bot.policy_file.validation import PolicyInvalid
from storage.audit import AuditLog, TrailBroken
from storage.crypto import KeyConfigError, Keyring
from storage.db import DatabaseConfigError, make_engine, sqlite_file
from storage.keycheck import ensure_keys, key_problem
from storage.migrate import MigrationRefused, upgrade
from storage.tables import TeamMemberRow
from storage.uow import Store

POLICY_VARIABLE = "CONTACT_CHECK_POLICY"
EXAMPLE_POLICY = "examples/policy.yml"
CREATING_COMMANDS = "`serve` and `migrate`"
SYSTEM_ACTOR = "system"


def load_keyring(settings: Settings) -> Keyring:
    try:
        return Keyring.from_env(settings.contact_check_keys)
    except KeyConfigError as error:
        raise ConfigError([str(error)]) from None


def load_clinic_policy(settings: Settings) -> ClinicPolicy:
    path = settings.contact_check_policy
    try:
        return load_policy(path)
    except PolicyInvalid as invalid:
        where = f"{POLICY_VARIABLE} ({path})" if path else "the built-in policy"
        raise ConfigError(
            [f"{where} has {len(invalid.errors)} error(s); check it with "
             f"`python -m bot check-policy {path or 'FILE'}`:"]
            + [f"  {error}" for error in invalid.errors]
        ) from None


def open_database(settings: Settings, keyring: Keyring | None = None, *,
                  create: bool = True) -> Engine:
    """The engine for DATABASE_URL with every pending migration applied (``keyring``: for the
    migrations that sign existing data, see ``storage.migrate.upgrade``). ``create=False``:
    ConfigError, and nothing written, when there is no Contact Check database there yet."""
    if not create:
        _refuse_missing_file(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
    except DatabaseConfigError as error:
        raise ConfigError([str(error)]) from None
    try:
        if not create and not inspect(engine).has_table("alembic_version"):
            raise ConfigError([
                f"DATABASE_URL: the database at {_shown(settings.database_url)} has no Contact "
                f"Check tables, and only {CREATING_COMMANDS} set one up. Check that "
                "DATABASE_URL names the clinic's database; to start a new one there, run "
                "`python -m bot migrate` first."])
        upgrade(engine, keyring)
    except ConfigError:
        engine.dispose()
        raise
    except MigrationRefused as refused:
        engine.dispose()
        raise ConfigError([f"DATABASE_URL: {refused}"]) from None
    except (KeyConfigError, TrailBroken) as error:
        engine.dispose()
        raise ConfigError([str(error)]) from None
    except SQLAlchemyError as error:
        engine.dispose()
        cause = type(getattr(error, "orig", None) or error).__name__
        raise ConfigError([
            f"DATABASE_URL: cannot open or migrate the database at "
            f"{_shown(settings.database_url)} ({cause}); check that the server runs, the "
            "database exists and the user may create tables"
        ]) from None
    return engine


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _refuse_missing_file(url: str) -> None:
    """ConfigError when ``url`` names a SQLite file that does not exist (checked before
    ``make_engine``, which would create it)."""
    try:
        path = sqlite_file(url)
    except Exception:  # not a URL at all: make_engine names the problem
        return
    if path is None or path.exists():
        return
    where = Path.cwd()
    relative = ("" if path.is_absolute() else
                f" DATABASE_URL ({url}) is relative to the folder the command runs in, here "
                f"{where}: run the command from the folder `serve` runs in, or give "
                "DATABASE_URL an absolute path (sqlite:////srv/contact-check/contact-check.db)."
                )
    raise ConfigError([
        f"DATABASE_URL: there is no database at {where / path}, and only {CREATING_COMMANDS} "
        f"create one; nothing was created.{relative} To start a new database there, run "
        "`python -m bot migrate` first."])


def open_store(settings: Settings, *, create: bool = True) -> Store:
    """The store alone, its keys checked against the database and nothing written: for the
    commands that only read (``verify-audit``). Raises ConfigError."""
    keyring = load_keyring(settings)
    engine = open_database(settings, keyring, create=create)
    store = Store(engine, keyring)
    with engine.connect() as connection:
        problem = key_problem(connection, store.sealer)
    if problem is not None:
        engine.dispose()
        raise ConfigError([problem])
    return store


def build_deps(settings: Settings, clock: Clock | None = None, *, create: bool = True) -> Deps:
    """Everything a handler, job or command needs, checked; raises ConfigError.
    ``create=False``: refuse rather than create a database (``open_database``)."""
    keyring = load_keyring(settings)
    policy = load_clinic_policy(settings)
    engine = open_database(settings, keyring, create=create)
    clock = clock or SystemClock()
    store = Store(engine, keyring)
    try:
        with store.unit_of_work() as uow:
            ensure_keys(uow.session, uow.sealer)
            sync_team(uow.session, uow.audit, policy, clock.now())
            uow.commit()
    except KeyConfigError as error:
        engine.dispose()
        raise ConfigError([str(error)]) from None
    return Deps(
        store=store,
        policy=policy,
        clock=clock,
        bot_token=settings.slack_bot_token or "",
        slack_api_url=settings.slack_api_url,
        send_rate=settings.contact_check_send_rate,
    )


def require_team(settings: Settings, policy: ClinicPolicy) -> None:
    """ConfigError when the policy names nobody: the bot would refuse everyone (``serve``)."""
    if policy.team:
        return
    path = settings.contact_check_policy
    if path is None:
        said = (f"{POLICY_VARIABLE} is not set, and the built-in policy has no team, so the "
                "bot would refuse everyone.")
    else:
        said = f"{POLICY_VARIABLE} ({path}) lists no team, so the bot would refuse everyone."
    raise ConfigError([
        f"{said} Start from {EXAMPLE_POLICY} in Contact Check's source: copy it, put your "
        "team's Slack ids under `team:`, check it with `python -m bot check-policy FILE`, and "
        f"set {POLICY_VARIABLE} to its path."])


def sync_team(session: Session, audit: AuditLog, policy: ClinicPolicy, now: datetime) -> bool:
    """Make ``team_members`` match the policy's team; people no longer listed become inactive.

    Appends one ``team.synced`` audit event when anything changed; True when it did.
    """
    rows = {row.slack_id: row for row in session.exec(select(TeamMemberRow)).all()}
    added, changed, removed = [], [], []
    for member in policy.team:
        row = rows.pop(member.slack_id, None)
        wanted = (member.role, member.first_name, member.supervisor, True)
        if row is None:
            row = TeamMemberRow(slack_id=member.slack_id, role=member.role,
                                first_name=member.first_name, updated_at=now)
            added.append(member.slack_id)
        elif (row.role, row.first_name, row.supervisor, row.active) != wanted:
            changed.append(member.slack_id)
        else:
            continue
        row.role, row.first_name, row.supervisor, row.active = wanted
        row.updated_at = now
        session.add(row)
    for row in rows.values():
        if row.active:
            row.active = False
            row.updated_at = now
            session.add(row)
            removed.append(row.slack_id)
    if not (added or changed or removed):
        return False
    session.flush()
    audit.append(SYSTEM_ACTOR, "team.synced", None,
                 {"added": added, "changed": changed, "removed": removed}, at=now)
    return True
