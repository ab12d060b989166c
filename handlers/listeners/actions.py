"""Buttons on reports and digests: re-run (7/14/30 days; 7/30/90 for campaigns and Canvases), subscribe, unsubscribe.

Button payloads arrive on the same signed ``/slack/events`` endpoint and are verified like every
request. Work happens after the ack, answers that concern only the presser are ephemeral.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App

from handlers.deps import Deps
from handlers.flows.kind_subscriptions import subscribe_kind
from handlers.flows.reporting import Origin, run_report, tell
from handlers.flows.subscriptions import store_answer, subscribe, unsubscribe
from handlers.grammar import (
    KIND_DEFAULT_DAYS,
    KIND_USAGE,
    MAX_DAYS,
    KindReportRequest,
    KindSubscribeRequest,
    ReportRequest,
    SubscribeRequest,
    UnsubscribeRequest,
    valid_id,
)
from handlers.layout.blocks import SUBSCRIBE, UNSUBSCRIBE
from handlers.layout.catalogue_blocks import FIND_REPORT
from handlers.layout.kind_blocks import KIND_SUBSCRIBE
from handlers.promises import PRESS_AGAIN, Promise

log = logging.getLogger(__name__)
RERUN = re.compile(r"^sendstats_rerun_\d+$")
KIND_RERUN = re.compile(r"^sendstats_rerun_(campaign|canvas)_\d+$")


def _read_value(action: dict[str, Any]) -> tuple[str, str, int | None] | None:
    """Check a button value like user input: it came over the wire, signed or not."""
    try:
        value = json.loads(action.get("value") or "")
        campaign, send, days = value["c"], value["s"], value.get("d")
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(campaign, str) and isinstance(send, str) and valid_id(campaign) and valid_id(send)):
        return None
    if days is not None and not (isinstance(days, int) and 1 <= days <= MAX_DAYS):
        return None
    return campaign, send, days


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(*values: Any) -> str | None:
    """The first non-empty string: a payload is checked like user input, signed or not."""
    return next((v for v in values if isinstance(v, str) and v), None)


def _origin(body: dict[str, Any], promise: Promise | None = None) -> Origin:
    message, container = _dict(body.get("message")), _dict(body.get("container"))
    return Origin(
        channel=_str(_dict(body.get("channel")).get("id"), container.get("channel_id")) or "",
        user_id=_str(_dict(body.get("user")).get("id")) or "",
        thread_ts=_str(message.get("thread_ts"), message.get("ts"), container.get("message_ts")),
        response_url=_str(body.get("response_url")),
        promise=promise,
    )


def _first_action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    return _dict(actions[0]) if isinstance(actions, list) and actions else {}


def on_rerun(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    origin = _origin(body, promise)
    parsed = _read_value(_first_action(body))
    if parsed is None or parsed[2] is None:
        tell(deps, origin, "⚠️ That button is out of date. Run `/sendstats <campaign_id> <send_id> [days]` instead.")
        return
    campaign, send, days = parsed
    run_report(deps, ReportRequest(campaign, send, days), origin)


def read_kind_value(action: dict[str, Any]) -> tuple[str, str, int] | None:
    """A campaign/Canvas button value ``{"k", "i", "d"}``, checked like user input."""
    try:
        value = json.loads(action.get("value") or "")
        kind, object_id, days = value["k"], value["i"], value["d"]
    except (ValueError, KeyError, TypeError):
        return None
    if kind not in KIND_USAGE or not (isinstance(object_id, str) and valid_id(object_id)):
        return None
    if not (isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_DAYS):
        return None
    return kind, object_id, days


def on_kind_rerun(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    origin = _origin(body, promise)
    parsed = read_kind_value((body.get("actions") or [{}])[0])
    if parsed is None:
        tell(deps, origin, "⚠️ That button is out of date. Run `/sendstats campaign <id>` or `/sendstats canvas <id>`.")
        return
    run_report(deps, KindReportRequest(*parsed), origin)


def on_find_report(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    """Report from a ``find`` result: in the channel when the result was ephemeral (it has no thread),
    else (a find by @mention) in the result's thread."""
    origin = _origin(body, promise)
    if (body.get("container") or {}).get("is_ephemeral"):
        origin = replace(origin, thread_ts=None)
    action = dict((body.get("actions") or [{}])[0])
    parsed = read_kind_value({**action, "value": _with_days(action.get("value"))})
    if parsed is None:
        tell(deps, origin, "⚠️ That button is out of date. Run `/sendstats find <words>` again.")
        return
    run_report(deps, KindReportRequest(*parsed), origin)


def _with_days(raw: Any) -> str:
    """A find button's ``{"k", "i"}`` value with the default days added (kept short on the button)."""
    try:
        value = json.loads(raw or "")
        return json.dumps({"d": KIND_DEFAULT_DAYS, **value}) if isinstance(value, dict) else ""
    except ValueError:
        return ""


def on_kind_subscribe(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    """Subscribe from a campaign/Canvas report or a ``find`` result: digests in the button's channel."""
    origin = replace(_origin(body, promise), thread_ts=None)
    action = dict((body.get("actions") or [{}])[0])
    parsed = read_kind_value({**action, "value": _with_days(action.get("value"))})
    if parsed is None:
        tell(deps, origin, "⚠️ That button is out of date. Use `/sendstats subscribe campaign|canvas <id>`.")
        return
    team = (body.get("team") or {}).get("id", "")
    subscribe_kind(deps, KindSubscribeRequest(parsed[0], parsed[1]), origin, team)


def on_subscribe(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    origin = _origin(body, promise)
    parsed = _read_value(_first_action(body))
    if parsed is None:
        tell(deps, origin, "⚠️ That button is out of date. Use `/sendstats subscribe <campaign_id> <send_id>`.")
        return
    subscribe(deps, SubscribeRequest(parsed[0], parsed[1]), origin, _str(_dict(body.get("team")).get("id")) or "")


def on_unsubscribe(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    origin = _origin(body, promise)
    raw = str(_first_action(body).get("value") or "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        tell(deps, origin, "⚠️ That button is out of date. `/sendstats list` shows this channel's digests.")
        return
    tell(deps, origin, store_answer(unsubscribe, deps, UnsubscribeRequest(subscription_id=int(raw)), origin.channel))


def register(app: App, deps: Deps) -> None:
    """Attach the button listeners; each acks at once and works on the job pool."""

    def run_later(fn: Any) -> Any:
        def listener(ack: Ack, body: dict[str, Any]) -> None:
            promise = deps.promises.make(_origin(body), PRESS_AGAIN)
            deps.later(fn, deps, body, promise, key=_str(_dict(body.get("user")).get("id")))
            ack()

        return listener

    app.action(RERUN)(run_later(on_rerun))
    app.action(KIND_RERUN)(run_later(on_kind_rerun))
    app.action(FIND_REPORT)(run_later(on_find_report))
    app.action(SUBSCRIBE)(run_later(on_subscribe))
    app.action(KIND_SUBSCRIBE)(run_later(on_kind_subscribe))
    app.action(UNSUBSCRIBE)(run_later(on_unsubscribe))
