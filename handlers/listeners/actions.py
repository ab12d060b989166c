"""Buttons on reports and digests: re-run (7/14/30 days; 7/30/90 for campaigns and Canvases), subscribe,
unsubscribe, and the Report button of ``find`` results.

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
from handlers.flows.data_export import upload_digest_csv
from handlers.flows.reporting import Origin, run_report, tell
from handlers.flows.subscriptions import store_answer, subscribe, unsubscribe
from handlers.grammar import (
    KIND_SUBSCRIBE_USAGE,
    SUBSCRIBE_USAGE,
    ReportRequest,
    SubscribeRequest,
    UnsubscribeRequest,
    report_forms,
    valid_id,
)
from handlers.layout.blocks import KIND_SUBSCRIBE, RERUN_PREFIX, SUBSCRIBE, UNSUBSCRIBE
from handlers.layout.catalogue_blocks import FIND_REPORT
from handlers.layout.comparison_blocks import DIGEST_CSV
from handlers.promises import PRESS_AGAIN, Promise
from reports.kinds import Target
from reports.kinds.registry import BARE, COMMANDS, kind_of

log = logging.getLogger(__name__)
#: ``sendstats_rerun_14`` (a send's buttons), ``sendstats_rerun_campaign_30``, ``sendstats_rerun_canvas_7``…
RERUN = re.compile(rf"^{RERUN_PREFIX}(?:(?:{'|'.join(COMMANDS)})_)?\d+$")
OUT_OF_DATE = "⚠️ That button is out of date."


def read_value(action: dict[str, Any]) -> tuple[Target, int | None] | None:
    """A button's value, checked like user input (it came over the wire, signed or not): a send's
    ``{"c", "s", "d"}`` or another kind's ``{"k", "i", "d"}``, ``d`` (days) optional."""
    try:
        value = json.loads(action.get("value") or "")
        days = value.get("d")
        if "k" in value:
            kind, ids = COMMANDS.get(value["k"]) if isinstance(value["k"], str) else None, [value["i"]]
        else:
            kind, ids = BARE, [value["c"], value["s"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if kind is None or not all(isinstance(i, str) and valid_id(i) for i in ids):
        return None
    if days is not None and not (isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= kind.max_days):
        return None
    return kind.target(ids), days


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
    """Re-run a report (any kind) for the button's range, in the report's thread."""
    origin = _origin(body, promise)
    parsed = read_value(_first_action(body))
    if parsed is None or parsed[1] is None:
        tell(deps, origin, f"{OUT_OF_DATE} Run {report_forms()} instead.")
        return
    run_report(deps, ReportRequest(*parsed), origin)


def _with_default_days(action: dict[str, Any]) -> tuple[Target, int] | None:
    """A find result's ``{"k", "i"}`` value (kept short on the button) with its kind's default days."""
    parsed = read_value(action)
    if parsed is None:
        return None
    target, days = parsed
    return target, days or kind_of(target.kind).default_days


def on_find_report(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    """Report from a ``find`` result: in the channel when the result was ephemeral (it has no thread),
    else (a find by @mention) in the result's thread."""
    origin = _origin(body, promise)
    if _dict(body.get("container")).get("is_ephemeral"):
        origin = replace(origin, thread_ts=None)
    parsed = _with_default_days(_first_action(body))
    if parsed is None:
        tell(deps, origin, f"{OUT_OF_DATE} Run `/sendstats find WORDS OF THE NAME` again.")
        return
    run_report(deps, ReportRequest(*parsed), origin)


def on_subscribe(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    """Subscribe from a report (any kind) or a ``find`` result: digests in the button's channel."""
    origin = replace(_origin(body, promise), thread_ts=None)
    parsed = read_value(_first_action(body))
    if parsed is None:
        tell(deps, origin, f"{OUT_OF_DATE} Use {SUBSCRIBE_USAGE} or {KIND_SUBSCRIBE_USAGE}.")
        return
    subscribe(deps, SubscribeRequest(parsed[0]), origin, _str(_dict(body.get("team")).get("id")) or "")


def on_unsubscribe(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    origin = _origin(body, promise)
    raw = str(_first_action(body).get("value") or "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        tell(deps, origin, "⚠️ That button is out of date. `/sendstats list` shows this channel's digests.")
        return
    tell(deps, origin, store_answer(unsubscribe, deps, UnsubscribeRequest(subscription_id=int(raw)), origin.channel))


def on_digest_csv(deps: Deps, body: dict[str, Any], promise: Promise | None = None) -> None:
    """A digest's "Data (CSV)" button: the CSV of its range into its thread, once however often pressed."""
    upload_digest_csv(deps, _first_action(body).get("value"), _origin(body, promise))


def register(app: App, deps: Deps) -> None:
    """Attach the button listeners; each acks at once and works on the job pool."""

    def run_later(fn: Any) -> Any:
        def listener(ack: Ack, body: dict[str, Any]) -> None:
            promise = deps.promises.make(_origin(body), PRESS_AGAIN)
            deps.later(fn, deps, body, promise, key=_str(_dict(body.get("user")).get("id")))
            ack()

        return listener

    app.action(RERUN)(run_later(on_rerun))
    app.action(FIND_REPORT)(run_later(on_find_report))
    app.action(SUBSCRIBE)(run_later(on_subscribe))
    app.action(KIND_SUBSCRIBE)(run_later(on_subscribe))
    app.action(UNSUBSCRIBE)(run_later(on_unsubscribe))
    app.action(DIGEST_CSV)(run_later(on_digest_csv))
