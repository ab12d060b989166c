"""The bot leaving a channel: ``channel_left`` (public), ``group_left`` (private) and
``member_left_channel`` naming the bot itself.

Slack sends the removed app ``channel_left`` or ``group_left`` (with ``actor_id``, who removed it);
``member_left_channel`` goes to the apps still in the channel, and names the bot only where Slack sends
the app its own departure, so it is handled too, for the bot's user alone (Bolt passes it on even though
it is about the bot itself). Bolt acks events before the listener runs; the work goes to the job pool
(:func:`handlers.flows.removal.bot_removed`, which is idempotent, so Slack's retries of the event change
nothing).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from handlers.deps import Deps
from handlers.flows.removal import bot_removed

log = logging.getLogger(__name__)


def handle_left(deps: Deps, event: dict[str, Any]) -> None:
    channel, by = event.get("channel"), event.get("actor_id")
    if not isinstance(channel, str) or not channel:
        log.warning("%s without a channel; nothing to pause", event.get("type"))
        return
    log.info("removed from %s (%s, by %s)", channel, event.get("type"), by or "someone")
    deps.later(bot_removed, deps, channel, by if isinstance(by, str) and by else None)


def register(app: App, deps: Deps) -> None:
    """Attach the listeners of the bot's own departures from channels."""

    @app.event("channel_left")
    @app.event("group_left")
    def on_left(event: dict[str, Any]) -> None:
        handle_left(deps, event)

    @app.event("member_left_channel")
    def on_member_left(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        if event.get("user") and event.get("user") == bot_user(body, context):
            handle_left(deps, event)


def bot_user(body: dict[str, Any], context: BoltContext) -> str | None:
    """The bot's user ID: Bolt's (from ``auth.test``), else the event's authorization for the bot."""
    if context.bot_user_id:
        return str(context.bot_user_id)
    for grant in body.get("authorizations") or []:
        if isinstance(grant, dict) and grant.get("is_bot") and grant.get("user_id"):
            return str(grant["user_id"])
    return None
