"""Block Kit for a variant comparison (:class:`reports.views.ComparisonView`) and a digest's data button.

Kept apart from the report and digest layouts: :func:`with_comparison` puts the comparison's sections
after a message's details, before its footer and buttons, and :func:`with_data_button` adds the CSV
button to a digest's buttons, whatever those layouts look like.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from handlers.layout.blocks import LINE_LIMIT, Block, button, button_value, context, section, wrapped
from handlers.layout.text import escape, fit, no_markup
from reports.kinds import Target
from reports.views import ComparisonView, RateView

#: The digest's "Data (CSV)" button: uploads the CSV of the digest's range into its thread.
DIGEST_CSV = "sendstats_digest_csv"
#: What "confidence" means, under every comparison.
METHOD_NOTE = (
    "In brackets: 95% Wilson intervals. Each variation is tested against the control (two-proportion z-test, "
    "Holm-corrected for several variations). 99% confidence means: were the two truly alike, a difference this "
    "large would show less than 1% of the time. Below 95% no winner is named."
)


#: Slack's limit on a section's text: a rate's bullets that would pass it continue in the next section.
SECTION_CHARS = 3000


def rate_texts(rate: RateView, limit: int = SECTION_CHARS) -> list[str]:
    """``*Conversion rate* · control: Control (a variation named Control)`` then one bullet per variation,
    decisive ones in bold; in as many texts of at most ``limit`` characters as it takes, never cutting a
    sentence (long names over many variations)."""
    control = f"{escape(no_markup(' '.join(rate.control.split())))} ({escape(rate.control_why)})"
    head = f"*{escape(no_markup(rate.label))}* · control: {control}"
    texts = [head]
    for sentence, decisive in zip(rate.sentences, rate.decisive, strict=True):
        # on lines a phone shows whole, the bullet's name continued under it; a decisive one bold line by line
        # (Slack's bold ends at a line break); a name's own * ~ ` unable to start or end formatting; cut only
        # past Slack's limit, and then with "…"
        # one line (a name's line breaks as spaces), with room for the bullet and each line's bold marks
        text = fit(escape(no_markup(" ".join(sentence.split()))), limit - 300)
        lines = wrapped(text, limit=LINE_LIMIT - 4).split("\n")
        shown = [f"*{line}*" if decisive else line for line in lines]
        bullet = fit("\n".join([f"• {shown[0]}", *(f"  {line}" for line in shown[1:])]), limit - 1)
        if len(texts[-1]) + 1 + len(bullet) > limit:
            texts.append(bullet)
        else:
            texts[-1] += "\n" + bullet
    return texts


def comparison_blocks(view: ComparisonView) -> list[Block]:
    """One section per rate (more when its text would pass Slack's 3,000 characters), then how to read
    them."""
    blocks = [section(text) for rate in view.rates for text in rate_texts(rate)]
    note = METHOD_NOTE
    if view.more:
        rates = f"{view.more} more rate{'s' if view.more != 1 else ''}"
        note += f" {view.elsewhere.capitalize()} compares {rates}." if view.elsewhere else f" {rates} not shown."
    blocks.append(context(wrapped(escape(note))))
    return blocks


def with_comparison(blocks: list[Block], view: ComparisonView | None) -> list[Block]:
    """``blocks`` (a report or digest) with the comparison after its details: before its closing footer
    (a context block) and buttons (an actions block), where those end the message."""
    if view is None:
        return blocks
    at = len(blocks)
    if at and blocks[at - 1].get("type") == "actions":
        at -= 1
    if at and blocks[at - 1].get("type") == "context":
        at -= 1
    return [*blocks[:at], *comparison_blocks(view), *blocks[at:]]


def data_button_value(target: Target, start: date, end: date) -> str:
    """The target (as every button names it) and the range: ``{"k", "i", "a", "b"}`` or a send's
    ``{"c", "s", "a", "b"}``."""
    value: dict[str, Any] = json.loads(button_value(target))
    value |= {"a": start.isoformat(), "b": end.isoformat()}
    return json.dumps(value, separators=(",", ":"))


def with_data_button(blocks: list[Block], target: Target, span: tuple[date, date] | None) -> list[Block]:
    """``blocks`` (a digest) with a "Data (CSV)" button beside its last buttons; unchanged without a range."""
    if span is None:
        return blocks
    data = button("Data (CSV)", DIGEST_CSV, data_button_value(target, *span))
    out = list(blocks)
    for i in range(len(out) - 1, -1, -1):
        if out[i].get("type") == "actions":
            out[i] = {**out[i], "elements": [*out[i]["elements"], data]}
            return out
    return [*out, {"type": "actions", "block_id": "sendstats_digest_data", "elements": [data]}]
