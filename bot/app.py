"""The Slack app: one Bolt ``App``, its Web API client, every handler module, one error handler.

``create_app`` builds the app from ``Deps``; ``bot.server`` serves it over HTTP (waitress) or
Socket Mode. Every Web API call goes through the one ``WebClient`` made here, whose ``base_url``
is ``deps.slack_api_url`` (GovSlack, the sandbox's and the tests' stand-ins).

Listeners ack first: Bolt runs each listener on ``listener_executor`` and answers Slack as soon as
the listener calls ``ack`` (``process_before_response`` stays off), so slow work after the ack
never holds Slack's 3-second limit. A slash command's work after its ack moves to threads of its
own (``handlers.commands``), so a burst of slow commands cannot occupy the listener threads that
acknowledge the next requests. One error handler (``handlers.errors.on_error``) logs ids only
(never payload text) and tells the user something went wrong, with a reference to find the log
line.

The app serves one workspace, the one ``auth.test`` names at start (``handlers.workspace``,
the first middleware): requests from any other are refused before anything else runs. Over
HTTP, ``bot.gate`` has checked each request's size, signature, shape and freshness before Bolt
sees it (``bot.server``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.web import SlackResponse

from bot.deps import Deps
from bot.metrics import ObservedWebClient, observed_dispatch
from handlers import actions, commands, errors, events, modals, respond, workspace

log = logging.getLogger("contact_check.app")

HANDLER_MODULES = (actions, modals, events)  # register(app, deps); commands also takes `work`
LISTENER_THREADS = 32
# A command's work after its ack runs on a few threads of its own, so that under a burst most of
# the interpreter goes to acknowledging requests. tests/perf/bench_ack.py (SQLite, 20 clinicians
# typing back to back, ack p99 against a bare Bolt app's, median round): 2 threads 0.9x, 4
# threads 1.1x, 8 threads 1.6x; the same work on Bolt's 32 listener threads, 3.0x. Not fewer than
# 4: opening a modal waits on Slack (views.open, with a trigger id that expires 3 s after the
# command), and such waits should not queue behind one another.
COMMAND_WORK_THREADS = 4


class InlineExecutor(Executor):
    """Runs each job at once on the calling thread: the sandbox's replies are all there when its
    request returns."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # Bolt's runner handles listener errors itself
            future.set_exception(error)
        return future


class AppClient(ObservedWebClient):
    """The Web API client of the app. It keeps the first answer ``auth.test`` gave (who the bot
    is, in which workspace), so the one call Bolt makes at start also tells the app whom it
    serves."""

    identity: dict[str, Any] | None = None

    def auth_test(self, **kwargs: Any) -> SlackResponse:
        answer = super().auth_test(**kwargs)
        if self.identity is None and answer.get("ok"):
            self.identity = dict(answer.data) if isinstance(answer.data, dict) else None
        return answer


def web_client(deps: Deps, token: str) -> AppClient:
    """The Web API client every call goes through, pointed at ``deps.slack_api_url``."""
    return AppClient(token=token, base_url=deps.slack_api_url)


class ObservedApp(App):
    """Bolt's ``App`` whose every request is timed to the ack, counted and logged
    (``bot.metrics.observed_dispatch``), over HTTP and Socket Mode alike."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        return observed_dispatch(super().dispatch)(req)


def create_app(
    deps: Deps,
    *,
    signing_secret: str,
    token: str,
    verify_token: bool = True,
    inline: bool = False,
) -> App:
    """The Bolt app with every handler module registered.

    ``signing_secret`` may be empty in Socket Mode only (Bolt verifies HTTP requests with it).
    ``auth.test`` is called once at start, through ``deps.slack_api_url`` (by Bolt, to verify the
    token, when ``verify_token``): the workspace it names is the only one served
    (``handlers.workspace``). ``inline`` runs listeners and commands' work on the request's
    thread (the sandbox).
    """
    client = web_client(deps, token)
    app = ObservedApp(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=verify_token,
        raise_error_for_unhandled_request=False,
        listener_executor=InlineExecutor() if inline else ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="listener"
        ),
        logger=logging.getLogger("slack_bolt.contact_check"),  # a library logger: text withheld
    )
    identity = client.identity or client.auth_test().data
    served = workspace.Workspace.from_auth_test(identity if isinstance(identity, dict) else {})
    log.info("serving the Slack workspace %s%s", served.team_id,
             f" of the Enterprise Grid org {served.enterprise_id}" if served.enterprise_id else "")
    workspace.register(app, served)  # first: nothing else runs for another workspace
    respond.register(app)
    commands.register(app, deps, work=InlineExecutor() if inline else ThreadPoolExecutor(
        max_workers=COMMAND_WORK_THREADS, thread_name_prefix="command"))
    for module in HANDLER_MODULES:
        module.register(app, deps)
    app.error(errors.on_error)
    return app
