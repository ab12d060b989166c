"""Block Kit for daily digests and subscription confirmations."""

from __future__ import annotations

from datetime import date
from typing import Any

from digests.records import Delivery
from handlers.layout.blocks import UNSUBSCRIBE, button, conversion_events_line, metric_fields, report_value
from handlers.layout.text import escape, fmt_count, fmt_usd
from reports.daily import DELTA_METRICS, WINDOW_DAYS, Digest, change
from reports.summary import RETENTION_DAYS

Block = dict[str, Any]
LABELS = {
    "sent": "Sent",
    "delivered": "Delivered",
    "total_opens": "Opens",
    "body_clicks": "Body clicks",
    "conversions": "Conversions",
    "revenue": "Revenue",
}


def long_day(d: date) -> str:
    return f"{d:%A}, {d:%b} {d.day}"


def short_day(d: date) -> str:
    return f"{d:%b} {d.day}"


def _delta(today: float | None, before: float | None) -> str:
    rel = change(today, before)
    if rel is None:
        return ""
    arrow = "▲" if rel > 0 else "▼" if rel < 0 else "＝"
    return f"  {arrow} {abs(rel) * 100:.0f}%"


def digest_text(digest: Digest, title: str, send_id: str) -> str:
    """Notification text, naming the send so two digests of one campaign are told apart."""
    m = digest.day_metrics
    head = f"{title} · send {send_id}"
    if not digest.has_activity or m is None:
        return escape(f"{head}: no activity on {short_day(digest.day)}")
    return escape(
        f"{head}: {fmt_count(m.get('sent'))} sent, {fmt_count(m.get('conversions'))} conversions "
        f"on {short_day(digest.day)}"
    )


def digest_blocks(
    digest: Digest, *, title: str, campaign_id: str, send_id: str, subscription_id: int, chart_in_thread: bool
) -> list[Block]:
    """The daily message: yesterday, its change against the day before, totals since the send."""
    window_end = digest.cumulative.window_end
    day_number = digest.day_in_window
    kind = "🏁 Final digest" if digest.final else "🗞 Daily digest"
    context = [f"Send `{escape(send_id)}`", f"{long_day(digest.day)}"]
    if day_number is not None:
        context.append(f"day {day_number} of {WINDOW_DAYS} in Braze's analytics window (send day + {RETENTION_DAYS})")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{kind} · {title}"[:150], "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
    ]
    m, before = digest.day_metrics, digest.previous_metrics
    if digest.has_activity and m is not None:
        fields = []
        for name in DELTA_METRICS:
            today_value = m.get(name)
            prior = before.get(name) if before else None
            shown = fmt_usd(today_value) if name == "revenue" else fmt_count(today_value)
            fields.append({"type": "mrkdwn", "text": f"*{LABELS[name]}*\n{shown}{_delta(today_value, prior)}"})
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{short_day(digest.day)}*, change against the day before"},
                "fields": fields,
            }
        )
    else:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"No activity on {short_day(digest.day)}."}}
        )
    cumulative = digest.cumulative
    if cumulative.has_data:
        since = f"*Since the send began* ({short_day(cumulative.start)} – {short_day(cumulative.end)})"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": since}})
        blocks.append({"type": "section", "fields": metric_fields(cumulative.totals, cumulative.rates)})
        if line := conversion_events_line(cumulative.totals):
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    if digest.final and window_end is not None:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        f"*This is the last digest.* Braze keeps send analytics for {RETENTION_DAYS} days after the "
                        f"send, and this send's window closes {short_day(window_end)}. The subscription has ended; "
                        "`/sendstats list` keeps its history."
                    ),
                },
            }
        )
    footer = f"Subscription #{subscription_id} · `/sendstats unsubscribe {subscription_id}` stops it"
    if chart_in_thread:
        footer += " · 📈 chart of the series so far in the thread ↓"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    days = RETENTION_DAYS
    full = button(f"Full report ({days} days)", f"sendstats_rerun_{days}", report_value(campaign_id, send_id, days))
    elements = [full]
    if not digest.final:
        elements.append(button("Unsubscribe", UNSUBSCRIBE, str(subscription_id)))
    blocks.append({"type": "actions", "block_id": "sendstats_digest_actions", "elements": elements})
    return blocks


def last_outcome(delivery: Delivery | None) -> str:
    """A subscription's last digest outcome in a few words, for ``list`` and App Home."""
    if delivery is None:
        return "last digest: none yet"
    day = short_day(delivery.digest_date)
    detail = f" ({delivery.detail})" if delivery.detail else ""
    words = {
        "posted": f"posted {day}",
        "skipped": f"skipped {day}{detail}",
        "claimed": f"{day} being posted",
        "chart_pending": f"{day} posted, chart on its way",
        "failed": f"{day} failed, retrying{detail}",
        "missed": f"{day} *missed*{detail}",
    }
    return "last digest: " + words.get(delivery.status, f"{day} {delivery.status}")
