"""``python -m bot sandbox``: the whole bot in a terminal, with no Slack workspace.

The real bot runs here: ``bot.app.create_app`` with every real handler, the real outbox
dispatcher and jobs, against the built-in stand-in for Slack (``bot.standin``), with the sample
clinic of ``bot.sandbox_clinic`` in a temporary SQLite database sealed with a generated key.
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
import json
import logging
import re
import sys
import tempfile
import time as real_time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlmodel import col, func, select

from bot import logs
from bot import sandbox_clinic as sample
from bot.app import create_app
from bot.clock import ManualClock
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.policy.validation import parse_policy
from bot.runtime import sync_team
from bot.sandbox_render import Style, frame, input_hint, render_message, render_view
from bot.standin import ApiCall, SlackRequests, SlackStandIn, sign
from handlers.jobs import PERIODIC
from storage.crypto import Keyring, generate_key
from storage.db import make_engine
from storage.keycheck import ensure_keys
from storage.migrate import upgrade
from storage.tables import OutboxMessage
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
  press N             press button [N] of the last message that showed buttons
  home                open your App Home tab
  dms                 your direct messages from the bot, as they stand now
  as NAME             become another team member (`team` lists them)
  wait 25m            let clinic time pass (also 2h, 1h30m, 1d, `wait until 13:00`): the
                      dispatcher and jobs run, so chases, reminders, nudges and hand-overs arrive
  team / clients      the sample team / the sample clients and what each one shows
  time                the clinic's clock
  help / quit
In a modal you are asked for each field in turn; Enter keeps the value shown, `cancel` closes it."""


@dataclass
class Pressable:
    """What a numbered button does when pressed."""

    element: Mapping[str, Any]
    block_id: str
    where: str  # "message", "ephemeral" or "view"
    message: Mapping[str, Any] | None = None
    channel: str | None = None
    view: Mapping[str, Any] | None = None


class SandboxError(Exception):
    """A line the sandbox cannot act on; the message says what to type instead."""


class Sandbox:
    def __init__(self, out: TextIO, read_line: Callable[[str], str | None], *,
                 interactive: bool):
        self.out = out
        self.read_line = read_line
        self.interactive = interactive
        self.style = Style(bold=interactive)
        self.buttons: dict[int, Pressable] = {}
        self._numbering: dict[int, Pressable] | None = None
        self._seen = 0
        self._dm_posts: dict[str, int] = {}
        self._home_opened: set[str] = set()
        self._pressed_from: dict[str, Pressable] = {}  # response_url key -> the button pressed
        self._showing_home = False
        self.user = "U0ANA"

    # -- start and stop ------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self._tmp = tempfile.TemporaryDirectory(prefix="contact-check-sandbox-")
        self.workdir = Path(self._tmp.name)
        self.log_path = self.workdir / "sandbox.log"
        self._quiet_logs()
        self.policy = parse_policy(sample.POLICY)
        self.tz = self.policy.clinic.timezone
        self.names = {m.slack_id: m.first_name for m in self.policy.team}
        self.engine = make_engine(f"sqlite:///{self.workdir / 'sandbox.db'}")
        upgrade(self.engine)
        store = Store(self.engine, Keyring.from_env(generate_key()))
        self.clock = ManualClock(sample.START)
        self.slack = SlackStandIn(users={m.slack_id: {"name": m.first_name.lower(),
                                                      "real_name": m.first_name}
                                         for m in self.policy.team}).start()
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
        from bot.sandbox_seed import seed

        seed(self)
        self.clock.set(sample.START)
        self.tick()
        self._seen = len(self.slack.calls)
        for member in self.policy.team:  # DMs sent before the session are history, not news
            channel = self.slack.dm_channel(member.slack_id)
            self._dm_posts[channel] = len(self.slack.messages(channel))
        return self

    def __exit__(self, *_exc: object) -> None:
        self.slack.stop()
        self.engine.dispose()
        logging.getLogger().handlers.clear()
        self._tmp.cleanup()

    def _quiet_logs(self) -> None:
        """The bot's own log lines go to a file: the terminal shows what Slack would show."""
        logs.configure(logging.INFO, handler=logging.FileHandler(self.log_path, encoding="utf-8"))

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

    # -- requests into the bot -------------------------------------------------------------------

    def dispatch(self, signed: tuple[bytes, dict[str, str]]) -> tuple[int, str]:
        body, headers = signed
        response = self.app.dispatch(BoltRequest(body=body.decode(), headers=headers))
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
        element = button.element
        action_id, value = str(element.get("action_id", "")), str(element.get("value", ""))
        if button.where == "view":
            signed = self.requests.block_action(self.user, action_id, value,
                                                block_id=button.block_id, view=button.view)
        else:
            response_url = self.slack.new_response_url()
            self._pressed_from[response_url.rsplit("/", 1)[-1]] = button
            signed = self.requests.block_action(
                self.user, action_id, value, block_id=button.block_id,
                message=button.message, channel_id=button.channel or "C0SANDBOX",
                response_url=response_url)
        self.say(f"(pressed [{number}] {_label(element)} as {self.names[self.user]})")
        status, body = self.dispatch(signed)
        self._show_answer(status, body, "reply")
        self.show_new_calls()

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
        def on_button(element: Mapping[str, Any], block_id: str) -> int:
            return self._number(Pressable(element, block_id, where, message=message,
                                          channel=channel))

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
            replaced = str(p.get("replace_original", "")).lower() == "true"
            if str(p.get("delete_original", "")).lower() == "true":
                self.say("(the reply was removed)")
                return
            origin = self._pressed_from.get(str(p.get("key", "")))
            if replaced and origin is not None and origin.where == "message":
                channel = origin.channel or ""
                self.show(f"DM to {self._name(_user_of(channel))} updated · {self.local()}", p,
                          where="message", channel=channel)
                return
            self.show("reply updated (only you see it)" if replaced else "reply (only you see it)",
                      p)
        elif call.method == "chat.postEphemeral":
            self.show(f"reply to {self._name(p.get('user'))} (only they see it)", p)
        elif call.method == "chat.postMessage":
            channel = self.slack.dm_channel(str(p.get("channel", "")))
            index = self._dm_posts.get(channel, 0)
            self._dm_posts[channel] = index + 1
            messages = self.slack.messages(channel)
            message = messages[index] if index < len(messages) else dict(p)
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
        me = self.policy.member(self.user)
        assert me is not None
        self.say(f"Contact Check sandbox: the real bot, a stand-in for Slack, and a sample clinic "
                 f"({self.policy.clinic.name}).")
        self.say(f"It is {self.local()} clinic time ({self.tz.key}); the clock moves only when you "
                 "`wait`.")
        self.say(f"You are {me.first_name} ({me.role.replace('_', ' ')}). Try:")
        self.say(f"  {COMMAND} C-1001      the consent check before calling a client")
        self.say(f"  {COMMAND} help        everything the command does")
        self.say("  clients                    the sample clients (C-1001 … C-1020)")
        self.say("  wait 25m                   the 09:45 client has not arrived: watch the chase")
        self.say("  help                       everything you can type here;  quit to leave")

    def prompt(self) -> str:
        me = self.policy.member(self.user)
        role = me.role.replace("_", " ") if me else "?"
        return f"\n{self.names[self.user]} ({role}) · {self.local()} > "

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
            self.show_clients()
        elif word in ("time", "now"):
            self.say(f"It is {self.local()} clinic time.")
        else:
            raise SandboxError(f"Unknown: `{line[:40]}`. Type `{COMMAND} …`, or `help`.")
        return True

    def become(self, who: str) -> None:
        wanted = who.strip().lower()
        for member in self.policy.team:
            if wanted in (member.first_name.lower(), member.slack_id.lower()):
                self.user = member.slack_id
                self.say(f"(you are now {member.first_name}, "
                         f"{member.role.replace('_', ' ')})")
                return
        raise SandboxError(f"No one called {who!r} on the team; `team` lists everyone.")

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
        channel = self.slack.dm_channel(self.user)
        messages = self.slack.messages(channel)
        if not messages:
            self.say(f"(no direct messages from the bot to {self.names[self.user]} yet)")
            return
        for message in messages[-10:]:
            self.show(f"DM to {self.names[self.user]}" + (" (edited)" if message.get("edited")
                                                          else ""),
                      message, where="message", channel=channel)

    def show_team(self) -> None:
        for member in self.policy.team:
            here = " ← you" if member.slack_id == self.user else ""
            self.say(f"  {member.first_name:<8} {member.role.replace('_', ' '):<11} "
                     f"{sample.DUTIES.get(member.slack_id, '')}{here}")

    def show_clients(self) -> None:
        self.say("Synthetic clients (invented names and 555-01xx numbers):")
        for client in sample.CLIENTS:
            clinician = client.row.split(",", 1)[0]
            whose = self.names.get(clinician, "no clinician")
            self.say(f"  {client.code}  {whose:<12} {client.shows}")
        self.say("Today: " + ", ".join(f"{t} {c}" for c, t, _ in sample.TODAY))

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


def _user_of(channel: str) -> str:
    return "U" + channel[1:] if channel.startswith("D") else channel


def _label(element: Mapping[str, Any]) -> str:
    text = element.get("text")
    return str(text.get("text", "")) if isinstance(text, Mapping) else str(text or "")


def _block_label(inputs: list[dict[str, Any]], block_id: str) -> str:
    block = next((b for b in inputs if b.get("block_id") == block_id), None)
    return _label({"text": block.get("label")}) if block else block_id


def _options(element: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = [o for g in element.get("option_groups", []) for o in g.get("options", [])]
    return options + list(element.get("options", []))


def _pick(element: Mapping[str, Any], raw: str) -> Mapping[str, Any]:
    options = _options(element)
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
    text = raw.replace(" / ", "\n") if element.get("multiline") else raw
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


def main(stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        stdout.write("Setting up the sample clinic…\n")
    with Sandbox(stdout, _reader(stdin, interactive), interactive=interactive) as sandbox:
        sandbox.banner()
        sandbox.run()
        if interactive:
            sandbox.say("\nBye. (The sandbox's database and key were temporary and are gone.)")
    return 0
