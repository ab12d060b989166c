"""Block Kit for a campaign report: each channel with its own metrics and its own rates.

Nothing is summed across channels under one name (email ``opens`` and push ``total_opens`` stay apart),
and a metric a channel does not report is simply not shown.
"""

from __future__ import annotations

from handlers.layout.blocks import CONVERSION_LABELS, Block, _md
from handlers.layout.kind_blocks import footer_block, head_blocks, kind_actions
from handlers.layout.text import escape, fmt_count, fmt_rate, fmt_usd
from reports.campaigns import CampaignSummary, ChannelSummary
from reports.models import Metrics

MAX_CHANNELS = 12
MAX_VARIATIONS = 10
CAMPAIGN_FOOTER = (
    "Each channel shows the metrics Braze reports for it, with its own rates (formula in brackets). "
    "Numbers are never added across channels. Conversion rate = conversions ÷ unique recipients."
)


def _metric(name: str, value: int | float) -> str:
    return f"{escape(name.replace('_', ' '))} {fmt_usd(value) if name == 'revenue' else fmt_count(value)}"


def channel_block(channel: ChannelSummary) -> Block:
    """``*Email*`` then its counts on one line and its rates (with formulas) on the next."""
    keys = ", ".join(channel.channels)
    counts = " · ".join(_metric(name, value) for name, value in channel.metrics) or "no counts reported"
    lines = [f"*{escape(channel.label)}*  _({escape(keys)})_", counts]
    if channel.rates:
        lines.append(" · ".join(f"{r.label} *{fmt_rate(r.value)}* ({r.formula})" for r in channel.rates))
    return {"type": "section", "text": _md("\n".join(lines))}


def conversions_line(totals: Metrics) -> str | None:
    """The other conversion events ("B"–"D", Braze's ``conversions1..3``) and the by-send-time twins reported."""
    parts = []
    if (value := totals.get("conversions_by_send_time")) is not None:
        parts.append(f"primary (A) by send time {fmt_count(value)}")
    for n in (1, 2, 3):
        value, twin = totals.get(f"conversions{n}"), totals.get(f"conversions{n}_by_send_time")
        if value is not None or twin is not None:
            parts.append(f"event {CONVERSION_LABELS[n]}: {fmt_count(value)} (by send time {fmt_count(twin)})")
    return "Conversions · " + " · ".join(parts) if parts else None


def campaign_text(summary: CampaignSummary, title: str) -> str:
    """Notification/fallback text."""
    sent = ", ".join(
        f"{c.label} {fmt_count(c.get('sent'))} sent" for c in summary.channels if c.get("sent") is not None
    )
    return escape(f"{title}: {sent or 'no sends'}; {fmt_count(summary.totals.get('conversions'))} conversions")


def campaign_blocks(summary: CampaignSummary, *, title: str, chart_note: str | None = None) -> list[Block]:
    t = summary.totals
    blocks = head_blocks("campaign", title, summary.campaign_id, summary.start, summary.end, summary.days_with_data)
    conversions = f"{fmt_count(t.get('conversions'))}  (conv. {fmt_rate(summary.conversion_rate)})"
    blocks.append(
        {
            "type": "section",
            "fields": [
                _md(f"*Unique recipients*\n{fmt_count(t.get('unique_recipients'))}"),
                _md(f"*Conversions*\n{conversions}"),
                _md(f"*Revenue*\n{fmt_usd(t.get('revenue'))}"),
                _md(f"*Channels*\n{len(summary.channels)}"),
            ],
        }
    )
    if line := conversions_line(t):
        blocks.append({"type": "context", "elements": [_md(line)]})
    blocks.append({"type": "divider"})
    blocks += [channel_block(c) for c in summary.channels[:MAX_CHANNELS]]
    if len(summary.channels) > MAX_CHANNELS:
        blocks.append({"type": "context", "elements": [_md(f"… and {len(summary.channels) - MAX_CHANNELS} more")]})
    if summary.variations:
        lines = []
        for v in summary.variations[:MAX_VARIATIONS]:
            ident = f" `{escape(v.api_id)}`" if v.api_id and v.api_id != v.name else ""
            volume = ", ".join(f"{escape(label)} {fmt_count(val)} {metric}" for label, metric, val in v.headline())
            numbers = " · ".join(_metric(k, val) for k, val in v.counts.items)
            lines.append(f"• *{escape(v.name)}*{ident}: {' · '.join(p for p in (volume, numbers) if p) or '–'}")
        blocks.append({"type": "section", "text": _md("*By variation*\n" + "\n".join(lines))})
    blocks.append(footer_block(CAMPAIGN_FOOTER, chart_note))
    blocks.append(kind_actions("campaign", summary.campaign_id))
    return blocks
