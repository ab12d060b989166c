"""``/sendstats subscribe campaign|canvas <id>`` and the Subscribe buttons of campaign and Canvas reports
and ``find`` results: a daily digest of a whole campaign or Canvas in one channel.

Unlike a send's, these digests have no end date: they end, with a last notice, when Braze reports the
campaign or Canvas archived, or after 14 days in a row with nothing sent or entered. Subscribing checks
Braze first (the ID must be known and its series readable) and refuses an archived one.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slack_bolt import Ack

from digests.records import OPEN_END
from digests.schedule import next_digest
from handlers.deps import Deps
from handlers.flows.reporting import Origin, answering, tell
from handlers.flows.subscriptions import DEFAULT_AT, confirm_or_cancel, subscribe_failed, user_timezone
from handlers.grammar import KindSubscribeRequest
from handlers.layout.digest_blocks import long_day
from handlers.layout.text import escape
from handlers.promises import command_text, promised, run_again
from reports.braze import BrazeError, BrazeNoData
from reports.kind_daily import QUIET_DAYS_TO_END, WINDOW_DAYS, span
from reports.kind_reports import kind_title

log = logging.getLogger(__name__)
NOUN = {"campaign": "campaign", "canvas": "Canvas"}


def _check(deps: Deps, request: KindSubscribeRequest, today_utc: date) -> tuple[str | None, str | None]:
    """(name, refusal): the series must be readable (a wrong ID or a missing permission refuses); an
    archived campaign or Canvas is refused. Nothing sent lately is fine: quiet days end it later."""
    kind, object_id = request.kind, request.object_id
    length, last = span(today_utc)
    ending_at = datetime.combine(last, time(23, 59, 59), UTC)
    try:
        if kind == "campaign":
            deps.braze.campaign_series_payload(object_id, length=length, ending_at=ending_at)
        else:
            deps.braze.canvas_series_payload(object_id, length=length, ending_at=ending_at)
    except BrazeNoData:
        pass
    except BrazeError as exc:
        return None, exc.user_message
    try:
        details = deps.braze.campaign_details(object_id) if kind == "campaign" else deps.braze.canvas_details(object_id)
    except BrazeError as exc:
        log.info("no details for %s %s (%s): subscribing without the archived check", kind, object_id, exc.status)
        return None, None
    if details.archived:
        return details.name, f"Braze reports this {NOUN[kind]} archived, so there is nothing to digest."
    return details.name, None


def subscribe_kind(deps: Deps, request: KindSubscribeRequest, origin: Origin, team_id: str) -> None:
    """Braze check, store, confirmation in the channel (or a private refusal saying why). Every way it can
    fail ends in a message to the requester, as for a send's subscription."""
    try:
        _subscribe_kind(deps, request, origin, team_id)
    except Exception as exc:
        subscribe_failed(deps, origin, exc)


def _subscribe_kind(deps: Deps, request: KindSubscribeRequest, origin: Origin, team_id: str) -> None:
    zone = request.timezone or user_timezone(deps, origin.user_id)
    hour, minute = (request.at.hour, request.at.minute) if request.at else DEFAULT_AT
    now = deps.clock()
    noun, object_id = NOUN[request.kind], request.object_id
    name, refusal = _check(deps, request, now.date())
    if refusal:
        tell(deps, origin, f"⚠️ Not subscribed to {noun} `{escape(object_id)}`: {escape(refusal)}")
        return
    local_today = now.astimezone(ZoneInfo(zone)).date()
    if not answering(origin):  # stored means answered: its confirmation follows at once
        return
    sub, created = deps.store.subscriptions.upsert(
        team_id=team_id,
        channel_id=origin.channel,
        kind=request.kind,
        object_id=object_id,
        send_id="",
        hour=hour,
        minute=minute,
        timezone=zone,
        created_by=origin.user_id,
        first_day=local_today - timedelta(days=1),  # the first digest reports the day before subscribing
        ends_on=OPEN_END,
        now=now,
    )
    title = escape(kind_title(request.kind, name, object_id))
    upcoming = next_digest(sub, now)
    verb = "subscribed this channel to" if created else "updated this channel's"
    first = f"First digest: {long_day(upcoming.date())}. " if upcoming else ""
    nothing = "nothing sent" if request.kind == "campaign" else "nobody entering"
    text = (
        f"✅ <@{origin.user_id}> {verb} a daily digest of *{title}* ({noun} `{escape(object_id)}`, #{sub.id}): "
        f"every day at *{hour:02d}:{minute:02d} {zone}*, the day before against the one before it and the last "
        f"{WINDOW_DAYS} days. {first}It has no end date: it ends by itself, with a last notice, when Braze "
        f"reports the {noun} archived or after {QUIET_DAYS_TO_END} days in a row with {nothing}."
    )
    confirm_or_cancel(deps, origin, sub, text)


def handle(deps: Deps, ack: Ack, request: KindSubscribeRequest, origin: Origin, team_id: str) -> None:
    origin = promised(deps, origin, run_again(command_text(request)))
    deps.later(subscribe_kind, deps, request, origin, team_id, key=origin.user_id)
    noun = NOUN[request.kind]
    ack(text=f"⏳ Checking {noun} `{escape(request.object_id)}` with Braze…", response_type="ephemeral")
