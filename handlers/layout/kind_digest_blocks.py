"""Block Kit for the daily digest of a campaign or Canvas: the latest day against the day before, the last
14 days, and (on the last digest) why the subscription ends. Pure functions over a
:class:`reports.kind_daily.KindDigest`.
"""

from __future__ import annotations

from digests.records import OPEN_END, Subscription
from handlers.layout.blocks import UNSUBSCRIBE, Block, _md, _plain, button
from handlers.layout.digest_blocks import _delta, long_day, short_day
from handlers.layout.kind_blocks import KIND_NOUN, KIND_RERUN_PREFIX, kind_value
from handlers.layout.text import escape, fmt_count, fmt_rate, fmt_usd
from reports.campaigns import CampaignSummary
from reports.canvases import CanvasSummary
from reports.kind_daily import QUIET_DAYS_TO_END, WINDOW_DAYS, KindDigest, KindSummary

#: Campaign channel families whose volume a digest shows, with the metric that measures it.
_VOLUME = ("sent", "impressions")


def _volume(summary: CampaignSummary) -> dict[str, tuple[str, float]]:
    """Per channel family: (metric, value) of its volume ("sent", or "impressions" for in-app)."""
    out: dict[str, tuple[str, float]] = {}
    for channel in summary.channels:
        for metric in _VOLUME:
            value = channel.get(metric)
            if value is not None:
                out[channel.label] = (metric, value)
                break
    return out


def _campaign_fields(today: CampaignSummary, before: CampaignSummary) -> list[Block]:
    prior = _volume(before)
    fields = []
    for label, (metric, value) in list(_volume(today).items())[:7]:  # 7 + 2 fields: Slack allows 10
        was = prior.get(label, (metric, None))[1]
        fields.append(_md(f"*{escape(label)}*\n{fmt_count(value)} {metric}{_delta(value, was)}"))
    t, b = today.totals, before.totals
    fields.append(
        _md(f"*Conversions*\n{fmt_count(t.get('conversions'))}{_delta(t.get('conversions'), b.get('conversions'))}")
    )
    fields.append(_md(f"*Revenue*\n{fmt_usd(t.get('revenue'))}{_delta(t.get('revenue'), b.get('revenue'))}"))
    return fields


def _canvas_fields(today: CanvasSummary, before: CanvasSummary) -> list[Block]:
    t, b = today.totals, before.totals
    return [
        _md(f"*Entries*\n{fmt_count(t.get('entries'))}{_delta(t.get('entries'), b.get('entries'))}"),
        _md(f"*Conversions*\n{fmt_count(t.get('conversions'))}{_delta(t.get('conversions'), b.get('conversions'))}"),
        _md(f"*Conversion rate*\n{fmt_rate(today.conversion_rate)}"),
        _md(f"*Revenue*\n{fmt_usd(t.get('revenue'))}{_delta(t.get('revenue'), b.get('revenue'))}"),
    ]


def _window_line(window: KindSummary) -> str:
    head = f"*Last {WINDOW_DAYS} days* ({short_day(window.start)} – {short_day(window.end)}): "
    if isinstance(window, CanvasSummary):
        t = window.totals
        return head + (
            f"{fmt_count(t.get('entries'))} entries · {fmt_count(t.get('conversions'))} conversions "
            f"({fmt_rate(window.conversion_rate)}) · {fmt_usd(t.get('revenue'))}"
        )
    volume = " · ".join(f"{escape(label)} {fmt_count(v)} {m}" for label, (m, v) in _volume(window).items())
    t = window.totals
    return head + " · ".join(
        p for p in (volume, f"{fmt_count(t.get('conversions'))} conversions", fmt_usd(t.get("revenue"))) if p
    )


#: How a kind reads mid-sentence: "campaign" is a common noun, "Canvas" Braze's name for a product.
IN_TEXT = {"campaign": "campaign", "canvas": "Canvas"}


def kind_digest_text(digest: KindDigest, title: str) -> str:
    """Notification text."""
    noun = IN_TEXT[digest.kind]
    if not digest.has_activity:
        return escape(f"{title} ({noun}): no activity on {short_day(digest.day)}")
    if isinstance(digest.today, CanvasSummary):
        t = digest.today.totals
        return escape(
            f"{title} ({noun}): {fmt_count(t.get('entries'))} entries, {fmt_count(t.get('conversions'))} conversions "
            f"on {short_day(digest.day)}"
        )
    sent = ", ".join(f"{label} {fmt_count(v)} {m}" for label, (m, v) in _volume(digest.today).items())
    return escape(f"{title} ({noun}): {sent or 'nothing sent'} on {short_day(digest.day)}")


def kind_digest_blocks(digest: KindDigest, *, title: str, subscription_id: int, chart_in_thread: bool) -> list[Block]:
    """The daily message of a campaign or Canvas subscription."""
    head = "🏁 Final digest" if digest.final else "🗞 Daily digest"
    context = f"{KIND_NOUN[digest.kind]} `{escape(digest.object_id)}` · {long_day(digest.day)}"
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"{head} · {title}")},
        {"type": "context", "elements": [_md(context)]},
    ]
    if digest.has_activity:
        if isinstance(digest.today, CanvasSummary) and isinstance(digest.previous, CanvasSummary):
            fields = _canvas_fields(digest.today, digest.previous)
        else:
            assert isinstance(digest.today, CampaignSummary) and isinstance(digest.previous, CampaignSummary)
            fields = _campaign_fields(digest.today, digest.previous)
        lead = _md(f"*{short_day(digest.day)}*, change against the day before")
        blocks.append({"type": "section", "text": lead, "fields": fields})
    else:
        streak = digest.quiet_days
        quiet = f"No activity on {short_day(digest.day)}"
        if streak > 1:
            quiet += f" ({streak} days in a row; the digest ends after {QUIET_DAYS_TO_END})"
        blocks.append({"type": "section", "text": _md(quiet + ".")})
    if digest.window.has_data:
        blocks.append({"type": "section", "text": _md(_window_line(digest.window))})
    if digest.end_reason is not None:  # the last digest
        text = (
            f"*This is the last digest:* {escape(digest.end_reason)}. The subscription has ended; "
            f"`/sendstats list` keeps its history, and `/sendstats subscribe {digest.kind} {escape(digest.object_id)}` "
            "starts it again."
        )
        blocks.append({"type": "section", "text": _md(text)})
    footer = f"Subscription #{subscription_id} · `/sendstats unsubscribe {subscription_id}` stops it"
    if chart_in_thread:
        footer += f" · 📈 chart of the last {WINDOW_DAYS} days in the thread ↓"
    blocks.append({"type": "context", "elements": [_md(footer)]})
    report = button(
        "Full report (30 days)", f"{KIND_RERUN_PREFIX}{digest.kind}_30", kind_value(digest.kind, digest.object_id, 30)
    )
    elements = [report] if digest.final else [report, button("Unsubscribe", UNSUBSCRIBE, str(subscription_id))]
    blocks.append({"type": "actions", "block_id": "sendstats_digest_actions", "elements": elements})
    return blocks


def subject(sub: Subscription) -> str:
    """What a subscription digests, for ``list``, App Home and replies: ``send `x` (campaign `y`)`` etc."""
    if sub.kind == "send":
        return f"send `{escape(sub.send_id)}` (campaign `{escape(sub.object_id)}`)"
    return f"{'campaign' if sub.kind == 'campaign' else 'Canvas'} `{escape(sub.object_id)}`"


def ends_text(sub: Subscription) -> str:
    """When the digests stop: a date for sends, a rule for campaigns and Canvases."""
    if sub.ends_on == OPEN_END:
        return f"ends when archived or after {QUIET_DAYS_TO_END} quiet days"
    return f"ends {short_day(sub.ends_on)}"
