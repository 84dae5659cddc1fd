"""No message Slack keeps carries a client's name, number, note, reason or third party.

A week of a clinic's work driven through the signed HTTP path and the real dispatcher against the
stand-in, with every private value a canary: a no-show chase (clicked twice, so a closure warning
is asked for and approved, with its deadline), call-back reminders for a client and for a
potential client (one refused by Slack for good, so the admins get a failure report), a run-in
and its follow-up, a coaching request nudged, its backup told and denied with a reason, the audit
trail's daily head posted to the admins, and App Home. Every ``chat.postMessage``, ``chat.update``
and ``views.publish`` the stand-in recorded, and every reply that replaced a kept message, is
searched for each canary. The test also checks that every message kind declared in
``bot.outbox_kinds`` was sent at least once, so a new kind must join this flow.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

from slack_sdk import WebClient
from sqlmodel import select

from bot.dispatcher import Dispatcher
from bot.outbox_kinds import OUTBOX_KINDS
from bot.policy.clinic import CalendarFeed
from bot.services.reports import queue_digests
from bot.services.runins import sweep_followups
from bot.services.witness import queue_witness
from bot.slack_ui import ids
from bot.slack_ui.approvals import REASON_ACTION, REASON_BLOCK
from bot.slack_ui.runin_modal import BLOCKS
from handlers.approvals import nudge_approvals
from handlers.calendars import sync_feeds_job
from handlers.home import refresh_homes
from storage.tables import OutboxMessage
from tests.handlers.conftest import TOKEN, Bot, wait_for
from tests.storage.seeding import canary, canary_phone, client_record

KEPT = ("chat.postMessage", "chat.update", "views.publish")
TEAM = ("U0ANA", "U0JAMIE", "U0BEDICS", "U0DESK", "U0ADMIN", "U0DIRECTOR")


def phone_forms(e164: str) -> tuple[str, ...]:
    """How a number may show: E.164, its ten digits, and the 555-0123 of national form."""
    return e164, e164[2:], f"{e164[5:8]}-{e164[8:]}"


def product_kinds() -> set[str]:
    """The kinds of the product's one table (``bot.outbox_kinds``)."""
    return set(OUTBOX_KINDS)


class Flow:
    def __init__(self, bot: Bot, clock: Any):
        self.bot, self.clock, self.slack = bot, clock, bot.slack
        self.replaced: list[str] = []  # response_urls of clicks on kept messages
        self.dispatcher = Dispatcher(bot.deps, per_channel_interval=0.0)
        self.web = WebClient(token=TOKEN, base_url=bot.slack.api_url)
        self.failure_injected = False

    def command(self, user: str, text: str) -> dict[str, Any]:
        return self.bot.ask(user, text)

    def dms(self, user: str) -> list[dict[str, Any]]:
        return self.slack.messages(self.slack.dm_channel(user))

    def click(self, user: str, label: str, *, on_kept: bool = True) -> str:
        """Click the newest button labelled ``label`` in ``user``'s DMs; the response_url."""
        for message in reversed(self.dms(user)):
            for block in message.get("blocks", []):
                for button in block.get("elements", []) if block["type"] == "actions" else []:
                    if button["text"]["text"] == label:
                        url = self.slack.new_response_url()
                        reply = self.bot.post(self.bot.signer.block_action(
                            user, button["action_id"], button["value"], message=message,
                            channel_id=message["channel"], response_url=url))
                        assert reply.status == 200
                        if on_kept:
                            # The click's work runs after its ack and answers last: wait for
                            # it, or the next tick may run before its outbox rows exist.
                            assert wait_for(partial(self.slack.responses, url), timeout=10)
                            self.replaced.append(url)
                        return url
        raise AssertionError(f"no {label!r} button in {user}'s DMs")

    def home_opened(self, user: str) -> None:
        assert self.bot.home_opened(user).status == 200

    def due_now(self, kind: str) -> bool:
        with self.bot.deps.store.unit_of_work() as uow:
            return uow.session.exec(select(OutboxMessage).where(
                OutboxMessage.kind == kind, OutboxMessage.status == "pending",
                OutboxMessage.due_at <= self.clock.now())).first() is not None

    def tick(self) -> None:
        """What the jobs do on a wake-up: sweeps, then send what is due."""
        deps = self.bot.deps
        nudge_approvals(deps)
        with deps.store.unit_of_work() as uow:
            sweep_followups(uow, self.clock.now())
            uow.commit()
        with deps.store.unit_of_work() as uow:
            queue_witness(uow, deps.policy, self.clock.now())
            queue_digests(uow, deps.policy, self.clock.now())
            uow.commit()
        sync_feeds_job(deps)
        if not self.failure_injected and self.due_now("callback_reminder"):
            self.slack.fail("chat.postMessage", error="user_not_found",  # refused for good
                            when=_is_kind("callback_reminder"))
            self.failure_injected = True
        self.dispatcher.drain(max_seconds=20)
        refresh_homes(deps, self.web)

    def until(self, hours: float, step_minutes: int = 30) -> None:
        end = self.clock.now() + timedelta(hours=hours)
        while self.clock.now() < end:
            self.clock.advance(timedelta(minutes=step_minutes))
            self.tick()

    def sent_kinds(self) -> set[str]:
        with self.bot.deps.store.unit_of_work() as uow:
            return set(uow.session.exec(
                select(OutboxMessage.kind).where(OutboxMessage.status == "sent")).all())


def _is_kind(kind: str):
    """Matches a message the dispatcher sent for an outbox row of ``kind`` (by its metadata)."""
    def matches(params: dict) -> bool:
        return ((params.get("metadata") or {}).get("event_payload") or {}).get("kind") == kind
    return matches


def test_no_kept_message_of_any_kind_carries_a_private_value(bot: Bot, clock, tmp_path) -> None:
    record, values = client_record("C-1042")  # Ana's client, every private field a canary
    # A calendar feed: missing at first (its admins are told), then an EHR export whose events
    # carry the client's name next to the code, and a code that is not on file.
    feed_file = tmp_path / "ana.ics"
    bot.deps.policy = replace(bot.deps.policy, calendars=(CalendarFeed(
        name="front-office", file=str(feed_file),
        client_code=re.compile(r"\b([A-Z]-\d{3,4})\b")),))
    with bot.deps.store.unit_of_work() as uow:
        uow.clients.save(record, now=clock.now())
        uow.commit()
    caller = canary_phone()  # a potential client's number
    runin_texts = {field: canary(f"runin-{field}") for field in ("place", "summary", "revisit")}
    denial = canary("denial-reason")
    secrets = [values["preferred_name"], values["safety_note"], values["do_not_call_reason"],
               values["third_party"], *runin_texts.values(), denial,
               *phone_forms(values["cell"]), *phone_forms(values["work"]), *phone_forms(caller)]

    flow = Flow(bot, clock)  # Tuesday 24 November 2026, 10:00 in New York
    for user in TEAM:
        flow.home_opened(user)
    flow.command("U0ANA", "appt C-1042 2026-11-24 10:30")
    flow.command("U0DESK", "missed C-1042 voicemail")
    flow.command("U0DESK", f"missed {caller} voicemail")
    flow.command("U0ANA", "coaching C-1042")
    assert bot.command("U0ANA", "runin C-1042").body == b""  # the modal opens instead
    (opened,) = wait_for(lambda: bot.slack.calls_to("views.open"))
    runin_view = {**opened.params["view"], "id": "V0RUNIN"}
    saved = bot.post(bot.signer.view_submission("U0ANA", runin_view, {
        BLOCKS["date"]: {"value": {"type": "datepicker", "selected_date": "2026-11-23"}},
        BLOCKS["time"]: {"value": {"type": "timepicker", "selected_time": "18:00"}},
        BLOCKS["place"]: {"value": {"type": "plain_text_input", "value": runin_texts["place"]}},
        BLOCKS["initiated_by"]: {"value": {"type": "radio_buttons",
                                           "selected_option": {"value": "client"}}},
        BLOCKS["summary"]: {"value": {"type": "plain_text_input",
                                      "value": runin_texts["summary"]}},
        BLOCKS["revisit"]: {"value": {"type": "plain_text_input",
                                      "value": runin_texts["revisit"]}},
    }))
    assert saved.json()["response_action"] == "update"
    flow.tick()
    feed_file.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e1\r\n"
        f"SUMMARY:Session {values['preferred_name']} C-1042\r\n"
        "DTSTART:20261124T180000Z\r\nDURATION:PT50M\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:e2\r\nSUMMARY:Session C-7777\r\n"
        "DTSTART:20261124T190000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")

    flow.until(hours=1)  # 11:00: the follow-up (10:20) and the chase (10:50) are in
    flow.click("U0ANA", "Details", on_kept=False)  # modals: the positive control below
    flow.click("U0ANA", "View run-in", on_kept=False)
    flow.click("U0ANA", "No-show")
    flow.command("U0ANA", "appt C-1042 2026-11-25 10:30")
    flow.until(hours=24)  # Wednesday 11:00: the second chase; the coaching request nudged
    second = flow.click("U0ANA", "No-show")  # the second in a row: a closure warning is asked
    wait_for(lambda: len(bot.slack.responses(second)) >= 2)  # the click is handled after its ack
    flow.tick()
    flow.click("U0JAMIE", "Approve")
    flow.until(hours=2)
    # The coaching request: its backup was told (seed 003: only the approver decides), and
    # Dr. Bedics denies it.
    assert any("Waiting for <@U0BEDICS>" in m["text"] for m in flow.dms("U0DIRECTOR"))
    flow.click("U0BEDICS", "Deny", on_kept=False)
    deny = wait_for(lambda: [c for c in bot.slack.calls_to("views.open")
                             if c.params["view"].get("callback_id") == ids.APPROVAL_DENY_MODAL])
    denied = bot.post(bot.signer.view_submission(
        "U0BEDICS", {**deny[0].params["view"], "id": "V0DENY"},
        {REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": denial}}}))
    assert denied.json()["response_action"] == "update"
    flow.until(hours=6 * 24, step_minutes=60)  # to the next Tuesday: deadline and call-backs
    flow.click("U0ANA", "Returned")
    for user in TEAM:
        flow.home_opened(user)
    flow.tick()

    assert flow.failure_injected
    assert flow.sent_kinds() >= product_kinds(), "a message kind was never sent"
    kept = [json.dumps(call.params, ensure_ascii=False)
            for method in KEPT for call in bot.slack.calls_to(method)]
    kept += [json.dumps(body, ensure_ascii=False)
             for url in flow.replaced for body in bot.slack.responses(url)
             if body.get("replace_original")]
    assert len(kept) > 20
    leaks = {secret for secret in secrets if any(secret in text for text in kept)}
    assert not leaks, f"kept messages carry private values: {sorted(leaks)}"

    # Positive control: the same values do reach the treating team where Slack keeps nothing.
    modals = json.dumps([c.params for c in bot.slack.calls_to("views.open")], ensure_ascii=False)
    assert values["preferred_name"] in modals and runin_texts["place"] in modals
