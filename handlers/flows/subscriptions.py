"""``/sendstats subscribe | unsubscribe | list``: daily digests for one send in one channel.

Subscribing checks with Braze first (no data, nothing stored) and records the send's first day, which
fixes the day the digests end. Channels are stored by ID, so renames never break delivery.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from digests.records import Subscription
from digests.schedule import next_digest
from handlers.adapter.delivery import NOT_MEMBER, slack_error
from handlers.deps import Deps
from handlers.flows.reporting import Origin, tell
from handlers.grammar import ListRequest, SubscribeRequest, UnsubscribeRequest
from handlers.layout.digest_blocks import long_day, short_day
from handlers.layout.text import escape
from reports.braze import BrazeError, BrazeNoData
from reports.daily import window_end
from reports.summary import RETENTION_DAYS, campaign_title

log = logging.getLogger(__name__)
DEFAULT_AT = (9, 0)
NO_DATA = "no data in the last 14 days: wrong IDs, or the send's analytics window has closed. Nothing was stored."


def user_timezone(deps: Deps, user_id: str) -> str:
    """The user's Slack time zone (``users.info`` → ``tz``), else DIGEST_TIMEZONE."""
    tz = deps.delivery.user_timezone(user_id)
    if tz:
        try:
            ZoneInfo(tz)
            return tz
        except (ZoneInfoNotFoundError, ValueError, OSError):
            log.info("Slack time zone %r of %s is unknown here; using %s", tz, user_id, deps.default_timezone)
    return deps.default_timezone


def describe(sub: Subscription) -> str:
    """One line about a subscription, as ``list`` shows it."""
    last = short_day(sub.last_digest_on) if sub.last_digest_on else "none yet"
    status = "" if sub.status == "active" else f" · *{sub.status}*"
    if sub.status_reason and sub.status != "active":
        status += f" ({escape(sub.status_reason)})"
    return (
        f"*#{sub.id}* · send `{escape(sub.send_id)}` (campaign `{escape(sub.campaign_id)}`) · "
        f"{sub.hour:02d}:{sub.minute:02d} {sub.timezone} · last digest {last} · ends {short_day(sub.ends_on)}{status}"
    )


def subscribe(deps: Deps, request: SubscribeRequest, origin: Origin, team_id: str) -> None:
    """The slow half of ``subscribe``: Braze check, store, confirmation in the channel."""
    zone = request.timezone or user_timezone(deps, origin.user_id)
    hour, minute = (request.at.hour, request.at.minute) if request.at else DEFAULT_AT
    try:
        series = deps.braze.data_series(request.campaign_id, request.send_id, length=RETENTION_DAYS + 1)
    except BrazeNoData:
        tell(deps, origin, f"⚠️ Not subscribed to send `{escape(request.send_id)}`: {NO_DATA}")
        return
    except BrazeError as exc:
        tell(deps, origin, f"⚠️ Not subscribed: {escape(exc.user_message)}")
        return
    first_day = series.first_day
    now = deps.clock()
    if first_day is None or window_end(first_day) < now.astimezone(ZoneInfo(zone)).date():
        tell(deps, origin, f"⚠️ Not subscribed to send `{escape(request.send_id)}`: {NO_DATA}")
        return
    sub, created = deps.store.upsert_subscription(
        team_id=team_id,
        channel_id=origin.channel,
        campaign_id=request.campaign_id,
        send_id=request.send_id,
        hour=hour,
        minute=minute,
        timezone=zone,
        created_by=origin.user_id,
        first_day=first_day,
        ends_on=window_end(first_day),
        now=now,
    )
    name = deps.names.get(request.campaign_id)
    title = escape(campaign_title(name, request.campaign_id))
    upcoming = next_digest(sub, now)
    verb = "subscribed this channel to" if created else "updated this channel's"
    first = f"First digest: {long_day(upcoming.date())}. " if upcoming else ""
    text = (
        f"✅ <@{origin.user_id}> {verb} a daily digest of *{title}* (send `{escape(request.send_id)}`, #{sub.id}): "
        f"every day at *{hour:02d}:{minute:02d} {zone}*. {first}"
        f"Last digest: {long_day(sub.ends_on)}, when Braze's {RETENTION_DAYS}-day analytics window for this send "
        "closes; the subscription ends by itself then."
    )
    if upcoming is None:
        text += " (The window closes before the next digest time, so no digest will be posted.)"
    try:
        deps.delivery.post_joining(origin.channel, text=text)
    except SlackApiError as exc:
        code = slack_error(exc)
        deps.store.cancel(sub.id)
        hint = "invite me with `/invite @sendstats` first" if code in NOT_MEMBER else f"Slack answered `{code}`"
        tell(deps, origin, f"⚠️ Not subscribed: I can't post in this conversation; {hint}.")
        return
    deps.on_subscriptions_changed()


def unsubscribe(deps: Deps, request: UnsubscribeRequest, channel: str) -> str:
    """Cancel a subscription of this channel; returns the reply."""
    if request.subscription_id is not None:
        sub = deps.store.get_subscription(request.subscription_id)
        if sub is not None and sub.channel_id != channel:
            sub = None
    else:
        sub = deps.store.find_subscription(channel, request.campaign_id or "", request.send_id or "")
    if sub is None or sub.status == "cancelled":
        return "No such subscription in this channel. `/sendstats list` shows this channel's digests."
    deps.store.cancel(sub.id)
    deps.on_subscriptions_changed()
    return f"🛑 Unsubscribed #{sub.id}: no more digests for send `{escape(sub.send_id)}` in this channel."


def list_text(deps: Deps, channel: str) -> str:
    subs = [s for s in deps.store.list_channel(channel, include_inactive=True) if s.status != "cancelled"]
    if not subs:
        return "This channel has no digests. Start one with `/sendstats subscribe <campaign_id> <send_id>`."
    return "*Digests in this channel*\n" + "\n".join(describe(s) for s in subs)


def handle(deps: Deps, ack: Ack, request: Any, origin: Origin, body: dict[str, Any]) -> None:
    """Route subscription commands; quick store operations answer in the ack itself."""
    if isinstance(request, SubscribeRequest):
        deps.later(subscribe, deps, request, origin, body.get("team_id", ""), key=origin.user_id)
        ack(text=f"⏳ Checking send `{escape(request.send_id)}` with Braze…", response_type="ephemeral")
    elif isinstance(request, UnsubscribeRequest):
        ack(text=unsubscribe(deps, request, origin.channel), response_type="ephemeral")
    elif isinstance(request, ListRequest):
        ack(text=list_text(deps, origin.channel), response_type="ephemeral")
