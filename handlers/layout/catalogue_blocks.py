"""Block Kit for finding campaigns and Canvases by name: ``find`` results, the report modal, and the
options of its search box. Pure functions over :class:`catalogue.records.Entry` values.
"""

from __future__ import annotations

import json
from typing import Any

from catalogue.records import Entry
from handlers.layout.blocks import KIND_SUBSCRIBE, LABEL_LIMIT, Block, button, button_value, md, plain
from handlers.layout.text import escape, fit, neutral, utf16_len
from reports.kinds import Kind, Target
from reports.kinds.registry import LISTED, kind_of
from reports.views import day_text, either

FIND_REPORT = "sendstats_find_report"
MODAL_CALLBACK = "sendstats_report_modal"
TARGET_BLOCK, TARGET_ACTION = "sendstats_target", "sendstats_target"
SEND_BLOCK, SEND_ACTION = "sendstats_send", "sendstats_send"
DAYS_BLOCK, DAYS_ACTION = "sendstats_days", "sendstats_days"
#: Slack shows at most 100 options; a short list of the best is easier to pick from.
MAX_OPTIONS = 20


def entry_line(entry: Entry) -> str:
    """``📣 *Name* · Campaign `id` · edited Mar 3, 2026``, with "archived" when Braze no longer lists it."""
    edited = f"edited {day_text(entry.last_edited.date())}" if entry.last_edited else "last edit unknown"
    archived = " · _archived_" if entry.archived else ""
    words = kind_of(entry.kind).words
    name = escape(neutral(entry.name))
    return f"{words.icon} *{name}*\n{words.title} · ID `{escape(entry.object_id)}` · {edited}{archived}"


def find_blocks(query: str, entries: list[Entry], notes: list[str], *, subscribe: bool = True) -> list[Block]:
    """The best matches, each with a Report button (and Subscribe), then any notes (missing permissions…)."""
    shown = f"“{escape(neutral(fit(query, 80)))}”"
    if entries:
        head = f"*{len(entries)} best match{'es' if len(entries) != 1 else ''} for {shown}*"
    else:
        head = f"Nothing in the catalogue matches {shown}: every word must appear in the name."
    blocks: list[Block] = [{"type": "section", "text": md(head)}]
    for n, entry in enumerate(entries):
        value = button_value(Target(Kind(entry.kind), entry.object_id))
        elements = [button("Report", FIND_REPORT, value)]
        if subscribe:
            elements.append(button("Subscribe this channel", KIND_SUBSCRIBE, value))
        blocks.append({"type": "section", "text": md(entry_line(entry))})
        blocks.append({"type": "actions", "block_id": f"sendstats_find_{n}", "elements": elements})
    blocks += [{"type": "context", "elements": [md(note)]} for note in notes]
    return blocks


def find_text(query: str, entries: list[Entry]) -> str:
    """Fallback text (notifications, screen readers)."""
    names = "; ".join(f"{kind_of(e.kind).words.title} {e.name} ({e.object_id})" for e in entries)
    return escape(f"sendstats find “{query[:80]}”: {names or 'nothing found'}")


def option(kind: Kind, object_id: str, label: str) -> dict[str, Any]:
    """One option of the search box; the value carries the kind and the ID (at most ~75 characters)."""
    return {"text": plain(f"{kind_of(kind).words.icon} {label}", LABEL_LIMIT), "value": f"{kind}:{object_id}"}


def entry_options(entries: list[Entry], typed_ids: list[tuple[Kind, str]]) -> list[dict[str, Any]]:
    """Matches first, then "use this ID" choices for a typed ID the catalogue cannot confirm."""
    options = [
        option(e.kind, e.object_id, f"{e.name}{' (archived)' if e.archived else ''}") for e in entries[:MAX_OPTIONS]
    ]
    options += [option(kind, object_id, typed_label(kind, object_id)) for kind, object_id in typed_ids]
    return options


def typed_label(kind: Kind, object_id: str) -> str:
    """"Campaign ID 3bbc…", shortened to "ID 3bbc…" when the words would push the ID past Slack's 75 units:
    a typed ID is shown whole, since it is what the person is checking (IDs are at most 64 ASCII characters)."""
    words = kind_of(kind).words
    label = f"{words.title} ID {object_id}"
    return label if utf16_len(f"{words.icon} {label}") <= LABEL_LIMIT else f"ID {object_id}"


def report_modal(channel: str, response_url: str | None, notes: list[str], *, initial_days: int) -> dict[str, Any]:
    """The modal of a bare ``/sendstats``: search box, optional send ID, days. ``private_metadata`` carries
    where the command came from, so the submission posts there."""
    metadata = json.dumps({"c": channel, "r": response_url or ""}, separators=(",", ":"))
    nouns = [kind.words.noun for kind in LISTED]
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": TARGET_BLOCK,
            "label": plain(either([kind.words.title for kind in LISTED])),
            "element": {
                "type": "external_select",
                "action_id": TARGET_ACTION,
                "placeholder": plain("Type a few letters of the name"),
                "min_query_length": 1,
            },
            "hint": plain(f"Searches every {either(nouns, ' and ')} by name; you can also type an ID."),
        },
        {
            "type": "input",
            "block_id": SEND_BLOCK,
            "optional": True,
            "label": plain("Send ID (optional)"),
            "element": {
                "type": "plain_text_input",
                "action_id": SEND_ACTION,
                "max_length": 64,
                "placeholder": plain("For one API send of the campaign"),
            },
        },
        {
            "type": "input",
            "block_id": DAYS_BLOCK,
            "label": plain("Days"),
            "element": {
                "type": "number_input",
                "action_id": DAYS_ACTION,
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "100",
                "initial_value": str(initial_days),
            },
        },
    ]
    blocks += [{"type": "context", "elements": [md(note)]} for note in notes]
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "title": plain("sendstats report"),  # Slack allows 24 characters here
        "submit": plain("Post report"),
        "close": plain("Cancel"),
        "private_metadata": metadata,
        "blocks": blocks,
    }
