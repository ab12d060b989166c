"""The App Home tab: the digests this user created, their next digest time, and a short how-to."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import App

from digests.records import Delivery, Subscription
from digests.schedule import next_digest
from handlers.database import ACK_BUDGET, DatabaseUnavailable, within
from handlers.deps import Deps
from handlers.flows.subscriptions import names_of
from handlers.grammar import help_text
from handlers.layout.blocks import notice_blocks, wrapped
from handlers.layout.digest_blocks import ends_text, last_outcome, subject
from handlers.layout.text import escape

log = logging.getLogger(__name__)
#: Digests listed in the tab; Slack allows 100 blocks in a Home view, and the help needs a few.
HOME_LIMIT = 40


def home_view(
    subs: list[Subscription],
    now: datetime,
    outcomes: dict[int, Delivery] | None = None,
    names: dict[int, str] | None = None,
) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "📊 sendstats"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Your digests*"}},
    ]
    outcomes = outcomes or {}
    shown = [s for s in subs if s.status in ("active", "paused")]
    if not shown:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "You have no digests. In a channel: `/sendstats subscribe CAMPAIGN_ID SEND_ID`.",
                },
            }
        )
    for sub in shown[:HOME_LIMIT]:
        upcoming = next_digest(sub, now)
        when = f"next {upcoming:%a %b %d, %H:%M} {sub.timezone}" if upcoming else "no more digests"
        if sub.status == "paused":
            when = f"*paused* ({escape(sub.status_reason or '')})"
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*#{sub.id}* · {subject(sub, (names or {}).get(sub.id))} in <#{sub.channel_id}>\n"
                    + wrapped(f"{when} · {ends_text(sub)} · {last_outcome(outcomes.get(sub.id), sub.last_digest_on)}"),
                },
            }
        )
    if len(shown) > HOME_LIMIT:
        more = len(shown) - HOME_LIMIT
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"…and {more} more digest{'s' if more != 1 else ''} not shown here (Slack limits "
                        "this tab to 100 blocks). Run `/sendstats list` in a channel to see all of its digests.",
                    }
                ],
            }
        )
    blocks.append({"type": "divider"})
    blocks.extend(notice_blocks(help_text()))
    return {"type": "home", "blocks": blocks}


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event.get("user")
        if not isinstance(user, str) or not user:
            log.warning("app_home_opened without a user id; nothing to show")
            return
        try:
            subs, outcomes, names = within(ACK_BUDGET, _digests_of, deps, user)
        except DatabaseUnavailable as exc:
            log.warning("App Home of %s not refreshed: %s", user, exc.reason)
            return  # the tab keeps showing what it showed last; it is refreshed the next time it opens
        deps.delivery.publish_home(user, home_view(subs, deps.clock(), outcomes, names))


def _digests_of(deps: Deps, user: str) -> tuple[list[Subscription], dict[int, Delivery], dict[int, str]]:
    subs = deps.store.subscriptions.by_user(user, include_inactive=True)
    shown = [s for s in subs if s.status in ("active", "paused")][:HOME_LIMIT]
    return subs, deps.store.deliveries.last_outcomes([s.id for s in subs]), names_of(deps, shown)
