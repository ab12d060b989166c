"""Block Kit and words for alerts: the breach post, the "back to normal" reply, and the lines of
``/sendstats alerts``. Pure functions; names and IDs are escaped here."""

from __future__ import annotations

from datetime import date

from digests.alert_store import Alert, AlertPost
from handlers.layout.blocks import Block, context, md, mrkdwn, plain
from handlers.layout.text import escape
from reports.kinds.metrics import METRICS
from reports.kinds.registry import kind_of
from reports.stats import format_rate
from reports.views import fmt_count, short_day


def value_text(metric: str, value: float) -> str:
    """A metric's value as people read it: ``2.4%`` for a rate, ``12,000`` for a count."""
    return format_rate(value) if METRICS[metric].is_rate else fmt_count(value)


def rule_text(alert: Alert) -> str:
    """``bounce rate &gt; 2.0%`` (escaped: mrkdwn)."""
    return escape(f"{METRICS[alert.metric].label.lower()} {alert.op} {value_text(alert.metric, alert.threshold)}")


def when_text(day: date, partial: bool) -> str:
    return f"today so far ({short_day(day)}, UTC)" if partial else f"on {short_day(day)} (the whole day, UTC)"


def reference(alert: Alert) -> str:
    """``campaign `cmp-1``` or ``send `s` (campaign `c`)``, escaped."""
    return mrkdwn(kind_of(alert.kind).reference(alert.target))


def breach_text(alert: Alert, post: AlertPost, title: str) -> str:
    """The notification text of a breach (push preview, screen readers)."""
    label = METRICS[alert.metric].label
    return (
        f"🚨 {escape(title)}: {label} {value_text(alert.metric, post.value)} {when_text(post.day, post.partial)}, "
        f"threshold {escape(alert.op)} {value_text(alert.metric, alert.threshold)}"
    )


def breach_blocks(alert: Alert, post: AlertPost, title: str) -> list[Block]:
    """The breach post: what is off, by how much, against which threshold, and how to stop the alert."""
    metric = METRICS[alert.metric]
    side = "above" if alert.op == ">" else "below"
    said = (
        f"*{metric.label}* is *{value_text(alert.metric, post.value)}* {when_text(post.day, post.partial)}: "
        f"{side} the alert's threshold of *{value_text(alert.metric, alert.threshold)}*."
    )
    footer = (
        f"Alert #{alert.id} · {reference(alert)} · {escape(metric.formula)} · I reply here when it is back to "
        f"normal · `/sendstats alert remove {alert.id}` stops it · 📈 chart in the thread ↓"
    )
    return [
        {"type": "header", "text": plain(f"🚨 Alert · {title}")},
        {"type": "section", "text": md(said)},
        context(footer),
    ]


def clear_text(alert: Alert, post: AlertPost) -> str:
    """The "back to normal" reply in the breach's thread."""
    return (
        f"✅ Back to normal: {METRICS[alert.metric].label.lower()} {value_text(alert.metric, post.value)} "
        f"{when_text(post.day, post.partial)} (alert #{alert.id}: {rule_text(alert)})."
    )


def describe(alert: Alert) -> str:
    """One line of ``/sendstats alerts``."""
    state = "🚨 *breaching*" if alert.state == "breaching" else "ok"
    if alert.status == "paused":
        state = "*paused* (I can't post here; set it again to resume)"
    last = ""
    if alert.last_value is not None and alert.last_day is not None:
        last = f" · last {value_text(alert.metric, alert.last_value)} on {short_day(alert.last_day)}"
    return f"*#{alert.id}* · {reference(alert)} · {rule_text(alert)} · {state}{last}"


def set_again(alert: Alert) -> str:
    """The command that sets ``alert`` again as it was."""
    threshold = value_text(alert.metric, alert.threshold).replace(",", "")
    ids = " ".join(alert.target.ids)
    return f"/sendstats alert {alert.kind.value} {ids} {alert.metric} {escape(alert.op)} {threshold}"


def paused_text(alert: Alert, why: str) -> str:
    """The DM telling an alert's creator it stopped, ``why`` (a sentence), and how to set it again."""
    return (
        f"⏸️ I stopped your sendstats alert #{alert.id} ({reference(alert)} {rule_text(alert)}) in "
        f"<#{alert.channel_id}>: {why} To set it again, invite me to <#{alert.channel_id}> (`/invite @sendstats`) "
        f"and run `{set_again(alert)}` there."
    )
