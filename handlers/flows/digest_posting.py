"""The Slack side of the digest round: :class:`digests.ports.DigestSender` built on the adapter.

Block Kit comes from ``handlers.layout``; posting, pacing and joins from ``handlers.adapter``. Slack's
error codes become :class:`digests.ports.SendFailed` here, in one place, and so do lost answers
(timeouts, dropped connections, 5xx), marked ``unknown``: Slack may have done the work.

Each digest message carries Slack message metadata (:data:`EVENT_TYPE`, the delivery id), so that
after a lost answer or a crash one ``conversations.history`` call tells whether it landed.
"""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Callable
from datetime import date
from http.client import HTTPException
from typing import TypeVar

from slack_sdk.errors import SlackApiError

from digests.ports import Posted, SendFailed
from digests.records import Subscription
from handlers.adapter.delivery import INVITE_HINT, NOT_MEMBER, PERMANENT, SlackDelivery, explain, slack_error
from handlers.layout.alt_text import chart_alt_text
from handlers.layout.blocks import mrkdwn
from handlers.layout.digest_blocks import digest_blocks, digest_text
from reports.daily import Digest
from reports.kinds.registry import kind_of
from reports.views import short_day

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Slack message metadata event type of every digest message.
EVENT_TYPE = "sendstats_digest"
#: How many of the channel's newest messages the lost-answer check reads (one call).
HISTORY_LIMIT = 100


def _slack(step: Callable[[], T]) -> T:
    """Run one Slack call; its failure becomes :class:`SendFailed`, ``unknown`` when no answer came."""
    try:
        return step()
    except SlackApiError as exc:
        status = getattr(exc.response, "status_code", 200) or 200
        code = slack_error(exc)
        if status >= 500:
            raise SendFailed(f"http_{status}", permanent=False, unknown=True) from exc
        raise SendFailed(code, permanent=code in PERMANENT, explanation=explain(code)) from exc
    except (TimeoutError, urllib.error.URLError, HTTPException, ConnectionError) as exc:
        raise SendFailed(f"no answer ({type(exc).__name__})", permanent=False, unknown=True) from exc


def chart_filename(sub: Subscription, digest: Digest) -> str:
    return f"sendstats-digest-{sub.subject_id}-{digest.day.isoformat()}.png"[:120]


def chart_alt_text_of(digest: Digest, title: str) -> str:
    """The digest chart's screen-reader sentence: its series, ``title`` and the days it covers."""
    series = kind_of(digest.target.kind).chart_series
    return chart_alt_text(series, title, digest.span.start, digest.span.end)


def _what(sub: Subscription) -> str:
    """``send `x``` / ``campaign `y``` / ``Canvas `z``` for messages about a subscription."""
    return mrkdwn(kind_of(sub.kind).short_reference(sub.target))


def _resubscribe(sub: Subscription) -> str:
    return f"/sendstats subscribe {kind_of(sub.kind).args(sub.target)}"


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
        view = kind_of(sub.kind).digest_view(digest, title=title)
        blocks = digest_blocks(view, subscription_id=sub.id, chart_in_thread=chart_follows)
        text = digest_text(view)
        metadata = {
            "event_type": EVENT_TYPE,
            "event_payload": {
                "delivery_id": delivery_id,
                "subscription_id": sub.id,
                "digest_date": digest_date.isoformat(),
            },
        }
        ts = _slack(
            lambda: self.delivery.joined_retry(
                sub.channel_id, lambda: self.delivery.post(sub.channel_id, text=text, blocks=blocks, metadata=metadata)
            )
        )
        return Posted(ts=ts)

    def find_message(self, sub: Subscription, *, delivery_id: int) -> Posted | None:
        ts = _slack(
            lambda: self.delivery.find_tagged(
                sub.channel_id, EVENT_TYPE, {"delivery_id": delivery_id}, limit=HISTORY_LIMIT
            )
        )
        return Posted(ts=ts) if ts else None

    def attach_chart(self, sub: Subscription, digest: Digest, *, ts: str, title: str, png: bytes) -> str | None:
        filename = chart_filename(sub, digest)
        label = f"{title} · through {short_day(digest.day)}"
        alt = chart_alt_text_of(digest, title)
        return _slack(
            lambda: self.delivery.joined_retry(
                sub.channel_id,
                lambda: self.delivery.upload(
                    sub.channel_id, png=png, filename=filename, title=label, thread_ts=ts, alt_text=alt
                ),
            )
        )

    def find_chart(self, sub: Subscription, digest: Digest, *, ts: str) -> str | None:
        return _slack(lambda: self.delivery.thread_file(sub.channel_id, ts, chart_filename(sub, digest)))

    def note_missing_chart(self, sub: Subscription, *, ts: str, failure: SendFailed) -> None:
        hint = INVITE_HINT if failure.code in NOT_MEMBER else f"The chart could not be attached: {failure.explanation}"
        try:
            self.delivery.post(sub.channel_id, text=f"📈 {hint}", thread_ts=ts)
        except SlackApiError:
            log.warning("could not explain the missing chart in %s", sub.channel_id)

    def tell_paused(self, sub: Subscription, failure: SendFailed) -> None:
        text = (
            f"⏸️ I paused your sendstats digest #{sub.id} ({_what(sub)}) for <#{sub.channel_id}>: "
            f"{failure.explanation} To resume, invite me to the channel (`/invite @sendstats`) and run "
            f"`{_resubscribe(sub)}` there again."
        )
        self.delivery.post(sub.created_by, text=text)

    def tell_missed(self, sub: Subscription, day: date, reason: str) -> None:
        text = (
            f"⚠️ Your sendstats digest #{sub.id} ({_what(sub)}) for {short_day(day)} could not be posted "
            f"in <#{sub.channel_id}> before the day ended ({reason}). I kept trying all day. To post it now, an "
            f"operator can run `python -m bot digest --date {day.isoformat()}`."
        )
        self.delivery.post(sub.created_by, text=text)
