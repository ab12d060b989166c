"""The ``/sendstats`` slash command: parse, acknowledge within Slack's 3 s, hand the work to the job pool.

The ack path calls neither Braze nor Slack: parsing is pure, ``list``/``unsubscribe``/``find`` are one
quick database query, and everything slow (Braze, rendering, uploads) runs after the ack. A bare
``/sendstats`` opens the report modal right after the ack (its trigger_id lives only 3 s).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from handlers.deps import Deps
from handlers.flows import alerts, finding, subscriptions
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
    parse,
)
from handlers.layout.blocks import mrkdwn, notice_blocks
from handlers.promises import command_text, promised, run_again
from reports.kinds.registry import kind_of

log = logging.getLogger(__name__)


def handle_command(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """Route one ``/sendstats`` invocation; the only Slack round-trip here is the ack itself."""
    request = parse(body.get("text") or "", today=deps.clock().date())
    origin = Origin(
        channel=body.get("channel_id", ""),
        user_id=body.get("user_id", ""),
        response_url=body.get("response_url"),
    )
    if not (body.get("text") or "").strip():
        ack()
        finding.open_report_modal(deps, body, origin)
        return
    if isinstance(request, FindRequest):
        text, blocks = finding.find_reply(deps, request.query)
        ack(text=text, blocks=blocks, response_type="ephemeral")
        return
    if isinstance(request, UsageError):
        ack(text=request.text, response_type="ephemeral")
        return
    if isinstance(request, HelpRequest):
        ack(text="sendstats help", blocks=notice_blocks(help_text()), response_type="ephemeral")
        return
    if isinstance(request, ReportRequest):
        origin = promised(deps.promises, origin, run_again(command_text(request)))
        report_later(deps, request, origin)
        ref = mrkdwn(kind_of(request.target.kind).short_reference(request.target))
        ack(
            text=f"⏳ Fetching {ref} from Braze ({span_text(request)}); the report will appear here.",
            response_type="ephemeral",
        )
        return
    if isinstance(request, AlertRequest | AlertsRequest | AlertRemoveRequest):
        alerts.handle(deps, ack, request, origin, body)
        return
    subscriptions.handle(deps, ack, request, origin, body)


def span_text(request: ReportRequest) -> str:
    span = f"{request.days} day{'s' if request.days != 1 else ''}"
    return span + (f" until {request.until.isoformat()}" if request.until else "")


def register(app: App, deps: Deps) -> None:
    """Attach the slash command listener."""

    @app.command("/sendstats")
    def sendstats(ack: Ack, body: dict[str, Any]) -> None:
        handle_command(deps, ack, body)
