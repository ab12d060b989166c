"""``/sendstats alert … | alerts | alert remove ID``: a channel's alerts on a send, campaign or Canvas.

Setting an alert reads the target from Braze first (nothing stored when Braze refuses: a wrong ID or a
missing permission would otherwise fail every check), stores the rule, and confirms it in the channel,
joining it (someone asked there; checks never join). Listing and removing are quick store operations
answered in the ack.
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from digests.alert_check import ALERT_DAYS
from handlers.adapter.delivery import NOT_MEMBER, slack_error
from handlers.deps import Deps
from handlers.flows.reporting import Origin, answering, tell
from handlers.flows.subscriptions import answer_quickly, subscribe_failed
from handlers.grammar import AlertRemoveRequest, AlertRequest, AlertsRequest
from handlers.layout.alert_blocks import describe, reference, rule_text, value_text
from handlers.layout.blocks import mrkdwn
from handlers.layout.text import escape
from handlers.promises import promised, run_again
from reports.braze import BrazeError, BrazeNoData, decode_json
from reports.kinds.metrics import METRICS
from reports.kinds.registry import kind_of
from reports.stats import format_rate

log = logging.getLogger(__name__)


def command_text(request: AlertRequest) -> str:
    """The ``/sendstats`` text that sets ``request`` again (the grammar reads it back to it)."""
    target = request.target
    ids = " ".join(target.ids)
    value = format_rate(request.threshold) if METRICS[request.metric].is_rate else f"{int(request.threshold)}"
    return f"/sendstats alert {target.kind.value} {ids} {request.metric} {request.op} {value}"


def set_alert(deps: Deps, request: AlertRequest, origin: Origin, team_id: str) -> None:
    """The slow half of ``alert``; every way it fails ends in a message to the requester."""
    try:
        _set_alert(deps, request, origin, team_id)
    except Exception as exc:
        subscribe_failed(deps, origin, exc)


def _set_alert(deps: Deps, request: AlertRequest, origin: Origin, team_id: str) -> None:
    kind, target = kind_of(request.target.kind), request.target
    ref = mrkdwn(kind.short_reference(target))
    now = deps.clock()
    try:
        raw = kind.fetch(deps.braze, target, length=ALERT_DAYS, ending_at=None, now=now)
        series = kind.parse(decode_json(raw) if isinstance(raw, bytes) else raw, target)
    except BrazeNoData:
        series = None  # nothing yet: fine, the alert waits for data
    except BrazeError as exc:
        tell(deps, origin, f"⚠️ No alert set on {ref}: {escape(exc.user_message)}")
        return
    if not answering(origin):
        return
    alert, created = deps.store.alerts.add(
        team_id=team_id,
        channel_id=origin.channel,
        target=target,
        metric=request.metric,
        op=request.op,
        threshold=request.threshold,
        created_by=origin.user_id,
        now=now,
    )
    metric = METRICS[alert.metric]
    today = now.astimezone(UTC).date()
    current = metric.daily(series).get(today) if series is not None else None
    state = f" Now: {value_text(alert.metric, current)} today so far." if current is not None else " No data today yet."
    verb = "set" if created else "updated"
    text = (
        f"🔔 <@{origin.user_id}> {verb} alert #{alert.id} in this channel: {reference(alert)} {rule_text(alert)}"
        f" ({escape(metric.formula)}).{state} I check every hour, on today's data so far and on each complete day, "
        f"post here once when it starts, and reply in that thread when it is back to normal. "
        f"`/sendstats alert remove {alert.id}` stops it."
    )
    if origin.channel.startswith("C"):  # public: join (someone asked here); private ones refuse the join
        deps.delivery.join(origin.channel)
    try:
        deps.delivery.post_joining(origin.channel, text=text)
    except SlackApiError as exc:
        code = slack_error(exc)
        deps.store.alerts.remove(alert.id, origin.channel)
        hint = "invite me with `/invite @sendstats` first" if code in NOT_MEMBER else f"Slack answered `{code}`"
        tell(deps, origin, f"⚠️ No alert set on {ref}: I can't post in this conversation; {hint}.")


def list_text(deps: Deps, channel: str) -> str:
    found = deps.store.alerts.in_channel(channel)
    if not found:
        return (
            "This channel has no alerts. Set one with `/sendstats alert campaign CAMPAIGN_ID bounce_rate > 2%` "
            "(see `/sendstats help`)."
        )
    return "*Alerts in this channel*\n" + "\n".join(describe(a) for a in found)


def remove(deps: Deps, alert_id: int, channel: str) -> str:
    removed = deps.store.alerts.remove(alert_id, channel)
    if removed is None:
        return "No such alert in this channel. `/sendstats alerts` lists this channel's alerts."
    return f"🛑 Removed alert #{removed.id}: no more posts for {reference(removed)} {rule_text(removed)}."


def handle(
    deps: Deps,
    ack: Ack,
    request: AlertRequest | AlertsRequest | AlertRemoveRequest,
    origin: Origin,
    body: dict[str, Any],
) -> None:
    """Route the alert commands; listing and removing answer in the ack itself."""
    if isinstance(request, AlertRequest):
        origin = promised(deps.promises, origin, run_again(command_text(request)))
        deps.later(set_alert, deps, request, origin, body.get("team_id", ""), key=origin.user_id)
        ref = mrkdwn(kind_of(request.target.kind).short_reference(request.target))
        ack(text=f"⏳ Checking {ref} with Braze…", response_type="ephemeral")
    elif isinstance(request, AlertsRequest):
        answer_quickly(deps, ack, origin, run_again("/sendstats alerts"), list_text, deps, origin.channel)
    else:
        again = run_again(f"/sendstats alert remove {request.alert_id}")
        answer_quickly(deps, ack, origin, again, remove, deps, request.alert_id, origin.channel)
