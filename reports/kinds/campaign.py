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
    volumes,
)
from reports.comparison import ArmSet, row_sets
from reports.kinds import IdField, Kind, Target, Words
from reports.kinds.base import OpenEndedKind
from reports.listing import CampaignDetails, ListedItem
from reports.models import ChartData, DayPoint, Labels, Series
from reports.views import (
    RECIPIENTS_NOTE,
    Code,
    Detail,
    DigestView,
    Emphasis,
    Figure,
    Line,
    Note,
    ReportView,
    Section,
    Strong,
    conversions_line,
    delta,
    fmt_count,
    fmt_metric,
    fmt_rate,
    fmt_usd,
    note,
    one_line,
    recipients_figure,
    with_rate,
)

if TYPE_CHECKING:
    from reports.braze import BrazeClient
    from reports.daily import Digest

MAX_CHANNELS = 12
MAX_VARIATIONS = 10
#: Channel fields of a digest (Slack allows 10 fields; conversions and revenue take two).
MAX_DIGEST_CHANNELS = 7
FOOTER = (
    "Each channel shows the metrics Braze reports for it, with its own rates (formula in brackets). "
    "Numbers are never added across channels, except messages sent. " + RECIPIENTS_NOTE
)


def _metric(name: str, value: int | float) -> str:
    return f"{name.replace('_', ' ')} {fmt_metric(name, value)}"


def channel_section(channel: ChannelSummary) -> Section:
    """``*Email*  _(email)_``, then its counts on one line and its rates (with formulas) on the next."""
    counts = " · ".join(_metric(name, value) for name, value in channel.metrics) or "no counts reported"
    lines: list[Line] = [(Strong(channel.label), "  ", Emphasis(f"({', '.join(channel.channels)})")), (counts,)]
    if channel.rates:
        rates: list[Any] = []
        for i, rate in enumerate(channel.rates):
            rates += [" · "] if i else []
            rates += [f"{rate.label} ", Strong(fmt_rate(rate.value)), f" ({rate.formula})"]
        lines.append(tuple(rates))
    return Section(tuple(lines))


#: A variation's own figures in reading order, conversion events by the letters the conversions line names.
VARIATION_ORDER = ("unique_recipients", "conversions", "conversions_by_send_time", "conversions1",
                   "conversions1_by_send_time", "conversions2", "conversions2_by_send_time", "conversions3",
                   "conversions3_by_send_time", "revenue")
_EVENT_WORDS = {"conversions": "conversions (A)", "conversions_by_send_time": "(A) by send time",
                **{f"conversions{n}": f"event {letter}" for n, letter in ((1, "B"), (2, "C"), (3, "D"))},
                **{f"conversions{n}_by_send_time": f"({letter}) by send time" for n, letter in ((1, "B"), (2, "C"),
                                                                                              (3, "D"))}}


def _variation_metric(name: str, value: int | float | None) -> str:
    return f"{_EVENT_WORDS.get(name, name.replace('_', ' '))} {fmt_metric(name, value)}"


def variations_section(variations: tuple[VariationSummary, ...]) -> Section:
    """Each variation: its volume per channel, then its campaign-level numbers."""
    lines: list[Line] = [(Strong("By variation"),)]
    for v in variations[:MAX_VARIATIONS]:
        ident: tuple[Any, ...] = (" ", Code(v.api_id)) if v.api_id and v.api_id != v.name else ()
        # Braze names no webhook, SMS, WhatsApp or in-app message variation: say so, with its ID
        unnamed = v.api_id and v.name == v.api_id
        name = f"{' and '.join(v.channels)} variation without a name" if unnamed else one_line(v.name)
        ident = (" ", Code(v.api_id)) if unnamed else ident
        volume = ", ".join(f"{label} {fmt_count(val)} {metric}" for label, metric, val in v.headline())
        numbers = " · ".join(_variation_metric(k, v.counts.get(k)) for k in VARIATION_ORDER if k in v.counts.names)
        numbers = " · ".join(p for p in (numbers, *(_metric(k, val) for k, val in v.counts.items
                                                     if k not in VARIATION_ORDER)) if p)
        body = " · ".join(p for p in (volume, numbers) if p) or "–"
        lines.append(("• ", Strong(name), *ident, f": {body}"))
    return Section(tuple(lines))


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
        details.append(variations_section(summary.variations))
    return tuple(details)


class CampaignKind(OpenEndedKind):
    kind = Kind.CAMPAIGN
    words = Words("campaign", "Campaign", "campaigns", "📣")
    command = "campaign"
    ids = (IdField("<campaign_id>", "campaign ID"),)
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

    def summarise(self, series: Series, *, start: date, end: date, until_given: bool = False) -> CampaignSummary:
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
            footer=FOOTER,
            text=f"{title}: {sent.text if sent else 'no sends'}; {fmt_count(t.get('conversions'))} conversions",
            sent=sent,
        )

    def digest_view(self, digest: Digest, *, title: str) -> DigestView:
        today, before, window = digest.today, digest.previous, digest.span
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


def digest_figures(today: Any, before: Any) -> list[Figure]:
    """A day's messages sent across channels, its volume per channel, conversions and revenue, each with
    its change against the day before (a campaign's or a send's summaries; at most 10, Slack's limit)."""
    prior = volumes(before.channels)
    t, b = today.totals, before.totals
    sent, sent_before = sent_headline(today.channels), sent_headline(before.channels)
    figures: list[Figure] = []  # messages sent across channels, then each channel's volume
    if sent is not None:
        figures.append(Figure("Sent", fmt_count(sent.total) + delta(sent.total, sent_before and sent_before.total)))
    figures += [
        Figure(label, f"{fmt_count(value)} {metric}{delta(value, prior.get(label, (metric, None))[1])}")
        for label, (metric, value) in list(volumes(today.channels).items())[:MAX_DIGEST_CHANNELS]
    ]
    figures.append(Figure("Conversions", fmt_count(t.get("conversions")) + delta(t.get("conversions"),
                                                                                 b.get("conversions"))))
    figures.append(Figure("Revenue", fmt_usd(t.get("revenue")) + delta(t.get("revenue"), b.get("revenue"))))
    return figures


CAMPAIGN = CampaignKind()
