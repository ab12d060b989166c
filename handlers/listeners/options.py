"""Options for the report modal's search box (``block_suggestion``): answered from the catalogue only.

Slack waits at most 3 s for options and shows nothing when late, so this never calls Braze: one
database search, then the ack carries the options.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from handlers.deps import Deps
from handlers.flows.finding import search_options
from handlers.layout.catalogue_blocks import TARGET_ACTION

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    """Attach the options listener of the modal's campaign/Canvas search box."""

    @app.options(TARGET_ACTION)
    def on_search(ack: Ack, body: dict[str, Any]) -> None:
        try:
            options = search_options(deps, str(body.get("value") or ""))
        except Exception:  # an empty list beats a 3 s timeout: Slack then says "no results"
            log.exception("catalogue search for the modal failed")
            options = []
        ack(options=options)
