"""Campaign analytics (``GET /campaigns/data_series``): per-channel summary and chart data.

A campaign's channels report different metrics (email has ``unique_opens`` and ``reported_spam``, push
``direct_opens``, in-app ``impressions``). So each channel family (:mod:`reports.channels`) keeps its
own counters and gets only the rates that make sense for it; nothing is summed across channels under
one name. Channels Braze adds later (or that we don't know) are kept and shown with their raw counters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reports.channels import FAMILIES, LEVEL_METRICS, Family, family_of, ratio
from reports.models import ChartData, DayPoint, Metrics, Series, SeriesSpec, sum_metrics
from reports.parse import parse_daily
from reports.views import SentHeadline


def parse_campaign_series(payload: Any, *, campaign_id: str) -> Series:
    """A ``/campaigns/data_series`` answer: the same shape, and parser, as a send's."""
    return parse_daily(payload, object_id=campaign_id)


# --- summary -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rate:
    label: str
    value: float | None
    #: e.g. "unique opens ÷ delivered", shown beside the number so nobody has to guess.
    formula: str


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    """One channel family's totals over the range, only with the metrics it reports."""

    key: str
    label: str
    #: The Braze channel keys summed here (``ios_push`` and ``android_push`` for push).
    channels: tuple[str, ...]
    #: The family's own metrics first, in reading order, then any others Braze sent.
    metrics: tuple[tuple[str, int | float], ...]
    rates: tuple[Rate, ...]

    def get(self, name: str) -> int | float | None:
        return dict(self.metrics).get(name)


@dataclass(frozen=True, slots=True)
class VariationSummary:
    name: str
    api_id: str | None
    channels: tuple[str, ...]
    #: Campaign-level numbers Braze reported for this variation (conversions, revenue…), if any.
    counts: Metrics
    #: This variation's own counters per channel family: (family label, counts).
    by_channel: tuple[tuple[str, Metrics], ...] = ()

    def headline(self) -> tuple[tuple[str, str, int | float], ...]:
        """(channel, metric, value) of each channel's volume: ``sent``, or ``impressions`` for in-app."""
        return tuple((label, *found) for label, counts in self.by_channel if (found := volume(counts)) is not None)


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    campaign_id: str
    start: date
    end: date
    days_with_data: int
    channels: tuple[ChannelSummary, ...]
    variations: tuple[VariationSummary, ...]
    #: Campaign-level totals: unique_recipients, conversions (1–3, by send time), revenue.
    totals: Metrics
    #: conversions ÷ unique recipients.
    conversion_rate: float | None
    #: Days the request looked back over before ``start`` without data (``reports.pipeline.from_first_day``).
    quiet_before: int = 0
    #: The conversion events A–D by name (``/campaigns/details``), when known.
    events: tuple[str, ...] = ()

    @property
    def has_data(self) -> bool:
        return self.days_with_data > 0

    def channel(self, key: str) -> ChannelSummary | None:
        return next((c for c in self.channels if c.key == key), None)

    def volumes(self) -> dict[str, tuple[str, int | float]]:
        """Per channel family: (metric, value) of its volume ("sent", or "impressions" for in-app)."""
        return volumes(self.channels)


def volumes(channels: Iterable[ChannelSummary]) -> dict[str, tuple[str, int | float]]:
    """Per channel family: (metric, value) of its volume ("sent", or "impressions" for in-app)."""
    return {channel.label: found for channel in channels if (found := volume(channel)) is not None}


#: The metrics that measure a channel's volume, the first one reported wins.
VOLUME_METRICS = ("sent", "impressions")


def volume(counts: Metrics | ChannelSummary) -> tuple[str, int | float] | None:
    """(metric, value) of the first volume metric ``counts`` reports."""
    for metric in VOLUME_METRICS:
        if (value := counts.get(metric)) is not None:
            return metric, value
    return None


def _pretty(name: str) -> str:
    return name.replace("_", " ")


def summarise_channel(family: Family, channels: tuple[str, ...], counts: Metrics) -> ChannelSummary:
    values = {k: v for k, v in counts.items if k not in LEVEL_METRICS}
    ordered = [(m, values[m]) for m in family.metrics if m in values]
    ordered += sorted((k, v) for k, v in values.items() if k not in family.metrics)
    rates = tuple(
        Rate(label, ratio(values.get(num), values.get(den)), f"{_pretty(num)} ÷ {_pretty(den)}")
        for label, num, den in family.rates
        if num in values and den in values
    )
    return ChannelSummary(family.key, family.label, channels, tuple(ordered), rates)


def channel_breakdown(
    points: Iterable[DayPoint],
) -> tuple[tuple[ChannelSummary, ...], tuple[VariationSummary, ...]]:
    """The rows of ``points`` per channel family (each with its own metrics and rates; email opens stay
    email opens, push opens push opens) and per variation (its campaign-level numbers, and its volume per
    channel). Sends and campaigns alike: their rows have one shape."""
    by_family: dict[str, tuple[Family, list[str], list[Metrics]]] = {}
    by_variation: dict[str, tuple[set[str], list[str], list[Metrics]]] = {}
    per_channel: dict[tuple[str, str], list[Metrics]] = {}
    for point in points:
        for row in point.rows:
            family = family_of(row.channel)
            _, keys, bags = by_family.setdefault(family.key, (family, [], []))
            if row.channel not in keys:
                keys.append(row.channel)
            bags.append(row.metrics)
            ids, vchannels, vbags = by_variation.setdefault(row.variation, (set(), [], []))
            if row.variation_api_id:
                ids.add(row.variation_api_id)
            if family.label not in vchannels:
                vchannels.append(family.label)
            vbags.append(row.metrics.only(LEVEL_METRICS))
            per_channel.setdefault((row.variation, family.label), []).append(row.metrics)
    channels = [summarise_channel(f, tuple(keys), sum_metrics(bags)) for f, keys, bags in by_family.values()]
    order = {key: i for i, key in enumerate(FAMILIES)}
    channels.sort(key=lambda c: (order.get(c.key, len(order)), c.key))
    variations = tuple(
        VariationSummary(
            name,
            # one name over several message variation IDs (a multichannel variation) shows none of them
            next(iter(ids)) if len(ids) == 1 else None,
            tuple(chs),
            sum_metrics(bags),
            tuple((label, sum_metrics(per_channel[(name, label)])) for label in chs),
        )
        for name, (ids, chs, bags) in sorted(by_variation.items())
    )
    return tuple(channels), variations if len(variations) > 1 else ()


def sent_headline(channels: Iterable[ChannelSummary]) -> SentHeadline | None:
    """Messages sent across the channels that report ``sent`` (the one figure that means the same in every
    channel, so the only one added across them), most first; None when no channel reports it."""
    sent = [(family_of(c.key).noun, int(value)) for c in channels if (value := c.get("sent")) is not None]
    if not sent:
        return None
    ordered = sorted(sent, key=lambda item: -item[1])  # stable: ties keep Braze's channel order
    return SentHeadline(sum(n for _, n in sent), tuple(ordered))


def summarise_campaign(series: Series, *, start: date, end: date) -> CampaignSummary:
    """Totals per channel family and per variation over ``start``..``end`` (inclusive)."""
    points = [p for p in series.days if start <= p.day <= end and p.has_data]
    channels, variations = channel_breakdown(points)
    totals = sum_metrics(p.level_totals(LEVEL_METRICS) for p in points)
    return CampaignSummary(
        campaign_id=series.object_id,
        start=start,
        end=end,
        days_with_data=len(points),
        channels=channels,
        variations=variations,
        totals=totals,
        conversion_rate=ratio(totals.get("conversions"), totals.get("unique_recipients")),
        events=series.events,
    )


#: What the engagement panel draws per family: one metric each, labelled with its channel.
_ENGAGEMENT = (("email", "unique_opens", "Email unique opens"), ("email", "unique_clicks", "Email unique clicks"),
               ("push", "direct_opens", "Push direct opens"), ("in_app_message", "clicks", "In-app clicks"),
               ("content_cards", "unique_clicks", "Content Card unique clicks"), ("sms", "clicks", "SMS clicks"))
MAX_SERIES = 7


def campaign_chart_data(series: Series, summary: Any, *, title: str) -> ChartData:
    """Volume (sent, or impressions for in-app, per channel) over engagement (each channel's own
    opens/clicks, named as such, plus conversions); a day without data is a gap. ``summary`` is a
    campaign's or a send's (its ``start``, ``end``, ``channels`` and ``totals``)."""
    shown = {channel.key: channel for channel in summary.channels}
    days = tuple(summary.start + timedelta(days=i) for i in range((summary.end - summary.start).days + 1))
    per_day: dict[date, dict[str, Metrics]] = {}
    levels: dict[date, Metrics] = {}
    for point in series.days:
        if not point.has_data:
            continue
        fams: dict[str, list[Metrics]] = {}
        for row in point.rows:
            fams.setdefault(family_of(row.channel).key, []).append(row.metrics)
        per_day[point.day] = {k: sum_metrics(v) for k, v in fams.items()}
        levels[point.day] = point.level_totals()  # only its conversions are read, the day's own or the rows' sum

    def column(family: str, metric: str) -> tuple[int | None, ...]:
        out: list[int | None] = []
        for day in days:
            value = per_day.get(day, {}).get(family, Metrics()).get(metric)
            out.append(None if value is None else int(value))
        return tuple(out)

    volume = []
    for channel in summary.channels:
        metric = family_of(channel.key).volume
        if channel.get(metric) is not None:
            volume.append(SeriesSpec(f"{channel.label} {metric}", column(channel.key, metric)))
    engagement = [
        SeriesSpec(label, column(fam, metric))
        for fam, metric, label in _ENGAGEMENT
        if fam in shown and shown[fam].get(metric) is not None
    ]
    if summary.totals.get("conversions") is not None:
        conv = tuple(
            None if (v := levels.get(d, Metrics()).get("conversions")) is None else int(v) for d in days
        )
        engagement.append(SeriesSpec("Conversions", conv))
    return ChartData(
        title=title,
        days=days,
        top_title="Volume",
        top=tuple(volume[:MAX_SERIES]),
        bottom_title="Engagement",
        bottom=tuple(engagement[:MAX_SERIES]),
    )
