"""The Slack side of alert checks: :class:`digests.alert_check.AlertSender` built on the adapter.

Each post carries Slack message metadata (:data:`EVENT_TYPE`, the post's id and the install's key), and
is made with the digests' own Slack client, which never re-sends after a timeout, a dropped connection or
a 5xx: the check looks for the post by its metadata first (:meth:`SlackAlertSender.find`). Slack's errors
become :class:`digests.ports.SendFailed` in one place (``handlers.flows.digest_posting``). An alert never
joins a channel: it posts where someone set it up, and the bot joined then.
"""

from __future__ import annotations

from datetime import date

from digests.alert_store import Alert, AlertPost
from digests.ports import SendFailed
from handlers.adapter.delivery import OLDEST_MARGIN, SlackDelivery
from handlers.flows.digest_posting import HISTORY_LIMIT, as_send_failed
from handlers.layout.alert_blocks import breach_blocks, breach_text, clear_text, paused_text
from handlers.layout.alt_text import chart_alt_text
from reports.kinds.metrics import METRICS

#: Slack message metadata event type of every alert post.
EVENT_TYPE = "sendstats_alert"


def chart_filename(alert: Alert, post: AlertPost) -> str:
    return f"sendstats-alert-{alert.id}-{post.episode}.png"


class SlackAlertSender:
    """Posts alerts' breaches and their "back to normal" replies."""

    def __init__(self, delivery: SlackDelivery) -> None:
        self.delivery = delivery

    def post(self, alert: Alert, post: AlertPost, *, title: str, thread_ts: str | None) -> str:
        metadata = as_send_failed(lambda: self.delivery.tag(EVENT_TYPE, {"alert_post_id": post.id}))
        if post.event == "breach":
            text, blocks = breach_text(alert, post, title), breach_blocks(alert, post, title)
        else:
            text, blocks = clear_text(alert, post), None
        return as_send_failed(
            lambda: self.delivery.post(
                alert.channel_id, text=text, blocks=blocks, thread_ts=thread_ts, metadata=metadata
            )
        )

    def find(self, alert: Alert, post: AlertPost, *, thread_ts: str | None) -> str | None:
        oldest = post.created_at.timestamp() - OLDEST_MARGIN
        return as_send_failed(
            lambda: self.delivery.find_tagged(
                alert.channel_id,
                EVENT_TYPE,
                {"alert_post_id": post.id},
                oldest=oldest,
                thread_ts=thread_ts,
                limit=HISTORY_LIMIT,
            )
        )

    def attach_chart(self, alert: Alert, post: AlertPost, *, ts: str, title: str, png: bytes, start: date) -> str:
        metric = METRICS[alert.metric]
        alt = chart_alt_text(f"{metric.label.lower()} against the alert's threshold", title, start, post.day)
        return as_send_failed(
            lambda: self.delivery.upload(
                alert.channel_id,
                png=png,
                filename=chart_filename(alert, post),
                title=f"{title} · {metric.label}",
                thread_ts=ts,
                alt_text=alt,
            )
        )

    def tell_paused(self, alert: Alert, failure: SendFailed) -> None:
        self.delivery.direct_message(alert.created_by, text=paused_text(alert, failure.explanation))
