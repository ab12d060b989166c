"""The bot was removed from a channel: its digests there stop at once, and each subscriber is told.

Slack tells the app when its bot leaves a channel, whoever made it leave (``/remove @sendstats``, the
channel's member list, or ``/kick``): ``channel_left`` (a public channel), ``group_left`` (a private
one), and ``member_left_channel`` naming the bot, where Slack sends it (:mod:`handlers.listeners.channels`).
Every active subscription of that channel is paused (one conditional UPDATE each, so a Slack retry or a
digest round that finds the channel closed at the same moment tells nobody twice) and its subscriber gets
a DM with the command that resumes it. The bot never goes back by itself: it joins a channel only when
someone asks there (:meth:`handlers.adapter.delivery.SlackDelivery.joined_retry`).

If this is missed (the database was out for the whole retry window below), the next digest finds the
channel closed (``not_in_channel``, ``channel_not_found``) and pauses it the same way
(:func:`digests.posting.post_one`).
"""

from __future__ import annotations

import logging

from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from handlers.database import is_outage
from handlers.deps import Deps
from handlers.layout.digest_blocks import paused_text

log = logging.getLogger(__name__)
#: ``status_reason`` of a subscription paused because the bot was removed (``list`` and App Home show it).
REMOVED = "the bot was removed from the channel"
#: How long a removal waits for a database that is out before the next digest is left to find it.
OUTAGE_PATIENCE = 120.0


def bot_removed(deps: Deps, channel: str, by: str | None) -> int:
    """Pause every active digest of ``channel`` and DM each subscriber how to resume it; returns how many
    this call paused. ``by`` is who removed the bot, when Slack says."""
    retrying = Retrying(
        stop=stop_after_delay(OUTAGE_PATIENCE),
        wait=wait_exponential(1, max=15),
        retry=retry_if_exception(is_outage),
        reraise=True,
    )
    subs = retrying(deps.store.subscriptions.in_channel, channel)
    why = f"<@{by}> removed me from the channel." if by else "I was removed from the channel."
    paused = 0
    for sub in subs:
        if not retrying(deps.store.subscriptions.pause, sub.id, REMOVED):
            continue  # paused, cancelled or ended meanwhile: whoever changed it told whoever needed telling
        paused += 1
        log.info("digest %s paused: the bot was removed from %s", sub.id, channel)
        if not deps.delivery.direct_message(sub.created_by, text=paused_text(sub, why)):
            log.warning("could not tell %s that digest %s is paused", sub.created_by, sub.id)
    if paused:
        deps.on_subscriptions_changed()
    return paused
