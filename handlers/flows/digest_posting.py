"""The Slack side of the digest round: :class:`digests.ports.DigestSender` built on the adapter.

Block Kit comes from ``handlers.layout``; posting, pacing and joins from ``handlers.adapter``. Slack's
error codes become :class:`digests.ports.SendFailed` here, in one place.
"""

from __future__ import annotations

from digests.ports import Posted, SendFailed
from digests.records import Subscription
from handlers.adapter.delivery import PERMANENT, DeliveryError, SlackDelivery, explain
from handlers.layout.digest_blocks import digest_blocks, digest_text, short_day
from reports.daily import Digest


class SlackDigestSender:
    """Posts digests into their channels and DMs subscribers whose digest was paused."""

    def __init__(self, delivery: SlackDelivery) -> None:
        self.delivery = delivery

    def post_digest(self, sub: Subscription, digest: Digest, *, title: str, png: bytes | None) -> Posted:
        blocks = digest_blocks(
            digest,
            title=title,
            campaign_id=sub.campaign_id,
            send_id=sub.send_id,
            subscription_id=sub.id,
            chart_in_thread=png is not None,
        )
        try:
            delivered = self.delivery.deliver_report(
                sub.channel_id,
                text=digest_text(digest, title, sub.send_id),
                blocks=blocks,
                png=png,
                filename=f"sendstats-digest-{sub.send_id}-{digest.day.isoformat()}.png"[:120],
                title=f"{title} · through {short_day(digest.day)}",
            )
        except DeliveryError as exc:
            raise SendFailed(exc.code, permanent=exc.code in PERMANENT, explanation=explain(exc.code)) from exc
        return Posted(ts=delivered.ts)

    def tell_paused(self, sub: Subscription, failure: SendFailed) -> None:
        text = (
            f"⏸️ I paused your sendstats digest #{sub.id} (send `{sub.send_id}`) for <#{sub.channel_id}>: "
            f"{failure.explanation} To resume, invite me to the channel (`/invite @sendstats`) and run "
            f"`/sendstats subscribe {sub.campaign_id} {sub.send_id}` there again."
        )
        self.delivery.post(sub.created_by, text=text)
