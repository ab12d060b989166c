"""A Slack message as a phone shows it, drawn to a PNG: for the docs and README, from real payloads.

A small Block Kit renderer, not Slack's: header, section (text and two-up fields), context, divider,
actions, image and input blocks, with Slack's mrkdwn (``*bold*``, ``_italic_``, ```code```, code blocks,
``<…>`` links and mentions, ``&lt;`` entities). It lays a message out at a phone's width (390 points,
drawn at 2x) with the app's name above it, wraps text as a phone does, and wraps code blocks that pass
the width, so a table wider than a phone shows the wrapped rows a person would see. Characters its fonts
lack (colour emoji) are left out: the screenshot says what the text says, not how Slack draws emoji.

Any message renders: :func:`render` takes a message's ``blocks`` (a list, or the JSON string Slack
was sent) and its fallback ``text`` for messages without blocks.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.ft2font import FT2Font
from PIL import Image, ImageDraw, ImageFont

#: A phone's width in points, and the scale it is drawn at (a 2x screen).
WIDTH, SCALE = 390, 2
MARGIN, AVATAR, GAP = 14, 36, 8
#: Where a message's blocks start, and how wide they may be.
LEFT = MARGIN + AVATAR + GAP
CONTENT = WIDTH - LEFT - MARGIN
TEXT, HEADER, SMALL, CODE, BUTTON = 15, 17, 12, 12, 13
INK, GREY, LINK, RULE = (29, 28, 29), (97, 96, 97), (18, 100, 163), (221, 221, 221)
CODE_BG, CODE_EDGE, CODE_INK = (248, 248, 248), (221, 221, 221), (29, 28, 29)
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FACES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
    "code": "DejaVuSansMono.ttf",
}
_INLINE = re.compile(r"(`[^`\n]+`|\*[^*\n]+\*|_[^_\n]+_)")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


@cache
def font(style: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / FACES[style]), size * SCALE)


@cache
def _face(style: str) -> FT2Font:
    return FT2Font(str(FONTS / FACES[style]))


@cache
def _has(style: str, char: str) -> bool:
    return char in "\n\t " or _face(style).get_char_index(ord(char)) != 0


def drawable(text: str, style: str) -> str:
    """``text`` without what the font cannot draw (colour emoji, their joiners and selectors)."""
    return "".join(c for c in text if _has(style, c))


def unslack(text: str) -> str:
    """Slack's ``<…>`` tokens as a reader sees them, then its three entities."""

    def token(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if label:
            return label
        if target.startswith("#C"):
            return "#general"
        if target.startswith("@"):
            return "@someone"
        if target.startswith("!"):
            return "@" + target[1:].split("^")[0]
        return target

    return _LINK.sub(token, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def runs(line: str) -> list[tuple[str, str]]:
    """A mrkdwn line as (text, style) runs."""
    out = []
    for part in _INLINE.split(line):
        if not part:
            continue
        if len(part) > 2 and part[0] == part[-1] and part[0] in "`*_":
            out.append((unslack(part[1:-1]), {"`": "code", "*": "bold", "_": "italic"}[part[0]]))
        else:
            out.append((unslack(part), "regular"))
    return out


@dataclass
class Page:
    """Draw operations at scale 1 (points), laid out top to bottom; drawn once the height is known."""

    y: float = MARGIN
    ops: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, style: str, size: int, color: tuple[int, int, int]) -> None:
        self.ops.append(("text", (x, y, text, style, size, color)))

    def box(self, xy: tuple[float, float, float, float], fill: Any, outline: Any = None, radius: float = 4) -> None:
        self.ops.append(("box", (xy, fill, outline, radius)))

    def png(self) -> bytes:
        image = Image.new("RGB", (WIDTH * SCALE, int((self.y + MARGIN) * SCALE)), "white")
        draw = ImageDraw.Draw(image)
        for kind, args in self.ops:
            if kind == "box":
                (x0, y0, x1, y1), fill, outline, radius = args
                draw.rounded_rectangle(
                    [x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE],
                    radius * SCALE,
                    fill,
                    outline,
                    width=SCALE if outline else 0,
                )
            else:
                x, y, text, style, size, color = args
                draw.text((x * SCALE, y * SCALE), text, font=font(style, size), fill=color)
        out = io.BytesIO()
        # a message is a few inks on white: 64 colours keep the anti-aliasing and a third of the bytes. The fast
        # octree quantizer without zlib's optimize pass draws a page ~4x faster and ~10% smaller than median cut
        # with optimize (2026-12-05, the 25 recorded messages of tests/handlers/payloads/current).
        image.quantize(colors=64, method=Image.Quantize.FASTOCTREE).save(out, "PNG")
        return out.getvalue()


def _width(text: str, style: str, size: int) -> float:
    return font(style, size).getlength(text) / SCALE


def flow(
    page: Page, parts: list[tuple[str, str]], x: float, width: float, size: int, color: tuple[int, int, int] = INK
) -> None:
    """Runs of text wrapped at ``width`` from ``page.y``, as a phone wraps words; the page moves down."""
    line_height = size * 1.45
    cursor = x
    for text, style in parts:
        size_of = CODE if style == "code" else size
        for word in re.findall(r"\n|[^\S\n]+|[^\s]+", drawable(text, style)):
            if word == "\n":
                page.y += line_height
                cursor = x
                continue
            w = _width(word, style, size_of)
            if word.isspace():
                cursor += 0 if cursor == x else w
                continue
            while w > width and len(word) > 1:  # a word longer than the line is broken where it must be
                cut = len(word)
                while cut > 1 and _width(word[:cut], style, size_of) > x + width - cursor:
                    cut -= 1
                if cursor > x and cut == 1:
                    page.y, cursor = page.y + line_height, x
                    continue
                _run(page, word[:cut], style, cursor, size_of, color)
                page.y, cursor = page.y + line_height, x
                word = word[cut:]
                w = _width(word, style, size_of)
            if cursor + w > x + width and cursor > x:
                page.y, cursor = page.y + line_height, x
            _run(page, word, style, cursor, size_of, color)
            cursor += w
    page.y += line_height


def _run(page: Page, word: str, style: str, x: float, size: int, color: tuple[int, int, int]) -> None:
    if style == "code":
        w = _width(word, "code", size)
        page.box((x - 1, page.y + 1, x + w + 1, page.y + size * 1.35), CODE_BG, CODE_EDGE, 3)
        page.text(x, page.y + 2, word, "code", size, (224, 30, 90))
    else:
        page.text(x, page.y, word, style, size, color)


def mrkdwn(page: Page, text: str, x: float, width: float, size: int = TEXT, color: tuple[int, int, int] = INK) -> None:
    """Slack mrkdwn: code blocks as grey boxes of monospace lines (wrapped at the width), the rest as runs."""
    for i, chunk in enumerate(text.split("```")):
        if i % 2:
            lines = [unslack(line) for line in chunk.strip("\n").split("\n")]
            per_line = max(1, int((width - 12) // _width("0", "code", CODE)))
            shown = [line[j : j + per_line] for line in lines for j in range(0, max(len(line), 1), per_line)]
            top = page.y + 2
            page.box((x, top, x + width, top + 10 + len(shown) * CODE * 1.4), CODE_BG, CODE_EDGE, 4)
            for n, line in enumerate(shown):
                page.text(x + 6, top + 5 + n * CODE * 1.4, drawable(line, "code"), "code", CODE, CODE_INK)
            page.y = top + 14 + len(shown) * CODE * 1.4
        elif chunk.strip("\n"):
            for line in chunk.strip("\n").split("\n"):
                flow(page, runs(line), x, width, size, color)


def block(page: Page, b: dict[str, Any]) -> None:
    kind = b.get("type")
    if kind == "header":
        flow(page, [(b["text"]["text"], "bold")], LEFT, CONTENT, HEADER)
        page.y += 2
    elif kind == "section":
        if "text" in b:
            mrkdwn(page, b["text"]["text"], LEFT, CONTENT)
        fields = b.get("fields", [])
        half = (CONTENT - 12) / 2
        for i in range(0, len(fields), 2):
            top, bottom = page.y, page.y
            for j, f in enumerate(fields[i : i + 2]):
                page.y = top
                mrkdwn(page, f["text"], LEFT + j * (half + 12), half)
                bottom = max(bottom, page.y)
            page.y = bottom + 4
        page.y += 4
    elif kind == "context":
        words = "   ".join(e.get("text", "") for e in b.get("elements", []) if isinstance(e, dict))
        mrkdwn(page, words, LEFT, CONTENT, SMALL, GREY)
        page.y += 4
    elif kind == "divider":
        page.box((LEFT, page.y + 6, LEFT + CONTENT, page.y + 7), RULE)
        page.y += 14
    elif kind == "actions":
        cursor = LEFT
        for e in b.get("elements", []):
            label = drawable(e.get("text", {}).get("text", e.get("type", "")), "bold")
            w = _width(label, "bold", BUTTON) + 24
            if cursor + w > LEFT + CONTENT and cursor > LEFT:
                cursor, page.y = LEFT, page.y + 38
            page.box((cursor, page.y + 2, cursor + w, page.y + 32), "white", (190, 190, 190), 6)
            page.text(cursor + 12, page.y + 9, label, "bold", BUTTON, INK)
            cursor += w + 8
        page.y += 42
    elif kind == "image":
        page.box((LEFT, page.y + 2, LEFT + CONTENT, page.y + 120), (240, 240, 240), RULE, 6)
        page.text(
            LEFT + 10, page.y + 52, drawable(f"[image: {b.get('alt_text', '')}]", "italic")[:48], "italic", SMALL, GREY
        )
        page.y += 128
    elif kind == "input":
        flow(page, [(b.get("label", {}).get("text", ""), "bold")], LEFT, CONTENT, TEXT)
        page.box((LEFT, page.y, LEFT + CONTENT, page.y + 34), "white", (190, 190, 190), 6)
        page.y += 42


def render(blocks: list[dict[str, Any]] | str | None, text: str = "", *, app: str = "sendstats") -> bytes:
    """One message as a phone shows it, as PNG bytes."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    page = Page()
    page.box((MARGIN, MARGIN, MARGIN + AVATAR, MARGIN + AVATAR), (74, 21, 75), None, 8)
    page.text(MARGIN + 7, MARGIN + 9, "ss", "bold", TEXT, (255, 255, 255))
    page.text(LEFT, page.y - 1, app, "bold", TEXT, INK)
    badge = LEFT + _width(app, "bold", TEXT) + 6
    page.box((badge, page.y + 2, badge + 28, page.y + 17), (232, 232, 232), None, 3)
    page.text(badge + 4, page.y + 3, "APP", "bold", 10, GREY)
    page.text(badge + 36, page.y + 1, "9:41 AM", "regular", SMALL, GREY)
    page.y += 24
    if blocks:
        for b in blocks:
            block(page, b)
    else:
        mrkdwn(page, text, LEFT, CONTENT)
    page.y = max(page.y, MARGIN + AVATAR)
    return page.png()
