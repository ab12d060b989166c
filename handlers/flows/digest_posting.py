"""The Slack side of the digest round: :class:`digests.ports.DigestSender` built on the adapter.

Block Kit comes from ``handlers.layout``; posting and pacing from ``handlers.adapter``. Slack's error
codes become :class:`digests.ports.SendFailed` here, in one place, and so do lost answers (timeouts,
dropped connections, 5xx), marked ``unknown``: Slack may have done the work.

Each digest message carries Slack message metadata (:data:`EVENT_TYPE`, the delivery id and the install's
key), so that after a lost answer or a crash one ``conversations.history`` call, bounded to the digest
day, tells whether it landed; only a message this bot wrote counts.

A digest never joins a channel. Where the bot is not a member (it was removed, or never invited to a
private channel) Slack refuses the post, the look-up and the chart alike (``not_in_channel``,
``channel_not_found``), which is permanent: the round pauses the subscription and its subscriber is told
privately how to resume.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time
from typing import TypeVar
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from digests.ports import Posted, SendFailed
from digests.records import Subscription
from handlers.adapter.delivery import (
    NOT_MEMBER,
    OLDEST_MARGIN,
    PERMANENT,
    SlackDelivery,
    explain,
    outcome_unknown,
    slack_error,
)
from handlers.layout.alt_text import chart_alt_text
from handlers.layout.chart_reply import chart_reply_blocks, chart_reply_text
from handlers.layout.comparison_blocks import with_comparison, with_data_button
from handlers.layout.digest_blocks import digest_blocks, digest_text, paused_text, short_subject
from reports.daily import Digest
from reports.kinds.registry import kind_of
from reports.views import short_day

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Slack message metadata event type of every digest message.
EVENT_TYPE = "sendstats_digest"
#: Slack message metadata event type of a digest's chart reply (the shared upload shown in its thread).
CHART_EVENT_TYPE = "sendstats_chart"
#: How many of the channel's newest messages the lost-answer check reads (one call).
HISTORY_LIMIT = 100


def _slack(step: Callable[[], T]) -> T:
    """Run one Slack call; its failure becomes :class:`SendFailed`, ``unknown`` when no answer came."""
    try:
        return step()
    except SlackApiError as exc:
        if outcome_unknown(exc):
            status = getattr(exc.response, "status_code", None)
            raise SendFailed(f"http_{status}", permanent=False, unknown=True) from exc
        code = slack_error(exc)
        unknown = code == "outcome_unknown"  # the adapter's look-ups could not tell either
        raise SendFailed(code, permanent=code in PERMANENT, explanation=explain(code), unknown=unknown) from exc
    except Exception as exc:
        if not outcome_unknown(exc):
            raise
        raise SendFailed(f"no answer ({type(exc).__name__})", permanent=False, unknown=True) from exc


#: Public name of the error mapping above, for the alerts' sender (``handlers.flows.alert_posting``).
as_send_failed = _slack


def day_start(sub: Subscription, day: date) -> float:
    """The Unix time at which ``day`` began where the subscriber lives, less :data:`OLDEST_MARGIN`: no
    digest of that day can be older (the look-ups' ``oldest``)."""
    return datetime.combine(day, time(), ZoneInfo(sub.timezone)).timestamp() - OLDEST_MARGIN


def chart_filename(sub: Subscription, digest: Digest) -> str:
    return f"sendstats-digest-{sub.subject_id}-{digest.day.isoformat()}.png"[:120]


def shared_chart_filename(digest: Digest) -> str:
    """The name of a round's one upload of a chart: its target and the days it shows."""
    start, day = digest.span.start.isoformat(), digest.day.isoformat()
    return f"sendstats-chart-{digest.target.ident}-{start}-{day}.png"[:120]


def chart_label(digest: Digest, title: str) -> str:
    return f"{title} · through {short_day(digest.day)}"


def chart_alt_text_of(digest: Digest, title: str) -> str:
    """The digest chart's screen-reader sentence: its series, ``title`` and the days it covers."""
    series = kind_of(digest.target.kind).chart_series
    return chart_alt_text(series, title, digest.span.start, digest.span.end)


class SlackDigestSender:
    """Posts digests into their channels and DMs subscribers whose digest was paused or missed."""

    def __init__(self, delivery: SlackDelivery) -> None:
        self.delivery = delivery

    def post_message(
        self,
        sub: Subscription,
        digest: Digest,
        *,
        title: str,
        delivery_id: int,
        digest_date: date,
        chart_follows: bool,
    ) -> Posted:
        view = kind_of(sub.kind).digest_message(digest, title=title)
        blocks = digest_blocks(view, subscription_id=sub.id, chart_in_thread=chart_follows)
        blocks = with_data_button(with_comparison(blocks, view.comparison), view.target, view.data_span)
        text = digest_text(view)
        payload = {"delivery_id": delivery_id, "subscription_id": sub.id, "digest_date": digest_date.isoformat()}
        metadata = _slack(lambda: self.delivery.tag(EVENT_TYPE, payload))
        ts = _slack(lambda: self.delivery.post(sub.channel_id, text=text, blocks=blocks, metadata=metadata))
        return Posted(ts=ts)

    def find_message(self, sub: Subscription, *, delivery_id: int, digest_date: date) -> Posted | None:
        oldest = day_start(sub, digest_date)
        ts = _slack(
            lambda: self.delivery.find_tagged(
                sub.channel_id, EVENT_TYPE, {"delivery_id": delivery_id}, oldest=oldest, limit=HISTORY_LIMIT
            )
        )
        return Posted(ts=ts) if ts else None

    def attach_chart(self, sub: Subscription, digest: Digest, *, ts: str, title: str, png: bytes) -> str | None:
        filename = chart_filename(sub, digest)
        label = chart_label(digest, title)
        alt = chart_alt_text_of(digest, title)
        return _slack(
            lambda: self.delivery.upload(
                sub.channel_id, png=png, filename=filename, title=label, thread_ts=ts, alt_text=alt
            )
        )

    def upload_chart(self, digest: Digest, *, title: str, png: bytes) -> str:
        label, alt = chart_label(digest, title), chart_alt_text_of(digest, title)
        filename = shared_chart_filename(digest)
        return _slack(lambda: self.delivery.upload_private(png=png, filename=filename, title=label, alt_text=alt))

    def post_chart(
        self, sub: Subscription, digest: Digest, *, ts: str, file_id: str, title: str, delivery_id: int
    ) -> str:
        label, alt = chart_label(digest, title), chart_alt_text_of(digest, title)
        blocks = chart_reply_blocks(file_id, title=label, alt_text=alt)
        metadata = _slack(lambda: self.delivery.tag(CHART_EVENT_TYPE, {"delivery_id": delivery_id}))
        return _slack(
            lambda: self.delivery.post_tagged(
                sub.channel_id,
                text=chart_reply_text(label),
                blocks=blocks,
                thread_ts=ts,
                metadata=metadata,
                oldest=float(ts),
            )
        )

    def find_chart_reply(self, sub: Subscription, *, ts: str, delivery_id: int) -> str | None:
        return _slack(
            lambda: self.delivery.find_tagged(
                sub.channel_id, CHART_EVENT_TYPE, {"delivery_id": delivery_id}, oldest=float(ts), thread_ts=ts
            )
        )

    def find_chart(self, sub: Subscription, digest: Digest, *, ts: str) -> str | None:
        filename = chart_filename(sub, digest)
        return _slack(lambda: self.delivery.thread_file(sub.channel_id, ts, filename, oldest=float(ts)))

    def note_missing_chart(self, sub: Subscription, *, ts: str, failure: SendFailed) -> None:
        if failure.code in NOT_MEMBER:  # the channel is closed to the bot: its subscriber is told privately
            log.info("no note about the missing chart in %s: %s", sub.channel_id, failure.code)
            return
        hint = f"The chart could not be attached: {failure.explanation}"
        try:
            self.delivery.post(sub.channel_id, text=f"📈 {hint}", thread_ts=ts)
        except Exception as exc:  # a note, sent once
            log.warning("could not explain the missing chart in %s: %s", sub.channel_id, type(exc).__name__)

    def tell_paused(self, sub: Subscription, failure: SendFailed) -> None:
        self.delivery.post(sub.created_by, text=paused_text(sub, failure.explanation))

    def tell_missed(self, sub: Subscription, day: date, reason: str) -> None:
        text = (
            f"⚠️ Your sendstats digest #{sub.id} ({short_subject(sub)}) for {short_day(day)} could not be posted "
            f"in <#{sub.channel_id}> before the day ended ({reason}). I kept trying all day. To post it now, an "
            f"operator can run `python -m bot digest --date {day.isoformat()}`."
        )
        self.delivery.post(sub.created_by, text=text)
