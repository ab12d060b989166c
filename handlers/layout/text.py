"""Making user- and Braze-provided text safe to show in Slack mrkdwn, and formatting numbers."""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
DASH = "–"


def escape(text: str) -> str:
    """Escape Slack's control characters and defuse broadcast words.

    ``<``, ``>`` and ``&`` are Slack's own escapes, so ``<!channel>`` can never form; a zero-width
    joiner after ``@`` keeps a literal "@here" from reading as a mention in any client.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)


def fmt_count(value: int | float | None) -> str:
    return DASH if value is None else f"{int(value):,}"


def fmt_rate(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def fmt_usd(value: float | None) -> str:
    return DASH if value is None else f"${value:,.2f}"
