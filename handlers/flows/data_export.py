"""A digest's "Data (CSV)" button: the daily series of the digest's range, uploaded into its thread.

Digests attach only their chart (a round's uploads stay one per chart); the CSV comes when someone asks.
The listener acks at once and this runs on the job pool. A second press (a double click, Slack's retry,
a colleague) never uploads a second copy: presses of one digest take turns (one lock per thread), and
each first looks in the thread for the file (by its name, uploaded by this bot) before fetching
anything. A press whose upload answer was lost is looked up by file id by the adapter, never repeated
blindly.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.errors import SlackApiError

from handlers.adapter.delivery import Attachment, explain, outcome_unknown, slack_error
from handlers.deps import Deps
from handlers.flows.reporting import Origin, tell
from handlers.grammar import valid_id
from handlers.layout.text import escape
from reports.braze import BrazeError, BrazeNoData
from reports.export import csv_filename
from reports.kinds import Target
from reports.kinds.base import ending_at
from reports.kinds.registry import BARE, COMMANDS, kind_of
from reports.models import NO_LABELS, Labels
from reports.pipeline import export_csv

log = logging.getLogger(__name__)
OUT_OF_DATE = "⚠️ That button is out of date: `/sendstats list` shows this channel's digests."
#: Presses being answered, by (channel, thread): a second press waits for the first, then finds its file.
_TURNS: dict[tuple[str, str], threading.Lock] = {}
_TURNS_GUARD = threading.Lock()


@dataclass(frozen=True, slots=True)
class DataRequest:
    """The target and range a data button names."""

    target: Target
    start: date
    end: date


def read_data_value(raw: Any) -> DataRequest | None:
    """A data button's value (:func:`handlers.layout.comparison_blocks.data_button_value`), checked like
    user input: a known kind with valid IDs, two ISO days in order, no longer than the kind may fetch."""
    try:
        value = json.loads(raw or "")
        if "k" in value:
            kind, ids = COMMANDS.get(value["k"]) if isinstance(value["k"], str) else None, [value["i"]]
        else:
            kind, ids = BARE, [value["c"], value["s"]]
        start, end = date.fromisoformat(value["a"]), date.fromisoformat(value["b"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if kind is None or not all(isinstance(i, str) and valid_id(i) for i in ids):
        return None
    if not 0 <= (end - start).days < kind.max_days:
        return None
    return DataRequest(kind.target(ids), start, end)


def _turn(channel: str, thread_ts: str) -> threading.Lock:
    with _TURNS_GUARD:
        if len(_TURNS) > 1000:
            for key in [k for k, lock in _TURNS.items() if not lock.locked()]:
                del _TURNS[key]
        return _TURNS.setdefault((channel, thread_ts), threading.Lock())


def _labels(deps: Deps, request: DataRequest) -> Labels:
    """The names a report gives the variations (cached an hour); none when Braze's details can't be read."""
    try:
        return deps.names.labels(request.target.kind, request.target.object_id)
    except Exception:  # the IDs are fine column values; the numbers matter more
        log.info("no labels for %s; the CSV names variations by their IDs", request.target)
        return NO_LABELS


def _code(exc: Exception) -> str:
    """Slack's error code, ``no_answer`` for an answer that never came; anything else is a bug, raised."""
    if isinstance(exc, SlackApiError) and not outcome_unknown(exc):
        return slack_error(exc)
    if outcome_unknown(exc):
        return "no_answer"
    raise exc


def upload_digest_csv(deps: Deps, raw_value: Any, origin: Origin) -> None:
    """Upload the CSV a digest's button names into the digest's thread, once; the presser is told privately
    when it is there already or could not be made."""
    request = read_data_value(raw_value)
    if request is None or not origin.channel or not origin.thread_ts:
        tell(deps, origin, OUT_OF_DATE)
        return
    kind = kind_of(request.target.kind)
    stem = f"{kind.args(request.target).replace(' ', '-')}-digest"
    filename = csv_filename(stem, request.start, request.end)
    with _turn(origin.channel, origin.thread_ts):
        try:
            there = deps.delivery.thread_file(origin.channel, origin.thread_ts, filename)
        except Exception as exc:
            code = _code(exc)
            log.warning("data button: the thread look-up in %s failed: %s", origin.channel, code)
            tell(deps, origin, f"⚠️ I couldn't look in the digest's thread: {explain(code)}")
            return
        if there is not None:
            tell(deps, origin, "The data of this digest is already in its thread ↓")
            return
        days = (request.end - request.start).days + 1
        try:
            raw = kind.fetch(
                deps.braze, request.target, length=days, ending_at=ending_at(request.end), now=deps.clock()
            )
            data = deps.renderer.run(
                export_csv,
                raw,
                target=request.target,
                start=request.start,
                end=request.end,
                labels=_labels(deps, request),
            )
        except BrazeNoData:
            data = None
        except BrazeError as exc:
            tell(deps, origin, f"⚠️ {escape(exc.user_message)}")
            return
        if data is None:
            tell(deps, origin, "Braze has no data for these days any more, so there is nothing to upload.")
            return
        title = f"Daily data {request.start:%b %d} – {request.end:%b %d} (CSV)"
        try:
            deps.delivery.upload_files(origin.channel, (Attachment(data, filename, title),), thread_ts=origin.thread_ts)
        except Exception as exc:
            code = _code(exc)
            log.warning("data button: the upload to %s failed: %s", origin.channel, code)
            tell(deps, origin, f"⚠️ I couldn't upload the data: {explain(code)}")
            return
        log.info("data of %s uploaded into %s's thread %s", request.target, origin.channel, origin.thread_ts)
