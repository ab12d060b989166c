"""Accent- and case-free text for searching names: "Été Promo" and "ete promo" fold to the same words.

The catalogue stores every name folded once, so a search compares plain lower-case ASCII-ish text in
SQL (``LIKE``) on SQLite and PostgreSQL alike, with no collation or extension needed.
"""

from __future__ import annotations

import unicodedata

#: Letters that carry no combining mark to strip, so NFKD alone leaves them as they are.
_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
MAX_WORDS = 8
MAX_WORD_LENGTH = 64


def fold(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed (``"  Ça  Marche "`` → ``"ca marche"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().translate(_EXTRA).split())


def query_words(query: str) -> list[str]:
    """The distinct folded words of a search, longest first (the most selective filter first), capped."""
    words = sorted(set(fold(query).split()), key=lambda w: (-len(w), w))
    return [w[:MAX_WORD_LENGTH] for w in words[:MAX_WORDS]]
