"""The digest chart's reply in the digest's thread: one image block showing the round's shared upload of
the chart by its file id (``slack_file``), which only the app that uploaded it may show."""

from __future__ import annotations

from typing import Any

#: Slack's limits on an image block's ``alt_text`` and ``title`` (Block Kit reference, image block).
ALT_TEXT_CHARS = 2000
TITLE_CHARS = 2000


def chart_reply_blocks(file_id: str, *, title: str, alt_text: str) -> list[dict[str, Any]]:
    """``[image block]`` showing ``file_id`` with its title and screen-reader text."""
    return [
        {
            "type": "image",
            "slack_file": {"id": file_id},
            "alt_text": alt_text[:ALT_TEXT_CHARS],
            "title": {"type": "plain_text", "text": title[:TITLE_CHARS]},
        }
    ]


def chart_reply_text(title: str) -> str:
    """The notification and screen-reader fallback of the reply (its ``text``)."""
    return f"📈 {title}"
