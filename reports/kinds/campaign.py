"""A campaign (``/campaigns/data_series``): each channel with its own metrics and rates, variations,
conversions. Nothing is added across channels under one name; a metric a channel does not report is
simply not shown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from reports.campaigns import (
    CampaignSummary,
    ChannelSummary,
    VariationSummary,
    campaign_chart_data,
    parse_campaign_series,
    sent_headline,
    summarise_campaign,
    volume,
    volumes,
)
from reports.channels import channel_label, heading_of
from reports.comparison import ArmSet, row_sets
from reports.kinds import IdField, Kind, Target, Words
from reports.kinds.base import OpenEndedKind
from reports.listing import CampaignDetails, ListedItem
from reports.models import ChartData, DayPoint, Labels, Series
from reports.views import (
    DASH,
    RECIPIENTS_NOTE,
    Detail,
    DigestView,
    Figure,
    Line,
    Measure,
    Note,
    ReportView,
    Section,
    Strong,
    Table,
    conversions_line,
    delta,
    fmt_count,
    fmt_metric,
    fmt_rate,
    fmt_usd,
    note,
    one_line,
    recipients_figure,
    short_day,
    with_rate,
    wrap,
)

if TYPE_CHECKING:
    from reports.braze import BrazeClient
    from reports.daily import Digest

MAX_CHANNELS = 12
MAX_VARIATIONS = 10
#: Channel fields of a digest (Slack allows 10 fields; conversions and revenue take two).
MAX_DIGEST_CHANNELS = 7
FOOTER = (
    "Each channel shows the metrics Braze reports for it, with its own rates; only messages sent are added "
    "across channels. " + RECIPIENTS_NOTE
)


def _metric(name: str, value: int | float) -> str:
    return f"{name.replace('_', ' ')} {fmt_metric(name, value)}"


def channel_section(channel: ChannelSummary) -> Section:
    """``*Push* (iOS push, Android push)``, then its counts and its rates on lines of at most ~110
    characters; each rate's formula is written once, in the footer (:func:`formulas`)."""
    keys = [channel_label(key) for key in channel.channels]
    which = f" ({', '.join(keys)})" if keys != [channel.label] else ""
    counts = [_metric(name, value) for name, value in channel.metrics] or ["no counts reported"]
    lines: list[Line] = [(Strong(channel.label), which)]
    lines += [(line,) for line in wrap(counts)]
    rates = [f"{rate.label} {fmt_rate(rate.value)}" for rate in channel.rates]
    lines += [(line,) for line in wrap(rates)]
    return Section(tuple(lines))


def formulas(channels: tuple[ChannelSummary, ...]) -> str:
    """Every rate shown, with its formula, once: ``delivery rate = delivered ÷ sent · …``; a rate read
    differently by two channels names them. (The conversion rate's is in :data:`RECIPIENTS_NOTE`.)"""
    seen: dict[str, dict[str, list[str]]] = {}
    for channel in channels:
        for rate in channel.rates:
            seen.setdefault(rate.label, {}).setdefault(rate.formula, []).append(channel.label)
    parts = []
    for label, ways in seen.items():
        if len(ways) == 1:
            parts.append(f"{label} = {next(iter(ways))}")
        else:
            parts.append(f"{label} = " + ", ".join(f"{f} ({', '.join(c)})" for f, c in ways.items()))
    return "Rates: " + " · ".join(parts) if parts else ""


#: A variation's own figures as table columns, in reading order: conversion events by the letters the
#: conversions line names ("B by send": event B by send time).
VARIATION_COLUMNS = {
    "unique_recipients": "recipients",
    "conversions": "conv. A",
    "conversions_by_send_time": "A by send",
    **{
        key: heading
        for n, letter in ((1, "B"), (2, "C"), (3, "D"))
        for key, heading in (
            (f"conversions{n}", f"conv. {letter}"),
            (f"conversions{n}_by_send_time", f"{letter} by send"),
        )
    },
    "revenue": "revenue",
}


def variation_name(v: VariationSummary) -> str:
    """Its name; Braze names no webhook, SMS, WhatsApp or in-app message variation: say so, with its channels
    (never none: a variation comes from rows, each in a channel) and its ID."""
    if v.api_id and v.name == v.api_id:
        return f"{' and '.join(v.channels)} variation without a name ({v.api_id})"
    return one_line(v.name)


def variations_table(variations: tuple[VariationSummary, ...], channels: tuple[ChannelSummary, ...]) -> Table:
    """One row per variation: each channel's volume (sent; "impr.", impressions, for in-app), then the
    campaign-level numbers Braze reported per variation (conversions by event, revenue…), columns of
    nothing but zeros left out. The layout fits it to a phone (a legend for long names)."""
    shown = variations[:MAX_VARIATIONS]
    labels = dict.fromkeys([c.label for c in channels] + [name for v in shown for name, _ in v.by_channel])
    used = [label for label in labels if any(volume(c) for v in shown for name, c in v.by_channel if name == label)]
    levels = [name for name in VARIATION_COLUMNS if any(v.counts.get(name) for v in shown)]
    rows = []
    for v in shown:
        own = {label: volume(counts) for label, counts in v.by_channel}
        cells = [fmt_count(found[1]) if (found := own.get(label)) else DASH for label in used]
        cells += [fmt_metric(name, v.counts.get(name)) for name in levels]
        rows.append((variation_name(v), tuple(cells)))
    unsent = {label for v in shown for label, c in v.by_channel if (found := volume(c)) and found[0] != "sent"}
    headings = [f"{heading_of(label)} impr." if label in unsent else heading_of(label) for label in used]
    return Table("By variation", (*headings, *(VARIATION_COLUMNS[name] for name in levels)), tuple(rows))


def verdict_measures(summary: Any) -> tuple[Measure, ...]:
    """A campaign's or a send's verdict: messages sent across channels, conversions, revenue."""
    t, sent = summary.totals, sent_headline(summary.channels)
    return (
        Measure(sent.total if sent else None, "sent"),
        Measure(t.get("conversions"), "conversions"),
        Measure(t.get("revenue"), "revenue", "usd", inside=True),
    )


def movers(summary: Any) -> tuple[tuple[str, float | None, str], ...]:
    t, sent = summary.totals, sent_headline(summary.channels)
    return (
        ("sent", sent.total if sent else None, "count"),
        ("conversions", t.get("conversions"), "count"),
        ("revenue", t.get("revenue"), "usd"),
    )


def headline(summary: Any) -> tuple[Figure, ...]:
    """The headline numbers of a campaign or a send: Braze's per-day figures summed over the days (each
    channel's own counts and rates follow in its section)."""
    t = summary.totals
    return (
        recipients_figure(t.get("unique_recipients"), summary.days_with_data),
        Figure("Conversions", with_rate(t.get("conversions"), summary.conversion_rate, "conv.")),
        Figure("Revenue", fmt_usd(t.get("revenue"))),
        Figure("Channels", str(len(summary.channels))),
    )


def channel_details(summary: Any) -> tuple[Detail, ...]:
    """Each channel's section (its own metrics and rates), then the variations (a campaign's or a send's
    summary)."""
    details: list[Detail] = [channel_section(c) for c in summary.channels[:MAX_CHANNELS]]
    if len(summary.channels) > MAX_CHANNELS:
        details.append(Note((f"… and {len(summary.channels) - MAX_CHANNELS} more",)))
    if summary.variations:
        details.append(variations_table(summary.variations, summary.channels))
        if len(summary.variations) > MAX_VARIATIONS:
            details.append(Note((f"… and {len(summary.variations) - MAX_VARIATIONS} more variations",)))
    return tuple(details)


class CampaignKind(OpenEndedKind):
    kind = Kind.CAMPAIGN
    words = Words("campaign", "Campaign", "campaigns", "📣")
    command = "campaign"
    ids = (IdField("CAMPAIGN_ID", "campaign ID"),)
    example = "3bbc4555-8fa0-4c9b-a5c0-4505edf3e064 30"
    help = (
        "A campaign report (any campaign: scheduled, action-based, API): each channel with its own metrics and "
        "rates, variations, conversions and a daily chart."
    )
    list_permission = "campaigns.list"
    # Per-channel volume above, engagement below.
    chart_series = "volume and engagement by channel"
    has_sends = True
    nothing = "nothing was sent"
    nothing_with = "nothing sent"

    def fetch(
        self, braze: BrazeClient, target: Target, *, length: int, ending_at: datetime | None, now: datetime
    ) -> dict[str, Any]:
        return braze.campaign_series_payload(target.object_id, length=length, ending_at=ending_at)

    def lookup_name(self, braze: BrazeClient, object_id: str) -> str | None:
        return braze.campaign_name(object_id)

    def lookup_labels(self, braze: BrazeClient, object_id: str) -> Labels:
        return braze.campaign_labels(object_id)

    def list_pages(
        self, braze: BrazeClient, *, edited_after: datetime | None = None
    ) -> Iterator[tuple[ListedItem, ...]]:
        return braze.campaign_list_pages(edited_after=edited_after)

    def details(self, braze: BrazeClient, object_id: str) -> CampaignDetails:
        return braze.campaign_details(object_id)

    def parse(self, payload: Any, target: Target) -> Series:
        return parse_campaign_series(payload, campaign_id=target.object_id)

    def summarise(
        self,
        series: Series,
        *,
        start: date,
        end: date,
        until_given: bool = False,  # pragma: no mutate
    ) -> CampaignSummary:
        # until_given is not read (only a send's first day depends on it), so its default cannot matter.
        return summarise_campaign(series, start=start, end=end)

    def variant_sets(self, series: Series, *, start: date, end: date) -> tuple[ArmSet, ...]:
        return row_sets(series, start=start, end=end)

    def chart(self, series: Series, summary: CampaignSummary, *, title: str) -> ChartData:
        return campaign_chart_data(series, summary, title=title)

    def active(self, point: DayPoint) -> bool:
        """Something was sent: any channel count above 0."""
        return any(value > 0 for row in point.rows for _, value in row.metrics.items)

    def report_view(self, summary: CampaignSummary, *, title: str) -> ReportView:
        t = summary.totals
        sent = sent_headline(summary.channels)
        return self.object_report(
            summary,
            summary.campaign_id,
            title=title,
            figures=headline(summary),
            figures_note=note(conversions_line(t, summary.events)),
            details=channel_details(summary),
            footer="\n".join(p for p in (FOOTER, formulas(summary.channels)) if p),
            text=f"{title}: {sent.text if sent else 'no sends'}; {fmt_count(t.get('conversions'))} conversions",
            sent=sent,
        )

    def verdict_measures(self, summary: CampaignSummary, *, rates: bool) -> tuple[Measure, ...]:
        return verdict_measures(summary)

    def movers(self, summary: CampaignSummary) -> tuple[tuple[str, float | None, str], ...]:
        return movers(summary)

    def digest_view(self, digest: Digest, *, title: str) -> DigestView:
        today, before, window = digest.today, digest.previous, digest.span
        # Not ``finished=digest.sending_ended``: a campaign's sending is its activity, so it never has one.
        figures = digest_figures(today, before)
        volume = " · ".join(f"{label} {fmt_count(v)} {m}" for label, (m, v) in window.volumes().items())
        w = window.totals
        parts = (volume, f"{fmt_count(w.get('conversions'))} conversions", fmt_usd(w.get("revenue")))
        totals = " · ".join(p for p in parts if p)
        sent = ", ".join(f"{label} {fmt_count(v)} {m}" for label, (m, v) in today.volumes().items())
        return self.object_digest(
            digest, title=title, figures=figures, totals=totals,
            text=self.notification(digest, title, sent or "nothing sent"),
        )


def digest_figures(today: Any, before: Any, *, finished: date | None = None) -> list[Figure]:
    """A day's messages sent across channels, its volume per channel, conversions and revenue, each with
    its change against the day before (a campaign's or a send's summaries; at most 10, Slack's limit).
    Once sending has ``finished``, "sending finished Nov 30" stands where "Sent 0 ▼ 100%" would."""
    prior = volumes(before.channels)
    t, b = today.totals, before.totals
    sent, sent_before = sent_headline(today.channels), sent_headline(before.channels)
    figures: list[Figure] = []  # messages sent across channels, then each channel's volume
    if finished is not None:
        figures.append(Figure("Sent", f"sending finished {short_day(finished)}"))
    elif sent is not None:
        figures.append(Figure("Sent", fmt_count(sent.total) + delta(sent.total, sent_before and sent_before.total)))
    figures += [
        Figure(label, f"{fmt_count(value)} {metric}{delta(value, prior.get(label, (metric, None))[1])}")
        for label, (metric, value) in list(volumes(today.channels).items())[:MAX_DIGEST_CHANNELS]
        if finished is None or value  # a finished send's channels at 0 say nothing
    ]
    figures.append(Figure("Conversions", fmt_count(t.get("conversions")) + delta(t.get("conversions"),
                                                                                 b.get("conversions"))))
    figures.append(Figure("Revenue", fmt_usd(t.get("revenue")) + delta(t.get("revenue"), b.get("revenue"))))
    return figures


CAMPAIGN = CampaignKind()
