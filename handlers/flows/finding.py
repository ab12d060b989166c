"""``/sendstats find``, the report modal and its search box: everything that looks a name up.

All of it reads the catalogue (one indexed-free query over a few thousand folded names), never Braze,
so it answers inside Slack's 3 s (options requests included) however slow Braze is. A key without a
list permission still works with IDs, and each answer says which permission is missing.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from catalogue.records import Entry
from handlers.adapter.delivery import slack_error
from handlers.database import ACK_BUDGET, MODAL_BUDGET, DatabaseUnavailable, within
from handlers.deps import Deps
from handlers.flows.reporting import Origin, tell
from handlers.grammar import ReportRequest, valid_id
from handlers.layout.blocks import notice_blocks
from handlers.layout.catalogue_blocks import (
    DAYS_ACTION,
    DAYS_BLOCK,
    SEND_ACTION,
    SEND_BLOCK,
    TARGET_ACTION,
    TARGET_BLOCK,
    entry_options,
    find_blocks,
    find_text,
    report_modal,
)
from handlers.layout.text import escape
from reports.braze import PERMISSIONS_HELP
from reports.kinds import Kind
from reports.kinds.base import MAX_DAYS
from reports.kinds.registry import LISTED, kind_of
from reports.views import either

log = logging.getLogger(__name__)
FIND_LIMIT = 10
#: The form's days before anyone changes them: the default of the kinds it finds.
FORM_DAYS = LISTED[0].default_days
#: What the form finds: "campaign or Canvas".
LISTED_NOUNS = either([kind.words.noun for kind in LISTED])


def catalogue_notes(deps: Deps) -> list[str]:
    """Why a kind may be missing from the results: a list permission the key lacks, or not read yet."""
    notes = []
    for kind in LISTED:
        state = deps.catalogue.sync_state(kind.kind)
        if state.missing_permission:
            notes.append(
                f"⚠️ The Braze API key lacks the `{kind.list_permission}` permission, so {kind.words.plural} can't "
                f"be found by name. Add it in {PERMISSIONS_HELP}. Reports by ID still work: "
                f"`/sendstats {kind.command} ID`."
            )
        elif not state.ever_read and state.error:
            notes.append(f"⚠️ I could not read Braze's {kind.words.noun} list yet: {escape(state.error)}")
        elif not state.ever_read:
            notes.append(f"⏳ I'm still reading Braze's {kind.words.noun} list; try again in a minute.")
    return notes


def find_reply(deps: Deps, query: str) -> tuple[str, list[dict[str, Any]]]:
    """The text and blocks answering ``/sendstats find <query>``; within :data:`ACK_BUDGET` however the
    database behaves (it is answered in the ack)."""
    try:
        entries, notes = within(ACK_BUDGET, _find, deps, query)
    except DatabaseUnavailable as exc:
        text = (
            f"⚠️ I can't search names right now: {exc.reason}. Try again in a minute. Reports by ID still "
            "work: "
            + ", ".join(f"`/sendstats {kind.command} ID`" for kind in LISTED)
            + "."
        )
        return text, notice_blocks(text)
    except Exception:  # a bug: a message with a reference beats Slack's "failed with the error" (a 500)
        ref = uuid.uuid4().hex[:8]
        log.exception("find failed (ref %s)", ref)
        text = f"⚠️ Something went wrong on our side searching names (ref `{ref}`). Try again."
        return text, notice_blocks(text)
    return find_text(query, entries), find_blocks(query, entries, notes)


def _find(deps: Deps, query: str) -> tuple[list[Entry], list[str]]:
    return deps.catalogue.search(query, limit=FIND_LIMIT), catalogue_notes(deps)


def search_options(deps: Deps, typed: str) -> list[dict[str, Any]]:
    """Options for the modal's search box. A typed ID the catalogue can't confirm (nothing matched, or the
    key may not read that list) is offered as "Campaign ID …" / "Canvas ID …", so hand-typed IDs work,
    also while the database is unavailable (within :data:`ACK_BUDGET`: Slack shows nothing after 3 s)."""
    typed = typed.strip()[:200]
    try:
        entries, unconfirmed = within(ACK_BUDGET, _search, deps, typed)
    except DatabaseUnavailable:
        entries, unconfirmed = [], [kind.kind for kind in LISTED]
    typed_ids = [(kind, typed) for kind in unconfirmed] if valid_id(typed) else []
    return entry_options(entries, typed_ids)


def _search(deps: Deps, typed: str) -> tuple[list[Entry], list[Kind]]:
    """The matches, and the kinds for which a typed ID is to be offered as it is."""
    entries = deps.catalogue.search(typed, limit=20)
    if not valid_id(typed) or any(e.object_id == typed for e in entries):
        return entries, []
    missing = [k.kind for k in LISTED if not entries or deps.catalogue.sync_state(k.kind).missing_permission]
    return entries, missing


def modal_view(deps: Deps, body: dict[str, Any]) -> dict[str, Any]:
    """The report modal for the slash command ``body`` (its channel and response_url go in the metadata).
    Its notes wait on the database for :data:`MODAL_BUDGET` at most; without them, the modal says that
    names can't be searched now and IDs can be typed (the search box offers a typed ID as it is)."""
    try:
        notes = within(MODAL_BUDGET, catalogue_notes, deps)
    except DatabaseUnavailable as exc:
        notes = [
            f"⚠️ {exc.reason.capitalize()}, so names can't be searched right now: type a "
            f"{LISTED_NOUNS} ID in the box instead."
        ]
    except Exception:  # a bug in the notes must not cost the modal (its trigger_id lives 3 s)
        log.exception("the report modal's notes failed")
        notes = []
    return report_modal(body.get("channel_id", ""), body.get("response_url"), notes, initial_days=FORM_DAYS)


def open_report_modal(deps: Deps, body: dict[str, Any], origin: Origin) -> None:
    """``views.open`` right after the ack (the trigger_id lives 3 s); a refusal is explained privately."""
    try:
        deps.delivery.open_view(str(body.get("trigger_id") or ""), modal_view(deps, body))
    except SlackApiError as exc:
        code = slack_error(exc)
        log.warning("views.open failed: %s", code)
        tell(
            deps,
            origin,
            f"⚠️ I couldn't open the report form (Slack answered `{code}`). Try `/sendstats` again, "
            "or see `/sendstats help` for the typed commands.",
        )


@dataclass(frozen=True, slots=True)
class Submission:
    """A checked modal submission: the report to run and where to post it."""

    request: ReportRequest
    channel: str
    response_url: str | None


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    found = (values.get(block) or {}).get(action)
    return found if isinstance(found, dict) else {}


def read_submission(view: dict[str, Any]) -> Submission | dict[str, str]:
    """The modal's values checked like user input; else Slack's ``errors`` (block id → message)."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    chosen = (_value(values, TARGET_BLOCK, TARGET_ACTION).get("selected_option") or {}).get("value") or ""
    word, _, object_id = str(chosen).partition(":")
    kind = next((k for k in LISTED if k.kind == word), None)
    if kind is None or not valid_id(object_id):
        errors[TARGET_BLOCK] = f"Pick a {LISTED_NOUNS} from the list (type a few letters of its name)."
    send = (_value(values, SEND_BLOCK, SEND_ACTION).get("value") or "").strip()
    if send and not valid_id(send):
        errors[SEND_BLOCK] = "A send ID is plain ASCII letters, digits and - _ . (no spaces)."
    elif send and kind is not None and not kind.has_sends:
        errors[SEND_BLOCK] = "Send IDs belong to API campaigns: pick a campaign, or clear the send ID."
    raw_days = str(_value(values, DAYS_BLOCK, DAYS_ACTION).get("value") or FORM_DAYS).strip()
    days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() and len(raw_days) <= 3 else 0
    if not 1 <= days <= MAX_DAYS:
        errors[DAYS_BLOCK] = f"Days is a whole number from 1 to {MAX_DAYS}."
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        channel, response_url = str(metadata["c"]), str(metadata.get("r") or "") or None
    except (ValueError, KeyError, TypeError):
        errors[TARGET_BLOCK] = "This form is out of date; close it and run `/sendstats` again."
        channel, response_url = "", None
    if errors or kind is None:
        return errors
    # A send ID narrows a campaign to one of its API sends: the report is then the send's.
    target = kind_of(Kind.SEND).target([object_id, send]) if send else kind.target([object_id])
    return Submission(ReportRequest(target, days), channel, response_url)
