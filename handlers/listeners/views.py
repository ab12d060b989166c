"""The report modal's submission (``view_submission``): check the values, close the modal, report.

Bad values keep the modal open with Slack's per-field ``errors``; good ones close it at once and the
report is built on the job pool, then posted in the channel the command came from.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from handlers.deps import Deps
from handlers.flows.finding import read_submission
from handlers.flows.reporting import Origin, report_later
from handlers.layout.catalogue_blocks import MODAL_CALLBACK
from handlers.promises import command_text, promised, run_again

log = logging.getLogger(__name__)


def handle_submission(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    checked = read_submission(body.get("view") or {})
    if isinstance(checked, dict):
        ack(response_action="errors", errors=checked)
        return
    origin = Origin(
        channel=checked.channel, user_id=(body.get("user") or {}).get("id", ""), response_url=checked.response_url
    )
    origin = promised(deps.promises, origin, run_again(command_text(checked.request)))
    report_later(deps, checked.request, origin)
    ack()


def register(app: App, deps: Deps) -> None:
    """Attach the modal's submission listener."""

    @app.view(MODAL_CALLBACK)
    def on_submit(ack: Ack, body: dict[str, Any]) -> None:
        handle_submission(deps, ack, body)
