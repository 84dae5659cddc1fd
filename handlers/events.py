"""Events API subscriptions. ``EVENT_HANDLERS`` maps an event type to a handler.

A handler is ``handle(deps, event, client) -> None`` (Bolt acks events by itself, first). Every
event type here must be listed under ``settings.event_subscriptions.bot_events`` in
``manifest.yml``; ``tests/test_manifest.py`` holds the two together. To add one, add
``"event_type": your_function`` to ``EVENT_HANDLERS`` and the event to the manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from handlers.home import on_app_home_opened

EventHandler = Callable[[Deps, dict[str, Any], WebClient], None]

EVENT_HANDLERS: dict[str, EventHandler] = {
    "app_home_opened": on_app_home_opened,
}


def register(app: App, deps: Deps) -> None:
    for event_type, handler in EVENT_HANDLERS.items():
        app.event(event_type)(_listener(deps, handler))


def _listener(deps: Deps, handler: EventHandler) -> Callable[..., None]:
    def listener(event: dict[str, Any], client: WebClient) -> None:
        handler(deps, event, client)

    listener.__name__ = f"event_{handler.__name__}"
    return listener
