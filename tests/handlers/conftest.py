"""The bot served over real HTTP (waitress on 127.0.0.1) against the Slack stand-in."""

from __future__ import annotations

import json
import threading
import time as clock_time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from bot.app import create_app
from bot.clock import ManualClock
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.policy.clinic import ClinicPolicy
from bot.policy.model import ClientRecord, Consent, NumberPermission, Provenance, ThirdParty
from bot.policy_file.validation import parse_policy
from bot.sandbox.standin import SlackRequests, SlackStandIn, sign
from bot.server import make_http_server, stop_http_server
from storage.db import READ_ONLY
from storage.tables import AuditEvent
from storage.uow import Store
from tests.views.blockkit import assert_valid_message

SIGNING_SECRET = "test-signing-secret-8f2a"
TOKEN = "xoxb-test-token"

POLICY_DATA: dict[str, Any] = {
    "clinic": {"name": "Great Agency", "timezone": "America/New_York",
               "holidays": {"country": "US"}, "phone": "+12155550100"},
    "approvals": {"phone_coaching": "U0BEDICS", "backup": "U0DIRECTOR"},
    "team": [
        {"slack_id": "U0JAMIE", "role": "supervisor", "first_name": "Jamie"},
        {"slack_id": "U0BEDICS", "role": "supervisor", "first_name": "Bedics"},
        {"slack_id": "U0ANA", "role": "clinician", "first_name": "Ana", "supervisor": "U0JAMIE"},
        {"slack_id": "U0BEN", "role": "clinician", "first_name": "Ben", "supervisor": "U0BEDICS"},
        {"slack_id": "U0DESK", "role": "front_desk", "first_name": "Sam"},
        {"slack_id": "U0ADMIN", "role": "admin", "first_name": "Lee"},
        {"slack_id": "U0DIRECTOR", "role": "supervisor", "first_name": "Dana"},  # the backup
    ],
}


def contract_policy() -> ClinicPolicy:
    return parse_policy(POLICY_DATA)


def maria(clock: ManualClock) -> ClientRecord:
    """C-1042, Ana's client: cell preferred and allowed 09:00-20:00, home do-not-call."""
    return ClientRecord(
        code="C-1042",
        clinician="U0ANA",
        preferred_name="Maria",
        consent=Consent(
            may_call=True,
            preferred_kind="cell",
            clinic_name_ok=False,
            earliest=time(9, 0),
            latest=time(20, 0),
            numbers=(
                NumberPermission("cell", "+12155550142", voicemail_ok=True),
                NumberPermission("home", "+12155550199", may_call=False, do_not_call=True,
                                 do_not_call_reason="Partner does not know about therapy"),
            ),
            third_parties=(ThirdParty("Rosa", written_permission=True),),
            safety_note="Do not call after 20:00; partner checks the phone",
            provenance=Provenance("import:clients.csv", clock.now(), "import"),
        ),
    )


# What ``maria`` holds that no Slack message may show.
PRIVATE = ("Maria", "5550142", "5550199", "Partner does not know", "partner checks", "Rosa")


def audit_count(store: Store) -> int:
    """How many audit events there are (each look at a client's details is one)."""
    with store.unit_of_work() as uow:
        return len(uow.session.exec(select(AuditEvent)).all())


def add_client(store: Store, record: ClientRecord, clock: ManualClock) -> None:
    with store.unit_of_work() as uow:
        uow.clients.save(record, now=clock.now())
        uow.commit()


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> Reply:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Reply(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read())


@dataclass
class Bot:
    url: str
    slack: SlackStandIn
    signer: SlackRequests
    deps: Deps

    def post(self, signed: tuple[bytes, dict[str, str]]) -> Reply:
        body, headers = signed
        return http("POST", self.url + "/slack/events", body, headers)

    def command(self, user: str, text: str, **kwargs: Any) -> Reply:
        response_url = kwargs.pop("response_url", None) or self.slack.new_response_url()
        return self.post(self.signer.slash_command(user, text, response_url=response_url,
                                                   **kwargs))

    def answers(self, user: str, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        """Every message the command answered with, each checked ephemeral and valid Block Kit:
        the ack body, or (after an empty ack) what reached the command's response_url."""
        url = self.slack.new_response_url()
        reply = self.command(user, text, response_url=url, **kwargs)
        assert reply.status == 200, reply.body
        if reply.body:
            said = [reply.json()]
            clock_time.sleep(0.05)  # a late response_url post would show up as well
            said += self.slack.responses(url)
        else:
            said = wait_for(lambda: self.slack.responses(url), timeout=3.0) or []
        for message in said:
            assert message["response_type"] == "ephemeral", message
            assert_valid_message({k: v for k, v in message.items()
                                  if k not in ("response_type", "replace_original")})
        return said

    def home_opened(self, user: str) -> Reply:
        """Slack's signed ``app_home_opened`` event: ``user`` opened the app's Home tab."""
        body = json.dumps({
            "token": "standin", "team_id": self.slack.team_id, "api_app_id": "A0STANDIN",
            "type": "event_callback", "event_id": f"Ev{user}{clock_time.monotonic_ns()}",
            "event_time": int(clock_time.time()),
            "event": {"type": "app_home_opened", "user": user, "channel": "D" + user[1:],
                      "tab": "home", "event_ts": f"{clock_time.time():.6f}"},
        }).encode()
        return self.post((body, {"Content-Type": "application/json",
                                 **sign(body, SIGNING_SECRET)}))

    def ask(self, user: str, text: str, **kwargs: Any) -> dict[str, Any]:
        """The command's one answer (see ``answers``)."""
        said = self.answers(user, text, **kwargs)
        assert len(said) == 1, said
        return said[0]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def deps(store: Store, clock: ManualClock, slack: SlackStandIn) -> Deps:
    return Deps(store=store, policy=contract_policy(), clock=clock, bot_token=TOKEN,
                slack_api_url=slack.api_url)


@contextmanager
def serving(deps: Deps, slack: SlackStandIn) -> Iterator[Bot]:
    """``create_app`` behind waitress on a free port, as ``serve`` runs it, talking to ``slack``;
    requests are signed for the workspace the stand-in names."""
    app = create_app(deps, signing_secret=SIGNING_SECRET, token=TOKEN)
    server = make_http_server(app, deps, host="127.0.0.1", port=0, dispatcher_alive=lambda: True,
                              signing_secret=SIGNING_SECRET)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Bot(f"http://127.0.0.1:{server.effective_port}", slack,
                  SlackRequests(SIGNING_SECRET, team_id=slack.team_id), deps)
    finally:
        stop_http_server(server)
        thread.join(timeout=5)


@pytest.fixture
def bot(deps: Deps, slack: SlackStandIn) -> Iterator[Bot]:
    with serving(deps, slack) as running:
        yield running


@pytest.fixture
def stalled_database(store: Store, clock: ManualClock,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Maria on file, then every unit of work waits until the test sets the event yielded (set
    at teardown as well, so that nothing is left waiting after a failed test)."""
    add_client(store, maria(clock), clock)
    released = threading.Event()
    opened = store.unit_of_work

    def stalled(*args: Any, **kwargs: Any) -> Any:
        released.wait(20)
        return opened(*args, **kwargs)

    monkeypatch.setattr(store, "unit_of_work", stalled)
    yield released
    released.set()


def wait_for(condition: Any, timeout: float = 5.0) -> Any:
    """Poll ``condition()`` until it is truthy (work Bolt does after the ack); its last value."""
    deadline = clock_time.monotonic() + timeout
    value = condition()
    while not value and clock_time.monotonic() < deadline:
        clock_time.sleep(0.01)
        value = condition()
    return value


def eventually(condition: Any, timeout: float = 5.0) -> Any:
    """``wait_for``, failing the test when ``condition()`` stays falsy for ``timeout`` seconds."""
    value = wait_for(condition, timeout)
    if not value:
        raise AssertionError("the bot did not do it within the time allowed")
    return value


def send_due(bot: Bot) -> None:
    """Send every message due now to the stand-in, as the dispatcher does."""
    Dispatcher(bot.deps, per_channel_interval=0.0).drain(max_seconds=10)


def dms(bot: Bot, user: str) -> list[dict[str, Any]]:
    return bot.slack.messages(bot.slack.dm_channel(user))


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def click(bot: Bot, user: str, message: dict[str, Any], label: str) -> str:
    """Click the button labelled ``label`` on ``message`` as ``user``; the response_url used."""
    button = next(b for b in buttons(message) if b["text"]["text"] == label)
    url = bot.slack.new_response_url()
    reply = bot.post(bot.signer.block_action(
        user, button["action_id"], button["value"], message=message,
        channel_id=message["channel"], response_url=url))
    assert reply.status == 200
    return url


def assert_no_private_details(bot: Bot) -> None:
    """No message the bot posted or updated shows anything in PRIVATE."""
    for call in bot.slack.calls_to("chat.postMessage") + bot.slack.calls_to("chat.update"):
        shown = json.dumps(call.params)
        for private in PRIVATE:
            assert private not in shown


@dataclass
class WriteWatch:
    """Every write transaction on the engine (not the read-only or consistent reads): how many
    began, which are open now, and the statements each ran (with executemany's row counts)."""

    began: int = 0
    open: int = 0
    statements: list[tuple[str, int]] = field(default_factory=list)
    _writing: set[int] = field(default_factory=set)

    @staticmethod
    def _is_write(conn: Any) -> bool:
        options = conn.get_execution_options()
        return not options.get(READ_ONLY) and "isolation_level" not in options

    def begin(self, conn: Any) -> None:
        if self._is_write(conn):
            self.began += 1
            self.open += 1
            self._writing.add(id(conn))

    def end(self, conn: Any) -> None:
        if id(conn) in self._writing:
            self._writing.discard(id(conn))
            self.open -= 1

    def statement(self, conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                  executemany: bool) -> None:
        if id(conn) in self._writing:
            self.statements.append((statement.split("(")[0].strip(),
                                    len(parameters) if executemany else 1))


@pytest.fixture
def writes(engine: Engine) -> Iterator[WriteWatch]:
    watch = WriteWatch()
    listeners = [(engine, "begin", watch.begin), (engine, "commit", watch.end),
                 (engine, "rollback", watch.end),
                 (engine, "before_cursor_execute", watch.statement)]
    for listener in listeners:
        event.listen(*listener)
    yield watch
    for listener in listeners:
        event.remove(*listener)
