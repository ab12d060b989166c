"""Block Kit for daily digests of every kind (one renderer of :class:`reports.views.DigestView`), and the
lines that describe a subscription in ``list``, App Home and replies."""

from __future__ import annotations

from datetime import date

from digests.records import Delivery, Subscription
from handlers.layout.blocks import (
    UNSUBSCRIBE,
    Block,
    button,
    context,
    field,
    md,
    mrkdwn,
    plain,
    rerun_button,
    section,
    verdict_block,
    wrapped,
)
from handlers.layout.text import escape, fit, neutral
from reports.kinds.registry import kind_of
from reports.views import DigestView, short_day


def digest_text(view: DigestView) -> str:
    """Notification text, naming the send, campaign or Canvas so two digests are told apart."""
    return mrkdwn(view.text)


def digest_blocks(view: DigestView, *, subscription_id: int, chart_in_thread: bool) -> list[Block]:
    """The daily message, read first on a phone: the verdict (the day in a few numbers and the one change
    that matters), then the day's figures with their change, the range's totals on one line and (on the
    last digest) why the subscription ends."""
    head = "🏁 Final digest" if view.final else "🗞 Daily digest"
    blocks: list[Block] = [{"type": "header", "text": plain(f"{head} · {view.title}")}]
    if view.figures and view.verdict is not None:
        blocks.append(verdict_block(view.verdict))
    else:  # a quiet day: the day's line says it best ("No activity on Mar 17 (3 days in a row…)")
        blocks.append(section(f"*{mrkdwn(view.day)}*"))
    blocks.append(context(wrapped(mrkdwn(view.context))))
    if view.figures:
        blocks.append({"type": "section", "text": md(mrkdwn(view.day)), "fields": [field(f) for f in view.figures]})
    if view.flags:  # one line per metric far from its usual level
        blocks.append({"type": "section", "text": md("\n".join(f"⚠️ {escape(flag)}" for flag in view.flags))})
    if view.totals is not None:
        blocks.append(section(wrapped(mrkdwn(view.totals))))
    if view.last is not None:
        blocks.append(section(wrapped(mrkdwn(view.last))))
    footer = f"Subscription #{subscription_id} · `/sendstats unsubscribe {subscription_id}` stops it"
    if chart_in_thread:
        footer += f" · 📈 chart of {view.chart_span} in the thread ↓"
    blocks.append(context(footer))
    elements = [rerun_button(view.target, view.report_days, f"Full report ({view.report_days} days)")]
    if not view.final:
        elements.append(button("Unsubscribe", UNSUBSCRIBE, str(subscription_id)))
    blocks.append({"type": "actions", "block_id": "sendstats_digest_actions", "elements": elements})
    return blocks


def last_outcome(delivery: Delivery | None, last_day: date | None = None) -> str:
    """A subscription's last digest outcome in a few words, for ``list`` and App Home (``last_day``: the
    subscription's own record of its last digest, when no outcome was logged)."""
    if delivery is None:
        return f"last digest: {short_day(last_day)}" if last_day else "last digest: none yet"
    day = short_day(delivery.digest_date)
    detail = f" ({delivery.detail})" if delivery.detail else ""
    words = {
        "posted": f"posted {day}",
        "skipped": f"skipped {day}{detail}",
        "claimed": f"{day} being posted",
        "chart_pending": f"{day} posted, chart on its way",
        "chart_fallback": f"{day} posted, chart on its way",
        "failed": f"{day} failed, retrying{detail}",
        "missed": f"{day} *missed*{detail}",
    }
    return "last digest: " + words.get(delivery.status, f"{day} {delivery.status}")


def subject(sub: Subscription, name: str | None = None) -> str:
    """What a subscription digests, for ``list``, App Home and replies: ``send `x` (campaign `y`)`` etc.,
    after its name in bold when it is known (``*Spring sale* · send `x` (campaign `y`)``)."""
    reference = mrkdwn(kind_of(sub.kind).reference(sub.target))
    return f"*{escape(neutral(fit(name, 80)))}* · {reference}" if name else reference


def ends_text(sub: Subscription) -> str:
    """When the digests stop: a date for sends, a rule for campaigns and Canvases."""
    return kind_of(sub.kind).ends_text(sub.ends_on)


def short_subject(sub: Subscription) -> str:
    """``send `x``` / ``campaign `y``` / ``Canvas `z``` in sentences about a subscription."""
    return mrkdwn(kind_of(sub.kind).short_reference(sub.target))


def resume_command(sub: Subscription) -> str:
    """The command that resumes a paused subscription as it was: re-subscribing the same target in the same
    channel keeps its id and takes the time and zone given, so both are spelled out."""
    args = kind_of(sub.kind).args(sub.target)
    return f"/sendstats subscribe {args} at {sub.hour:02d}:{sub.minute:02d} {sub.timezone}"


def paused_text(sub: Subscription, why: str) -> str:
    """The DM telling a subscriber their digest is paused, ``why`` (a sentence), and how to resume it."""
    return (
        f"⏸️ I paused your sendstats digest #{sub.id} ({short_subject(sub)}) for <#{sub.channel_id}>: {why} "
        f"To resume it, invite me to <#{sub.channel_id}> (`/invite @sendstats`) and run "
        f"`{escape(resume_command(sub))}` there."
    )
