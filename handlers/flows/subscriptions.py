"""``/sendstats subscribe | unsubscribe | list`` and the Subscribe buttons: daily digests of a send, a
campaign or a Canvas in one channel.

Subscribing asks the kind to check with Braze first (nothing stored when it refuses): a send records its
first day, which fixes the day its digests end; a campaign or Canvas has no end date (it ends when Braze
reports it archived, or after quiet days). Channels are stored by ID, so renames never break delivery.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from digests.records import OPEN_END, Delivery, Subscription
from digests.schedule import next_digest
from handlers.adapter.delivery import NOT_MEMBER, slack_error
from handlers.database import ACK_BUDGET, is_outage, reason_of
from handlers.database import submit as submit_bounded
from handlers.deps import Deps
from handlers.flows.reporting import Origin, answering, tell
from handlers.grammar import ListRequest, SubscribeRequest, UnsubscribeRequest, known_zone
from handlers.layout.blocks import mrkdwn, wrapped
from handlers.layout.digest_blocks import ends_text, last_outcome, subject
from handlers.layout.text import escape
from handlers.promises import command_text, promised, run_again
from reports.kinds.base import Refusal
from reports.kinds.registry import kind_of
from reports.views import long_day

log = logging.getLogger(__name__)
DEFAULT_AT = (9, 0)


def user_timezone(deps: Deps, user_id: str) -> str:
    """The user's Slack time zone (``users.info`` → ``tz``), else DIGEST_TIMEZONE."""
    tz = deps.delivery.user_timezone(user_id)
    if tz:
        if known_zone(tz):
            return tz
        log.info("Slack time zone %r of %s is unknown here; using %s", tz, user_id, deps.default_timezone)
    return deps.default_timezone


def describe(sub: Subscription, outcome: Delivery | None = None, name: str | None = None) -> str:
    """A subscription as ``list`` shows it: its number and name, then when and how its digests go."""
    status = "" if sub.status == "active" else f" · *{sub.status}*"
    if sub.status_reason and sub.status != "active":
        status += f" ({escape(sub.status_reason)})"
    return (
        f"*#{sub.id}* · {subject(sub, name)}\n"
        + wrapped(f"{sub.hour:02d}:{sub.minute:02d} {sub.timezone} · {ends_text(sub)}{status}"
                  f" · {last_outcome(outcome, sub.last_digest_on)}")
    )


def names_of(deps: Deps, subs: list[Subscription]) -> dict[int, str]:
    """The names the catalogue knows for what ``subs`` digest (a send's is its campaign's); none is asked of
    Braze, so ``list`` and App Home stay quick. A subscription whose name is unknown shows its IDs only."""
    names: dict[int, str] = {}
    for sub in subs:
        entry = deps.catalogue.get(kind_of(sub.kind).name_key, sub.object_id)
        if entry is not None and entry.name:
            names[sub.id] = entry.name
    return names


def subscribe(deps: Deps, request: SubscribeRequest, origin: Origin, team_id: str) -> None:
    """The slow half of ``subscribe``. Every way it can fail ends in a message to the requester: Braze
    errors in Braze's words, anything else (a locked database, a bug) with a reference for the logs."""
    try:
        _subscribe(deps, request, origin, team_id)
    except Exception as exc:
        subscribe_failed(deps, origin, exc)


def subscribe_failed(deps: Deps, origin: Origin, exc: Exception) -> None:
    """Tell the requester a subscribe failed on our side: the database busy or unavailable (try again
    soon), or a bug (with a reference for the logs)."""
    ref = uuid.uuid4().hex[:8]
    if is_outage(exc):
        log.warning("subscribe failed (ref %s): the database: %s", ref, reason_of(exc))
        busy = "locked" in str(exc).lower()
        why = "the database is busy" if busy else "my database is unavailable right now"
    else:
        log.error("subscribe failed (ref %s): %s", ref, " ".join(str(exc).split())[:300], exc_info=True)
        why = "something went wrong on our side"
    tell(deps, origin, f"⚠️ Not subscribed: {why} (ref `{ref}`). Nothing was changed; try again in a minute.")


def _subscribe(deps: Deps, request: SubscribeRequest, origin: Origin, team_id: str) -> None:
    kind, target = kind_of(request.target.kind), request.target
    zone = request.timezone or user_timezone(deps, origin.user_id)
    hour, minute = (request.at.hour, request.at.minute) if request.at else DEFAULT_AT
    now = deps.clock()
    today = now.astimezone(ZoneInfo(zone)).date()
    ref = mrkdwn(kind.short_reference(target))
    plan = kind.check_subscription(deps.braze, deps.renderer, deps.names, target, today=today, now=now)
    if isinstance(plan, Refusal):
        tell(deps, origin, f"⚠️ Not subscribed to {ref}: {escape(plan.reason)}")
        return
    if not answering(origin):  # stored means answered: its confirmation follows at once
        return
    sub, created = deps.store.subscriptions.upsert(
        team_id=team_id,
        channel_id=origin.channel,
        kind=target.kind,
        object_id=target.object_id,
        send_id=target.send_id,
        hour=hour,
        minute=minute,
        timezone=zone,
        created_by=origin.user_id,
        first_day=plan.first_day,
        ends_on=plan.ends_on or OPEN_END,
        now=now,
    )
    title = escape(kind.title(plan.name, target))
    upcoming = next_digest(sub, now)
    verb = "subscribed this channel to" if created else "updated this channel's"
    first = f"First digest: {long_day(upcoming.date())}. " if upcoming else ""
    text = (
        f"✅ <@{origin.user_id}> {verb} a daily digest of *{title}* ({ref}, #{sub.id}): "
        f"every day at *{hour:02d}:{minute:02d} {zone}*{kind.cadence}. {first}"
        f"{kind.end_rule(sub.ends_on, upcoming=upcoming)}"
    )
    confirm_or_cancel(deps, origin, sub, text)


def confirm_or_cancel(deps: Deps, origin: Origin, sub: Subscription, text: str) -> None:
    """Join the channel (a subscribe is someone asking for the bot there; digests never join by themselves)
    and post the confirmation in it; a channel the bot cannot post in cancels the subscription (it could
    never deliver there) and tells the requester privately how to fix it."""
    if origin.channel.startswith("C"):  # public (or a private one made since 2021: Slack refuses the join)
        deps.delivery.join(origin.channel)
    try:
        deps.delivery.post_joining(origin.channel, text=text)
    except SlackApiError as exc:
        code = slack_error(exc)
        deps.store.subscriptions.cancel(sub.id)
        hint = "invite me with `/invite @sendstats` first" if code in NOT_MEMBER else f"Slack answered `{code}`"
        tell(deps, origin, f"⚠️ Not subscribed: I can't post in this conversation; {hint}.")
        return
    deps.on_subscriptions_changed()


def unsubscribe(deps: Deps, request: UnsubscribeRequest, channel: str) -> str:
    """Cancel a subscription of this channel; returns the reply."""
    if request.subscription_id is not None:
        sub = deps.store.subscriptions.get(request.subscription_id)
        if sub is not None and sub.channel_id != channel:
            sub = None
    elif request.target is not None:
        target = request.target
        sub = deps.store.subscriptions.find(channel, target.kind, target.object_id, target.send_id)
    else:
        sub = None
    if sub is None or sub.status == "cancelled":
        return "No such subscription in this channel. `/sendstats list` shows this channel's digests."
    deps.store.subscriptions.cancel(sub.id)
    deps.on_subscriptions_changed()
    return f"🛑 Unsubscribed #{sub.id}: no more digests for {subject(sub)} in this channel."


def list_text(deps: Deps, channel: str) -> str:
    subs = [s for s in deps.store.subscriptions.in_channel(channel, include_inactive=True) if s.status != "cancelled"]
    if not subs:
        return "This channel has no digests. Start one with `/sendstats subscribe CAMPAIGN_ID SEND_ID`."
    outcomes = deps.store.deliveries.last_outcomes([s.id for s in subs])
    names = names_of(deps, subs)
    return "*Digests in this channel*\n" + "\n".join(describe(s, outcomes.get(s.id), names.get(s.id)) for s in subs)


def store_answer(fn: Any, *args: Any) -> str:
    """Run a store operation for the user; a failure is a message, not silence."""
    try:
        return str(fn(*args))
    except Exception as exc:
        ref = uuid.uuid4().hex[:8]
        if not is_outage(exc):
            log.error("store operation failed (ref %s): %s", ref, " ".join(str(exc).split())[:300], exc_info=True)
            return f"⚠️ Something went wrong on our side (ref `{ref}`). Try again in a minute."
        log.warning("store operation failed (ref %s): the database: %s", ref, reason_of(exc))
        return f"⚠️ The database is not answering right now (ref `{ref}`). Nothing was changed; try again in a minute."


def _answer_quickly(deps: Deps, ack: Ack, origin: Origin, again: str, fn: Any, *args: Any) -> None:
    """Answer in the ack when the store is quick; when it is slow (a locked SQLite file, a PostgreSQL
    lock wait, a database that stopped answering), ack within Slack's 3 s anyway and tell the user the
    outcome privately once it is known (a promise: ``again`` is what to run again if the bot stops first)."""
    future = submit_bounded(store_answer, fn, *args)
    try:
        text = str(future.result(timeout=ACK_BUDGET))
    except FutureTimeout:
        ack(text="⏳ The database is slow right now; I'll tell you here when this is done.", response_type="ephemeral")
        owed = promised(deps.promises, origin, again)
        future.add_done_callback(lambda f: _tell_later(deps, owed, str(f.result())))
        return
    ack(text=text, response_type="ephemeral")


#: Public name, for the other quick store commands (``handlers.flows.alerts``).
answer_quickly = _answer_quickly


def _tell_later(deps: Deps, origin: Origin, text: str) -> None:
    try:
        deps.later(tell, deps, origin, text)
    except RuntimeError:  # the job pool is shut down (the process is stopping): tell from this thread
        tell(deps, origin, text)


def handle(deps: Deps, ack: Ack, request: Any, origin: Origin, body: dict[str, Any]) -> None:
    """Route subscription commands; quick store operations answer in the ack itself."""
    if isinstance(request, SubscribeRequest):
        origin = promised(deps.promises, origin, run_again(command_text(request)))
        deps.later(subscribe, deps, request, origin, body.get("team_id", ""), key=origin.user_id)
        ref = mrkdwn(kind_of(request.target.kind).short_reference(request.target))
        ack(text=f"⏳ Checking {ref} with Braze…", response_type="ephemeral")

    elif isinstance(request, UnsubscribeRequest):
        typed = " ".join(str(body.get("text") or "").replace("`", "").split())  # as the user typed it
        _answer_quickly(deps, ack, origin, run_again(f"/sendstats {typed}"), unsubscribe, deps, request, origin.channel)
    elif isinstance(request, ListRequest):
        _answer_quickly(deps, ack, origin, run_again("/sendstats list"), list_text, deps, origin.channel)
