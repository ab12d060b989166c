"""Campaign analytics (``GET /campaigns/data_series``): typed models, parsing, per-channel summary.

Unlike a send, a campaign's channels report different metrics (email has ``unique_opens`` and
``reported_spam``, push ``direct_opens``, in-app ``impressions``). So each channel keeps its own
counters and gets only the rates that make sense for it; nothing is summed across channels under one
name. Channels Braze adds later (or that we don't know) are kept and shown with their raw counters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reports.models import ChartData, Counts, SeriesSpec, counts_of, sum_counts
from reports.parse import by_date, parse_number

DEFAULT_VARIATION = "(no variation)"
#: Per-day fields Braze reports beside ``messages`` (and, in multivariate answers, on each row).
CAMPAIGN_LEVEL: tuple[str, ...] = (
    "unique_recipients",
    "conversions",
    "conversions_by_send_time",
    "conversions1",
    "conversions1_by_send_time",
    "conversions2",
    "conversions2_by_send_time",
    "conversions3",
    "conversions3_by_send_time",
    "revenue",
)
_TEXT_FIELDS = frozenset({"variation_name", "variation_api_id"})
NO_COUNTS = Counts()


@dataclass(frozen=True, slots=True)
class Family:
    """How one group of Braze channel keys is read: its metrics in reading order, and its rates."""

    key: str
    label: str
    metrics: tuple[str, ...]
    #: (label, numerator, denominator); a rate is shown only when both are reported.
    rates: tuple[tuple[str, str, str], ...] = ()


PUSH = Family(
    "push",
    "Push",
    ("sent", "direct_opens", "total_opens", "body_clicks", "bounces"),
    (("direct open rate", "direct_opens", "sent"), ("total open rate", "total_opens", "sent"),
     ("bounce rate", "bounces", "sent")),
)
FAMILIES: dict[str, Family] = {
    "email": Family(
        "email",
        "Email",
        ("sent", "delivered", "opens", "unique_opens", "clicks", "unique_clicks", "unsubscribes", "bounces",
         "reported_spam"),
        (
            ("delivery rate", "delivered", "sent"),
            ("unique open rate", "unique_opens", "delivered"),
            ("unique click rate", "unique_clicks", "delivered"),
            ("click-to-open", "unique_clicks", "unique_opens"),
            ("unsubscribe rate", "unsubscribes", "delivered"),
            ("spam rate", "reported_spam", "delivered"),
            ("bounce rate", "bounces", "sent"),
        ),
    ),
    "push": PUSH,
    "sms": Family(
        "sms",
        "SMS",
        ("sent", "sent_to_carrier", "delivered", "undelivered", "rejected", "delivery_failed", "clicks", "opt_out",
         "help"),
        (("delivery rate", "delivered", "sent"), ("failure rate", "delivery_failed", "sent"),
         ("opt-out rate", "opt_out", "delivered")),
    ),
    "webhook": Family("webhook", "Webhook", ("sent", "errors"), (("error rate", "errors", "sent"),)),
    "in_app_message": Family(
        "in_app_message",
        "In-app message",
        ("impressions", "clicks", "first_button_clicks", "second_button_clicks"),
        (("click rate", "clicks", "impressions"),),
    ),
    "content_cards": Family(
        "content_cards",
        "Content Cards",
        ("sent", "total_impressions", "unique_impressions", "total_clicks", "unique_clicks", "total_dismissals",
         "unique_dismissals"),
        (("unique click rate", "unique_clicks", "unique_impressions"),
         ("unique dismissal rate", "unique_dismissals", "unique_impressions")),
    ),
    "whats_app": Family(
        "whats_app",
        "WhatsApp",
        ("sent", "delivered", "failed", "read"),
        (("delivery rate", "delivered", "sent"), ("read rate", "read", "delivered")),
    ),
}
_ALIASES = {"trigger_in_app_message": "in_app_message", "content_card": "content_cards", "whatsapp": "whats_app"}


def family_of(channel: str) -> Family:
    """The family of a Braze channel key; every ``*_push`` is push, an unknown key is its own family
    (shown with whatever counters it carries, never dropped)."""
    key = channel.lower()
    key = _ALIASES.get(key, key)
    if key.endswith("_push"):
        return PUSH
    return FAMILIES.get(key) or Family(key, channel.replace("_", " ").capitalize(), ())


# --- models ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """One channel × variation row of one day, as Braze reported it."""

    channel: str
    variation: str
    variation_api_id: str | None
    counts: Counts


@dataclass(frozen=True, slots=True)
class CampaignDay:
    day: date
    rows: tuple[ChannelRow, ...] = ()
    #: conversions, unique_recipients, revenue… reported beside ``messages``.
    campaign_level: Counts = NO_COUNTS

    @property
    def has_data(self) -> bool:
        return bool(self.rows) or bool(self.campaign_level)

    def level_totals(self) -> Counts:
        """The day's campaign-level numbers; a field missing beside ``messages`` is summed from the rows
        (multivariate answers put conversions on each variation)."""
        values = self.campaign_level.as_dict()
        from_rows = sum_counts(
            counts_of({k: v for k, v in row.counts.items if k in CAMPAIGN_LEVEL}) for row in self.rows
        )
        for key, value in from_rows.items:
            values.setdefault(key, value)
        return counts_of(values)


@dataclass(frozen=True, slots=True)
class CampaignSeries:
    campaign_id: str
    days: tuple[CampaignDay, ...] = ()


# --- parsing -----------------------------------------------------------------------------------


def parse_counts(raw: Any, *, skip: frozenset[str] = _TEXT_FIELDS) -> Counts:
    """Every numeric field of one Braze object (unknown names kept: they may be new metrics)."""
    if not isinstance(raw, Mapping):
        return Counts()
    values: dict[str, int | float] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key or key in skip or len(key) > 80:
            continue
        number = parse_number(value)
        if number is None:
            continue
        values[key] = round(number, 2) if key == "revenue" else int(number)
    return counts_of(values)


def _text(value: Any, limit: int = 150) -> str | None:
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def _channel_rows(messages: Any) -> tuple[ChannelRow, ...]:
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
            api_id = _text(item.get("variation_api_id"), 64)
            name = _text(item.get("variation_name")) or api_id or DEFAULT_VARIATION
            rows.append(ChannelRow(channel.strip()[:60], name, api_id, parse_counts(item)))
    return tuple(rows)


def parse_campaign_series(payload: Any, *, campaign_id: str) -> CampaignSeries:
    """Parse a whole answer defensively; days merged by date and sorted, unreadable days dropped."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    days = by_date(
        data,
        lambda day, item: CampaignDay(
            day,
            _channel_rows(item.get("messages")),
            parse_counts({k: item.get(k) for k in CAMPAIGN_LEVEL if k in item}),
        ),
        lambda old, new: CampaignDay(old.day, old.rows + new.rows, old.campaign_level + new.campaign_level),
    )
    return CampaignSeries(campaign_id, days)


# --- summary -----------------------------------------------------------------------------------


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


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
    counts: Counts
    #: This variation's own counters per channel family: (family label, counts).
    by_channel: tuple[tuple[str, Counts], ...] = ()

    def headline(self) -> tuple[tuple[str, str, int | float], ...]:
        """(channel, metric, value) of each channel's volume: ``sent``, or ``impressions`` for in-app."""
        out = []
        for label, counts in self.by_channel:
            for metric in ("sent", "impressions"):
                if (value := counts.get(metric)) is not None:
                    out.append((label, metric, value))
                    break
        return tuple(out)


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    campaign_id: str
    start: date
    end: date
    days_with_data: int
    channels: tuple[ChannelSummary, ...]
    variations: tuple[VariationSummary, ...]
    #: Campaign-level totals: unique_recipients, conversions (1–3, by send time), revenue.
    totals: Counts
    #: conversions ÷ unique recipients.
    conversion_rate: float | None

    @property
    def has_data(self) -> bool:
        return self.days_with_data > 0

    def channel(self, key: str) -> ChannelSummary | None:
        return next((c for c in self.channels if c.key == key), None)


def _pretty(name: str) -> str:
    return name.replace("_", " ")


def summarise_channel(family: Family, channels: tuple[str, ...], counts: Counts) -> ChannelSummary:
    values = {k: v for k, v in counts.items if k not in CAMPAIGN_LEVEL}
    ordered = [(m, values[m]) for m in family.metrics if m in values]
    ordered += sorted((k, v) for k, v in values.items() if k not in family.metrics)
    rates = tuple(
        Rate(label, ratio(values.get(num), values.get(den)), f"{_pretty(num)} ÷ {_pretty(den)}")
        for label, num, den in family.rates
        if num in values and den in values
    )
    return ChannelSummary(family.key, family.label, channels, tuple(ordered), rates)


def summarise_campaign(series: CampaignSeries, *, start: date, end: date) -> CampaignSummary:
    """Totals per channel family and per variation over ``start``..``end`` (inclusive)."""
    points = [p for p in series.days if start <= p.day <= end and p.has_data]
    by_family: dict[str, tuple[Family, list[str], list[Counts]]] = {}
    by_variation: dict[str, tuple[str | None, list[str], list[Counts]]] = {}
    per_channel: dict[tuple[str, str], list[Counts]] = {}
    for point in points:
        for row in point.rows:
            family = family_of(row.channel)
            _, keys, bags = by_family.setdefault(family.key, (family, [], []))
            if row.channel not in keys:
                keys.append(row.channel)
            bags.append(row.counts)
            _api_id, vchannels, vbags = by_variation.setdefault(row.variation, (row.variation_api_id, [], []))
            if family.label not in vchannels:
                vchannels.append(family.label)
            vbags.append(counts_of({k: v for k, v in row.counts.items if k in CAMPAIGN_LEVEL}))
            per_channel.setdefault((row.variation, family.label), []).append(row.counts)
    channels = [summarise_channel(f, tuple(keys), sum_counts(bags)) for f, keys, bags in by_family.values()]
    order = {key: i for i, key in enumerate(FAMILIES)}
    channels.sort(key=lambda c: (order.get(c.key, len(order)), c.key))
    variations = tuple(
        VariationSummary(
            name,
            api_id,
            tuple(chs),
            sum_counts(bags),
            tuple((label, sum_counts(per_channel[(name, label)])) for label in chs),
        )
        for name, (api_id, chs, bags) in sorted(by_variation.items())
    )
    totals = sum_counts(p.level_totals() for p in points)
    return CampaignSummary(
        campaign_id=series.campaign_id,
        start=start,
        end=end,
        days_with_data=len(points),
        channels=tuple(channels),
        variations=variations if len(variations) > 1 else (),
        totals=totals,
        conversion_rate=ratio(totals.get("conversions"), totals.get("unique_recipients")),
    )


#: What the engagement panel draws per family: one metric each, labelled with its channel.
_ENGAGEMENT = (("email", "unique_opens", "Email unique opens"), ("email", "unique_clicks", "Email unique clicks"),
               ("push", "direct_opens", "Push direct opens"), ("in_app_message", "clicks", "In-app clicks"),
               ("content_cards", "unique_clicks", "Content Card unique clicks"), ("sms", "clicks", "SMS clicks"))
MAX_SERIES = 7


def campaign_chart_data(series: CampaignSeries, summary: CampaignSummary, *, title: str) -> ChartData:
    """Volume (sent, or impressions for in-app, per channel) over engagement (each channel's own
    opens/clicks, named as such, plus conversions); a day without data is a gap."""
    days = tuple(summary.start + timedelta(days=i) for i in range((summary.end - summary.start).days + 1))
    per_day: dict[date, dict[str, Counts]] = {}
    levels: dict[date, Counts] = {}
    for point in series.days:
        if not point.has_data:
            continue
        fams: dict[str, list[Counts]] = {}
        for row in point.rows:
            fams.setdefault(family_of(row.channel).key, []).append(row.counts)
        per_day[point.day] = {k: sum_counts(v) for k, v in fams.items()}
        levels[point.day] = point.level_totals()

    def column(family: str, metric: str) -> tuple[int | None, ...]:
        out: list[int | None] = []
        for day in days:
            value = per_day.get(day, {}).get(family, Counts()).get(metric)
            out.append(None if value is None else int(value))
        return tuple(out)

    volume = []
    for channel in summary.channels:
        metric = "impressions" if channel.key == "in_app_message" else "sent"
        if channel.get(metric) is not None:
            noun = "impressions" if metric == "impressions" else "sent"
            volume.append(SeriesSpec(f"{channel.label} {noun}", column(channel.key, metric)))
    engagement = [
        SeriesSpec(label, column(fam, metric))
        for fam, metric, label in _ENGAGEMENT
        if summary.channel(fam) is not None and summary.channel(fam).get(metric) is not None  # type: ignore[union-attr]
    ]
    if summary.totals.get("conversions") is not None:
        conv = tuple(
            None if (v := levels.get(d, Counts()).get("conversions")) is None else int(v) for d in days
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
