"""Turn Braze's ``/sends/data_series`` JSON into typed models.

Braze documents the shape, but every channel key and every metric may be absent, and numbers can
arrive as ints, floats or numeric strings. The parser accepts all of that and drops what it cannot
read instead of failing, because one odd field must never cost the user the whole report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any, TypeVar

from reports.models import DayPoint, MessageRow, Metrics, SendSeries

P = TypeVar("P")

_METRIC_NAMES: frozenset[str] = frozenset(f.name for f in fields(Metrics))
#: Older email rows name two metrics differently; the documented names win when both appear.
_ALIASES: Mapping[str, str] = {"opens": "total_opens", "clicks": "body_clicks"}
_MAX_COUNT = 10**15
DEFAULT_VARIATION = "(no variation)"


def _number(value: Any) -> float | None:
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


def parse_metrics(raw: Any) -> Metrics:
    """Read the metric fields of one Braze object; unknown keys are ignored, bad values dropped."""
    if not isinstance(raw, Mapping):
        return Metrics()
    values: dict[str, int | float] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        name = _ALIASES.get(key, key)
        if name not in _METRIC_NAMES or (name in values and key != name):
            continue
        number = _number(value)
        if number is None:
            continue
        values[name] = round(number, 2) if name == "revenue" else int(number)
    return Metrics(**values)


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


def _rows(messages: Any) -> tuple[MessageRow, ...]:
    if not isinstance(messages, Mapping):
        return ()
    rows: list[MessageRow] = []
    for channel, variations in messages.items():
        if not isinstance(channel, str) or not channel:
            continue
        if isinstance(variations, Mapping):  # a single object instead of a list
            variations = [variations]
        if not isinstance(variations, list):
            continue
        for item in variations:
            if not isinstance(item, Mapping):
                continue
            name = item.get("variation_name")
            variation = name.strip() if isinstance(name, str) and name.strip() else DEFAULT_VARIATION
            rows.append(MessageRow(channel=channel, variation=variation, metrics=parse_metrics(item)))
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


def parse_series(payload: Any, *, campaign_id: str, send_id: str) -> SendSeries:
    """Parse a whole answer; days are merged by date and sorted, unreadable days dropped."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    days = by_date(
        data,
        lambda day, item: DayPoint(day=day, rows=_rows(item.get("messages")), send_level=parse_metrics(item)),
        lambda old, new: DayPoint(day=old.day, rows=old.rows + new.rows, send_level=old.send_level + new.send_level),
    )
    return SendSeries(campaign_id=campaign_id, send_id=send_id, days=days)


def parse_number(value: Any) -> float | None:
    """Public name of the number rule every parser shares (campaign and Canvas parsers use it)."""
    return _number(value)
