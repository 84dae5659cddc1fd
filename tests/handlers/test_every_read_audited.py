"""Every view of a client's private details is audited, and committed, before it is shown.

Two clients whose every private value is a canary (C-1042, Ana's; C-2001, Ben's), a potential
client's number, a run-in and a denial reason, all canaries too. Then every surface of the bot,
driven through the signed HTTP path as each member of the team: every command form, every button
(on the card, the chase, the call-back reminders, the approvals, the run-in reminder, Home), every
modal's submission, Home and ``pending``. The stand-in for Slack looks at everything the bot sends
at the moment it arrives (``SlackStandIn.on_call``: before Slack has answered, so before anyone
can see it), and at every HTTP answer: wherever a canary appears in a reply or a modal, an audit
event recording a look (``storage.audit.is_view``) by that viewer at that client must already be
committed, written since the viewer's request came in. Messages Slack keeps carry no canary at
all. The trail itself holds none of them, and still verifies.

The test checks that it drove every command form, action, modal and event the app registers, so
a new surface must join it.
"""

from __future__ import annotations

import json
import time as clock_time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.dispatcher import Dispatcher
from bot.grammar import parse_command
from bot.sandbox.standin import ApiCall
from bot.services.runins import sweep_followups
from bot.slack_ui import ids
from bot.slack_ui.approvals import REASON_ACTION, REASON_BLOCK
from bot.slack_ui.consent_modal import B_MAY_CALL
from bot.slack_ui.reminders import NOTE_ACTION, NOTE_TIME_BLOCK
from bot.slack_ui.runin_modal import BLOCKS
from handlers.actions import ACTION_HANDLERS
from handlers.commands import HANDLERS
from handlers.events import EVENT_HANDLERS
from handlers.modals import VIEW_HANDLERS
from storage.audit import is_view, verify_trail
from storage.db import read_only
from tests.handlers.conftest import Bot, Reply, buttons, dms
from tests.handlers.test_kept_messages_phi import phone_forms
from tests.storage.seeding import canary, canary_phone, client_record
from tests.views.modal_values import set_choice, submitted_values

TEAM = ("U0ANA", "U0JAMIE", "U0BEN", "U0BEDICS", "U0DESK", "U0ADMIN")
KEPT = ("chat.postMessage", "chat.update", "views.publish")
QUIET = 0.12  # seconds without a new call: the interaction's work is done
NOBODY = "a potential client"


class Watch:
    """Drives the bot as the team does and checks every disclosure as Slack receives it."""

    def __init__(self, bot: Bot, secrets: dict[str, str]):
        self.bot, self.slack = bot, bot.slack
        self.secrets = secrets  # canary -> the client it belongs to (NOBODY: the caller)
        self.reader = read_only(bot.deps.store.engine)
        self.viewer: str | None = None
        self.label = "start"
        self.mark = 0
        self.violations: list[str] = []
        self.disclosed: set[str] = set()
        self.forms: set[type] = set()
        self.actions: set[str] = set()
        self.modals: set[str] = set()
        self.events: set[str] = set()
        bot.slack.on_call = self.seen

    # -- the checks --------------------------------------------------------------------------

    def _looks_since(self, mark: int) -> set[tuple[str, str]]:
        with self.reader.connect() as conn:
            rows = conn.execute(text("SELECT actor, action, client_code FROM audit_events "
                                     "WHERE seq > :m"), {"m": mark}).all()
        return {(r.actor, r.client_code or NOBODY) for r in rows if is_view(r.action)}

    def _newest(self) -> int:
        with self.reader.connect() as conn:
            return conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM audit_events")).scalar()

    def _shown(self, payload: Any) -> set[str]:
        shown = json.dumps(payload, ensure_ascii=False)
        return {client for secret, client in self.secrets.items() if secret in shown}

    def seen(self, call: ApiCall) -> None:
        """Called by the stand-in as each call arrives, before it answers the bot."""
        clients = self._shown(call.params)
        if not clients:
            return
        if call.method in KEPT:
            self.violations.append(f"{self.label}: {call.method} (kept by Slack) shows private "
                                   f"values of {sorted(clients)}")
            return
        self._check(clients, call.method)

    def _check(self, clients: set[str], where: str) -> None:
        looks = self._looks_since(self.mark)
        for client in clients:
            self.disclosed.add(self.label)
            if (self.viewer, client) not in looks:
                self.violations.append(
                    f"{self.label} ({where}) showed {client}'s private values to {self.viewer} "
                    "with no look of theirs at that client committed to the audit trail first")

    def _answered(self, reply: Reply) -> Reply:
        assert reply.status == 200, reply.body
        if reply.body:
            clients = self._shown(reply.json())
            if clients:
                self._check(clients, "HTTP answer")
        return reply

    # -- driving ----------------------------------------------------------------------------

    def _start(self, user: str, label: str) -> int:
        self.viewer, self.label, self.mark = user, label, self._newest()
        return len(self.slack.calls)

    def _settle(self, before: int, *, expect_calls: bool = True) -> None:
        deadline = clock_time.monotonic() + 3.0
        while expect_calls and len(self.slack.calls) == before:
            if clock_time.monotonic() > deadline:
                return
            clock_time.sleep(0.01)
        count = len(self.slack.calls)
        while True:
            clock_time.sleep(QUIET)
            if len(self.slack.calls) == count:
                return
            count = len(self.slack.calls)

    def command(self, user: str, words: str) -> None:
        self.forms.add(type(parse_command(words)))
        before = self._start(user, f"/contact-check {words} by {user}")
        reply = self._answered(self.bot.command(user, words))
        self._settle(before, expect_calls=not reply.body)

    def click(self, user: str, message: dict[str, Any], label: str) -> None:
        button = next(b for b in buttons(message) if b["text"]["text"] == label)
        self.press(user, button["action_id"], button["value"], f"{label!r} on {message['text']}",
                   message=message, channel_id=message["channel"])

    def press(self, user: str, action_id: str, value: str, label: str, **where: Any) -> None:
        self.actions.add(action_id)
        before = self._start(user, f"{label} clicked by {user}")
        self._answered(self.bot.post(self.bot.signer.block_action(
            user, action_id, value, response_url=self.slack.new_response_url(), **where)))
        self._settle(before)

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> Reply:
        self.modals.add(view["callback_id"])
        before = self._start(user, f"{view['callback_id']} submitted by {user}")
        reply = self._answered(self.bot.post(self.bot.signer.view_submission(
            user, {**view, "id": f"V{clock_time.monotonic_ns()}"}, values)))
        self._settle(before, expect_calls=False)
        return reply

    def home(self, user: str) -> None:
        self.events.add("app_home_opened")
        before = self._start(user, f"Home opened by {user}")
        assert self.bot.home_opened(user).status == 200
        self._settle(before)

    def send_due(self) -> None:
        self._start("nobody", "the dispatcher")
        Dispatcher(self.bot.deps, per_channel_interval=0.0).drain(max_seconds=20)

    def first_due(self, kind: str) -> datetime:
        with self.reader.connect() as conn:
            rows = conn.execute(text("SELECT due_at FROM outbox WHERE kind = :k AND status = "
                                     "'pending'"), {"k": kind}).scalars().all()
        return min(_utc(r) for r in rows) + timedelta(minutes=1)

    def modal(self, callback_id: str) -> dict[str, Any]:
        """The newest modal opened with ``callback_id``."""
        opened = [c.params["view"] for c in self.slack.calls_to("views.open")
                  if c.params["view"].get("callback_id") == callback_id]
        assert opened, f"no {callback_id} modal was opened"
        return opened[-1]

    def dm(self, user: str, contains: str, button: str) -> dict[str, Any]:
        """The newest DM to ``user`` whose text contains ``contains`` and has ``button``."""
        for message in reversed(dms(self.bot, user)):
            if contains in message["text"] and any(b["text"]["text"] == button
                                                   for b in buttons(message)):
                return message
        raise AssertionError(f"no DM to {user} about {contains!r} with {button!r}")


def _utc(value: Any) -> datetime:
    """A timestamp read raw: PostgreSQL's aware datetime, or SQLite's UTC wall-clock text."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _client(bot: Bot, code: str, clinician: str) -> dict[str, str]:
    record, values = client_record(code, clinician)
    with bot.deps.store.unit_of_work() as uow:
        uow.clients.save(record, now=bot.deps.clock.now())
        uow.commit()
    return values


def _secrets_of(values: dict[str, str], code: str) -> dict[str, str]:
    found = {values[k]: code for k in ("preferred_name", "safety_note", "do_not_call_reason",
                                       "third_party")}
    for kind in ("cell", "work"):
        found |= dict.fromkeys(phone_forms(values[kind]), code)
    return found


def test_every_view_of_private_details_is_audited_before_it_is_shown(bot: Bot, clock) -> None:
    ana = _client(bot, "C-1042", "U0ANA")  # supervisor Jamie
    ben = _client(bot, "C-2001", "U0BEN")  # supervisor Bedics
    caller = canary_phone()
    runin = {field: canary(f"runin-{field}") for field in ("place", "summary", "revisit")}
    denial = canary("denial-reason")
    secrets = {**_secrets_of(ana, "C-1042"), **_secrets_of(ben, "C-2001"),
               **dict.fromkeys(phone_forms(caller), NOBODY),
               **dict.fromkeys(runin.values(), "C-1042"), denial: "C-2001"}
    watch = Watch(bot, secrets)  # Tuesday 24 November 2026, 10:00 in New York

    for user in TEAM:
        watch.home(user)
        for words in ("help", "topic", "topic third-party", "pending", "C-1042", "C-2001",
                      "consent C-1042", "consent C-2001"):
            watch.command(user, words)
        watch.press(user, ids.CARD_SHOW_DETAILS, "C-1042", "the card's Show details")
        watch.press(user, ids.CARD_RECORD_CONSENT, "C-2001", "the card's Edit consent",
                    channel_id="C0GENERAL")
    own = _consent_modal(watch)
    watch.submit("U0ANA", own, submitted_values(own))  # saved again as it was
    watch.command("U0DESK", "consent C-3000")  # a new client: a blank form, nothing shown
    blank = watch.modal(ids.CONSENT_MODAL)
    values = submitted_values(blank)
    set_choice(values, B_MAY_CALL, "no")
    watch.submit("U0DESK", blank, values)

    # The no-show chase: the details behind it, then no-shows recorded and repeated.
    watch.command("U0ANA", "appt C-1042 2026-11-24 09:30")
    watch.command("U0BEN", "appt C-2001 2026-11-24 09:30")
    watch.send_due()
    chase_ana = watch.dm("U0ANA", "No-show check: C-1042", "Details")
    chase_ben = watch.dm("U0BEN", "No-show check: C-2001", "Details")
    for user in TEAM:
        watch.click(user, chase_ana, "Details")
        watch.command(user, "noshow C-1042")  # Ana records it; the others see it again
    watch.click("U0BEN", chase_ben, "No-show")
    watch.click("U0BEDICS", chase_ben, "No-show")  # a stale button: already recorded
    # The message was left at another time: the note comes back filled in with it.
    with watch.reader.connect() as conn:
        missed = str(conn.execute(text(
            "SELECT a.id FROM appointments a JOIN clients c ON c.id = a.client_id "
            "WHERE c.code = 'C-1042'")).scalar_one())
    for user in ("U0DESK", "U0ANA"):
        watch.press(user, ids.CHASE_NOTE_TIME, missed, "the no-show reply's Left at")
        picked = submitted_values(watch.modal(ids.NOTE_TIME_MODAL))
        picked[NOTE_TIME_BLOCK][NOTE_ACTION]["selected_time"] = "09:55"
        watch.submit(user, watch.modal(ids.NOTE_TIME_MODAL), picked)
    watch.click("U0DESK", chase_ben, "Arrived")
    watch.command("U0DESK", "arrived C-1042")

    # Approvals: coaching asked for both clients; one approved, one denied with a reason.
    watch.command("U0ANA", "coaching C-1042")
    watch.command("U0BEN", "coaching C-2001")
    watch.send_due()
    watch.click("U0ANA", watch.dm("U0BEDICS", "C-1042", "Approve"), "Approve")  # not theirs
    watch.click("U0BEDICS", watch.dm("U0BEDICS", "C-1042", "Approve"), "Approve")
    watch.click("U0BEDICS", watch.dm("U0BEDICS", "C-2001", "Deny"), "Deny")
    watch.submit("U0BEDICS", watch.modal(ids.APPROVAL_DENY_MODAL),
                 {REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": denial}}})
    watch.send_due()
    denied = watch.dm("U0BEN", "C-2001", "Show reason")
    for user in TEAM:
        watch.click(user, denied, "Show reason")

    # A run-in, documented, then revisited from its reminder before the next appointment.
    for user in ("U0DESK", "U0BEN", "U0ANA"):
        watch.command(user, "runin C-1042")
    watch.submit("U0ANA", watch.modal(ids.RUNIN_MODAL), {
        BLOCKS["date"]: {"value": {"type": "datepicker", "selected_date": "2026-11-23"}},
        BLOCKS["time"]: {"value": {"type": "timepicker", "selected_time": "18:00"}},
        BLOCKS["place"]: {"value": {"type": "plain_text_input", "value": runin["place"]}},
        BLOCKS["initiated_by"]: {"value": {"type": "radio_buttons",
                                           "selected_option": {"value": "client"}}},
        BLOCKS["summary"]: {"value": {"type": "plain_text_input", "value": runin["summary"]}},
        BLOCKS["revisit"]: {"value": {"type": "plain_text_input", "value": runin["revisit"]}},
    })
    watch.command("U0ANA", "appt C-1042 2026-11-25 10:30")
    clock.advance(datetime(2026, 11, 25, 15, 21, tzinfo=UTC) - clock.now())
    with bot.deps.store.unit_of_work() as uow:
        sweep_followups(uow, clock.now())
        uow.commit()
    watch.send_due()
    followup = watch.dm("U0ANA", "C-1042", "View run-in")
    for user in TEAM:
        watch.click(user, followup, "View run-in")
    watch.click("U0ANA", followup, "Asked ✓")

    # Call-backs: a client, a client's own number, a potential client; reminders and details.
    watch.command("U0DESK", "missed C-1042 voicemail")
    watch.command("U0DESK", f"missed {caller} voicemail")
    watch.command("U0DESK", f"missed {ben['cell']} no-voicemail")
    clock.advance(watch.first_due("callback_reminder") - clock.now())
    watch.send_due()
    reminder_ana = watch.dm("U0ANA", "Call-back reminder: C-1042", "Details")
    reminder_caller = watch.dm("U0DESK", "Call-back reminder: a potential client", "Details")
    for user in TEAM:
        watch.click(user, reminder_ana, "Details")
        watch.click(user, reminder_caller, "Details")
    watch.click("U0ANA", reminder_ana, "Returned")
    watch.command("U0BEN", "returned C-2001")

    for user in TEAM:
        watch.press(user, ids.HOME_PENDING_REFRESH, "refresh", "Home's Refresh",
                    view=bot.slack.home(user) or {"type": "home", "id": "V0HOME"})
        watch.command(user, "pending")
        watch.home(user)
    # The team report shows counts only; the access report who looked, never a private value.
    for user, words in (("U0JAMIE", "report"), ("U0ANA", "report month"),
                        ("U0DESK", "report 2026-11-01..2026-11-24"),
                        ("U0ADMIN", "access C-1042"), ("U0ADMIN", "access C-1042 since 2026-11-01"),
                        ("U0ANA", "access C-1042")):
        watch.command(user, words)

    # Every surface the app registers was driven.
    assert set(HANDLERS) <= watch.forms, set(HANDLERS) - watch.forms
    assert set(ACTION_HANDLERS) <= watch.actions, set(ACTION_HANDLERS) - watch.actions
    assert set(VIEW_HANDLERS) <= watch.modals, set(VIEW_HANDLERS) - watch.modals
    assert set(EVENT_HANDLERS) <= watch.events, set(EVENT_HANDLERS) - watch.events
    # And private values were shown where they should be: each of these is a look to audit.
    shown = " | ".join(sorted(watch.disclosed))
    for surface in ("/contact-check C-1042 by U0ANA", "/contact-check C-2001 by U0DESK",
                    "/contact-check consent C-1042 by U0JAMIE",
                    "the card's Show details clicked by U0ADMIN",
                    "the card's Edit consent clicked by U0BEN",
                    "/contact-check noshow C-1042 by U0ANA",
                    "/contact-check noshow C-1042 by U0JAMIE",
                    "'No-show' on", "'Details' on No-show check",
                    "'Details' on Call-back", "'Show reason' on", "'View run-in' on"):
        assert surface in shown, f"nothing private was shown by {surface!r}: {shown}"
    assert not watch.violations, "\n".join(watch.violations)

    with watch.reader.connect() as conn:  # the trail itself holds no client data
        trail = json.dumps([list(map(str, row)) for row in conn.execute(text(
            "SELECT actor, action, client_code, details FROM audit_events")).all()],
            ensure_ascii=False)
    assert not [s for s in secrets if s in trail]
    assert verify_trail(bot.deps.store.engine, bot.deps.store.keyring).ok


def _consent_modal(watch: Watch) -> dict[str, Any]:
    """The consent modal Ana opened for her own client, showing what is on file."""
    for call in reversed(watch.slack.calls_to("views.open")):
        view = call.params["view"]
        if (view.get("callback_id") == ids.CONSENT_MODAL
                and view.get("private_metadata") == "C-1042"
                and any(s in json.dumps(view) for s in watch.secrets)):
            return view
    raise AssertionError("Ana's consent modal for C-1042 was never opened with its details")
