"""``@sendstats <campaign> <send> [days] [until …]`` (or ``campaign …``, ``canvas …``) in a thread
(slash commands can't be used there).

The answer goes into the mention's thread, or starts one under a top-level mention. Slack retries an
event whose ack was slow or lost; the event id is remembered in the event log first, so a retry (even
after a restart) never produces a second post.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from handlers.adapter.delivery import slack_error
from handlers.database import ACK_BUDGET, DatabaseUnavailable, within
from handlers.deps import Deps
from handlers.flows.finding import find_reply
from handlers.flows.reporting import Origin, report_later
from handlers.grammar import (
    AlertRemoveRequest,
    AlertRequest,
    AlertsRequest,
    FindRequest,
    HelpRequest,
    ReportRequest,
    UsageError,
    help_text,
    misread,
    parse,
    short_help,
)
from handlers.layout.blocks import notice_blocks
from handlers.promises import command_text, mention_again, promised

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
SLASH_ONLY = "Digests are managed with the slash command in the channel: `/sendstats subscribe …`, `/sendstats list`."
ALERTS_SLASH_ONLY = (
    "Alerts are managed with the slash command in the channel: `/sendstats alert …`, `/sendstats alerts`."
)


def mention_text(text: str) -> str:
    """The request without the bot's (or anyone's) @mention tokens."""
    return _MENTION.sub(" ", text or "").strip()


def handle_mention(deps: Deps, body: dict[str, Any]) -> None:
    event = body.get("event") or {}
    event_id = body.get("event_id")
    if event.get("bot_id") or event.get("subtype"):
        return
    if event_id and not first_time(deps, str(event_id)):
        log.info("event %s already handled (Slack retry); not posting again", event_id)
        return
    channel, user = event.get("channel") or "", event.get("user") or ""
    thread_ts = event.get("thread_ts") or event.get("ts")
    user = user if isinstance(user, str) else ""
    if not isinstance(channel, str) or not channel:
        log.warning("mention %s without a channel; nothing to answer", event_id)
        return
    origin = Origin(channel=channel, user_id=user, thread_ts=thread_ts)
    asked = mention_text(event.get("text", ""))
    request = parse(asked, today=deps.clock().date())
    if isinstance(request, ReportRequest):
        origin = promised(deps.promises, origin, mention_again(command_text(request)))
        report_later(deps, request, origin)
        return
    if isinstance(request, UsageError) and misread(asked):
        text, blocks = "sendstats: what I can do", notice_blocks(short_help())
    elif isinstance(request, UsageError):
        text, blocks = request.text.replace("`/sendstats ", "`@sendstats "), None
    elif isinstance(request, HelpRequest):
        text, blocks = "sendstats help", notice_blocks(help_text())
    elif isinstance(request, FindRequest):
        text, blocks = find_reply(deps, request.query)
    elif isinstance(request, AlertRequest | AlertsRequest | AlertRemoveRequest):
        text, blocks = ALERTS_SLASH_ONLY, None
    else:
        text, blocks = SLASH_ONLY, None
    deps.lanes.submit(channel, _reply, deps, channel, thread_ts, text, blocks)


def first_time(deps: Deps, event_id: str) -> bool:
    """True the first time this event id is seen: remembered in the database (so even a restart never
    answers a retry twice), or, while the database is out, in this process's memory, so a mention still
    gets its report without the database."""
    try:
        return within(ACK_BUDGET, deps.events.remember, event_id) and deps.seen_events.first_time(event_id)
    except DatabaseUnavailable:
        log.warning("event %s: the database is out, so it is de-duplicated in memory only", event_id)
        return deps.seen_events.first_time(event_id)


def _reply(deps: Deps, channel: str, thread_ts: str | None, text: str, blocks: list[dict[str, Any]] | None) -> None:
    try:
        deps.delivery.post(channel, text=text, blocks=blocks, thread_ts=thread_ts)
    except SlackApiError as exc:
        log.warning("could not answer a mention in %s: %s", channel, slack_error(exc))
    except Exception:
        log.exception("could not answer a mention in %s", channel)


def register(app: App, deps: Deps) -> None:
    """Attach the ``app_mention`` listener (Bolt acks events before the listener runs)."""

    @app.event("app_mention")
    def on_mention(body: dict[str, Any]) -> None:
        handle_mention(deps, body)
