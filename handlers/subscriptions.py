"""Subscription commands (``subscribe``, ``unsubscribe``, ``list``); digests arrive in a later change."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from handlers.deps import Deps
from handlers.reporting import Origin


def handle(deps: Deps, ack: Ack, request: Any, origin: Origin, body: dict[str, Any]) -> None:
    ack(text="Daily digests are not available in this version yet. `/sendstats help` lists what works.")
