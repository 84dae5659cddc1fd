"""``python -m bot sandbox``: the whole bot in a terminal, with no Slack workspace.

The real bot runs here: ``bot.app.create_app`` with every real handler, the real outbox
dispatcher and jobs, against the built-in stand-in for Slack (``bot.sandbox.standin``), with
the sample clinic of ``bot.sandbox.clinic`` (or the clinic's own policy, clients and
appointments: see ``bot.sandbox.setup``) in a temporary SQLite database sealed with a generated key.
What you type becomes the request Slack would send (a slash command, a button click, a modal
submission, an ``app_home_opened`` event), signed with the app's signing secret and handed to the
Bolt app's own dispatch, signature check included; the bot's Web API calls reach the stand-in over
HTTP. The clinic's clock stands still until you ``wait``: then it moves in steps, and at each step
the jobs run and the dispatcher sends what fell due, so chases, reminders, nudges and hand-overs
appear at their clinic times.

Listeners and commands' work run to completion before each request returns
(``create_app(inline=True)``), so what follows each line you type is complete and in order:
scripts fed through standard input give the same transcript every time.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import sys
import tempfile
import time as real_time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlmodel import col, func, select

from bot import logs
from bot.app import create_app
from bot.calendars.check import check_report_lines, feed_readiness
from bot.clock import ManualClock
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.input_files import import_refused
from bot.policy.clinic import ClinicPolicy, TeamMember
from bot.policy.consent import check_contact
from bot.policy.model import ClientRecord, ImportErrors
from bot.runtime import sync_team
from bot.sandbox import clinic as sample
from bot.sandbox.listing import (
    ClientNow,
    FeedAppointment,
    calendar_lines,
    client_lines,
    duties,
    role_text,
    team_lines,
)
from bot.sandbox.render import (
    Style,
    buttons_of,
    frame,
    input_hint,
    options_of,
    render_message,
    render_view,
)
from bot.sandbox.seed import seed
from bot.sandbox.setup import ClinicFiles, Setup, SetupError, sample_setup
from bot.sandbox.standin import ApiCall, SlackRequests, SlackStandIn, sign
from bot.scheduling import PERIODIC
from bot.services import imports
from bot.services.appointments import CHASE_KIND
from bot.services.calendars import feed_statuses, known_codes
from storage.crypto import Keyring, generate_key
from storage.db import make_engine
from storage.keycheck import ensure_keys
from storage.migrate import upgrade
from storage.tables import (
    Appointment,
    CalendarEventLink,
    CallbackDuty,
    Client,
    OutboxMessage,
)
from storage.tables.clients import visible
from storage.uow import Store

SIGNING_SECRET = "sandbox-signing-secret-4e1f9b"  # noqa: S105 - a local stand-in's secret
TOKEN = "xoxb-sandbox-0000000000-local"  # noqa: S105 - the stand-in accepts any xox token
COMMAND = "/contact-check"
STEP = timedelta(minutes=5)  # the clock never jumps further than this in one go during `wait`
MAX_WAIT = timedelta(days=14)
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_IGNORED_CALLS = {"auth.test", "conversations.open", "conversations.history", "users.info"}

HELP = f"""\
Type what a team member would do in Slack:
  {COMMAND} …        the slash command, e.g. `{COMMAND} C-1001` or `{COMMAND} help`
  press N             press button [N] of the last message that showed buttons (a button
                      of a message the bot has since updated is gone, as in Slack)
  home                open your App Home tab
  dms                 your direct messages from the bot, each as last updated
  as NAME             become another team member: a first name or a Slack id (`team` lists
                      them); `as stranger` is someone in the workspace who is not on the team
  wait 25m            let clinic time pass (also 2h, 1h30m, 1d, `wait until 13:00`): the
                      dispatcher and jobs run, so chases, reminders, nudges and hand-overs arrive
  team                the team: first names, roles, Slack ids, who supervises and approves
  clients [PREFIX]    every client as on file now: status, clinician, the verdict right now
                      and the consent behind it, today's appointments (PREFIX: codes starting so)
  calendar            the clinic's calendar feeds: when each was last read, what it holds now
                      (events ignored, and why) and the appointments it brought
  time                the clinic's clock
  help / quit
In a modal you are asked for each field in turn; Enter keeps the value shown, `-` clears it,
`cancel` closes it."""

ACTOR = "cli:sandbox"  # who imported the clinic's files, in the audit trail
STRANGER = "U0STRANGER"
CLIENTS_SHOWN = 50  # `clients` lists this many, then says how to narrow it down
LOOK_AHEAD = timedelta(days=7)  # closures the banner mentions


@dataclass
class Pressable:
    """What a numbered button does when pressed."""

    element: Mapping[str, Any]
    block_id: str
    where: str  # "message", "ephemeral" or "view"
    message: Mapping[str, Any] | None = None
    channel: str | None = None
    view: Mapping[str, Any] | None = None
    shown: int = 0  # which message showed it (replies replaced since cannot be pressed)


class SandboxError(Exception):
    """A line the sandbox cannot act on; the message says what to type instead."""


class Sandbox:
    def __init__(self, out: TextIO, read_line: Callable[[str], str | None], *,
                 interactive: bool, setup: Setup | None = None):
        self.out = out
        self.read_line = read_line
        self.interactive = interactive
        self.setup = setup or sample_setup()
        self.style = Style(bold=interactive)
        self.buttons: dict[int, Pressable] = {}
        self._numbering: dict[int, Pressable] | None = None
        self._seen = 0
        self._dm_shown: set[str] = set()  # ts of every DM shown or there before the session
        self._home_opened: set[str] = set()
        self._pressed_from: dict[str, Pressable] = {}  # response_url key -> the button pressed
        self._replaced: set[int] = set()  # messages (``Pressable.shown``) replaced or removed
        self._shown = itertools.count(1)
        self._showing_home = False
        self.notes: list[str] = []  # what importing the clinic's files had to say
        self.loaded: list[str] = []  # what was imported, for the banner

    # -- start and stop ------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self._closing = contextlib.ExitStack()
        try:
            self._start()
        except BaseException:
            self._closing.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self._closing.close()

    def _start(self) -> None:
        tmp = self._closing.enter_context(
            tempfile.TemporaryDirectory(prefix="contact-check-sandbox-"))
        self.workdir = Path(tmp)
        self.log_path = self.workdir / "sandbox.log"
        self._quiet_logs()
        self._closing.callback(logging.getLogger().handlers.clear)
        self.policy = (_feeds_in(self.setup.policy, self.workdir) if self.setup.sample
                       else self.setup.policy)
        self.tz = self.policy.clinic.timezone
        self.stranger = _stranger_id(self.policy.team)
        self.names = {**_display_names(self.policy.team), self.stranger: "Stranger"}
        self.duties = sample.DUTIES if self.setup.sample else duties(self.policy)
        self.engine = make_engine(f"sqlite:///{self.workdir / 'sandbox.db'}")
        self._closing.callback(self.engine.dispose)
        upgrade(self.engine)
        store = Store(self.engine, Keyring.from_env(generate_key()))
        self.clock = ManualClock(self.setup.start)
        people = {m.slack_id: m.first_name for m in self.policy.team}
        people[self.stranger] = "Stranger"  # in the workspace, not on the team
        self.slack = SlackStandIn(users={user: {"name": name.lower(), "real_name": name}
                                         for user, name in people.items()},
                                  clock=self.clock.now).start()
        self._closing.callback(self.slack.stop)
        self.deps = Deps(store=store, policy=self.policy, clock=self.clock, bot_token=TOKEN,
                         slack_api_url=self.slack.api_url, send_rate=50.0)
        with store.unit_of_work() as uow:
            ensure_keys(uow.session, uow.sealer)
            sync_team(uow.session, uow.audit, self.policy, self.clock.now())
            uow.commit()
        self.app = create_app(self.deps, signing_secret=SIGNING_SECRET, token=TOKEN,
                              verify_token=False, inline=True)
        self.requests = SlackRequests(SIGNING_SECRET)
        self.client = WebClient(token=TOKEN, base_url=self.slack.api_url)
        self.dispatcher = Dispatcher(self.deps, client=self.client, per_channel_interval=0.0)
        if self.setup.files is None:
            seed(self, self.setup.start)
            self._sample = {row.record.code: row.record for row in
                            imports.read_clients_csv(sample.CLIENTS_CSV, self.policy)}
        else:
            self._import_files(self.setup.files)
            self._sample = {}
        self._seen = len(self.slack.calls)
        for user in self.names:  # DMs sent before the session are history, not news
            self._dm_shown |= {m["ts"] for m in self.slack.messages(user)}
        self.user = _first_user(self.policy.team, self.stranger)

    def _quiet_logs(self) -> None:
        """The bot's own log lines go to a file: the terminal shows what Slack would show."""
        logs.configure(logging.INFO, handler=logging.FileHandler(self.log_path, encoding="utf-8"))

    def _import_files(self, files: ClinicFiles) -> None:
        """The clinic's clients (and appointments) imported at the start, as `import` does."""
        now = self.clock.now()
        with self.deps.store.unit_of_work() as uow:
            report = imports.import_clients(uow, self.policy, files.clients, actor=ACTOR,
                                            source=Path(files.clients_path).name, now=now)
            self.loaded.append(f"{report.total} client(s) from {files.clients_path}")
            self.notes += [f"{files.clients_path}: note: {w}" for w in report.warnings]
            if files.appointments is not None and files.appointments_path is not None:
                try:
                    booked = imports.import_appointments(
                        uow, self.policy, files.appointments, actor=ACTOR,
                        source=Path(files.appointments_path).name, now=now)
                except ImportErrors as errors:
                    raise SetupError(import_refused(files.appointments_path, errors)) from None
                self.loaded.append(f"{booked.total} appointment(s) from "
                                   f"{files.appointments_path}")
            uow.commit()

    # -- the clock, the jobs and the dispatcher --------------------------------------------------

    def local(self, moment: datetime | None = None, *, day: bool = True) -> str:
        moment = (moment or self.clock.now()).astimezone(self.tz)
        return f"{moment:%a %d %b %H:%M}" if day else f"{moment:%H:%M}"

    def tick(self) -> None:
        """What the scheduler does at this moment: every periodic job, then the dispatcher."""
        for job_id, _seconds, job in PERIODIC:
            try:
                job(self.deps)
            except Exception:
                logging.getLogger("contact_check.sandbox").exception("job %s failed", job_id)
                self.say(f"(the {job_id} job failed; details in {self.log_path})")
        self.dispatcher.drain()

    def _next_due(self) -> datetime | None:
        with self.deps.store.unit_of_work() as uow:
            return uow.session.exec(
                select(func.min(OutboxMessage.available_at))
                .where(col(OutboxMessage.status) == "pending")
            ).one()

    def wait(self, amount: timedelta) -> None:
        target = self.clock.now() + amount
        while True:
            now = self.clock.now()
            step = min(target, now + STEP)
            due = self._next_due()
            if due is not None and now < due < step:
                step = due
            self.clock.set(step)
            self.tick()
            self.show_new_calls()
            if step >= target:
                return

    def catch_up(self) -> None:
        """The scheduler's first wake-up: what is already due at the start goes out now."""
        self.tick()
        self.show_new_calls()

    # -- requests into the bot -------------------------------------------------------------------

    def dispatch(self, signed: tuple[bytes, dict[str, str]]) -> tuple[int, str]:
        body, headers = signed
        bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
        response = self.app.dispatch(BoltRequest(body=body.decode(), headers=bolt_headers))
        return response.status, response.body or ""

    def command(self, text: str) -> None:
        response_url = self.slack.new_response_url()
        status, body = self.dispatch(self.requests.slash_command(
            self.user, text, response_url=response_url, channel_id="C0SANDBOX"))
        self._show_answer(status, body, "reply")
        self.show_new_calls()

    def open_home(self) -> None:
        event = json.dumps({
            "token": "sandbox", "team_id": "T0STANDIN", "api_app_id": "A0STANDIN",
            "type": "event_callback", "event_id": f"Ev{real_time.time_ns()}",
            "event_time": int(real_time.time()),
            "event": {"type": "app_home_opened", "user": self.user,
                      "channel": "D" + self.user[1:], "tab": "home",
                      "event_ts": f"{real_time.time():.6f}"},
        }).encode()
        self._home_opened.add(self.user)
        self._showing_home = True
        try:
            status, _ = self.dispatch((event, {"Content-Type": "application/json",
                                               **sign(event, SIGNING_SECRET)}))
            if status != 200:
                self.say(f"(the bot answered HTTP {status})")
            self.show_new_calls()
        finally:
            self._showing_home = False

    def press(self, number: int) -> None:
        button = self.buttons.get(number)
        if button is None:
            shown = ", ".join(str(n) for n in sorted(self.buttons)) or "none yet"
            raise SandboxError(f"There is no button [{number}] (buttons shown: {shown}).")
        button = self._as_it_stands(number, button)
        element = button.element
        action_id, value = str(element.get("action_id", "")), str(element.get("value", ""))
        if button.where == "view":
            signed = self.requests.block_action(self.user, action_id, value,
                                                block_id=button.block_id, view=button.view)
        else:
            ts = str((button.message or {}).get("ts", ""))
            channel = button.channel
            clicked = (channel, ts) if button.where == "message" and channel and ts else None
            response_url = self.slack.new_response_url(message=clicked)
            self._pressed_from[response_url.rsplit("/", 1)[-1]] = button
            signed = self.requests.block_action(
                self.user, action_id, value, block_id=button.block_id,
                message=button.message, channel_id=button.channel or "C0SANDBOX",
                response_url=response_url)
        self.say(f"(pressed [{number}] {_label(element)} as {self.names[self.user]})")
        # A button on the Home tab: the Home tab is what the person looks at, so a new one
        # published meanwhile is drawn, as Slack redraws it.
        self._showing_home = button.where == "view" and (button.view or {}).get("type") == "home"
        try:
            status, body = self.dispatch(signed)
            self._show_answer(status, body, "reply")
            self.show_new_calls()
        finally:
            self._showing_home = False

    def _as_it_stands(self, number: int, button: Pressable) -> Pressable:
        """The button on its message as the message stands now; SandboxError when the bot has
        since replaced or removed the message, or updated it without this button (in Slack the
        button is simply gone)."""
        gone = f"Button [{number}] can no longer be pressed: "
        if button.shown in self._replaced:
            raise SandboxError(gone + "the bot has replaced the reply that showed it.")
        if button.where != "message" or not button.channel or not button.message:
            return button
        ts = button.message.get("ts")
        current = next((m for m in self.slack.messages(button.channel) if m["ts"] == ts), None)
        if current is None:
            raise SandboxError(gone + "the bot has removed its message.")
        wanted = (button.element.get("action_id"), button.element.get("value"))
        for block_id, element in buttons_of(current):
            if (element.get("action_id"), element.get("value")) == wanted:
                return replace(button, element=element, block_id=block_id, message=current)
        raise SandboxError(gone + "the bot has updated its message since, and the message no "
                                  "longer offers it. `dms` shows your messages as they stand now.")

    def _show_answer(self, status: int, body: str, what: str) -> None:
        if status != 200:
            self.say(f"(the bot answered HTTP {status})")
            return
        if not body.strip():
            return
        try:
            message = json.loads(body)
        except ValueError:
            self.say(body)
            return
        if isinstance(message, dict) and (message.get("text") or message.get("blocks")):
            self.show(f"{what} (only you see it)", message)

    # -- showing what the bot did ------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _number(self, pressable: Pressable) -> int:
        if self._numbering is None:
            self._numbering = {}
            self.buttons = self._numbering
        number = len(self._numbering) + 1
        self._numbering[number] = pressable
        return number

    def new_screen(self) -> None:
        """Buttons shown from now on are numbered from 1 again (old ones stay until then)."""
        self._numbering = None

    def show(self, title: str, message: Mapping[str, Any], *, where: str = "ephemeral",
             channel: str | None = None) -> None:
        shown = next(self._shown)

        def on_button(element: Mapping[str, Any], block_id: str) -> int:
            return self._number(Pressable(element, block_id, where, message=message,
                                          channel=channel, shown=shown))

        lines = render_message(message, self.names, on_button, self.style)
        self.say("\n".join(frame(title, lines)))

    def show_view(self, title: str, view: Mapping[str, Any]) -> None:
        def on_button(element: Mapping[str, Any], block_id: str) -> int:
            return self._number(Pressable(element, block_id, "view", view=view))

        lines = render_view(view, self.names, on_button, self.style)
        self.say("\n".join(frame(title, lines)))

    def show_new_calls(self) -> None:
        while self._seen < len(self.slack.calls):
            call = self.slack.calls[self._seen]
            self._seen += 1
            self._show_call(call)

    def _show_call(self, call: ApiCall) -> None:
        p = call.params
        if call.method in _IGNORED_CALLS:
            return
        if call.error:
            self.say(f"(Slack stand-in: {call.method} answered {call.error})")
            return
        if call.method == "response_url":
            self._show_response(p)
        elif call.method == "chat.postEphemeral":
            self.show(f"reply to {self._name(p.get('user'))} (only they see it)", p)
        elif call.method == "chat.postMessage":
            channel = self.slack.dm_channel(str(p.get("channel", "")))
            message = next((m for m in self.slack.messages(channel)
                            if m["ts"] not in self._dm_shown and m["text"] == p.get("text", "")),
                           dict(p))
            self._dm_shown.add(str(message.get("ts", "")))
            self.show(f"DM to {self._name(_user_of(channel))} · {self.local()}", message,
                      where="message", channel=channel)
        elif call.method == "chat.update":
            channel = str(p.get("channel", ""))
            message = next((m for m in self.slack.messages(channel) if m["ts"] == p.get("ts")),
                           dict(p))
            self.show(f"DM to {self._name(_user_of(channel))} updated · {self.local()}", message,
                      where="message", channel=channel)
        elif call.method in ("views.open", "views.push", "views.update"):
            view = {**p["view"], "id": p.get("view_id") or self._view_id(call)}
            self.modal(view)
        elif call.method == "views.publish":
            user = str(p.get("user_id", ""))
            if self._showing_home and user == self.user:
                self.show_view(f"Home tab of {self._name(user)} · {self.local()}", p["view"])
            elif user in self._home_opened:
                self.say(f"(the Home tab of {self._name(user)} was updated; `home` shows it)")

    def _show_response(self, p: Mapping[str, Any]) -> None:
        """A post to a response URL: a reply, or the message clicked replaced or removed."""
        replaced = str(p.get("replace_original", "")).lower() == "true"
        removed = str(p.get("delete_original", "")).lower() == "true"
        origin = self._pressed_from.get(str(p.get("key", "")))
        if origin is not None and origin.where != "message" and (replaced or removed):
            self._replaced.add(origin.shown)  # a DM's buttons are checked against Slack's copy
        if removed:
            dm = origin is not None and origin.where == "message"
            self.say(f"(the bot removed the DM to {self._name(_user_of(origin.channel or ''))})"
                     if dm and origin else "(the reply was removed)")
            return
        if replaced and origin is not None and origin.where == "message" and origin.channel:
            ts = (origin.message or {}).get("ts")
            message = next((m for m in self.slack.messages(origin.channel) if m["ts"] == ts), p)
            self.show(f"DM to {self._name(_user_of(origin.channel))} updated · {self.local()}",
                      message, where="message", channel=origin.channel)
            return
        self.show("reply updated (only you see it)" if replaced else "reply (only you see it)", p)

    def _view_id(self, call: ApiCall) -> str:
        for stored in reversed(self.slack.views):
            if stored.get("callback_id") == call.params["view"].get("callback_id"):
                return str(stored["id"])
        return "V0SANDBOX"

    def _name(self, user: object) -> str:
        return self.names.get(str(user), str(user))

    # -- modals ----------------------------------------------------------------------------------

    def modal(self, view: dict[str, Any]) -> None:
        """Show a modal; when it has fields, ask for each and submit it as Slack would."""
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        self.show_view(f"modal · {self.local()}", view)
        if not inputs:
            return
        values: dict[str, dict[str, Any]] = {}
        wanted = [b["block_id"] for b in inputs]
        while True:
            for block in inputs:
                if block["block_id"] not in wanted:
                    continue
                answer = self._ask(block)
                if answer is None:
                    self.say("(modal closed, nothing submitted)")
                    return
                values[block["block_id"]] = {block["element"]["action_id"]: answer}
            status, body = self.dispatch(self.requests.view_submission(self.user, view, values))
            if status != 200:
                self.say(f"(the bot answered HTTP {status})")
                return
            answer_body = json.loads(body) if body.strip() else {}
            action = answer_body.get("response_action")
            if action == "errors":
                errors = answer_body.get("errors", {})
                self.say("\n".join(frame("the modal says", [
                    f"{_block_label(inputs, b)}: {message}" for b, message in errors.items()])))
                wanted = [b for b in errors if b in {i["block_id"] for i in inputs}] or wanted
                continue
            self.show_new_calls()
            if action in ("update", "push") and isinstance(answer_body.get("view"), dict):
                self.modal({**answer_body["view"], "id": view.get("id", "V0SANDBOX")})
            else:
                self.say("(modal closed)")
            return

    def _ask(self, block: Mapping[str, Any]) -> dict[str, Any] | None:
        """One field: prompt, read, turn the answer into Slack's ``state.values`` entry."""
        element = block["element"]
        label = _label({"text": block.get("label")})
        optional = " (optional)" if block.get("optional") else ""
        while True:
            prompt = f"  {label}{optional} [{input_hint(element, self.names)}]: "
            raw = self.read_line(prompt)
            if raw is None or raw.strip().lower() == "cancel":
                return None
            if not self.interactive:
                self.say(f"  {label}: {raw}" if raw.strip() else f"  {label}: (as shown)")
            try:
                return _state_value(element, raw.strip(), self.names)
            except SandboxError as problem:
                self.say(f"  {problem}")
                if not self.interactive:
                    return _state_value(element, "", self.names)

    # -- the session -------------------------------------------------------------------------------

    def banner(self) -> None:
        clinic = self.policy.clinic
        if self.setup.files is None:
            self.say("Contact Check sandbox: the real bot, a stand-in for Slack, and a sample "
                     f"clinic ({clinic.name}).")
        else:
            self.say(f"Contact Check sandbox: the real bot and a stand-in for Slack, rehearsing "
                     f"{clinic.name} from {self.setup.files.policy_path}, with "
                     f"{' and '.join(self.loaded)}.")
            self.say("Nothing is kept: the database and its key are temporary, and no Slack "
                     "workspace is involved.")
        self.say(f"It is {self.local()} clinic time ({self.tz.key}); the clock moves only when you "
                 "`wait`. " + self._opening_hours())
        for note in self.notes:
            self.say(note)
        self.say(f"You are {self._who(self.user)}. Try:")
        code = self._first_code()
        if code:
            self.say(f"  {COMMAND} {code:<11} the consent check before calling a client")
        self.say(f"  {COMMAND} help        everything the command does")
        self.say("  clients                    every client as on file now")
        chase = self._next_chase()
        if chase:
            self.say(chase)
        self.say("  team, as NAME              who is who; become them (`as stranger`: not on "
                 "the team)")
        self.say("  help                       everything you can type here;  quit to leave")

    def _opening_hours(self) -> str:
        """Today's hours and the closures of the coming week (a holiday eve says so)."""
        clinic = self.policy.clinic
        today = self.clock.now().astimezone(self.tz).date()
        hours = clinic.hours_on(today)
        why = clinic.holidays.name_of(today) or f"{today:%A}"
        said = (f"The clinic is open {hours} today." if hours else
                f"The clinic is closed today ({why}).")
        ahead = [day for day in (today + timedelta(days=n) for n in range(1, LOOK_AHEAD.days + 1))
                 if clinic.holidays.is_closed(day)]
        if ahead:
            said += " Closed " + ", ".join(f"{day:%a %d %b} ({clinic.holidays.name_of(day)})"
                                           for day in ahead) + "."
        return said

    def _first_code(self) -> str | None:
        with self.deps.store.unit_of_work() as uow:
            return uow.session.exec(select(func.min(Client.code)).where(visible)).one()

    def _next_chase(self) -> str | None:
        """The hint for the next no-show chase to come, if there is one within two weeks."""
        with self.deps.store.unit_of_work() as uow:
            row = uow.session.exec(
                select(OutboxMessage.available_at, OutboxMessage.payload)
                .where(col(OutboxMessage.status) == "pending",
                       col(OutboxMessage.kind) == CHASE_KIND)
                .order_by(col(OutboxMessage.available_at))
            ).first()
        if row is None:
            return None
        now = self.clock.now()
        due, payload = row
        if due <= now or due - now > MAX_WAIT:
            return None
        begins = due - timedelta(minutes=self.policy.no_show.wait_minutes)
        code = payload.get("client_code", "a client")
        word = f"wait {_duration_text(due - now)}"
        return (f"  {word:<26} {code}'s {self.local(begins, day=due.date() != now.date())} "
                "appointment is not marked arrived: watch the no-show chase")

    def _who(self, user: str) -> str:
        member = self.policy.member(user)
        if member is None:
            return "a stranger (someone in the workspace who is not on the team)"
        return f"{member.first_name} ({role_text(member)}, {member.slack_id})"

    def prompt(self) -> str:
        member = self.policy.member(self.user)
        if member is None:
            return f"\nStranger (not on the team) · {self.local()} > "
        shared = self.names[self.user] != member.first_name  # two people share the first name
        also = f", {member.slack_id}" if shared else ""
        return f"\n{member.first_name} ({role_text(member)}{also}) · {self.local()} > "

    def execute(self, line: str) -> bool:
        """Act on one line; False when the session should end."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        self.new_screen()
        word, _, rest = line.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if line.startswith("/"):
            name, _, text = line.partition(" ")
            if name != COMMAND:
                raise SandboxError(f"The command is {COMMAND}, e.g. `{COMMAND} help`.")
            self.command(text.strip())
        elif word in ("quit", "exit", "q"):
            return False
        elif word == "help":
            self.say(HELP)
        elif word == "as":
            self.become(rest)
        elif word == "press":
            if not rest.isdigit():
                raise SandboxError("Say which button: `press 1`.")
            self.press(int(rest))
        elif word == "wait":
            self.wait(self._duration(rest))
            self.say(f"(it is now {self.local()} clinic time)")
        elif word == "home":
            self.open_home()
        elif word in ("dms", "inbox"):
            self.show_dms()
        elif word == "team":
            self.show_team()
        elif word == "clients":
            self.show_clients(rest)
        elif word in ("calendar", "calendars"):
            self.show_calendars()
        elif word in ("time", "now"):
            self.say(f"It is {self.local()} clinic time.")
        else:
            raise SandboxError(f"Unknown: `{line[:40]}`. Type `{COMMAND} …`, or `help`.")
        return True

    def become(self, who: str) -> None:
        """``as NAME``: a first name (any case) or Slack id on the team, or ``stranger``."""
        wanted = who.strip().casefold()
        if not wanted:
            raise SandboxError("Say who: `as Ana`, `as U0ANA`, or `as stranger` (`team` lists "
                               "everyone).")
        if wanted == "stranger":
            self._switch(self.stranger)
            self.say("(you are now a stranger: someone in the workspace who is not on the team; "
                     "the bot answers with help and a polite refusal)")
            return
        matches = ([m for m in self.policy.team if m.slack_id.casefold() == wanted]
                   or [m for m in self.policy.team if m.first_name.casefold() == wanted])
        if len(matches) > 1:
            listing = ", ".join(f"{m.slack_id} ({role_text(m)})" for m in matches)
            raise SandboxError(f"{len(matches)} people on the team are called "
                               f"{matches[0].first_name}: {listing}. Say which by Slack id, e.g. "
                               f"`as {matches[0].slack_id}`.")
        if not matches:
            raise SandboxError(f"No one called {who.strip()!r} on the team; `team` lists "
                               "everyone (first names and Slack ids), and `as stranger` acts as "
                               "someone not on it.")
        self._switch(matches[0].slack_id)
        self.say(f"(you are now {self._who(self.user)})")

    def _switch(self, user: str) -> None:
        """Become ``user``; what the last person was shown is not theirs to press."""
        self.user = user
        self.buttons = {}
        self._numbering = None

    def _duration(self, text: str) -> timedelta:
        text = text.strip().lower().replace(" ", "")
        if text.startswith("until"):
            hour, _, minute = text[5:].partition(":")
            if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
                raise SandboxError(
                    "Say the clinic time to wait until as HH:MM: `wait until 13:00`.")
            now = self.clock.now().astimezone(self.tz)
            target = now.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
            if target <= now:
                target += timedelta(days=1)
            return target.astimezone(UTC) - now.astimezone(UTC)
        match = _DURATION.match(text)
        if not text or not match or not any(match.groups()):
            raise SandboxError("Say how long: `wait 25m`, `wait 2h`, `wait 1h30m`, `wait 1d`, or "
                               "`wait until 13:00`.")
        days, hours, minutes = (int(g or 0) for g in match.groups())
        amount = timedelta(days=days, hours=hours, minutes=minutes)
        if amount > MAX_WAIT:
            raise SandboxError("Wait at most 14 days at a time.")
        return amount

    def show_dms(self) -> None:
        """The last ten DMs from the bot as they stand now (updates applied)."""
        channel = self.slack.dm_channel(self.user)
        messages = self.slack.messages(channel)
        if not messages:
            self.say(f"(no direct messages from the bot to {self.names[self.user]} yet)")
            return
        for message in messages[-10:]:
            title = f"DM to {self.names[self.user]} · {self._sent(message['ts'])}"
            edited = message.get("edited")
            if edited:
                title += f" · updated {self._sent(edited['ts'])}"
            self.show(title, message, where="message", channel=channel)

    def _sent(self, ts: str) -> str:
        """A message timestamp (the stand-in stamps them with the clinic's clock) as clinic time."""
        return self.local(datetime.fromtimestamp(float(ts), UTC))

    def show_team(self) -> None:
        for line in team_lines(self.policy, you=self.user, stranger=self.stranger,
                               notes=self.duties):
            self.say(line)

    def show_clients(self, prefix: str = "") -> None:
        """Every client (whose code starts with ``prefix``) as on file now."""
        now = self.clock.now()
        with self.deps.store.unit_of_work() as uow:
            records = [r for r in uow.clients.iter_all()
                       if r.code.casefold().startswith(prefix.casefold())]
            today = self._appointments_on(uow.session, now.astimezone(self.tz).date())
            owed = set(uow.session.exec(
                select(Client.code)
                .join(CallbackDuty, col(CallbackDuty.client_id) == col(Client.id))
                .where(col(CallbackDuty.status) == "open", col(CallbackDuty.owed))).all())
        if not records:
            self.say(f"(no client code starts with {prefix!r})" if prefix else
                     "(no clients on file)")
            return
        if self.setup.sample:
            self.say("Synthetic clients (invented names and 555-01xx numbers), as on file now:")
        listed = [ClientNow(r, check_contact(r, self.policy, now), tuple(today.get(r.code, [])),
                            r.code in owed, self._story(r))
                  for r in records[:CLIENTS_SHOWN]]
        for line in client_lines(listed, self.names):
            self.say(line)
        if len(records) > CLIENTS_SHOWN:
            self.say(f"… and {len(records) - CLIENTS_SHOWN} more: `clients PREFIX` lists the codes "
                     f"starting with PREFIX, e.g. `clients {records[CLIENTS_SHOWN].code[:3]}`.")

    def show_calendars(self) -> None:
        """Each feed of the policy: its last sync, what a read of it gives now (as ``calendars
        check`` prints it), and the appointments it brought, as on file now."""
        if not self.policy.calendars:
            self.say("(the policy has no calendar feed; `calendars:` in the README says how to "
                     "add one)")
            return
        now = self.clock.now()
        readings = {r.name: r for r in feed_readiness(self.policy, now)}
        with self.deps.store.unit_of_work() as uow:
            statuses = {status.name: status for status in feed_statuses(uow, self.policy)}
            for feed in self.policy.calendars:
                reading = readings[feed.name]
                now_lines = [f"{feed.name}: NOT READABLE now: {reading.text}"]
                if reading.mapped is not None:
                    known = known_codes(uow, {e.code for e in reading.mapped.events})
                    now_lines = check_report_lines(feed.name, reading.mapped, known, now,
                                                   self.tz)[:2]
                for line in calendar_lines(feed, statuses[feed.name], now_lines,
                                           self._brought_by(uow.session, feed.name),
                                           self.local):
                    self.say(line)

    def _brought_by(self, session: Any, feed: str) -> list[FeedAppointment]:
        rows = session.exec(
            select(Client.code, Appointment.start_at, Appointment.minutes, Appointment.status)
            .join(Client, col(Appointment.client_id) == col(Client.id))
            .where(col(Appointment.id).in_(
                select(CalendarEventLink.appointment_id).where(CalendarEventLink.feed == feed)))
            .order_by(col(Appointment.start_at))).all()
        return [FeedAppointment(code, start_at, minutes, status)
                for code, start_at, minutes, status in rows]

    def _appointments_on(self, session: Any, day: date) -> dict[str, list[str]]:
        begins = datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)
        ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz).astimezone(UTC)
        rows = session.exec(
            select(Client.code, Appointment.start_at, Appointment.status)
            .join(Client, col(Appointment.client_id) == col(Client.id))
            .where(col(Appointment.start_at) >= begins, col(Appointment.start_at) < ends)
            .order_by(col(Appointment.start_at))).all()
        found: dict[str, list[str]] = {}
        for code, start_at, status in rows:
            state = "" if status == "scheduled" else f" {status.replace('_', '-')}"
            found.setdefault(code, []).append(f"{self.local(start_at, day=False)}{state}")
        return found

    def _story(self, record: ClientRecord) -> str | None:
        """What a sample client was made to show, while their record is still as seeded."""
        original = self._sample.get(record.code)
        if original is None or _terms(record) != _terms(original):
            return None
        return next((c.shows for c in sample.CLIENTS if c.code == record.code), None)

    def run(self) -> None:
        while True:
            line = self.read_line(self.prompt() if self.interactive else "")
            if line is None:
                return
            if not self.interactive and line.strip() and not line.lstrip().startswith("#"):
                self.say(f"\n» {self.names[self.user]} · {self.local()}: {line.strip()}")
            try:
                if not self.execute(line):
                    return
            except SandboxError as problem:
                self.say(str(problem))
            self.tick()  # the dispatcher wakes every few seconds: what fell due goes out now
            self.show_new_calls()


# --- helpers ---------------------------------------------------------------------------------


# --- helpers ---------------------------------------------------------------------------------


def _feeds_in(policy: ClinicPolicy, folder: Path) -> ClinicPolicy:
    """The sample clinic's calendar files, read from the session's own folder."""
    return replace(policy, calendars=tuple(
        replace(feed, file=str(folder / feed.file)) if feed.file is not None else feed
        for feed in policy.calendars))


def _stranger_id(team: Sequence[TeamMember]) -> str:
    """A Slack id for `as stranger` that no team member has."""
    taken = {m.slack_id for m in team}
    return next(f"{STRANGER}{n or ''}" for n in itertools.count() if f"{STRANGER}{n or ''}"
                not in taken)


def _display_names(team: Sequence[TeamMember]) -> dict[str, str]:
    """How the sandbox names each member: the first name, with the Slack id when it is shared."""
    shared = Counter(m.first_name.casefold() for m in team)
    return {m.slack_id: m.first_name if shared[m.first_name.casefold()] == 1
            else f"{m.first_name} ({m.slack_id})" for m in team}


def _first_user(team: Sequence[TeamMember], stranger: str) -> str:
    """Who the session starts as: the team's first clinician, else its first member."""
    chosen = next((m for m in team if m.role == "clinician"), team[0] if team else None)
    return chosen.slack_id if chosen else stranger


def _duration_text(amount: timedelta) -> str:
    """A span as `wait` reads it, rounded up to the minute: 25m, 2h5m, 1d3h."""
    minutes = -(-amount // timedelta(minutes=1))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"))
                   if n) or "0m"


def _terms(record: ClientRecord) -> ClientRecord:
    """A record without who recorded its consent when: what the client agreed to."""
    consent = replace(record.consent, provenance=None) if record.consent else None
    return replace(record, consent=consent)


def _user_of(channel: str) -> str:
    return "U" + channel[1:] if channel.startswith("D") else channel


def _label(element: Mapping[str, Any]) -> str:
    text = element.get("text")
    return str(text.get("text", "")) if isinstance(text, Mapping) else str(text or "")


def _block_label(inputs: list[dict[str, Any]], block_id: str) -> str:
    block = next((b for b in inputs if b.get("block_id") == block_id), None)
    return _label({"text": block.get("label")}) if block else block_id


def _pick(element: Mapping[str, Any], raw: str) -> Mapping[str, Any]:
    options = options_of(element)
    if raw.isdigit() and 1 <= int(raw) <= len(options):
        return options[int(raw) - 1]
    for option in options:
        if raw.lower() in (str(option.get("value", "")).lower(),
                           _label(option).lower()):
            return option
    raise SandboxError(f"Choose one of 1-{len(options)}.")


def _state_value(element: Mapping[str, Any], raw: str, names: Mapping[str, str]) -> dict[str, Any]:
    """An answer typed for ``element`` as Slack puts it in ``view.state.values``."""
    kind = element.get("type", "")
    if kind == "datepicker":
        return {"type": kind, "selected_date": raw or element.get("initial_date")}
    if kind == "timepicker":
        return {"type": kind, "selected_time": raw or element.get("initial_time")}
    if kind in ("static_select", "radio_buttons"):
        if not raw:
            return {"type": kind, "selected_option": element.get("initial_option")}
        return {"type": kind, "selected_option": dict(_pick(element, raw))}
    if kind in ("checkboxes", "multi_static_select"):
        if not raw:
            return {"type": kind, "selected_options": list(element.get("initial_options", []))}
        if raw == "-":
            return {"type": kind, "selected_options": []}
        picked = [dict(_pick(element, part.strip())) for part in raw.split(",") if part.strip()]
        return {"type": kind, "selected_options": picked}
    if kind == "users_select":
        if not raw:
            return {"type": kind, "selected_user": element.get("initial_user")}
        by_name = {n.lower(): u for u, n in names.items()}
        user = by_name.get(raw.lower(), raw)
        return {"type": kind, "selected_user": user}
    if kind == "number_input":
        return {"type": kind, "value": raw or element.get("initial_value")}
    # plain_text_input and anything else typed
    text: str | None = raw.replace(" / ", "\n") if element.get("multiline") else raw
    if not raw:
        text = element.get("initial_value")
    if raw == "-":
        text = None
    return {"type": kind or "plain_text_input", "value": text}


def _reader(stream: TextIO, interactive: bool) -> Callable[[str], str | None]:
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - line editing and history for input()

        def read(prompt: str) -> str | None:
            try:
                return input(prompt)
            except EOFError:
                return None

        return read

    def read_stream(_prompt: str) -> str | None:
        line = stream.readline()
        return None if line == "" else line.rstrip("\n")

    return read_stream


def main(stdin: TextIO | None = None, stdout: TextIO | None = None, *,
         setup: Setup | None = None) -> int:
    """The session on ``setup`` (default: the sample clinic); ``SetupError`` when the clinic's
    files cannot be imported (nothing is left behind)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        stdout.write("Setting up the sandbox…\n")
    with Sandbox(stdout, _reader(stdin, interactive), interactive=interactive,
                 setup=setup) as sandbox:
        sandbox.banner()
        sandbox.catch_up()
        sandbox.run()
        if interactive:
            sandbox.say("\nBye. (The sandbox's database and key were temporary and are gone.)")
    return 0
