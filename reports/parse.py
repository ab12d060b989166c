"""Turn Braze's daily ``data_series`` JSON into typed models: the rules every kind's parser shares.

Braze documents the shapes, but every channel key and every metric may be absent, and numbers can
arrive as ints, floats or numeric strings. The parsers accept all of that and drop what they cannot
read instead of failing, because one odd field must never cost the user the whole report.

Sends (``/sends/data_series``) and campaigns (``/campaigns/data_series``) share one shape and one
parser, :func:`parse_daily`: per day, ``messages`` by channel with one row per variation, each row
keeping every number it carries under its own name (email ``opens`` stay email opens; push
``total_opens`` stay push opens), plus the day's own figures beside them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from reports.channels import LEVEL_METRICS
from reports.models import ChannelRow, DayPoint, Metrics, Series, metrics_of

P = TypeVar("P")

_MAX_COUNT = 10**15
DEFAULT_VARIATION = "(no variation)"
#: Text fields of a row or a variant (names and IDs), never numbers.
TEXT_FIELDS = frozenset({"variation_name", "variation_api_id", "name"})


def parse_number(value: Any) -> float | None:
    """A finite, non-negative number, or None for anything else (bools, NaN, junk strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not 0 <= value <= _MAX_COUNT:  # JSON ints can exceed any float
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except (ValueError, OverflowError):
            return None
    else:
        return None
    if not math.isfinite(number) or number < 0 or number > _MAX_COUNT:
        return None
    return number


def parse_metrics(raw: Any, *, skip: frozenset[str] = TEXT_FIELDS) -> Metrics:
    """Every numeric field of one Braze object (unknown names kept: they may be new metrics); revenue
    keeps cents, counts are whole."""
    if not isinstance(raw, Mapping):
        return Metrics()
    values: dict[str, int | float] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key or key in skip or len(key) > 80:
            continue
        number = parse_number(value)
        if number is None:
            continue
        values[key] = round(number, 2) if key == "revenue" else int(number)
    return metrics_of(values)


def text_of(value: Any, limit: int = 150) -> str | None:
    """A name or ID Braze sent: stripped and cut to ``limit``, or None when there is none."""
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def parse_day(value: Any) -> date | None:
    """Braze's ``time`` is an ISO-8601 date or datetime; the calendar day it names is what we chart."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def channel_rows(messages: Any) -> tuple[ChannelRow, ...]:
    """``messages``: channel key → its rows (one per variation; a single object is read as a list)."""
    if not isinstance(messages, Mapping):
        return ()
    rows: list[ChannelRow] = []
    for channel, items in messages.items():
        if not isinstance(channel, str) or not channel.strip():
            continue
        if isinstance(items, Mapping):
            items = [items]
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, Mapping):
                continue
            api_id = text_of(item.get("variation_api_id"), 64)
            name = text_of(item.get("variation_name")) or api_id or DEFAULT_VARIATION
            rows.append(ChannelRow(channel.strip()[:60], name, api_id, parse_metrics(item)))
    return tuple(rows)


def by_date(
    items: Any, point: Callable[[date, Mapping[str, Any]], P], merge: Callable[[P, P], P]
) -> tuple[P, ...]:
    """Braze's per-day list, for every endpoint: entries that are not objects or have no readable
    ``time`` are dropped, a day Braze repeats is merged (both halves kept), and days come sorted."""
    found: dict[date, P] = {}
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping):
            continue
        day = parse_day(item.get("time"))
        if day is None:
            continue
        new = point(day, item)
        found[day] = merge(found[day], new) if day in found else new
    return tuple(found[d] for d in sorted(found))


def merge_days(old: DayPoint, new: DayPoint) -> DayPoint:
    """A day Braze repeats: both halves kept."""
    return DayPoint(old.day, old.rows + new.rows, old.level + new.level)


def parse_daily(payload: Any, *, object_id: str, send_id: str = "") -> Series:
    """A send's or campaign's answer (``{"data": [{"time", "messages", ...day figures}]}``), parsed
    defensively: days merged by date and sorted, unreadable days dropped."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    days = by_date(
        data,
        lambda day, item: DayPoint(
            day,
            channel_rows(item.get("messages")),
            parse_metrics({k: item.get(k) for k in LEVEL_METRICS if k in item}),
        ),
        merge_days,
    )
    return Series(object_id, send_id, days)


def parse_series(payload: Any, *, campaign_id: str, send_id: str) -> Series:
    """A send's ``/sends/data_series`` answer (see :func:`parse_daily`)."""
    return parse_daily(payload, object_id=campaign_id, send_id=send_id)
