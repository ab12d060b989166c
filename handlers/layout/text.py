"""Making user- and Braze-provided text safe to show in Slack mrkdwn."""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape Slack's control characters and defuse broadcast words.

    ``<``, ``>`` and ``&`` are Slack's own escapes, so ``<!channel>`` can never form; a zero-width
    joiner after ``@`` keeps a literal "@here" from reading as a mention in any client.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)
