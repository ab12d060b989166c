"""Block Kit shared by campaign and Canvas reports: header, range line, re-run buttons, dispatch by kind.

Pure functions. The button value carries the kind and the ID, so a re-run (and later a modal or a
subscription) can rebuild the request without any server-side state.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from handlers.layout.blocks import Block, _md, _plain, button
from handlers.layout.text import escape

KIND_RERUN_DAYS = (7, 30, 90)
#: ``sendstats_rerun_campaign_30``, ``sendstats_rerun_canvas_7``…
KIND_RERUN_PREFIX = "sendstats_rerun_"
KIND_NOUN = {"campaign": "Campaign", "canvas": "Canvas"}


def day_text(d: date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def kind_value(kind: str, object_id: str, days: int | None = None) -> str:
    """A button value: ``{"k": kind, "i": id, "d": days}`` (at most ~100 characters)."""
    value: dict[str, Any] = {"k": kind, "i": object_id}
    if days is not None:
        value["d"] = days
    return json.dumps(value, separators=(",", ":"))


def kind_actions(kind: str, object_id: str) -> Block:
    """Re-run the report for another range (answered in the report's thread)."""
    elements = [
        button(f"{days} days", f"{KIND_RERUN_PREFIX}{kind}_{days}", kind_value(kind, object_id, days))
        for days in KIND_RERUN_DAYS
    ]
    return {"type": "actions", "block_id": f"sendstats_{kind}_actions", "elements": elements}


def head_blocks(kind: str, title: str, object_id: str, start: date, end: date, days_with_data: int) -> list[Block]:
    """Header with the name, then what was asked: kind, ID, range and how many days had data."""
    days = (end - start).days + 1
    span = f"{day_text(start)} – {day_text(end)} ({days} day{'s' if days != 1 else ''}, {days_with_data} with data)"
    return [
        {"type": "header", "text": _plain(f"📊 {title}")},
        {"type": "context", "elements": [_md(f"{KIND_NOUN[kind]} `{escape(object_id)}` · {span}")]},
    ]


def footer_block(text: str, chart_note: str | None) -> Block:
    return {"type": "context", "elements": [_md(text + (f"\n{chart_note}" if chart_note else ""))]}

