"""Making user- and Braze-provided text safe to show in Slack mrkdwn, and cutting it the way Slack
measures it.

Slack counts a text's length in UTF-16 code units (an emoji outside the Basic Multilingual Plane is
two), so every cut here is by that measure, never splits a surrogate pair or a character from its
combining marks, and ends with "…" so a reader can see something was left out.
"""

from __future__ import annotations

import re
import unicodedata

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
ELLIPSIS = "…"
#: A name shown inside formatting (bold, a legend) is cut past this many UTF-16 units: Braze names are
#: far shorter, and a longer one must not push its closing ``*`` out of Slack's section limit.
NAME_LIMIT = 300
#: Slack's mrkdwn formatting characters, and the look-alikes a name shows instead inside formatting
#: (Slack has no backslash escape): ∗ ASTERISK OPERATOR, ＿ FULLWIDTH LOW LINE, ∼ TILDE OPERATOR, ʹ PRIME.
_MARKUP = str.maketrans({"*": "∗", "_": "＿", "~": "∼", "`": "ʹ"})


def escape(text: str) -> str:
    """Escape Slack's control characters and defuse broadcast words.

    ``<``, ``>`` and ``&`` are Slack's own escapes, so ``<!channel>`` can never form; a zero-width
    joiner after ``@`` keeps a literal "@here" from reading as a mention in any client.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)


def neutral(text: str) -> str:
    """A name as shown inside ``*bold*``, ``_italics_`` or code: its ``* _ ~ ` `` become look-alikes, so
    it can neither end the formatting around it nor start its own. On one line, without spaces at its ends
    (Slack ends bold at a line break and ignores ``* x*``), "(blank)" for nothing, at most :data:`NAME_LIMIT`
    units."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return fit(flat.translate(_MARKUP), NAME_LIMIT) or "(blank)"


_MARKUP_BUT_UNDERSCORE = str.maketrans({"*": "∗", "~": "∼", "`": "ʹ"})


def plain_name(text: str) -> str:
    """A name shown outside formatting (a table's legend): like :func:`neutral`, but its ``_`` stay, since
    Slack reads ``_`` as italics only at a word's edges and IDs (``var-1-whats_app``) carry them inside."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return fit(flat.translate(_MARKUP_BUT_UNDERSCORE), NAME_LIMIT) or "(blank)"


def no_markup(text: str) -> str:
    """``text`` with its ``*``, ``~`` and backticks as look-alikes (``_`` kept, as in :func:`plain_name`), whole:
    for sentences shown in bold that name variations."""
    return text.translate(_MARKUP_BUT_UNDERSCORE)


def utf16_len(text: str) -> int:
    """Length as Slack measures it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _joins_previous(char: str) -> bool:
    """A character that belongs to the one before it (combining marks, joiners, variation selectors: those are
    marks, category Mn)."""
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me", "Cf")
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tones
    )


def fit(text: str, limit: int) -> str:
    """``text`` if Slack counts it at most ``limit`` UTF-16 units, else its longest start that fits with a
    final "…" (never splitting a character from its marks or a joined emoji)."""
    if utf16_len(text) <= limit:
        return text
    budget = limit - 1  # "…" is one unit
    used, end = 0, 0
    for i, char in enumerate(text):
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > budget:
            break
        used += size
        end = i + 1
    # back off to the start of the cluster the cut would split
    # the loop above always stops short of the end (the whole text is longer than the budget): text[end] exists
    while end > 0 and (_joins_previous(text[end]) or text[end - 1] == "\u200d"):
        end -= 1
    return text[:end].rstrip() + ELLIPSIS
